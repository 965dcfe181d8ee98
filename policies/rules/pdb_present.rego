package eksbalance.rules.pdb_present

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "pdb-present",
	"severity": "mandatory",
	"scope": "set",
	"title": "Load-balanced Deployments and StatefulSets have a PodDisruptionBudget",
	"doc": concat(" ", [
		"Node drains (upgrades, consolidation, spot reclaims) evict pods without regard to the load",
		"balancer; without a PodDisruptionBudget a drain can take every replica in a zone, or all of",
		"them, at once. Caught: a load-balanced Deployment or StatefulSet with 2 or more replicas and",
		"no PodDisruptionBudget in its namespace whose spec.selector matches its pod labels. DaemonSets",
		"are not judged: a drain does not evict their pods (kubectl drain --ignore-daemonsets).",
	]),
}

findings contains lib.finding(meta, d, msg) if {
	some i in lib.load_balanced
	d := lib.resources[i]
	lib.kind(d) != "DaemonSet" # drains leave DaemonSet pods alone
	lib.replicas(d) >= 2
	not lib.pdb_covers(d)
	msg := sprintf(
		"no PodDisruptionBudget in namespace %s selects its pod labels %v (%v replicas behind %s); add one with maxUnavailable: 1 and selector.matchLabels matching the pods",
		[lib.namespace(d), lib.pod_labels(d), lib.replicas(d), lib.fronts_of(i)],
	)
}
