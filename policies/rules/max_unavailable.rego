package eksbalance.rules.max_unavailable

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "max-unavailable",
	"severity": "advisory",
	"scope": "set",
	"title": "Rollouts behind IP targets do not take pods down without readiness gates",
	"doc": concat(" ", [
		"Without the controller's readiness gate a rollout counts a new pod available before the load",
		"balancer does; with maxUnavailable above zero (25% by default, rounded down) it also removes",
		"old pods first, so the target group can briefly hold fewer healthy targets than replicas, or",
		"none. Caught: a Deployment behind IP targets whose namespace is not known to inject readiness",
		"gates (Namespace absent from the set or unlabelled, and no target-health readiness gate in the",
		"pod template) and whose strategy is Recreate or whose maxUnavailable resolves above zero. Fix:",
		"label the namespace, or set maxUnavailable 0 and maxSurge 1 or more.",
	]),
}

_strategy(d) := object.get(d.properties, ["spec", "strategy"], {})

_max_unavailable(d) := object.get(_strategy(d), ["rollingUpdate", "maxUnavailable"], "25%")

# _resolved is maxUnavailable as a pod count: percentages of replicas round down.
_resolved(d) := n if {
	n := _max_unavailable(d)
	is_number(n)
}

_resolved(d) := floor((lib.replicas(d) * to_number(trim_suffix(v, "%"))) / 100) if {
	v := _max_unavailable(d)
	is_string(v)
	endswith(v, "%")
}

_behind_ip(i) if {
	some j in lib.fronts_by_deployment[i]
	lib.ip_targets(lib.fronts[j])
}

findings contains lib.finding(meta, d, msg) if {
	some i in lib.load_balanced
	_behind_ip(i)
	d := lib.resources[i]
	not lib.readiness_gated(d)
	_strategy(d).type == "Recreate"
	msg := sprintf(
		"spec.strategy.type is \"Recreate\" behind IP targets (%s) without readiness gates: every pod stops before new ones are healthy in the target group; use RollingUpdate with maxUnavailable 0 and label the namespace %s=enabled",
		[lib.fronts_of(i), lib.readiness_gate_label],
	)
}

findings contains lib.finding(meta, d, msg) if {
	some i in lib.load_balanced
	_behind_ip(i)
	d := lib.resources[i]
	not lib.readiness_gated(d)
	object.get(_strategy(d), "type", "RollingUpdate") == "RollingUpdate"
	n := _resolved(d)
	n > 0
	msg := sprintf(
		"spec.strategy.rollingUpdate.maxUnavailable is %v (%v of %v pods) behind IP targets (%s) and readiness gates are not known to be injected: old pods leave before new ones are healthy in the target group; set maxUnavailable 0 with maxSurge >= 1, or label the namespace %s=enabled",
		[lib.show(_max_unavailable(d)), n, lib.replicas(d), lib.fronts_of(i), lib.readiness_gate_label],
	)
}
