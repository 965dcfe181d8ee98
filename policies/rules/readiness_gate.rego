package eksbalance.rules.readiness_gate

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "readiness-gate",
	"severity": "advisory",
	"scope": "set",
	"title": "Namespaces with IP targets inject the controller's pod readiness gate",
	"doc": concat(" ", [
		"With IP targets a new pod is Ready to Kubernetes before it is healthy in the target group, so",
		"a rollout can remove old pods while the load balancer has no healthy new ones. The AWS Load",
		"Balancer Controller adds a readiness gate that waits for target health to pods created in a",
		"namespace labelled elbv2.k8s.aws/pod-readiness-gate-inject=enabled. Caught: a Namespace present",
		"in the set, without that label, holding an IP-target NLB Service, ALB Ingress backend or",
		"TargetGroupBinding. A namespace not in the set is not judged (see max-unavailable). EKS Auto",
		"Mode fronts are left out: Auto Mode has no readiness gate (see automode-min-ready).",
	]),
}

findings contains lib.finding(meta, ns, msg) if {
	some n, objs in lib.namespace_objects
	some j in objs
	ns := lib.resources[j]
	found := lib.value_at(ns.properties, ["metadata", "labels", lib.readiness_gate_label])
	found != "enabled"
	ip_fronts := {lib.describe_front(f) |
		some f in lib.fronts
		lib.ip_targets(f)
		not lib.automode_front(f) # Auto Mode injects no gate; see automode-min-ready
		lib.namespace(lib.resources[f.service]) == n
	}
	count(ip_fronts) > 0
	msg := sprintf(
		"label %s is %s while %s register pod IPs; label the namespace %s=enabled before its pods are created so rollouts wait for target health",
		[lib.readiness_gate_label, lib.show(found), concat(", ", sort(ip_fronts)), lib.readiness_gate_label],
	)
}
