// Command kube-scheduler is the upstream scheduler, built from the pinned
// k8s.io/kubernetes module: the control-plane tests exist to see where it, and not a
// mock, puts pods under topology spread constraints.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream's binary has them.
	_ "k8s.io/component-base/metrics/prometheus/version"  // reports the stamped version on /metrics.
	"k8s.io/kubernetes/cmd/kube-scheduler/app"
)

func main() {
	os.Exit(cli.Run(app.NewSchedulerCommand()))
}
