# cross-zone-enabled for the Gateway API: configurations that turn it off, and
# NLB Gateways that leave the NLB's default (off) in place.
package eksbalance.rules.cross_zone_enabled

import data.eksbalance.lib
import rego.v1

_tg_attr_off(props) if {
	some a in object.get(props, "targetGroupAttributes", [])
	a.key == _attr
	a.value == "false"
}

findings contains lib.finding(meta, tgc, msg) if {
	some i in lib.target_group_configurations
	tgc := lib.resources[i]
	props := array.concat(
		[object.get(tgc.properties, ["spec", "defaultConfiguration"], {})],
		[rc.targetGroupProps | some rc in object.get(tgc.properties, ["spec", "routeConfigurations"], [])],
	)
	some p in props
	_tg_attr_off(p)
	msg := sprintf(
		"targetGroupAttributes has %s=false: each AZ's load-balancer node only serves its own AZ's pods; remove it or set it to true",
		[_attr],
	)
}

findings contains lib.finding(meta, lbc, msg) if {
	some i in lib.load_balancer_configurations
	lbc := lib.resources[i]
	some a in object.get(lbc.properties, ["spec", "loadBalancerAttributes"], [])
	a.key == _attr
	a.value == "false"
	msg := sprintf(
		"spec.loadBalancerAttributes has %s=false: each AZ's NLB node only serves its own AZ's targets; set it to true",
		[_attr],
	)
}

# An NLB Gateway backend whose target group neither turns cross-zone on itself
# nor inherits it from the load balancer: the NLB default is off. Needs the
# whole set (the Gateway's configurations may be elsewhere), so not in the pack.
findings contains lib.finding(meta, gw, msg) if {
	not lib.partial
	some f in lib.gateway_fronts
	f.lb == "nlb"
	not _tg_says(f)
	not _lb_on(f)
	gw := lib.resources[f.gateway]
	msg := sprintf(
		"%s=true is set neither in the LoadBalancerConfiguration's spec.loadBalancerAttributes nor in the target-group attributes for Service %s (NLB default false): each AZ's NLB node only serves its own AZ's pods; add it to the Gateway's LoadBalancerConfiguration",
		[_attr, lib.name(lib.resources[f.service])],
	)
}

_tg_says(f) if lib.gateway_tg_attribute(f, _attr).value in {"true", "false"}

_lb_on(f) if lib.gateway_lb_attribute(f.gateway, _attr).value == "true"
