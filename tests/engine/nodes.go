package engine

import (
	"fmt"
	"math/rand/v2"

	corev1 "k8s.io/api/core/v1"
)

// UniquePodCIDRs moves the nodes' pod CIDRs (from controlplane.NodeObjects, which numbers
// them from 100.64.0.0/24 on every run) to a block of consecutive /24s drawn at random
// from 100.96.0.0-100.125.255.0, still inside controlplane.PodNetwork. Pod processes bind
// the loopback twins of their pod IPs (127.x.y.z:port), so two control planes on one
// machine with the same numbering answer each other's load balancers: seen here when
// another checkout's rollout test ran at the same time, whose pods answered this test's
// requests. A random block makes that unlikely (a few nodes out of 7,680 /24s) without
// changing the harness.
func UniquePodCIDRs(nodes []corev1.Node) error {
	const blocks = 30 * 256
	if len(nodes) > blocks {
		return fmt.Errorf("%d nodes: at most %d pod CIDRs", len(nodes), blocks)
	}
	base := rand.IntN(blocks - len(nodes) + 1)
	for i := range nodes {
		n := base + i
		cidr := fmt.Sprintf("100.%d.%d.0/24", 96+n/256, n%256)
		nodes[i].Spec.PodCIDR, nodes[i].Spec.PodCIDRs = cidr, []string{cidr}
	}
	return nil
}
