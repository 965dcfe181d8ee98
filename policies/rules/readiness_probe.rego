package eksbalance.rules.readiness_probe

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "readiness-probe",
	"severity": "mandatory",
	"scope": "set",
	"title": "Serving containers of load-balanced workloads have a readiness probe",
	"doc": concat(" ", [
		"Without a readiness probe a pod counts as ready as soon as its containers start, so the load",
		"balancer (and kube-proxy) send it requests before it can answer, and keep sending while it",
		"shuts down. Caught: a serving container (one that declares ports; every container when none",
		"does) of a Deployment, StatefulSet or DaemonSet selected by a Service of type LoadBalancer, by a",
		"Service an ALB Ingress routes to, or by a Service a TargetGroupBinding names, without",
		"readinessProbe. A sidecar without ports (a log shipper) receives no load-balancer traffic and",
		"is not judged, as in rollout-timing.",
	]),
}

findings contains lib.finding(meta, d, msg) if {
	some i in lib.load_balanced
	d := lib.resources[i]
	some c in lib.serving_containers(d)
	not c.readinessProbe
	msg := sprintf(
		"container %s has no readinessProbe while %s sends it traffic; add a readinessProbe (e.g. httpGet on the serving port) so the pod gets traffic only while it can answer",
		[c.name, lib.fronts_of(i)],
	)
}
