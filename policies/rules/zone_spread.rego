package eksbalance.rules.zone_spread

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "zone-spread",
	"severity": "mandatory",
	"scope": "set",
	"title": "Load-balanced Deployments and StatefulSets spread their pods evenly over zones",
	"doc": concat(" ", [
		"The scheduler does not keep pods per zone equal on its own; after rollouts, node loss or an AZ",
		"recovery one zone can hold most pods, and with cross-zone traffic or zonal clients that zone's",
		"pods run hotter. Caught: a load-balanced Deployment or StatefulSet with 2 or more replicas (1",
		"when unset) without a topologySpreadConstraints entry with topologyKey",
		"topology.kubernetes.io/zone, maxSkew <= 1 and a labelSelector that matches its own pod labels",
		"(a constraint selecting other pods spreads nothing). whenUnsatisfiable may be either value. DaemonSets run one pod per node and",
		"spread as the node groups do (node-groups-balanced).",
	]),
}

_zone := "topology.kubernetes.io/zone"

_constraints(d) := object.get(lib.pod_spec(d), "topologySpreadConstraints", [])

_spreads_by_zone(d) if {
	some c in _constraints(d)
	c.topologyKey == _zone
	c.maxSkew <= 1
	lib.label_selector_matches(object.get(c, "labelSelector", null), lib.pod_labels(d))
}

_found(d) := "none" if count(_constraints(d)) == 0

_found(d) := concat(", ", [sprintf("topologyKey %v maxSkew %v labelSelector %v", [
	lib.show(lib.value_at(c, ["topologyKey"])),
	lib.show(lib.value_at(c, ["maxSkew"])),
	_selector_text(c, d),
]) |
	some c in _constraints(d)
]) if count(_constraints(d)) > 0

_selector_text(c, d) := "matching" if lib.label_selector_matches(object.get(c, "labelSelector", null), lib.pod_labels(d))

_selector_text(c, d) := "absent (matches no pods)" if not c.labelSelector

_selector_text(c, d) := "not matching the pod labels" if {
	c.labelSelector
	not lib.label_selector_matches(c.labelSelector, lib.pod_labels(d))
}

findings contains lib.finding(meta, d, msg) if {
	some i in lib.load_balanced
	d := lib.resources[i]
	lib.kind(d) != "DaemonSet" # one pod per node: it spreads as the nodes do
	lib.replicas(d) >= 2
	not _spreads_by_zone(d)
	msg := sprintf(
		"spec.template.spec.topologySpreadConstraints has no zone constraint with maxSkew <= 1 selecting its pods (found: %s) for %v replicas behind %s; add {topologyKey: %s, maxSkew: 1, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: <pod labels>}}",
		[_found(d), lib.replicas(d), lib.fronts_of(i), _zone],
	)
}
