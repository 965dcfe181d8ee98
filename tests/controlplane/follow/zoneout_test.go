package follow_test

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/eksbalance/eksbalance/tests/controlplane"
	"github.com/eksbalance/eksbalance/tests/controlplane/follow"
)

// zoneShareMargin is how far a survivor's measured share may be from the model's
// zone-lost share. haproxy's round robin over the survivors is all but exact, so the
// margin is there for the lab's own noise, not for sampling.
const zoneShareMargin = 0.02

// TestZoneOutUnderLoad runs the rendered nlb-service example on three zones of two nodes
// and takes one zone out under steady load: its pods die at once (their backends are
// killed, their Nodes deleted and their pods removed, as a zone failure and the node
// lifecycle would leave them) and its load-balancer node leaves the DNS answer. The
// survivors' load-balancer nodes keep sending to the dead targets until the stand-in's
// health checks and the NLB's unhealthy lag (or the deregistration) take them out. Once
// that has settled, a second load must lose no request, the replacement pods must stay
// Pending (the zone spread's minDomains keeps them out of the surviving zones), and the
// measured per-pod shares must match the model's prediction for the topology without
// that zone: with cross-zone on each survivor takes 1.5x its normal share.
func TestZoneOutUnderLoad(t *testing.T) {
	c := startControlPlane(t)
	backend := follow.LabBackend(t)
	eks := controlplane.RequireEksbalance(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	started := time.Now()
	f := &front{name: "NLB", example: "nlb-service", envVar: "EKSBALANCE_RENDERED_NLB", mode: "tcp", scale: 40 * time.Millisecond}
	f.deploy(t, ctx, c, backend)
	cfg := f.ctrl.TargetGroup().Config
	t.Logf("target group as rendered: health check %s every %v, timeout %v, unhealthy after %d; unhealthy lag %v; propagation %v (%s); 1 s lasts %v here",
		cfg.HealthCheck.Protocol, cfg.HealthCheck.Interval, cfg.HealthCheck.Timeout, cfg.HealthCheck.UnhealthyThreshold,
		cfg.UnhealthyLag, cfg.Propagation, cfg.PropagationSource(), f.scale)

	placement := placementOf(t, c, f)
	svc, err := c.Clientset.CoreV1().Services(f.ns).Get(ctx, f.service, metav1.GetOptions{})
	require.NoError(t, err)
	lb, etp, err := controlplane.LBFromService(svc)
	require.NoError(t, err)
	require.True(t, lb.CrossZone, "the rendered NLB has cross-zone on")
	normal, _, err := controlplane.PredictE(eks, t.TempDir(), "normal", placement.Topology(lb, etp))
	require.NoError(t, err)

	const lost = "us-east-1c"
	var survivors controlplane.Placement
	var lostNodes []string
	for _, z := range placement.Zones {
		if z.Name == lost {
			for _, n := range z.Nodes {
				lostNodes = append(lostNodes, n.Name)
			}
			continue
		}
		survivors.Zones = append(survivors.Zones, z)
	}
	require.NotEmpty(t, lostNodes)
	zoneLost, _, err := controlplane.PredictE(eks, t.TempDir(), "zone-lost", survivors.Topology(lb, etp))
	require.NoError(t, err)
	expected := sharesByPod(survivors, zoneLost)
	normalShare := sharesByPod(placement, normal)
	t.Logf("model, all zones:\n%s", normal)
	t.Logf("model, %s lost (the topology without it):\n%s", lost, zoneLost)

	// The shift, under load.
	stop := make(chan struct{})
	during := make(chan follow.LoadResult, 1)
	go func() {
		res, err := follow.Load{URL: f.url(), Resolve: f.resolve, Rate: 300, Concurrency: 8,
			MaxRequests: 1_000_000, MaxDuration: 3 * time.Minute}.Run(context.Background(), stop)
		assert.NoError(t, err)
		during <- res
	}()
	time.Sleep(time.Second)
	shiftStart := time.Now()
	killed := f.kubelet.KillPodsOn(lostNodes...)
	f.zoneDown(t, lost)
	removeZone(t, c, f, lostNodes)
	t.Logf("zone %s out at %v: killed %v, its load-balancer node out of DNS, its nodes and pods deleted", lost,
		time.Since(started).Round(time.Millisecond), killed)
	var survivorNames []string
	for _, z := range survivors.Zones {
		for _, n := range z.Nodes {
			survivorNames = append(survivorNames, n.Pods...)
		}
	}
	sort.Strings(survivorNames)
	c.WaitUntil(t, "the load balancer routes to the survivors only", time.Minute, func() error {
		var routing []string
		for _, s := range f.ctrl.TargetGroup().Snapshot() {
			if s.Routing {
				routing = append(routing, s.Name)
			}
		}
		sort.Strings(routing)
		if strings.Join(routing, " ") != strings.Join(survivorNames, " ") {
			return fmt.Errorf("routing to %v", routing)
		}
		return nil
	})
	settled := time.Since(shiftStart)
	close(stop)
	shift := <-during
	require.Equal(t, follow.StopRequested, shift.StopReason, "the load stopped before the shift settled: %s", shift.Summary())
	t.Logf("during the shift (%v until the load balancer routed to the survivors only, %v of the manifests' time): %s",
		settled.Round(time.Millisecond), (settled * time.Second / f.scale).Round(time.Second), shift.Summary())

	// Pending replacements: the spread keeps them out of the surviving zones.
	c.WaitUntil(t, "replacement pods Pending", time.Minute, func() error {
		pods, err := c.Clientset.CoreV1().Pods(f.ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + f.service})
		if err != nil {
			return err
		}
		pending := 0
		for _, p := range pods.Items {
			if p.Spec.NodeName == "" && p.DeletionTimestamp == nil {
				pending++
			}
		}
		if pending != len(killed) {
			return fmt.Errorf("%d pods Pending, want %d", pending, len(killed))
		}
		return nil
	})

	// After the shift.
	const n = 3000
	after, err := follow.Load{URL: f.url(), Resolve: f.resolve, Rate: 600, Concurrency: 8, MaxRequests: n, MaxDuration: time.Minute}.Run(ctx, nil)
	require.NoError(t, err)
	t.Logf("after the shift: %s", after.Summary())
	assert.Equal(t, follow.StopMaxRequests, after.StopReason)
	assert.Equal(t, n, after.Attempted)
	assert.Empty(t, after.Failures, "requests failed after the shift settled")

	var answered []string
	for p := range after.PerPod {
		answered = append(answered, p)
	}
	sort.Strings(answered)
	assert.Equal(t, survivorNames, answered, "the pods that answered must be exactly the survivors")
	var table strings.Builder
	fmt.Fprintf(&table, "%-32s %8s %9s %9s %10s\n", "pod", "normal", "zone lost", "measured", "x normal")
	answers := max(after.Attempted-len(after.Failures), 1)
	for _, p := range survivorNames {
		share := float64(after.PerPod[p]) / float64(answers)
		fmt.Fprintf(&table, "%-32s %7.2f%% %8.2f%% %8.2f%% %9.2fx\n", p, 100*normalShare[p], 100*expected[p], 100*share, share/normalShare[p])
		assert.LessOrEqual(t, math.Abs(share-expected[p]), zoneShareMargin, "pod %s: measured %.2f%%, model %.2f%%", p, 100*share, 100*expected[p])
	}
	t.Logf("per-pod shares with %s lost (model: eksbalance predict on the topology without it), %d requests:\n%s", lost, n, table.String())
	assert.Empty(t, f.ctrl.Errors(), "controller errors")
	t.Logf("zone-out run took %v", time.Since(started).Round(time.Second))
}

// placementOf is where the scheduler put the front's pods.
func placementOf(t *testing.T, c *controlplane.Cluster, f *front) controlplane.Placement {
	t.Helper()
	d, err := c.Clientset.AppsV1().Deployments(f.ns).Get(context.Background(), f.deployment, metav1.GetOptions{})
	require.NoError(t, err)
	pods, err := c.PodsOfE(f.ns, d.Spec.Selector)
	require.NoError(t, err)
	nodes, err := c.NodesE()
	require.NoError(t, err)
	p, err := controlplane.PlacementOf(nodes, pods, stackZones)
	require.NoError(t, err)
	return p
}

// sharesByPod maps the prediction's pods (zone, node, index) to the placement's pod names.
func sharesByPod(p controlplane.Placement, pred controlplane.Prediction) map[string]float64 {
	out := map[string]float64{}
	for _, s := range pred.Pods {
		for _, z := range p.Zones {
			for _, n := range z.Nodes {
				if z.Name == s.Zone && n.Name == s.Node && s.Index < len(n.Pods) {
					out[n.Pods[s.Index]] = s.Share
				}
			}
		}
	}
	return out
}

// removeZone deletes the zone's Node objects and removes their pods at once, as the
// node lifecycle and pod garbage collection leave them after a zone failure.
func removeZone(t *testing.T, c *controlplane.Cluster, f *front, nodes []string) {
	t.Helper()
	ctx := context.Background()
	on := map[string]bool{}
	for _, n := range nodes {
		require.NoError(t, c.Clientset.CoreV1().Nodes().Delete(ctx, n, metav1.DeleteOptions{}))
		on[n] = true
	}
	pods, err := c.Clientset.CoreV1().Pods(f.ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	zero := int64(0)
	for _, p := range pods.Items {
		if on[p.Spec.NodeName] {
			require.NoError(t, c.Clientset.CoreV1().Pods(f.ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}))
		}
	}
}
