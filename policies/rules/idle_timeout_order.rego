package eksbalance.rules.idle_timeout_order

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "idle-timeout-order",
	"severity": "mandatory",
	"scope": "set",
	"title": "Backend keepalive outlasts the ALB idle timeout; the app knows the real LB idle timeout",
	"doc": concat(" ", [
		"Behind a proxy (ALB) the backend must keep idle connections open longer than the load",
		"balancer does, or the ALB reuses a connection the pod just closed and answers 502. Caught: a",
		"container behind an ALB whose EKSBALANCE_IDLE_TIMEOUT is not longer than the ALB's",
		"idle_timeout.timeout_seconds (default 60), and a container behind an NLB or ALB whose",
		"EKSBALANCE_LB_IDLE_TIMEOUT differs from that load balancer's idle timeout (NLB: the",
		"tcp.idle_timeout.seconds of its TCP listeners, default 350). Only literal env values are read.",
		"An NLB passes the client's connection through, so the backend-longer-than-LB order is not",
		"required there.",
	]),
}

findings contains lib.finding(meta, d, msg) if {
	some b in lib.balanced
	b.front.kind == "alb"
	d := lib.resources[b.deployment]
	some c in lib.containers(d)
	backend := lib.env_number(c, "EKSBALANCE_IDLE_TIMEOUT")
	lb := lib.idle_timeout(b.front)
	backend <= lb
	msg := sprintf(
		"container %s: EKSBALANCE_IDLE_TIMEOUT is %v s, not longer than the idle timeout of the %s (%v s), so the ALB can reuse a connection the pod has closed (502); set it above %v s",
		[c.name, backend, lib.describe_front(b.front), lb, lb],
	)
}

findings contains lib.finding(meta, d, msg) if {
	some b in lib.balanced
	b.front.kind in {"nlb", "alb"}
	d := lib.resources[b.deployment]
	some c in lib.containers(d)
	told := lib.env_number(c, "EKSBALANCE_LB_IDLE_TIMEOUT")
	lb := lib.idle_timeout(b.front)
	told != lb
	msg := sprintf(
		"container %s: EKSBALANCE_LB_IDLE_TIMEOUT is %v s but the idle timeout of the %s is %v s; set the variable to %v so the server's timeouts are ordered against the real value",
		[c.name, told, lib.describe_front(b.front), lb, lb],
	)
}
