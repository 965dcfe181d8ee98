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
		"(alb.ingress.kubernetes.io/target-group-attributes, Service or Ingress) in front of it.",
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
