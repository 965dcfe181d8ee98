// Command kube-apiserver is the upstream Kubernetes API server, built from the
// k8s.io/kubernetes module pinned in this test module's go.mod so the control-plane
// tests need no container image or downloaded release binary.
package main

import (
	"os"
	_ "time/tzdata" // CronJob time zones resolve without the host's zoneinfo.

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream's binary has them.
	_ "k8s.io/component-base/metrics/prometheus/version"  // reports the stamped version on /metrics.
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
