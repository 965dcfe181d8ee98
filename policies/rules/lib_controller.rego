# What the rules assume about the cluster's AWS Load Balancer Controller and the
# class-level settings it reads, for objects that do not say for themselves.
package eksbalance.lib

import rego.v1

# ---------------------------------------------------------------------------
# Controller defaults
#
# A Service or Ingress without a target-type annotation gets the controller's
# --default-target-type (chart value defaultTargetType): instance on a stock
# controller, ip on a cluster the toolkit built. The rules take it from, in order:
#
# 1. input.controller, which the Go evaluator passes: `eksbalance check
#    --controller-default-target-type ip|instance` or `--controller-values FILE`
#    (the chart values the controller was installed with) or
#    `--controller-config FILE`; `eksbalance plan` from the planned Helm release;
#    the policy pack from its policy configuration;
# 2. data.eksbalance.controller, for conftest: `conftest test --data FILE` with a
#    YAML or JSON file {"eksbalance": {"controller": {"defaultTargetType": "ip",
#    "source": "..."}}} (the same file `eksbalance check --controller-config`
#    reads);
# 3. the stock default, instance.
#
# Every message that relies on the default says which value was assumed and
# where it came from (controller.source).
# ---------------------------------------------------------------------------

stock_default_target_type := "instance"

controller := c if {
	c := _given_controller
} else := {
	"defaultTargetType": stock_default_target_type,
	"source": sprintf("a stock controller (%s)", [why]),
} if {
	why := _ignored_controller
} else := {
	"defaultTargetType": stock_default_target_type,
	"source": "a stock controller (none was given: pass the cluster's with --controller-default-target-type, --controller-values or conftest --data)",
}

# _ignored_controller says why a controller that was given is not used: its
# defaultTargetType is not one the controller takes (input.controller is
# validated by the Go callers; conftest data is not).
_ignored_controller := sprintf("%s.defaultTargetType is %s, not ip or instance: ignored", [where, show(t)]) if {
	is_object(input)
	t := input.controller.defaultTargetType
	where := "input.controller"
} else := sprintf("%s.defaultTargetType is %s, not ip or instance: ignored", [where, show(t)]) if {
	t := data.eksbalance.controller.defaultTargetType
	where := "conftest data eksbalance.controller"
}

_given_controller := c if {
	is_object(input)
	c := _with_source(input.controller, "input.controller")
} else := c if {
	c := _with_source(data.eksbalance.controller, "conftest data eksbalance.controller")
}

_with_source(c, fallback) := {"defaultTargetType": c.defaultTargetType, "source": object.get(c, "source", fallback)} if {
	c.defaultTargetType in {"ip", "instance"}
}

# default_target_type_note says, for a message, which default was assumed.
default_target_type_note := sprintf("no object sets it, so the controller's default target type %s was assumed, from %s", [controller.defaultTargetType, controller.source])

# ---------------------------------------------------------------------------
# IngressClass parameters
#
# An IngressClass whose spec.parameters names an IngressClassParams
# (elbv2.k8s.aws) fixes settings for every Ingress of the class; its
# spec.targetType wins over the alb.ingress.kubernetes.io/target-type annotation.
# Read when both objects are in the set.
# ---------------------------------------------------------------------------

# Indexes by name (sets: two files may hold the same object; the first wins).
_ingress_class_params[name(r)] contains i if {
	some i, r in resources
	is_kubernetes(r)
	kind(r) == "IngressClassParams"
}

_ingress_classes[name(r)] contains i if {
	some i, r in resources
	is_kubernetes(r)
	kind(r) == "IngressClass"
}

# class_params(ing) is the IngressClassParams of the Ingress's class.
# The indexes are bound whole: OPA caches a partial set once per query only when
# it is not iterated or indexed inside a function called many times.
class_params(ing) := p if {
	classes := _ingress_classes
	cls := resources[min(classes[ing.properties.spec.ingressClassName])]
	ref := cls.properties.spec.parameters
	ref.kind == "IngressClassParams"
	object.get(ref, "apiGroup", "elbv2.k8s.aws") == "elbv2.k8s.aws"
	params := _ingress_class_params
	p := resources[min(params[ref.name])]
}

class_params_target_type(ing) := class_params(ing).properties.spec.targetType

# alb_target_type_source says where an (Ingress, Service) pair's target type comes from.
alb_target_type_source(s, ing) := sprintf("set by spec.targetType of IngressClassParams %s (IngressClass %s), which overrides annotations", [name(class_params(ing)), ing.properties.spec.ingressClassName]) if {
	class_params_target_type(ing)
} else := "set by annotation alb.ingress.kubernetes.io/target-type" if {
	alb_setting(s, ing, "alb.ingress.kubernetes.io/target-type")
} else := "set by EKS Auto Mode's IngressClassParams (targetType, default ip)" if {
	automode_ingress(ing)
} else := default_target_type_note

# nlb_target_type_source says where a controller NLB Service's target type comes from.
nlb_target_type_source(s) := "set by annotation service.beta.kubernetes.io/aws-load-balancer-type nlb-ip" if {
	annotation(s, nlb_type_annotation) == "nlb-ip"
} else := "set by annotation service.beta.kubernetes.io/aws-load-balancer-nlb-target-type" if {
	annotation(s, "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type")
} else := "EKS Auto Mode's default for class eks.amazonaws.com/nlb" if {
	automode_nlb(s)
} else := default_target_type_note
