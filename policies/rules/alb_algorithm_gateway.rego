# alb-algorithm for ALB Gateway backends.
package eksbalance.rules.alb_algorithm

import data.eksbalance.lib
import rego.v1

findings contains lib.finding(meta, route, msg) if {
	some f in lib.gateway_fronts
	f.lb == "alb"
	found := _gateway_algorithm(f)
	found != _lor
	route := lib.resources[f.route]
	msg := sprintf(
		"%s for backend Service %s is %s (ALB default round_robin); add {key: %s, value: %s} to the targetGroupAttributes of the Service's TargetGroupConfiguration so each request goes to the pod with the fewest in flight",
		[_attr, lib.name(lib.resources[f.service]), lib.show(found), _attr, _lor],
	)
}

_gateway_algorithm(f) := a if {
	a := lib.gateway_tg_attribute(f, _attr).value
} else := null
