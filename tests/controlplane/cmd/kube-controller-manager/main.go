// Command kube-controller-manager is the upstream controller manager (Deployments,
// ReplicaSets, EndpointSlices, service accounts), built from the pinned k8s.io/kubernetes
// module for the control-plane tests.
package main

import (
	"os"
	_ "time/tzdata" // CronJob time zones resolve without the host's zoneinfo.

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream's binary has them.
	_ "k8s.io/component-base/metrics/prometheus/version"  // reports the stamped version on /metrics.
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
