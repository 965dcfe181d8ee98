package eksbalance.rules.cross_zone_enabled

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "cross-zone-enabled",
	"severity": "mandatory",
	"scope": "resource",
	"title": "Network load balancers spread traffic across zones",
	"doc": concat(" ", [
		"With cross-zone load balancing off, each AZ's load-balancer node gets about 1/(number of AZs)",
		"of the traffic and spreads it only over targets in its own AZ, so an AZ with fewer pods runs",
		"hotter. NLB cross-zone is off by default. Caught: a controller-managed NLB Service without",
		"load_balancing.cross_zone.enabled=true in service.beta.kubernetes.io/aws-load-balancer-attributes,",
		"or with load_balancing.cross_zone.enabled=false in its target-group attributes; an ALB Ingress",
		"whose target-group attributes turn it off; a directly managed network LoadBalancer without",
		"enableCrossZoneLoadBalancing true; a directly managed TargetGroup with",
		"loadBalancingCrossZoneEnabled \"false\".",
	]),
}

_lb_attributes := "service.beta.kubernetes.io/aws-load-balancer-attributes"

_tg_attributes := "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"

_alb_tg_attributes := "alb.ingress.kubernetes.io/target-group-attributes"

_attr := "load_balancing.cross_zone.enabled"

findings contains lib.finding(meta, s, msg) if {
	some i in lib.services
	s := lib.resources[i]
	lib.controller_nlb(s)
	found := _attribute_or_null(s, _lb_attributes)
	found != "true"
	msg := sprintf(
		"%s is %s in annotation %s (NLB default false): each AZ's load-balancer node only serves its own AZ's pods; add %s=true to the annotation",
		[_attr, lib.show(found), _lb_attributes, _attr],
	)
}

findings contains lib.finding(meta, s, msg) if {
	some i in lib.services
	s := lib.resources[i]
	lib.controller_nlb(s)
	_attribute_or_null(s, _tg_attributes) == "false"
	msg := sprintf(
		"annotation %s has %s=false, which turns cross-zone off for the target group; remove it or set it to true",
		[_tg_attributes, _attr],
	)
}

findings contains lib.finding(meta, ing, msg) if {
	some p in lib.ingress_backend_pairs
	lib.attributes(lib.pair_setting(p, _alb_tg_attributes))[_attr] == "false"
	ing := lib.resources[p.ingress]
	msg := sprintf(
		"annotation %s for backend Service %s has %s=false: each AZ's ALB node only serves its own AZ's pods; remove it or set it to true",
		[_alb_tg_attributes, p.service_name, _attr],
	)
}

findings contains lib.finding(meta, lb, msg) if {
	some lb in lib.resources
	lb.type == "aws:lb/loadBalancer:LoadBalancer"
	lb.properties.loadBalancerType == "network"
	found := lib.value_at(lb.properties, ["enableCrossZoneLoadBalancing"])
	not found in {true, "true"}
	msg := sprintf(
		"enableCrossZoneLoadBalancing is %s (NLB default false): each AZ's load-balancer node only serves its own AZ's targets; set it to true",
		[lib.show(found)],
	)
}

findings contains lib.finding(meta, tg, msg) if {
	some tg in lib.resources
	tg.type == "aws:lb/targetGroup:TargetGroup"
	tg.properties.loadBalancingCrossZoneEnabled == "false"
	msg := "loadBalancingCrossZoneEnabled is \"false\": each AZ's load-balancer node only serves its own AZ's targets; set it to \"true\" or \"use_load_balancer_configuration\" with cross-zone on at the load balancer"
}

_attribute_or_null(r, key) := v if {
	v := lib.attribute(r, key, _attr)
} else := null
