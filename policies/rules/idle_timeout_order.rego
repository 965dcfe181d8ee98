package eksbalance.rules.idle_timeout_order

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "idle-timeout-order",
	"severity": "mandatory",
	"scope": "set",
	"title": "Backend keepalive outlasts the load balancer's idle timeout; the app knows the real one",
	"doc": concat(" ", [
		"Idle periods must be ordered client < load balancer < backend. Behind an ALB, a backend that",
		"closes first makes the ALB reuse a connection the pod just closed (502). Behind an NLB, a",
		"backend that closes first races the client's next request on a connection the NLB still",
		"tracks, and the client sees a reset; the toolkit keeps one order for both, as the workload",
		"template does (loadbalancer.Timings.RecommendedBackendKeepAlive). Caught: a container behind",
		"an NLB or ALB whose EKSBALANCE_IDLE_TIMEOUT is not longer than the load balancer's idle",
		"timeout (ALB idle_timeout.timeout_seconds, default 60; NLB the longest",
		"tcp.idle_timeout.seconds of its TCP listeners, default 350), or whose",
		"EKSBALANCE_LB_IDLE_TIMEOUT differs from it. Only literal env values are read.",
	]),
}

findings contains lib.finding(meta, d, msg) if {
	some b in lib.balanced
	b.front.kind in {"nlb", "alb", "gateway-alb", "gateway-nlb"}
	d := lib.resources[b.deployment]
	some c in lib.containers(d)
	backend := lib.env_number(c, "EKSBALANCE_IDLE_TIMEOUT")
	lb := lib.idle_timeout(b.front)
	backend <= lb
	msg := sprintf(
		"container %s: EKSBALANCE_IDLE_TIMEOUT is %v s, not longer than the idle timeout of the %s (%v s), so the pod can close a connection the load balancer still routes (a 502 behind an ALB, a reset behind an NLB); set it above %v s",
		[c.name, backend, lib.describe_front(b.front), lb, lb],
	)
}

findings contains lib.finding(meta, d, msg) if {
	some b in lib.balanced
	b.front.kind in {"nlb", "alb", "gateway-alb", "gateway-nlb"}
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
