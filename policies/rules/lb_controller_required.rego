package eksbalance.rules.lb_controller_required

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "lb-controller-required",
	"severity": "mandatory",
	"scope": "resource",
	"title": "Services of type LoadBalancer are provisioned by the AWS Load Balancer Controller",
	"doc": concat(" ", [
		"A Service of type LoadBalancer without spec.loadBalancerClass and without the annotation",
		"service.beta.kubernetes.io/aws-load-balancer-type external (or nlb-ip) is built by the in-tree",
		"cloud provider: a legacy Classic Load Balancer (or NLB for the value nlb) with instance",
		"targets, cross-zone off and none of the controller's attributes. Fix: set the annotation to",
		"external (or spec.loadBalancerClass service.k8s.aws/nlb) with aws-load-balancer-nlb-target-type",
		"ip. A Service whose spec.loadBalancerClass names another controller (tailscale, MetalLB, ...)",
		"belongs to that controller and is not judged.",
	]),
}

findings contains lib.finding(meta, s, msg) if {
	some i in lib.services
	s := lib.resources[i]
	lib.is_loadbalancer_service(s)
	not lib.controller_nlb(s)
	not lib.other_lb_class(s)
	msg := sprintf(
		"spec.loadBalancerClass is %s and annotation %s is %s, so the in-tree cloud provider builds a legacy load balancer with instance targets; set the annotation to \"external\" (or spec.loadBalancerClass to %q) and aws-load-balancer-nlb-target-type to \"ip\" so the AWS Load Balancer Controller provisions an NLB",
		[
			lib.show(lib.value_at(s.properties, ["spec", "loadBalancerClass"])),
			lib.nlb_type_annotation,
			lib.show(lib.annotation_or_null(s, lib.nlb_type_annotation)),
			lib.nlb_class,
		],
	)
}
