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
		"controller default is instance), an ALB Ingress whose alb.ingress.kubernetes.io/target-type",
		"(on the Ingress or the backend Service, the Service winning; under EKS Auto Mode the",
		"IngressClassParams' targetType, default ip) is not ip, an Auto Mode NLB Service",
		"(class eks.amazonaws.com/nlb, default ip) annotated instance, a TargetGroupBinding",
		"with spec.targetType instance, and a directly managed aws:lb/targetGroup:TargetGroup whose",
		"targetType is instance or unset (which defaults to instance).",
	]),
}

_nlb_target_annotation := "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"

_alb_target_annotation := "alb.ingress.kubernetes.io/target-type"

findings contains lib.finding(meta, s, msg) if {
	some i in lib.services
	s := lib.resources[i]
	lib.controller_nlb(s)
	lib.nlb_target_type(s) != "ip"
	msg := sprintf(
		"annotation %s is %s (the controller's default is instance): the NLB sends traffic to node ports and kube-proxy adds a hop; set it to \"ip\"",
		[_nlb_target_annotation, lib.show(lib.annotation_or_null(s, _nlb_target_annotation))],
	)
}

findings contains lib.finding(meta, ing, msg) if {
	some p in lib.ingress_backend_pairs
	not lib.pair_undecided(p, _alb_target_annotation)
	found := _pair_target_type(p)
	found != "ip"
	ing := lib.resources[p.ingress]
	msg := sprintf(
		"annotation %s for backend Service %s is %s (the controller's default is instance; under EKS Auto Mode the IngressClassParams' targetType): the ALB sends traffic to node ports and kube-proxy adds a hop; set it to \"ip\" on the Ingress or the Service (Auto Mode: targetType ip in the IngressClassParams)",
		[_alb_target_annotation, p.service_name, lib.show(found)],
	)
}

_pair_target_type(p) := t if {
	t := lib.pair_setting(p, _alb_target_annotation)
} else := t if {
	# EKS Auto Mode: the IngressClassParams' targetType, default ip.
	t := lib.automode_ingress_classes[lib.resources[p.ingress].properties.spec.ingressClassName]
} else := null

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
