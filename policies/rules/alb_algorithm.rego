package eksbalance.rules.alb_algorithm

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "alb-algorithm",
	"severity": "advisory",
	"scope": "resource",
	"title": "ALB target groups route by least outstanding requests",
	"doc": concat(" ", [
		"Round robin (the ALB default) ignores how busy a target is, so slow requests pile up on some",
		"pods; least_outstanding_requests sends each request to the target with the fewest in flight",
		"and evens out per-pod load when request costs differ. Caught: an ALB Ingress (or its backend",
		"Service) whose alb.ingress.kubernetes.io/target-group-attributes lacks",
		"load_balancing.algorithm.type=least_outstanding_requests, and a directly managed HTTP/HTTPS",
		"TargetGroup whose loadBalancingAlgorithmType is not least_outstanding_requests.",
	]),
}

_annotation := "alb.ingress.kubernetes.io/target-group-attributes"

_attr := "load_balancing.algorithm.type"

_lor := "least_outstanding_requests"

findings contains lib.finding(meta, ing, msg) if {
	some p in lib.ingress_backend_pairs
	not lib.pair_undecided(p, _annotation)
	found := _algorithm(p)
	found != _lor
	ing := lib.resources[p.ingress]
	msg := sprintf(
		"%s is %s in annotation %s for backend Service %s (ALB default round_robin); add %s=%s so each request goes to the pod with the fewest in flight",
		[_attr, lib.show(found), _annotation, p.service_name, _attr, _lor],
	)
}

_algorithm(p) := a if {
	a := lib.attributes(lib.pair_setting(p, _annotation))[_attr]
} else := null

findings contains lib.finding(meta, tg, msg) if {
	some tg in lib.resources
	tg.type == "aws:lb/targetGroup:TargetGroup"
	upper(object.get(tg.properties, "protocol", "")) in {"HTTP", "HTTPS"}
	found := lib.value_at(tg.properties, ["loadBalancingAlgorithmType"])
	found != _lor
	msg := sprintf(
		"loadBalancingAlgorithmType is %s (round_robin when unset); set it to %q so each request goes to the target with the fewest in flight",
		[lib.show(found), _lor],
	)
}
