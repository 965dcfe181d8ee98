package eksbalance.rules.ip_targets

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "ip-targets",
	"severity": "mandatory",
	"scope": "resource",
	"title": "Load balancers send traffic to pod IPs",
	"doc": concat(" ", [
		"Instance targets send load-balancer traffic to a node port, after which kube-proxy picks a pod:",
		"with externalTrafficPolicy Cluster that is an extra, often cross-AZ hop; with Local a pod's",
		"share depends on how many pods its node runs. IP targets register pods directly. Caught: a",
		"controller-managed NLB Service whose aws-load-balancer-nlb-target-type is not ip (the",
		"controller default is instance), an ALB Ingress whose target type is not ip (the",
		"spec.targetType of its IngressClass's IngressClassParams, which overrides annotations; else",
		"alb.ingress.kubernetes.io/target-type on the backend Service or the Ingress, the Service",
		"winning; under EKS Auto Mode the IngressClassParams' targetType, default ip), an Auto Mode",
		"NLB Service (class eks.amazonaws.com/nlb, default ip) annotated instance, a TargetGroupBinding with spec.targetType instance, a directly managed",
		"aws:lb/targetGroup:TargetGroup whose targetType is instance or unset (which defaults to",
		"instance), a TargetGroupConfiguration (gateway.k8s.aws) whose targetType is instance, and a",
		"backend of an HTTPRoute or TCPRoute on a controller Gateway for which no",
		"TargetGroupConfiguration sets the target type. Without an explicit type the controller's",
		"--default-target-type applies: instance on a stock controller; give the cluster's with",
		"eksbalance check --controller-default-target-type (or --controller-values), conftest",
		"--data, or the policy pack's config; eksbalance plan takes it from the planned controller.",
		"Messages say which default was assumed and where it came from.",
	]),
}

_nlb_target_annotation := "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"

_alb_target_annotation := "alb.ingress.kubernetes.io/target-type"

findings contains lib.finding(meta, s, msg) if {
	some i in lib.services
	s := lib.resources[i]
	lib.controller_nlb(s)
	t := lib.nlb_target_type(s)
	t != "ip"
	msg := sprintf(
		"the NLB's target type is %s (annotation %s is %s); %s. The NLB sends traffic to node ports and kube-proxy adds a hop; set the annotation to \"ip\"",
		[t, _nlb_target_annotation, lib.show(lib.annotation_or_null(s, _nlb_target_annotation)), lib.nlb_target_type_source(s)],
	)
}

findings contains lib.finding(meta, ing, msg) if {
	some p in lib.ingress_backend_pairs
	not lib.pair_undecided(p, _alb_target_annotation)
	ing := lib.resources[p.ingress]
	found := _pair_target_type(p, ing)
	found != "ip"
	msg := sprintf(
		"the ALB's target type for backend Service %s is %s; %s. The ALB sends traffic to node ports and kube-proxy adds a hop; set annotation %s to \"ip\" on the Ingress or the Service (or spec.targetType ip in the class's IngressClassParams, also under EKS Auto Mode)",
		[p.service_name, found, _pair_target_source(p, ing), _alb_target_annotation],
	)
}

# _pair_target_type: the class's IngressClassParams, the annotation (Service
# first), else the controller's default.
_pair_target_type(p, ing) := t if {
	t := lib.class_params_target_type(ing)
} else := t if {
	t := lib.pair_setting(p, _alb_target_annotation)
} else := t if {
	# EKS Auto Mode: the IngressClassParams' targetType, default ip.
	t := lib.automode_ingress_classes[ing.properties.spec.ingressClassName]
} else := lib.controller.defaultTargetType

_pair_target_source(p, ing) := lib.alb_target_type_source(lib.resources[p.service], ing) if p.service != null

_pair_target_source(p, ing) := lib.alb_target_type_source(ing, ing) if p.service == null

findings contains lib.finding(meta, b, msg) if {
	some j in lib.target_group_bindings
	b := lib.resources[j]
	b.properties.spec.targetType == "instance"
	msg := "spec.targetType is \"instance\": the target group receives node ports and kube-proxy adds a hop; bind an ip target group and set spec.targetType to \"ip\""
}

findings contains lib.finding(meta, tg, msg) if {
	some tg in lib.resources
	tg.type == "aws:lb/targetGroup:TargetGroup"
	found := lib.value_at(tg.properties, ["targetType"])
	found in {null, "instance"}
	msg := sprintf(
		"targetType is %s (instance when unset): pods behind it are reached through node ports; set targetType to \"ip\" and bind it with a TargetGroupBinding of targetType ip",
		[lib.show(found)],
	)
}
