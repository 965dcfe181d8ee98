package eksbalance.rules.deregistration_delay

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "deregistration-delay",
	"severity": "mandatory",
	"scope": "set",
	"title": "Target deregistration ends before the pod is killed",
	"doc": concat(" ", [
		"After a target is deregistered the load balancer keeps its existing connections (and, for an",
		"NLB, keeps routing their packets) for the deregistration delay, 300 s unless",
		"deregistration_delay.timeout_seconds says otherwise. When that is longer than",
		"terminationGracePeriodSeconds the kubelet kills the pod while the load balancer still counts",
		"on it, cutting requests in flight. Caught: a load-balanced Deployment whose grace period is",
		"shorter than the deregistration delay of a controller NLB",
		"(service.beta.kubernetes.io/aws-load-balancer-target-group-attributes) or ALB",
		"(alb.ingress.kubernetes.io/target-group-attributes, Service or Ingress) in front of it. And with",
		"deregistration_delay.connection_termination.enabled=true an NLB resets every connection still",
		"open when the delay ends; the delay counts from deregistration (about a second after the pod",
		"starts terminating), not from SIGTERM, so it must be at least the container's whole wait",
		"(preStop hook + EKSBALANCE_SHUTDOWN_DELAY) + EKSBALANCE_DRAIN_TIMEOUT, or keepalive connections",
		"the app would close gracefully are reset first; without termination it must cover",
		"EKSBALANCE_DRAIN_TIMEOUT (components/loadbalancer's Timings.DeregistrationDelayBound).",
	]),
}

_annotation(f) := "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes" if f.kind == "nlb"

_annotation(f) := "alb.ingress.kubernetes.io/target-group-attributes" if f.kind == "alb"

findings contains lib.finding(meta, d, msg) if {
	some b in lib.balanced
	dd := lib.deregistration_delay(b.front)
	d := lib.resources[b.deployment]
	g := lib.grace_period(d)
	dd > g
	msg := sprintf(
		"the %s deregisters targets over %v s (deregistration_delay.timeout_seconds, default %v) but spec.template.spec.terminationGracePeriodSeconds is %v s, so the pod is killed while connections still count on it; set deregistration_delay.timeout_seconds to at most %v in annotation %s, or raise the grace period",
		[lib.describe_front(b.front), dd, lib.default_deregistration_delay, g, g, _annotation(b.front)],
	)
}

findings contains lib.finding(meta, d, msg) if {
	some b in lib.balanced
	lib.connection_termination(b.front)
	dd := lib.deregistration_delay(b.front)
	d := lib.resources[b.deployment]
	some c in lib.serving_containers(d)
	wait := lib.prestop_wait(c)
	need := wait + lib.drain_seconds(c)
	dd < need
	msg := sprintf(
		"the %s resets every connection still open %v s after deregistration (deregistration_delay.timeout_seconds with connection_termination.enabled=true), but container %s keeps serving for its wait %v s + drain %v s = %v s after termination starts, so keepalive connections are reset before the app closes them; set deregistration_delay.timeout_seconds to at least %v in annotation %s",
		[lib.describe_front(b.front), dd, c.name, wait, lib.drain_seconds(c), need, need, _annotation(b.front)],
	)
}

# Without connection termination the delay still bounds the in-flight work the
# load balancer waits for: it must cover the app's drain.
findings contains lib.finding(meta, d, msg) if {
	some b in lib.balanced
	not lib.connection_termination(b.front)
	dd := lib.deregistration_delay(b.front)
	d := lib.resources[b.deployment]
	some c in lib.serving_containers(d)
	drain := lib.drain_seconds(c)
	dd < drain
	msg := sprintf(
		"the %s gives up on in-flight requests %v s after deregistration (deregistration_delay.timeout_seconds), but container %s drains for up to %v s (EKSBALANCE_DRAIN_TIMEOUT), so requests still running are cut off; set deregistration_delay.timeout_seconds to at least %v in annotation %s",
		[lib.describe_front(b.front), dd, c.name, drain, drain, _annotation(b.front)],
	)
}
