package eksbalance.rules.zonal_shift_compatible

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "zonal-shift-compatible",
	"severity": "mandatory",
	"scope": "resource",
	"title": "Zonal shift is only enabled where AWS accepts it",
	"doc": concat(" ", [
		"AWS refuses zonal_shift.config.enabled on a Network Load Balancer with cross-zone load",
		"balancing on unless every target group uses protocol TCP or TLS, keeps cross-zone on",
		"(true or use_load_balancer_configuration) and has",
		"target_health_state.unhealthy.connection_termination.enabled=false (Elastic Load Balancing",
		"user guide, \"Enable zonal shift for your Network Load Balancer\"). The controller's",
		"reconcile then fails and the Service never gets its NLB. Caught: a controller-managed NLB",
		"Service (AWS Load Balancer Controller or EKS Auto Mode) with zonal shift and cross-zone on",
		"whose target-group attributes leave unhealthy connection termination on (its default), turn",
		"target-group cross-zone off, or whose ports are not all TCP. ALBs accept zonal shift with",
		"cross-zone on or off.",
	]),
}

_lb_attributes := "service.beta.kubernetes.io/aws-load-balancer-attributes"

_tg_attributes := "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"

_termination := "target_health_state.unhealthy.connection_termination.enabled"

_shifted_cross_zone_nlb(s) if {
	lib.controller_nlb(s)
	lib.attribute(s, _lb_attributes, "zonal_shift.config.enabled") == "true"
	lib.attribute(s, _lb_attributes, "load_balancing.cross_zone.enabled") == "true"
}

findings contains lib.finding(meta, s, msg) if {
	some i in lib.services
	s := lib.resources[i]
	_shifted_cross_zone_nlb(s)
	found := _tg_attribute_or_null(s, _termination)
	found != "false"
	msg := sprintf(
		"zonal shift and cross-zone are on, but %s is %s in annotation %s (AWS default true): AWS rejects zonal shift on this NLB; add %s=false (or turn zonal shift off)",
		[_termination, lib.show(found), _tg_attributes, _termination],
	)
}

findings contains lib.finding(meta, s, msg) if {
	some i in lib.services
	s := lib.resources[i]
	_shifted_cross_zone_nlb(s)
	_tg_attribute_or_null(s, "load_balancing.cross_zone.enabled") == "false"
	msg := sprintf(
		"zonal shift and cross-zone are on, but annotation %s turns target-group cross-zone off: AWS accepts zonal shift on a cross-zone NLB only when its target groups keep cross-zone on; remove load_balancing.cross_zone.enabled=false",
		[_tg_attributes],
	)
}

findings contains lib.finding(meta, s, msg) if {
	some i in lib.services
	s := lib.resources[i]
	_shifted_cross_zone_nlb(s)
	some p in object.get(s.properties, ["spec", "ports"], [])
	protocol := object.get(p, "protocol", "TCP")
	protocol != "TCP"
	msg := sprintf(
		"zonal shift and cross-zone are on, but port %v is %s: AWS accepts zonal shift on a cross-zone NLB only when every target group is TCP or TLS; serve %s from a Service without zonal shift or with cross-zone off",
		[p.port, protocol, protocol],
	)
}

_tg_attribute_or_null(s, key) := v if {
	v := lib.attribute(s, _tg_attributes, key)
} else := null
