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
		"label the namespace, or set maxUnavailable 0 and maxSurge 1 or more. A StatefulSet behind IP",
		"targets without readiness gates is caught whenever its updateStrategy is RollingUpdate (the",
		"default): it deletes each pod before its replacement exists and moves on once that is Ready,",
		"so the fix is the namespace label. A DaemonSet is caught when its",
		"updateStrategy.rollingUpdate.maxUnavailable resolves above zero (1 by default; percentages",
		"round up): fix with maxSurge 1 and maxUnavailable 0 (not with a hostPort) or the label.",
		"updateStrategy OnDelete is not judged.",
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
	lib.kind(d) == "Deployment"
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
	lib.kind(d) == "Deployment"
	not lib.readiness_gated(d)
	object.get(_strategy(d), "type", "RollingUpdate") == "RollingUpdate"
	n := _resolved(d)
	n > 0
	msg := sprintf(
		"spec.strategy.rollingUpdate.maxUnavailable is %v (%v of %v pods) behind IP targets (%s) and readiness gates are not known to be injected: old pods leave before new ones are healthy in the target group; set maxUnavailable 0 with maxSurge >= 1, or label the namespace %s=enabled",
		[lib.show(_max_unavailable(d)), n, lib.replicas(d), lib.fronts_of(i), lib.readiness_gate_label],
	)
}

# StatefulSets and DaemonSets name their strategy updateStrategy; OnDelete
# leaves updates to whoever deletes the pods and is not judged.
_update_strategy(d) := object.get(d.properties, ["spec", "updateStrategy"], {})

_rolling(d) if object.get(_update_strategy(d), "type", "RollingUpdate") == "RollingUpdate"

findings contains lib.finding(meta, d, msg) if {
	some i in lib.load_balanced
	_behind_ip(i)
	d := lib.resources[i]
	lib.kind(d) == "StatefulSet"
	not lib.readiness_gated(d)
	_rolling(d)
	msg := sprintf(
		"a StatefulSet rolling update deletes each pod before its replacement exists and moves on once the replacement is Ready, before it is healthy in the target group behind IP targets (%s), and readiness gates are not known to be injected; label the namespace %s=enabled so each step waits for target health",
		[lib.fronts_of(i), lib.readiness_gate_label],
	)
}

_ds_max_unavailable(d) := object.get(_update_strategy(d), ["rollingUpdate", "maxUnavailable"], 1)

# _ds_takes_down: a DaemonSet's maxUnavailable resolves above zero. Percentages
# of the node count round up, so any positive percentage is at least one pod.
_ds_takes_down(d) if {
	n := _ds_max_unavailable(d)
	is_number(n)
	n > 0
}

_ds_takes_down(d) if {
	v := _ds_max_unavailable(d)
	is_string(v)
	endswith(v, "%")
	to_number(trim_suffix(v, "%")) > 0
}

findings contains lib.finding(meta, d, msg) if {
	some i in lib.load_balanced
	_behind_ip(i)
	d := lib.resources[i]
	lib.kind(d) == "DaemonSet"
	not lib.readiness_gated(d)
	_rolling(d)
	_ds_takes_down(d)
	msg := sprintf(
		"spec.updateStrategy.rollingUpdate.maxUnavailable is %v behind IP targets (%s) and readiness gates are not known to be injected: each node's old pod stops before the new one is healthy in the target group; set maxSurge 1 with maxUnavailable 0 (pods without a hostPort), or label the namespace %s=enabled",
		[lib.show(_ds_max_unavailable(d)), lib.fronts_of(i), lib.readiness_gate_label],
	)
}
