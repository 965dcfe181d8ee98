# Package eksbalance.lib is what every eksbalance rule shares: it turns any of the
# accepted input shapes into one list of resources, knows which Kubernetes objects
# put a load balancer in front of which Deployment, and carries the load-balancer
# arithmetic (time to unhealthy, controller defaults) that the rules compare
# against. The Go package github.com/eksbalance/eksbalance/policies/rules embeds
# this file; conftest loads it from the directory.
package eksbalance.lib

import rego.v1

# ---------------------------------------------------------------------------
# Input shapes
#
# 1. eksbalance (Go, plan, check, policy pack):
#      {"resources": [{"type", "name", "properties"}], "partial": bool}
# 2. conftest, one document:            {"apiVersion", "kind", ...}
# 3. conftest, a multi-document file:   [{...}, {...}]
# 4. conftest --combine:                [{"path": p, "contents": doc or [docs]}]
# A document of shapes 2-4 may itself be {"resources": [...]} (shape 1 in a file).
# Kubernetes List objects (kind List or <Kind>List) are expanded in 2-4; the Go
# side expands them before building shape 1.
# ---------------------------------------------------------------------------

# resources is the array of resources every rule reads.
resources := input.resources if is_array(input.resources)

resources := array.concat([to_resource(d) | some d in _docs], _embedded) if not _has_resources

# _embedded are resources already in eksbalance's form inside a document that
# conftest passed on (a file holding {"resources": [...]}, e.g. a plan excerpt).
_embedded := [r |
	some x in _level2
	is_array(x.resources)
	some r in x.resources
]

# _has_resources is a rule of its own because `not is_array(input.resources)`
# would be undefined, not true, when input.resources is missing: OPA evaluates
# the reference before the negation.
_has_resources if is_array(input.resources)

# partial is true when the set is known to be incomplete (the policy pack sees one
# resource at a time): rules then draw no conclusion from a missing neighbour.
default partial := false

partial if input.partial == true

_top := input if is_array(input)

_top := [input] if is_object(input)

_combined(x) if {
	is_object(x)
	"contents" in object.keys(x)
	is_string(x.path)
}

_level2 := [d |
	some x in _top
	some d in _unwrap(x)
]

_unwrap(x) := x.contents if {
	_combined(x)
	is_array(x.contents)
}

_unwrap(x) := [x.contents] if {
	_combined(x)
	not is_array(x.contents)
}

_unwrap(x) := x if is_array(x)

_unwrap(x) := [x] if {
	is_object(x)
	not _combined(x)
}

_is_list(x) if {
	endswith(x.kind, "List")
	is_array(x.items)
}

_docs := [d |
	some x in _level2
	some d in _expand(x)
	is_string(d.kind)
	is_string(d.apiVersion)
]

_expand(x) := x.items if _is_list(x)

_expand(x) := [x] if {
	is_object(x)
	not _is_list(x)
}

# to_resource maps a Kubernetes object to the Pulumi form: the type token is
# kubernetes:<group or core>/<version>:<Kind>, the name is metadata.name.
to_resource(d) := {
	"type": kubernetes_type(d.apiVersion, d.kind),
	"name": object.get(d, ["metadata", "name"], ""),
	"properties": d,
}

kubernetes_type(api_version, kind) := sprintf("kubernetes:%s:%s", [api_version, kind]) if contains(api_version, "/")

kubernetes_type(api_version, kind) := sprintf("kubernetes:core/%s:%s", [api_version, kind]) if not contains(api_version, "/")

# kubernetes_kinds are the kinds some rule reads; eksbalance check skips the rest
# with a note.
kubernetes_kinds := {
	"Deployment", "StatefulSet", "DaemonSet", "Service", "Ingress", "IngressClass",
	"PodDisruptionBudget", "Namespace", "TargetGroupBinding",
	# The controller's class parameters and the Gateway API (lib_gateway.rego).
	"IngressClassParams", "Gateway", "GatewayClass", "HTTPRoute", "TCPRoute",
	"LoadBalancerConfiguration", "TargetGroupConfiguration",
}

# ---------------------------------------------------------------------------
# Identity of a resource, as printed in violations
# ---------------------------------------------------------------------------

is_kubernetes(r) if startswith(r.type, "kubernetes:")

# kind is the Kubernetes kind for Kubernetes objects and the full type token for
# everything else (aws:lb/listener:Listener).
kind(r) := split(r.type, ":")[2] if is_kubernetes(r)

kind(r) := r.type if not is_kubernetes(r)

_cluster_scoped := {"Namespace", "IngressClass", "Node", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "IngressClassParams", "GatewayClass"}

namespace(r) := "" if not is_kubernetes(r)

namespace(r) := "" if {
	is_kubernetes(r)
	kind(r) in _cluster_scoped
}

namespace(r) := ns if {
	is_kubernetes(r)
	not kind(r) in _cluster_scoped
	ns := _metadata_namespace(r)
}

_metadata_namespace(r) := ns if {
	ns := r.properties.metadata.namespace
	is_string(ns)
	ns != ""
} else := "default"

# name is metadata.name when set, else the resource name (Pulumi auto-naming).
name(r) := n if {
	is_kubernetes(r)
	n := r.properties.metadata.name
	is_string(n)
	n != ""
} else := r.name

ref(r) := {"kind": kind(r), "namespace": namespace(r), "name": name(r)}

# display is how messages name a resource: "Service shop/web".
display(r) := sprintf("%s %s/%s", [kind(r), namespace(r), name(r)]) if namespace(r) != ""

display(r) := sprintf("%s %s", [kind(r), name(r)]) if namespace(r) == ""

# finding is the violation object every rule emits.
finding(meta, r, msg) := {
	"rule": meta.id,
	"severity": meta.severity,
	"resource": ref(r),
	"message": sprintf("%s: %s", [display(r), msg]),
}

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

annotation(r, key) := r.properties.metadata.annotations[key]

# annotation_number is undefined when the annotation is absent or not a number.
annotation_number(r, key) := to_number(annotation(r, key))

# attributes parses the controller's "k1=v1,k2=v2" attribute lists; a repeated key
# keeps its last value, as the controller does.
attributes(s) := {k: v |
	pairs := [[trim_space(kv[0]), trim_space(kv[1])] |
		some p in split(s, ",")
		kv := split(p, "=")
		count(kv) == 2
	]
	some k in {p[0] | some p in pairs}
	vals := [p[1] | some p in pairs; p[0] == k]
	v := vals[count(vals) - 1]
}

# attribute reads one attribute from an annotation holding an attribute list.
attribute(r, annotation_key, attr) := attributes(annotation(r, annotation_key))[attr]

number_or(x, _) := x if is_number(x)

number_or(x, d) := d if not is_number(x)

# label_selector_matches implements a metav1.LabelSelector: every matchLabels
# pair and every matchExpressions entry must hold; an empty selector matches all.
label_selector_matches(sel, labels) if {
	is_object(sel)
	every k, v in object.get(sel, "matchLabels", {}) {
		labels[k] == v
	}
	every e in object.get(sel, "matchExpressions", []) {
		_expression_matches(e, labels)
	}
}

_expression_matches(e, labels) if {
	e.operator == "In"
	labels[e.key] in e.values
}

_expression_matches(e, labels) if {
	e.operator == "NotIn"
	not _label_in(labels, e.key, e.values)
}

_label_in(labels, key, values) if labels[key] in values

_expression_matches(e, labels) if {
	e.operator == "Exists"
	e.key in object.keys(labels)
}

_expression_matches(e, labels) if {
	e.operator == "DoesNotExist"
	not e.key in object.keys(labels)
}

# ---------------------------------------------------------------------------
# Load-balancer arithmetic. components/loadbalancer computes the same numbers in
# Go; a test keeps the two in agreement.
# ---------------------------------------------------------------------------

# time_to_unhealthy is how long a load balancer keeps sending to a target that
# stopped answering: interval x unhealthy threshold + one timeout (seconds).
time_to_unhealthy(interval, timeout, unhealthy_threshold) := (interval * unhealthy_threshold) + timeout

# Controller defaults when a Service or Ingress sets no health-check annotation.
nlb_health_defaults := {"interval": 10, "timeout": 10, "healthy": 3, "unhealthy": 3}

alb_health_defaults := {"interval": 15, "timeout": 5, "healthy": 2, "unhealthy": 2}

# Target group deregistration delay when no attribute sets it.
default_deregistration_delay := 300

# NLB TCP listener idle timeout default and allowed range (seconds).
nlb_idle_timeout_default := 350

nlb_idle_timeout_min := 60

nlb_idle_timeout_max := 6000

# ALB idle timeout default (seconds).
alb_idle_timeout_default := 60

# Kubernetes default terminationGracePeriodSeconds.
default_grace_period := 30

# ---------------------------------------------------------------------------
# Resource kinds
# ---------------------------------------------------------------------------

# _indexes_by_kind groups resource indexes by Kubernetes kind in one pass.
_indexes_by_kind[kind(r)] contains i if {
	some i, r in resources
	is_kubernetes(r)
}

_of_kind(k) := [i | idx := _indexes_by_kind; some i in object.get(idx, k, set())]

deployments := _of_kind("Deployment")

# workloads are the pod-owning objects a load balancer can front: Deployments,
# StatefulSets and DaemonSets. The rules below say "Deployment" for all three;
# a rule that does not apply to a kind (zone spread and PDBs for a DaemonSet,
# which runs one pod per node) excludes it itself.
workloads := array.concat(array.concat(deployments, _of_kind("StatefulSet")), _of_kind("DaemonSet"))

services := _of_kind("Service")

ingresses := _of_kind("Ingress")

namespaces := _of_kind("Namespace")

target_group_bindings := _of_kind("TargetGroupBinding")

pdbs := _of_kind("PodDisruptionBudget")

# services_by_name indexes Services by [namespace, name]; a set, since two files
# may hold the same Service.
services_by_name[[namespace(r), name(r)]] contains i if {
	some i in services
	r := resources[i]
}

# namespace_objects indexes Namespace objects by name (a set, like
# services_by_name).
namespace_objects[name(r)] contains i if {
	some i in namespaces
	r := resources[i]
}

pod_labels(d) := object.get(d.properties, ["spec", "template", "metadata", "labels"], {})

pod_spec(d) := object.get(d.properties, ["spec", "template", "spec"], {})

replicas(d) := number_or(object.get(d.properties, ["spec", "replicas"], 1), 1)

grace_period(d) := number_or(object.get(pod_spec(d), "terminationGracePeriodSeconds", default_grace_period), default_grace_period)

# deployments_by_label indexes workloads (Deployments, StatefulSets, DaemonSets)
# by [namespace, label key, label value] of their pod template, so a Service
# finds the workloads it selects without comparing against every one.
deployments_by_label[[namespace(d), k, v]] contains i if {
	some i in workloads
	d := resources[i]
	some k, v in pod_labels(d)
}

# selected_deployments are the indexes of Deployments whose pods a Service selects.
selected_deployments(s) := {i |
	sel := s.properties.spec.selector
	is_object(sel)
	count(sel) > 0
	some k0, v0 in sel
	idx := deployments_by_label # bound whole: OPA caches it once per query
	some i in idx[[namespace(s), k0, v0]]
	labels := pod_labels(resources[i])
	every k, v in sel {
		labels[k] == v
	}
}

# ---------------------------------------------------------------------------
# Load balancers in front of Services
# ---------------------------------------------------------------------------

is_loadbalancer_service(s) if {
	is_kubernetes(s)
	kind(s) == "Service"
	s.properties.spec.type == "LoadBalancer"
}

# other_lb_class: a Service of type LoadBalancer whose spec.loadBalancerClass
# names another controller (tailscale, MetalLB, ...). Neither the in-tree cloud
# provider nor the AWS Load Balancer Controller acts on it, so no AWS load
# balancer fronts it and no rule judges it as one.
other_lb_class(s) if {
	is_loadbalancer_service(s)
	_has_lb_class(s)
	not controller_nlb(s)
}

nlb_type_annotation := "service.beta.kubernetes.io/aws-load-balancer-type"

nlb_class := "service.k8s.aws/nlb"

# controller_nlb: the AWS Load Balancer Controller provisions this Service's NLB.
controller_nlb(s) if {
	is_loadbalancer_service(s)
	s.properties.spec.loadBalancerClass == nlb_class
}

# The annotation counts only without a loadBalancerClass: the controller ignores
# a Service whose class it does not own, whatever the annotation says.
controller_nlb(s) if {
	is_loadbalancer_service(s)
	annotation(s, nlb_type_annotation) in {"external", "nlb-ip"}
	not _has_lb_class(s)
}

_has_lb_class(s) if {
	c := s.properties.spec.loadBalancerClass
	is_string(c)
	c != ""
}

# EKS Auto Mode's own load balancing (components/loadbalancer/automode.go): a
# Service of class eks.amazonaws.com/nlb is a controller-managed NLB (not the
# in-tree provider) whose target type defaults to ip; an IngressClass of
# controller eks.amazonaws.com/alb serves ALBs whose target type comes from its
# IngressClassParams (default ip). Auto Mode has no pod readiness gate.
automode_nlb_class := "eks.amazonaws.com/nlb"

automode_alb_controller := "eks.amazonaws.com/alb"

automode_nlb(s) if {
	is_loadbalancer_service(s)
	s.properties.spec.loadBalancerClass == automode_nlb_class
}

controller_nlb(s) if automode_nlb(s)

# nlb_target_type: nlb-ip implies ip; otherwise the target-type annotation; an
# Auto Mode NLB defaults to ip; else the controller's default target type
# (lib_controller.rego: the cluster's when given, instance for a stock controller).
nlb_target_type(s) := "ip" if {
	annotation(s, nlb_type_annotation) == "nlb-ip"
} else := t if {
	t := annotation(s, "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type")
} else := "ip" if {
	automode_nlb(s)
} else := controller.defaultTargetType

alb_controller := "ingress.k8s.aws/alb"

# alb_ingress: the AWS Load Balancer Controller serves this Ingress with an ALB.
alb_ingress(ing) if ing.properties.spec.ingressClassName == "alb"

alb_ingress(ing) if annotation(ing, "kubernetes.io/ingress.class") == "alb"

alb_ingress(ing) if ing.properties.spec.ingressClassName in alb_ingress_classes

# alb_ingress_classes are the IngressClasses in the set served by the controller.
alb_ingress_classes := {name(r) |
	some r in resources
	is_kubernetes(r)
	kind(r) == "IngressClass"
	r.properties.spec.controller in {alb_controller, automode_alb_controller}
}

# automode_ingress_classes are the IngressClasses in the set served by EKS Auto
# Mode, each with the target type its IngressClassParams give (default ip).
automode_ingress_classes := {name(r): _params_target_type(r) |
	some r in resources
	is_kubernetes(r)
	kind(r) == "IngressClass"
	r.properties.spec.controller == automode_alb_controller
}

_params_target_type(class) := t if {
	some p in resources
	is_kubernetes(p)
	kind(p) == "IngressClassParams"
	name(p) == class.properties.spec.parameters.name
	t := p.properties.spec.targetType
} else := "ip"

automode_ingress(ing) if automode_ingress_classes[ing.properties.spec.ingressClassName]

alb_ingresses := [i |
	some i in ingresses
	alb_ingress(resources[i])
]

# ingress_backends are the Service names an Ingress routes to (networking.k8s.io/v1
# backend.service.name, or serviceName in the v1beta1 forms older manifests use).
ingress_backends(ing) := {n | n := ing.properties.spec.defaultBackend.service.name} | {n |
	some rule in ing.properties.spec.rules
	some p in rule.http.paths
	n := p.backend.service.name
} | {n | n := ing.properties.spec.backend.serviceName} | {n |
	some rule in ing.properties.spec.rules
	some p in rule.http.paths
	n := p.backend.serviceName
}

# alb_setting reads an ALB annotation the controller accepts on both objects; the
# Service's value wins, as in the controller.
alb_setting(s, _, key) := annotation(s, key)

alb_setting(s, ing, key) := annotation(ing, key) if not annotation(s, key)

# alb_target_type: the IngressClassParams of the Ingress's class when it sets one
# (the controller then ignores the annotation), else the annotation (Service
# first), else the controller's default target type.
alb_target_type(s, ing) := t if {
	t := class_params_target_type(ing)
} else := t if {
	t := alb_setting(s, ing, "alb.ingress.kubernetes.io/target-type")
} else := t if {
	t := automode_ingress_classes[ing.properties.spec.ingressClassName]
} else := controller.defaultTargetType

# fronts lists every (load balancer, Service) pair; kind is "nlb" (controller NLB),
# "legacy" (in-tree cloud provider), "alb" (ALB Ingress) or "tgb"
# (TargetGroupBinding to a target group made elsewhere). service is the index of
# the Service in resources, ingress (alb) and binding (tgb) likewise.
#
# fronts, balanced and the other collections rules iterate are complete rules
# (one comprehension) rather than partial sets: OPA caches a complete rule once
# per query but re-evaluates a partial set every time one is iterated inside a
# loop. They are arrays, not sets, because OPA hashes objects of small integers
# into few buckets and set insertion then turns quadratic.
fronts := array.concat(
	array.concat(array.concat(_nlb_fronts, _legacy_fronts), array.concat(_alb_fronts, _tgb_fronts)),
	gateway_fronts, # lib_gateway.rego
)

_nlb_fronts := [f |
	some i in services
	s := resources[i]
	controller_nlb(s)
	f := {"kind": "nlb", "service": i, "target_type": nlb_target_type(s)}
]

_legacy_fronts := [f |
	some i in services
	s := resources[i]
	is_loadbalancer_service(s)
	not controller_nlb(s)
	not other_lb_class(s)
	f := {"kind": "legacy", "service": i, "target_type": "instance"}
]

_alb_fronts := [f |
	some p in ingress_backend_pairs
	p.service != null
	f := {"kind": "alb", "service": p.service, "ingress": p.ingress, "target_type": alb_target_type(resources[p.service], resources[p.ingress])}
]

_tgb_fronts := [f |
	idx := services_by_name
	some b in target_group_bindings
	tgb := resources[b]
	some i in idx[[namespace(tgb), tgb.properties.spec.serviceRef.name]]
	f := {"kind": "tgb", "service": i, "binding": b, "target_type": object.get(tgb.properties, ["spec", "targetType"], "instance")}
]

# automode_front: EKS Auto Mode provisions this front's load balancer.
automode_front(f) if {
	f.kind == "nlb"
	automode_nlb(resources[f.service])
}

automode_front(f) if {
	f.kind == "alb"
	automode_ingress(resources[f.ingress])
}

# describe_front names a load balancer in a message.
describe_front(f) := sprintf("NLB of Service %s", [name(resources[f.service])]) if f.kind == "nlb"

describe_front(f) := sprintf("load balancer of Service %s", [name(resources[f.service])]) if f.kind == "legacy"

describe_front(f) := sprintf("ALB of Ingress %s (Service %s)", [name(resources[f.ingress]), name(resources[f.service])]) if f.kind == "alb"

describe_front(f) := sprintf("TargetGroupBinding %s (Service %s)", [name(resources[f.binding]), name(resources[f.service])]) if f.kind == "tgb"

# balanced lists every (Deployment, front) pair: a Deployment is load-balanced
# when a front's Service selects its pods.
balanced := [{"deployment": d, "front": f, "front_index": j} |
	some j, f in fronts
	some d in selected_deployments(resources[f.service])
]

# fronts_by_deployment maps each load-balanced Deployment index to the indexes
# (in fronts) of the fronts before it.
fronts_by_deployment := {d: {b.front_index | some b in balanced; b.deployment == d} | some d in load_balanced}

# load_balanced is the set of indexes of load-balanced Deployments.
load_balanced := {b.deployment | some b in balanced}

# ingress_backend_pairs lists every (ALB Ingress, backend Service name), with the
# Service's index when the Service is in the set and null otherwise, so rules
# about Ingress settings can still judge an Ingress whose Service is elsewhere.
ingress_backend_pairs := [p |
	idx := services_by_name
	some g in alb_ingresses
	ing := resources[g]
	some svc_name in ingress_backends(ing)
	some i in object.get(idx, [[namespace(ing), svc_name]], {null})
	p := {"ingress": g, "service_name": svc_name, "service": i}
]

# pair_setting reads an ALB annotation for an (Ingress, Service) pair: the
# Service's value wins when the Service is in the set.
pair_setting(p, key) := alb_setting(resources[p.service], resources[p.ingress], key) if p.service != null

pair_setting(p, key) := annotation(resources[p.ingress], key) if p.service == null

# pair_undecided: the setting is on neither object, and the Service that could
# carry it is not in a set known to be incomplete (the policy pack): no verdict.
pair_undecided(p, key) if {
	partial
	p.service == null
	not pair_setting(p, key)
}

# ---------------------------------------------------------------------------
# Health checks, deregistration, idle timeouts per front
# ---------------------------------------------------------------------------

_nlb_hc := "service.beta.kubernetes.io/aws-load-balancer-healthcheck-"

_alb_hc := "alb.ingress.kubernetes.io/"

# health_check gives interval, timeout and unhealthy threshold (seconds, count)
# for a front whose health check the rules can read (nlb and alb), each with
# where it came from.
health_check(f) := {
	"interval": _nlb_hc_value(s, "interval", "interval"),
	"timeout": _nlb_hc_value(s, "timeout", "timeout"),
	"unhealthy": _nlb_hc_value(s, "unhealthy-threshold", "unhealthy"),
} if {
	f.kind == "nlb"
	s := resources[f.service]
}

health_check(f) := {
	"interval": _alb_hc_value(s, ing, "healthcheck-interval-seconds", "interval"),
	"timeout": _alb_hc_value(s, ing, "healthcheck-timeout-seconds", "timeout"),
	"unhealthy": _alb_hc_value(s, ing, "unhealthy-threshold-count", "unhealthy"),
} if {
	f.kind == "alb"
	s := resources[f.service]
	ing := resources[f.ingress]
}

_nlb_hc_value(s, suffix, field) := n if {
	n := annotation_number(s, concat("", [_nlb_hc, suffix]))
} else := nlb_health_defaults[field]

_alb_hc_value(s, ing, suffix, field) := n if {
	n := to_number(alb_setting(s, ing, concat("", [_alb_hc, suffix])))
} else := alb_health_defaults[field]

# front_time_to_healthy is the seconds a registered target needs to pass its
# health checks: healthy threshold x interval.
front_time_to_healthy(f) := n * i if {
	f.kind == "nlb"
	s := resources[f.service]
	n := _nlb_hc_value(s, "healthy-threshold", "healthy")
	i := _nlb_hc_value(s, "interval", "interval")
}

front_time_to_healthy(f) := n * i if {
	f.kind == "alb"
	s := resources[f.service]
	ing := resources[f.ingress]
	n := _alb_hc_value(s, ing, "healthy-threshold-count", "healthy")
	i := _alb_hc_value(s, ing, "healthcheck-interval-seconds", "interval")
}

# front_time_to_unhealthy is the seconds a front keeps routing to a stopped pod.
front_time_to_unhealthy(f) := time_to_unhealthy(hc.interval, hc.timeout, hc.unhealthy) if hc := health_check(f)

# Deregistration propagation: how long the load balancer may keep sending new work
# to a terminating pod after the controller deregisters it (IP targets). Not an
# AWS setting: components/loadbalancer's assumed bound (NLBs were measured to
# keep opening connections for about two minutes, LBC issues 2366 and 3270; the
# ALB's 15 s is an unmeasured assumption). A stack that chose another
# bound carries it in the eksbalance.io/deregistration-propagation-seconds
# annotation, which the loadbalancer package writes.
deregistration_propagation_defaults := {"nlb": 120, "alb": 15}

_propagation_annotation := "eksbalance.io/deregistration-propagation-seconds"

deregistration_propagation(f) := n if {
	f.kind == "nlb"
	n := annotation_number(resources[f.service], _propagation_annotation)
} else := n if {
	f.kind == "alb"
	n := to_number(alb_setting(resources[f.service], resources[f.ingress], _propagation_annotation))
} else := deregistration_propagation_defaults[f.kind]

# propagation_annotated(f) holds when the front's propagation comes from the
# eksbalance.io/deregistration-propagation-seconds annotation (a stack's own
# figure), not from deregistration_propagation_defaults.
propagation_annotated(f) if {
	f.kind == "nlb"
	annotation_number(resources[f.service], _propagation_annotation)
}

propagation_annotated(f) if {
	f.kind == "alb"
	alb_setting(resources[f.service], resources[f.ingress], _propagation_annotation)
}

# load_balancer_kind is "nlb" or "alb" for a Service, Ingress or Gateway front.
load_balancer_kind(f) := f.lb if {
	f.kind in gateway_kinds
} else := f.kind

# deregistration_propagation_text is the propagation with what backs it, for
# messages: a default is an assumption, and says so (the NLB's 120 s from public
# measurements, LBC issues 2366 and 3270; the ALB's 15 s unmeasured).
deregistration_propagation_text(f) := sprintf("%v s (%s)", [deregistration_propagation(f), _propagation_source(f)])

_propagation_source(f) := sprintf("set by %s", [_propagation_annotation]) if {
	propagation_annotated(f)
} else := "the NLB default, assumed from public measurements: LBC issues 2366 and 3270" if {
	load_balancer_kind(f) == "nlb"
} else := "the ALB default, an unmeasured assumption: set eksbalance.io/deregistration-propagation-seconds once measured" if {
	load_balancer_kind(f) == "alb"
} else := "assumed"

# Unhealthy lag: how long the load balancer keeps sending new work to a target
# after its health check marked it unhealthy. Not an AWS setting either: an NLB
# was measured to keep opening connections for 30-40 s (aws/containers-roadmap
# issue 470), so 40 s is assumed; for an ALB no figure exists and none is
# assumed. A stack that chose another value carries it in the
# eksbalance.io/unhealthy-lag-seconds annotation.
unhealthy_lag_defaults := {"nlb": 40, "alb": 0}

_unhealthy_lag_annotation := "eksbalance.io/unhealthy-lag-seconds"

unhealthy_lag(f) := n if {
	f.kind == "nlb"
	n := annotation_number(resources[f.service], _unhealthy_lag_annotation)
} else := n if {
	f.kind == "alb"
	n := to_number(alb_setting(resources[f.service], resources[f.ingress], _unhealthy_lag_annotation))
} else := unhealthy_lag_defaults[f.kind]

# stop_sending_after is when a front has surely stopped sending new work to a
# terminating pod: the later of its health check giving up (plus the unhealthy
# lag) and deregistration propagating (loadbalancer.Timings.StopSendingAfter).
stop_sending_after(f) := max([front_time_to_unhealthy(f) + unhealthy_lag(f), deregistration_propagation(f)])

# deregistration_delay reads deregistration_delay.timeout_seconds from the
# target-group attributes of a front (controller default 300 s).
deregistration_delay(f) := n if {
	f.kind == "nlb"
	n := to_number(attribute(resources[f.service], "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes", "deregistration_delay.timeout_seconds"))
} else := n if {
	f.kind == "alb"
	n := to_number(attributes(alb_setting(resources[f.service], resources[f.ingress], "alb.ingress.kubernetes.io/target-group-attributes"))["deregistration_delay.timeout_seconds"])
} else := default_deregistration_delay if f.kind in {"nlb", "alb"}

# connection_termination: the front resets a target's open connections when its
# deregistration delay ends (NLB attribute
# deregistration_delay.connection_termination.enabled; AWS's default is off, an
# ALB has no such attribute).
connection_termination(f) if {
	f.kind == "nlb"
	attribute(resources[f.service], "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes", "deregistration_delay.connection_termination.enabled") == "true"
}

# idle_timeout is the load balancer's idle timeout for a front: for an NLB the
# largest TCP listener idle timeout over the Service's ports (350 s default), for
# an ALB idle_timeout.timeout_seconds (60 s default).
idle_timeout(f) := max({_nlb_port_idle(s, p) | some p in s.properties.spec.ports}) if {
	f.kind == "nlb"
	s := resources[f.service]
	count(object.get(s.properties, ["spec", "ports"], [])) > 0
}

idle_timeout(f) := nlb_idle_timeout_default if {
	f.kind == "nlb"
	count(object.get(resources[f.service].properties, ["spec", "ports"], [])) == 0
}

idle_timeout(f) := n if {
	f.kind == "alb"
	n := to_number(attribute(resources[f.ingress], "alb.ingress.kubernetes.io/load-balancer-attributes", "idle_timeout.timeout_seconds"))
} else := n if {
	# EKS Auto Mode takes load-balancer attributes from the IngressClassParams.
	f.kind == "alb"
	n := to_number(automode_params_attribute(resources[f.ingress], "idle_timeout.timeout_seconds"))
} else := alb_idle_timeout_default if f.kind == "alb"

# automode_params_attribute reads a load-balancer attribute from the
# IngressClassParams of an Auto Mode Ingress's class.
automode_params_attribute(ing, key) := v if {
	some c in resources
	is_kubernetes(c)
	kind(c) == "IngressClass"
	name(c) == ing.properties.spec.ingressClassName
	c.properties.spec.controller == automode_alb_controller
	some p in resources
	is_kubernetes(p)
	kind(p) == "IngressClassParams"
	name(p) == c.properties.spec.parameters.name
	some a in p.properties.spec.loadBalancerAttributes
	a.key == key
	v := a.value
}

_nlb_port_idle(s, p) := n if {
	key := sprintf("service.beta.kubernetes.io/aws-load-balancer-listener-attributes.TCP-%v", [p.port])
	n := to_number(attribute(s, key, "tcp.idle_timeout.seconds"))
} else := nlb_idle_timeout_default

# ---------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------

containers(d) := object.get(pod_spec(d), "containers", [])

# serving_containers are the containers that declare ports (those answer the load
# balancer), or all containers when none declares one.
serving_containers(d) := [c |
	some c in containers(d)
	count(object.get(c, "ports", [])) > 0
] if {
	some c in containers(d)
	count(object.get(c, "ports", [])) > 0
}

serving_containers(d) := containers(d) if {
	every c in containers(d) {
		count(object.get(c, "ports", [])) == 0
	}
}

has_prestop(c) if c.lifecycle.preStop

# prestop_seconds is how long a container's preStop hook waits: the sleep action,
# or the sum of the "sleep N" found in an exec command. Undefined otherwise.
prestop_seconds(c) := n if {
	n := c.lifecycle.preStop.sleep.seconds
	is_number(n)
} else := n if {
	cmd := c.lifecycle.preStop.exec.command
	is_array(cmd)
	line := concat(" ", [x | some x in cmd; is_string(x)])
	found := regex.find_all_string_submatch_n(`(?:^|[\s;&|/(])sleep\s+([0-9]+)s?(?:$|[\s;&|)])`, line, -1)
	count(found) > 0
	n := sum([to_number(m[1]) | some m in found])
}

# prestop_wait is how long a container keeps accepting new work once its pod
# starts terminating (loadbalancer.Timings' preStop): its preStop hook plus
# the EKSBALANCE_SHUTDOWN_DELAY the app then serves itself, or without a hook
# that delay alone. Undefined when neither is known.
prestop_wait(c) := prestop_seconds(c) + env_or_zero(c, "EKSBALANCE_SHUTDOWN_DELAY")

prestop_wait(c) := n if {
	not has_prestop(c)
	n := env_number(c, "EKSBALANCE_SHUTDOWN_DELAY")
	n > 0
}

# drain_seconds is the container's EKSBALANCE_DRAIN_TIMEOUT, 0 when unknown.
drain_seconds(c) := env_or_zero(c, "EKSBALANCE_DRAIN_TIMEOUT")

# env_or_zero is env_number, or 0 when the variable is absent or not a number.
env_or_zero(c, key) := n if {
	n := env_number(c, key)
} else := 0

# env_number reads a literal numeric environment variable of a container.
env_number(c, key) := to_number(e.value) if {
	some e in object.get(c, "env", [])
	e.name == key
	is_string(e.value)
}

# ip_targets: a front that registers pod IPs.
ip_targets(f) if f.target_type == "ip"

readiness_gate_label := "elbv2.k8s.aws/pod-readiness-gate-inject"

# readiness_gated: the pods of d get the controller's readiness gate, from the
# namespace label (when the Namespace is in the set) or an explicit gate.
readiness_gated(d) if {
	idx := namespace_objects
	some i in idx[namespace(d)]
	resources[i].properties.metadata.labels[readiness_gate_label] == "enabled"
}

readiness_gated(d) if {
	some g in object.get(pod_spec(d), "readinessGates", [])
	startswith(g.conditionType, "target-health.elbv2.k8s.aws/")
}

# ---------------------------------------------------------------------------
# Message helpers
# ---------------------------------------------------------------------------

# show prints a found value for a message; null (from value_at) reads "absent".
show(x) := "absent" if x == null

show(x) := sprintf("%q", [x]) if is_string(x)

show(x) := sprintf("%v", [x]) if {
	x != null
	not is_string(x)
}

# value_at is object.get with null for a missing path, for show.
value_at(obj, path) := object.get(obj, path, null)

annotation_or_null(r, key) := value_at(r.properties, ["metadata", "annotations", key])

# fronts_of names, sorted, the load balancers in front of Deployment index i.
fronts_of(i) := concat(", ", sort({describe_front(fronts[j]) | some j in fronts_by_deployment[i]}))

# pdbs_by_label indexes PodDisruptionBudgets by each matchLabels pair; a PDB
# with no matchLabels is indexed under [namespace, null, null].
pdbs_by_label[[namespace(p), k, v]] contains j if {
	some j in pdbs
	p := resources[j]
	some k, v in object.get(p.properties, ["spec", "selector", "matchLabels"], {})
}

pdbs_by_label[[namespace(p), null, null]] contains j if {
	some j in pdbs
	p := resources[j]
	count(object.get(p.properties, ["spec", "selector", "matchLabels"], {})) == 0
}

# pdb_covers: some PodDisruptionBudget selects the pods of Deployment d.
pdb_covers(d) if {
	idx := pdbs_by_label
	labels := pod_labels(d)
	candidates := {j | some k, v in labels; some j in idx[[namespace(d), k, v]]} | object.get(idx, [[namespace(d), null, null]], set())
	some j in candidates
	label_selector_matches(resources[j].properties.spec.selector, labels)
}
