package eksbalance.rules.automode_min_ready

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "automode-min-ready",
	"severity": "advisory",
	"scope": "set",
	"title": "Rollouts behind EKS Auto Mode load balancers wait for target health",
	"doc": concat(" ", [
		"EKS Auto Mode's load balancing has no pod readiness gate (aws/containers-roadmap issue 2511),",
		"so a new pod counts as available to the rollout as soon as it is Ready, before the load",
		"balancer has seen it healthy. Waiting spec.minReadySeconds of at least the target group's",
		"time to healthy (healthy threshold x interval) keeps each surge step from retiring old pods",
		"ahead of the new targets. Caught: a Deployment behind an IP-target NLB Service of class",
		"eks.amazonaws.com/nlb or an ALB Ingress of an eks.amazonaws.com/alb IngressClass whose",
		"minReadySeconds is below that time and whose pods carry no target-health readiness gate.",
	]),
}

findings contains lib.finding(meta, d, msg) if {
	some i in lib.load_balanced
	d := lib.resources[i]
	not lib.readiness_gated(d)
	some j in lib.fronts_by_deployment[i]
	f := lib.fronts[j]
	lib.automode_front(f)
	lib.ip_targets(f)
	need := lib.front_time_to_healthy(f)
	found := lib.number_or(object.get(d.properties, ["spec", "minReadySeconds"], 0), 0)
	found < need
	msg := sprintf(
		"spec.minReadySeconds is %v behind %s, which EKS Auto Mode serves without a readiness gate: new pods count as available before the target group has seen them healthy (%v s = healthy threshold x interval); set minReadySeconds to at least %v",
		[found, lib.describe_front(f), need, need],
	)
}
