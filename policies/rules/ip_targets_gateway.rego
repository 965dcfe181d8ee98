# ip-targets for the Gateway API: a TargetGroupConfiguration that asks for
# instance targets, and a route backend whose target type falls to the
# controller's default.
package eksbalance.rules.ip_targets

import data.eksbalance.lib
import rego.v1

findings contains lib.finding(meta, tgc, msg) if {
	some i in lib.target_group_configurations
	tgc := lib.resources[i]
	some where, props in _tgc_props(tgc)
	props.targetType == "instance"
	msg := sprintf(
		"%s.targetType is \"instance\": the target group receives node ports and kube-proxy adds a hop; set it to \"ip\"",
		[where],
	)
}

_tgc_props(tgc) := object.union(
	{"spec.defaultConfiguration": object.get(tgc.properties, ["spec", "defaultConfiguration"], {})},
	{sprintf("spec.routeConfigurations[%d].targetGroupProps", [n]): rc.targetGroupProps |
		some n, rc in object.get(tgc.properties, ["spec", "routeConfigurations"], [])
	},
)

# A backend no TargetGroupConfiguration gives a type: it gets the controller's
# default. Explicit instance types are reported on the configuration above.
findings contains lib.finding(meta, route, msg) if {
	some f in lib.gateway_fronts
	f.target_type != "ip"
	not lib.gateway_tg_setting(f, ["targetType"])
	route := lib.resources[f.route]
	msg := sprintf(
		"backend Service %s behind Gateway %s gets target type %s; %s (no TargetGroupConfiguration sets one). The %s sends traffic to node ports and kube-proxy adds a hop; add a TargetGroupConfiguration for the Service with spec.defaultConfiguration.targetType ip",
		[lib.name(lib.resources[f.service]), lib.name(lib.resources[f.gateway]), f.target_type, lib.default_target_type_note, upper(f.lb)],
	)
}
