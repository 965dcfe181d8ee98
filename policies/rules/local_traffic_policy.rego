package eksbalance.rules.local_traffic_policy

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "local-traffic-policy",
	"severity": "advisory",
	"scope": "resource",
	"title": "externalTrafficPolicy Local is not combined with instance targets",
	"doc": concat(" ", [
		"With instance targets and externalTrafficPolicy Local the load balancer spreads evenly over",
		"nodes that have a ready pod, and each node splits its share among its own pods: a pod's share",
		"is 1/(healthy nodes)/(pods on its node), uneven whenever pods per node differ. It also makes",
		"nodes fail health checks while their last pod terminates. This fires together with",
		"ip-targets or lb-controller-required (both already flag instance targets) and says why Local",
		"makes it worse; IP targets make externalTrafficPolicy irrelevant.",
	]),
}

findings contains lib.finding(meta, s, msg) if {
	some i in lib.services
	s := lib.resources[i]
	lib.is_loadbalancer_service(s)
	not lib.other_lb_class(s)
	s.properties.spec.externalTrafficPolicy == "Local"
	not _ip_targets(s)
	msg := "spec.externalTrafficPolicy is \"Local\" with instance targets: each node with a ready pod gets an equal share, split among that node's pods, so pods on crowded nodes get less; use IP targets (aws-load-balancer-nlb-target-type: ip), which bypass node ports"
}

_ip_targets(s) if {
	lib.controller_nlb(s)
	lib.nlb_target_type(s) == "ip"
}
