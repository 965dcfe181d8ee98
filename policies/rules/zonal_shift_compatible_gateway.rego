# zonal-shift-compatible for the Gateway API: an NLB Gateway whose
# LoadBalancerConfigurations turn zonal shift and cross-zone on, with a backend
# target group (as the configuration layers resolve it) that AWS would refuse.
# Needs the whole set (the Gateway, its configurations and the route's
# TargetGroupConfiguration may be in different files), so not in the pack.
package eksbalance.rules.zonal_shift_compatible

import data.eksbalance.lib
import rego.v1

_shifted_cross_zone_gateway(f) if {
	not lib.partial
	f.lb == "nlb"
	lib.gateway_lb_attribute(f.gateway, "zonal_shift.config.enabled").value == "true"
	lib.gateway_lb_attribute(f.gateway, "load_balancing.cross_zone.enabled").value == "true"
}

findings contains lib.finding(meta, gw, msg) if {
	some f in lib.gateway_fronts
	_shifted_cross_zone_gateway(f)
	found := _gateway_tg_attribute_or_null(f, _termination)
	found.value != "false"
	gw := lib.resources[f.gateway]
	msg := sprintf(
		"zonal shift and cross-zone are on in its LoadBalancerConfiguration, but %s is %s %s (AWS default true): AWS rejects zonal shift on this NLB; add %s=false to the TargetGroupConfiguration's targetGroupAttributes (or turn zonal shift off)",
		[_termination, lib.show(found.value), found.where, _termination],
	)
}

findings contains lib.finding(meta, gw, msg) if {
	some f in lib.gateway_fronts
	_shifted_cross_zone_gateway(f)
	found := lib.gateway_tg_attribute(f, "load_balancing.cross_zone.enabled")
	found.value == "false"
	gw := lib.resources[f.gateway]
	msg := sprintf(
		"zonal shift and cross-zone are on in its LoadBalancerConfiguration, but %s turns target-group cross-zone off for Service %s: AWS accepts zonal shift on a cross-zone NLB only when its target groups keep cross-zone on; remove load_balancing.cross_zone.enabled=false",
		[found.from, lib.name(lib.resources[f.service])],
	)
}

_gateway_tg_attribute_or_null(f, key) := {"value": v.value, "where": concat(" ", ["in", v.from])} if {
	v := lib.gateway_tg_attribute(f, key)
} else := {"value": null, "where": sprintf("for Service %s", [lib.name(lib.resources[f.service])])}
