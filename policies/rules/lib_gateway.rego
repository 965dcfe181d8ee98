# The Gateway API as the AWS Load Balancer Controller serves it: which Gateways
# are its ALBs and NLBs, which Services their HTTPRoutes and TCPRoutes send to,
# and the settings the controller resolves for each backend's target group from
# TargetGroupConfigurations and LoadBalancerConfigurations (gateway.k8s.aws).
# Each (Gateway, route, Service) is a front like an NLB Service or an ALB
# Ingress, so every rule that iterates lib.fronts or lib.balanced judges it.
package eksbalance.lib

import rego.v1

gateway_api_group := "gateway.networking.k8s.io"

_lbc_group := "gateway.k8s.aws"

_gateway_controllers := {"gateway.k8s.aws/alb": "alb", "gateway.k8s.aws/nlb": "nlb"}

# Classes taken as the controller's when their GatewayClass is not in the set:
# the ones the toolkit's lbcontroller component creates and the ones the
# controller's guides use.
known_gateway_classes := {"aws-alb": "alb", "aws-nlb": "nlb", "aws-alb-gateway-class": "alb", "aws-nlb-gateway-class": "nlb"}

gateway_kinds := {"gateway-alb", "gateway-nlb"}

# The route kinds each load balancer serves (the controller's L7 and L4 sets).
_route_lb := {"HTTPRoute": "alb", "GRPCRoute": "alb", "TCPRoute": "nlb"}

# Controller defaults for Gateway target groups (pkg/gateway/model, v3.5.0),
# which differ from its Service and Ingress defaults.
gateway_health_defaults := {"interval": 15, "timeout": 5, "healthy": 3, "unhealthy": 3}

# ---------------------------------------------------------------------------
# Indexes
# ---------------------------------------------------------------------------

_gateway_classes[name(r)] contains i if {
	some i, r in resources
	is_kubernetes(r)
	kind(r) == "GatewayClass"
}

gateways_by_name[[namespace(r), name(r)]] contains i if {
	some i, r in resources
	is_kubernetes(r)
	kind(r) == "Gateway"
}

_lbcs_by_name[[namespace(r), name(r)]] contains i if {
	some i, r in resources
	is_kubernetes(r)
	kind(r) == "LoadBalancerConfiguration"
}

_tgcs_by_name[[namespace(r), name(r)]] contains i if {
	some i, r in resources
	is_kubernetes(r)
	kind(r) == "TargetGroupConfiguration"
}

# _tgcs_by_service: Service-level TargetGroupConfigurations by the Service they name.
_tgcs_by_service[[namespace(r), ref.name]] contains i if {
	some i, r in resources
	is_kubernetes(r)
	kind(r) == "TargetGroupConfiguration"
	ref := r.properties.spec.targetReference
	object.get(ref, "kind", "Service") == "Service"
	object.get(ref, "group", "") == ""
}

target_group_configurations := _of_kind("TargetGroupConfiguration")

load_balancer_configurations := _of_kind("LoadBalancerConfiguration")

_first(set_of_indexes) := min(set_of_indexes) if count(set_of_indexes) > 0

# gateway_class_lb is "alb" or "nlb" for a class the controller serves.
gateway_class_lb(class) := lb if {
	idx := _gateway_classes
	i := _first(idx[class])
	lb := _gateway_controllers[resources[i].properties.spec.controllerName]
} else := lb if {
	idx := _gateway_classes
	not idx[class]
	lb := known_gateway_classes[class]
}

gateway_lb(g) := gateway_class_lb(g.properties.spec.gatewayClassName)

# controller_gateways are the indexes of the Gateways the controller serves.
controller_gateways := [i |
	some i, r in resources
	is_kubernetes(r)
	kind(r) == "Gateway"
	gateway_lb(r)
]

routes := [i |
	some i, r in resources
	is_kubernetes(r)
	_route_lb[kind(r)]
]

# ---------------------------------------------------------------------------
# Fronts: (Gateway, route, backend Service)
# ---------------------------------------------------------------------------

# gateway_route_pairs lists every backend Service of every route attached to a
# Gateway of the controller whose load balancer serves the route's kind, with
# the Service's index, or null when the Service is not in the set.
gateway_route_pairs := [p |
	gidx := gateways_by_name
	sidx := services_by_name
	some ri in routes
	r := resources[ri]
	some pref in object.get(r.properties, ["spec", "parentRefs"], [])
	object.get(pref, "kind", "Gateway") == "Gateway"
	object.get(pref, "group", gateway_api_group) == gateway_api_group
	gns := object.get(pref, "namespace", namespace(r))
	gi := _first(object.get(gidx, [[gns, pref.name]], set()))
	lb := gateway_lb(resources[gi])
	lb == _route_lb[kind(r)]
	some rule in object.get(r.properties, ["spec", "rules"], [])
	some b in object.get(rule, "backendRefs", [])
	object.get(b, "kind", "Service") == "Service"
	object.get(b, "group", "") == ""
	sns := object.get(b, "namespace", namespace(r))
	some si in object.get(sidx, [[sns, b.name]], {null})
	p := {
		"route": ri, "gateway": gi, "lb": lb, "section": object.get(pref, "sectionName", null),
		"service_name": b.name, "service_namespace": sns, "service": si,
	}
]

gateway_fronts := [f |
	some p in gateway_route_pairs
	p.service != null
	f := {
		"kind": concat("-", ["gateway", p.lb]), "lb": p.lb,
		"service": p.service, "route": p.route, "gateway": p.gateway, "section": p.section,
		"target_type": gateway_target_type(p),
	}
]

describe_front(f) := sprintf("%s of Gateway %s (%s %s, Service %s)", [
	upper(f.lb), name(resources[f.gateway]), kind(resources[f.route]), name(resources[f.route]), name(resources[f.service]),
]) if f.kind in gateway_kinds

# ---------------------------------------------------------------------------
# Configuration layers, highest priority first
#
# A backend's target group: the Service-level TargetGroupConfiguration's
# routeConfigurations matching the route, then its defaultConfiguration, then
# the default TargetGroupConfigurations of the load-balancer configurations
# (GatewayClass's first unless its mergingMode is prefer-gateway, as the
# controller merges them). Each layer is {"props", "from"}.
# ---------------------------------------------------------------------------

# lb_configurations(gi) are the LoadBalancerConfiguration indexes that apply to
# Gateway gi, highest priority first.
lb_configurations(gi) := order if {
	g := _gateway_lbc(gi)
	c := _class_lbc(gi)
	resources[c].properties.spec.mergingMode == "prefer-gateway"
	order := [g, c]
} else := [_class_lbc(gi), _gateway_lbc(gi)] if {
	_class_lbc(gi)
	_gateway_lbc(gi)
} else := [_gateway_lbc(gi)] if {
	_gateway_lbc(gi)
} else := [_class_lbc(gi)] if {
	_class_lbc(gi)
} else := []

_gateway_lbc(gi) := i if {
	g := resources[gi]
	ref := g.properties.spec.infrastructure.parametersRef
	ref.kind == "LoadBalancerConfiguration"
	object.get(ref, "group", _lbc_group) == _lbc_group
	idx := _lbcs_by_name
	i := _first(idx[[namespace(g), ref.name]])
}

_class_lbc(gi) := i if {
	g := resources[gi]
	cidx := _gateway_classes
	cls := resources[_first(cidx[g.properties.spec.gatewayClassName])]
	ref := cls.properties.spec.parametersRef
	ref.kind == "LoadBalancerConfiguration"
	object.get(ref, "group", _lbc_group) == _lbc_group
	idx := _lbcs_by_name
	i := _first(idx[[ref.namespace, ref.name]])
}

# _front_layers(f) are f's target-group property layers.
_front_layers(f) := array.concat(array.concat(_route_layers(f), _service_layers(f)), _default_layers(f))

_service_tgc(f) := i if {
	s := resources[f.service]
	idx := _tgcs_by_service
	i := _first(idx[[namespace(s), name(s)]])
}

_service_layers(f) := [{"props": props, "from": sprintf("TargetGroupConfiguration %s", [name(resources[i])])}] if {
	i := _service_tgc(f)
	props := resources[i].properties.spec.defaultConfiguration
} else := []

_route_layers(f) := [l |
	i := _service_tgc(f)
	r := resources[f.route]
	some rc in object.get(resources[i].properties, ["spec", "routeConfigurations"], [])
	id := rc.routeIdentifier
	object.get(id, "kind", kind(r)) == kind(r)
	object.get(id, "namespace", namespace(r)) == namespace(r)
	object.get(id, "name", name(r)) == name(r)
	l := {"props": rc.targetGroupProps, "from": sprintf("TargetGroupConfiguration %s (routeConfigurations for %s %s)", [name(resources[i]), kind(r), name(r)])}
]

_default_layers(f) := [l |
	some c in lb_configurations(f.gateway)
	lbc := resources[c]
	tname := lbc.properties.spec.defaultTargetGroupConfiguration.name
	idx := _tgcs_by_name
	t := _first(idx[[namespace(lbc), tname]])
	l := {"props": resources[t].properties.spec.defaultConfiguration, "from": sprintf("TargetGroupConfiguration %s (default of LoadBalancerConfiguration %s)", [tname, name(lbc)])}
]

# gateway_tg_setting is the first layer's value at path, with where it came from.
gateway_tg_setting(f, path) := {"value": vals[0][0], "from": vals[0][1]} if {
	vals := [[v, l.from] |
		some l in _front_layers(f)
		v := object.get(l.props, path, null)
		v != null
	]
	count(vals) > 0
}

# gateway_tg_attribute is a target-group attribute as the layers resolve it.
gateway_tg_attribute(f, key) := {"value": vals[0][0], "from": vals[0][1]} if {
	vals := [[a.value, l.from] |
		some l in _front_layers(f)
		some a in object.get(l.props, "targetGroupAttributes", [])
		a.key == key
	]
	count(vals) > 0
}

# gateway_lb_attribute is a load-balancer attribute from the Gateway's
# LoadBalancerConfigurations.
gateway_lb_attribute(gi, key) := {"value": vals[0][0], "from": vals[0][1]} if {
	vals := [[a.value, sprintf("LoadBalancerConfiguration %s", [name(resources[c])])] |
		some c in lb_configurations(gi)
		some a in object.get(resources[c].properties, ["spec", "loadBalancerAttributes"], [])
		a.key == key
	]
	count(vals) > 0
}

# gateway_target_type resolves a route pair's target type: the layers, else the
# controller's default (for Gateways too: its --default-target-type).
gateway_target_type(p) := t if {
	t := gateway_tg_setting(p, ["targetType"]).value
} else := controller.defaultTargetType

gateway_target_type_source(f) := s.from if {
	s := gateway_tg_setting(f, ["targetType"])
} else := default_target_type_note

# ---------------------------------------------------------------------------
# Arithmetic per front (the rules in lib.rego's other definitions)
# ---------------------------------------------------------------------------

_gw_hc(f, field, fallback) := n if {
	n := to_number(gateway_tg_setting(f, ["healthCheckConfig", field]).value)
} else := fallback

health_check(f) := {
	"interval": _gw_hc(f, "healthCheckInterval", gateway_health_defaults.interval),
	"timeout": _gw_hc(f, "healthCheckTimeout", gateway_health_defaults.timeout),
	"unhealthy": _gw_hc(f, "unhealthyThresholdCount", gateway_health_defaults.unhealthy),
} if f.kind in gateway_kinds

# Deregistration propagation: the annotation on the Service's
# TargetGroupConfiguration, else on the Gateway's LoadBalancerConfigurations,
# else the default of the load balancer's kind.
deregistration_propagation(f) := n if {
	f.kind in gateway_kinds
	n := _gw_propagation(f)
}

_gw_propagation(f) := vals[0] if {
	objs := array.concat([i | i := _service_tgc(f)], lb_configurations(f.gateway))
	vals := [n |
		some i in objs
		n := annotation_number(resources[i], _propagation_annotation)
	]
	count(vals) > 0
} else := deregistration_propagation_defaults[f.lb]

propagation_annotated(f) if {
	f.kind in gateway_kinds
	some i in array.concat([i | i := _service_tgc(f)], lb_configurations(f.gateway))
	annotation_number(resources[i], _propagation_annotation)
}

# Unhealthy lag: read as the propagation is, else the default of the load
# balancer's kind.
unhealthy_lag(f) := n if {
	f.kind in gateway_kinds
	n := _gw_unhealthy_lag(f)
}

_gw_unhealthy_lag(f) := vals[0] if {
	objs := array.concat([i | i := _service_tgc(f)], lb_configurations(f.gateway))
	vals := [n |
		some i in objs
		n := annotation_number(resources[i], _unhealthy_lag_annotation)
	]
	count(vals) > 0
} else := unhealthy_lag_defaults[f.lb]

# connection_termination for an NLB Gateway's target group.
connection_termination(f) if {
	f.kind == "gateway-nlb"
	gateway_tg_attribute(f, "deregistration_delay.connection_termination.enabled").value == "true"
}

deregistration_delay(f) := n if {
	f.kind in gateway_kinds
	n := to_number(gateway_tg_attribute(f, "deregistration_delay.timeout_seconds").value)
} else := default_deregistration_delay if f.kind in gateway_kinds

idle_timeout(f) := n if {
	f.kind == "gateway-alb"
	n := to_number(gateway_lb_attribute(f.gateway, "idle_timeout.timeout_seconds").value)
} else := alb_idle_timeout_default if f.kind == "gateway-alb"

# An NLB Gateway: the longest TCP listener idle timeout over the listeners the
# route attaches to (its sectionName, or all).
idle_timeout(f) := max({_nlb_listener_idle(f.gateway, l.port) | some l in _route_listeners(f)}) if {
	f.kind == "gateway-nlb"
	count(_route_listeners(f)) > 0
}

idle_timeout(f) := nlb_idle_timeout_default if {
	f.kind == "gateway-nlb"
	count(_route_listeners(f)) == 0
}

_route_listeners(f) := [l |
	some l in object.get(resources[f.gateway].properties, ["spec", "listeners"], [])
	upper(object.get(l, "protocol", "")) == "TCP"
	_section_matches(f.section, l.name)
]

_section_matches(s, _) if s == null

_section_matches(s, n) if s == n

_nlb_listener_idle(gi, port) := n if {
	vals := [to_number(a.value) |
		some c in lb_configurations(gi)
		some lc in object.get(resources[c].properties, ["spec", "listenerConfigurations"], [])
		lc.protocolPort == sprintf("TCP:%v", [port])
		some a in object.get(lc, "listenerAttributes", [])
		a.key == "tcp.idle_timeout.seconds"
	]
	count(vals) > 0
	n := vals[0]
} else := nlb_idle_timeout_default
