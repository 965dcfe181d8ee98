package follow_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/eksbalance/eksbalance/tests/awslb/sweep"
	"github.com/eksbalance/eksbalance/tests/controlplane"
	"github.com/eksbalance/eksbalance/tests/controlplane/follow"
)

// TestPreStopSweepOnControlPlane runs the rendered nlb-service and alb-ingress examples on
// a real control plane, with haproxy following their EndpointSlices as the awslb
// stand-in plays each target group from the rendered annotations, and rolls every pod
// (6, maxSurge 3) under keepalive and fresh-connection load at preStop = 0.5x, 0.9x and
// 1.1x of the bound and at the toolkit's default, all else as rendered: below the bound
// requests must be lost, at the default none. The bound is the path a rolling update
// takes behind the controller: deregistration as the pod starts terminating, then the
// load balancer's propagation (the NLB's 120 s, its StopSendingAfter; the ALB's 15 s, an
// unmeasured assumption, while its StopSendingAfter of 35 s comes from the health-check
// path, which a pod that passes its checks during preStop never takes).
//
// Each rollout measures the preStop the replaced pods carry, so the chain is: default
// (as rendered) -> 0.5x -> 0.9x -> 1.1x -> default. Kubernetes takes whole seconds, so
// the points are rounded away from the bound: the ALB's 7.5, 13.5 and 16.5 s become 7,
// 13 and 17 s.
func TestPreStopSweepOnControlPlane(t *testing.T) {
	started := time.Now()
	fronts := []*front{
		{name: "NLB", example: "nlb-service", envVar: "EKSBALANCE_RENDERED_NLB", mode: "tcp", scale: 40 * time.Millisecond},
		{name: "ALB", example: "alb-ingress", envVar: "EKSBALANCE_RENDERED_ALB", mode: "http", scale: 100 * time.Millisecond},
	}
	if only := os.Getenv("EKSBALANCE_SWEEP_FRONT"); only != "" { // NLB or ALB, to run one
		fronts = slices.DeleteFunc(fronts, func(f *front) bool { return f.name != only })
	}
	var rows []sweep.Row
	for _, f := range fronts {
		// A control plane each: both examples render the same namespace and names, and
		// kwok hands out pod addresses per node without regard to the other's pods.
		t.Run(f.name, func(t *testing.T) { rows = append(rows, sweepFront(t, f)...) })
	}
	t.Logf("preStop sweep on the control plane, %d rolling updates of 6 pods in %v:\n%s", len(rows)/2,
		time.Since(started).Round(time.Second), sweep.Table(rows, follow.FailureKinds))
	if dir := os.Getenv("EKSBALANCE_LAB_CHARTS"); dir != "" && len(rows) > 0 {
		path := filepath.Join(dir, "controlplane-prestop-sweep.svg")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(path, sweep.SVG("control plane: requests lost in a rolling update vs preStop / bound", rows), 0o644))
		t.Logf("chart written to %s", path)
	}
}

// sweepFront runs one front's four rollouts on a control plane of its own.
func sweepFront(t *testing.T, f *front) []sweep.Row {
	c := startControlPlane(t)
	backend := follow.LabBackend(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f.deploy(t, ctx, c, backend)
	cfg := f.ctrl.TargetGroup().Config
	hook, window := renderedPreStop(t, c, f)
	bound := cfg.Propagation
	def := hook + window
	t.Logf("%s as rendered: preStop hook %v + close window %v; bound %v (deregistration propagation: %s), StopSendingAfter %v; deregistration delay %v, connection termination %v; 1 s lasts %v here",
		f.name, hook, window, bound, cfg.PropagationSource(), cfg.StopSendingAfter(), cfg.DeregistrationDelay, cfg.ConnectionTermination, f.scale)
	require.Greater(t, def, bound, "the rendered preStop must exceed the bound")
	type point struct {
		label   string
		preStop time.Duration
	}
	// Whole seconds, rounded away from the bound: down below it, up above it.
	below := func(x float64) time.Duration { return time.Duration(math.Floor(bound.Seconds()*x)) * time.Second }
	above := func(x float64) time.Duration { return time.Duration(math.Ceil(bound.Seconds()*x)) * time.Second }
	next := []point{{"0.5x", below(0.5)}, {"0.9x", below(0.9)}, {"1.1x", above(1.1)}, {"default", def}}
	current := point{"default", def}
	var rows []sweep.Row
	for _, n := range next {
		res := rollWithLoads(t, c, f.ns, f.deployment, setPreStop(n.preStop, window), map[string]follow.Load{
			"keepalive": {URL: f.url(), Resolve: f.resolve, Rate: 300, Concurrency: 8, KeepAlive: true},
			"fresh":     {URL: f.url(), Resolve: f.resolve, Rate: 200, Concurrency: 8},
		})
		for _, client := range []string{"keepalive", "fresh"} {
			r := res[client]
			row := sweep.Row{Front: f.name, Client: client, Label: current.label, PreStop: current.preStop, Bound: bound,
				Requests: r.Attempted, Lost: len(r.Failures), ByKind: r.FailuresByKind(), Took: r.Duration}
			rows = append(rows, row)
			t.Logf("%s %s, preStop %v: %s", f.name, client, current.preStop, r.Summary())
			if current.preStop < bound {
				assert.NotZero(t, row.Lost, "%s %s at preStop %v, below the bound %v, lost nothing: the check cannot see loss", row.Front, row.Client, row.PreStop, row.Bound)
			}
			if current.label == "default" {
				assert.Zero(t, row.Lost, "%s %s with the toolkit's default preStop %v lost requests: %s", row.Front, row.Client, row.PreStop, r.Summary())
			}
		}
		requireFollowing(t, c, f.ctrl, f.replicas)
		current = n
	}
	assert.Empty(t, f.ctrl.Errors(), "%s controller errors", f.name)
	t.Logf("%s:\n%s", f.name, sweep.Table(rows, follow.FailureKinds))
	return rows
}

// renderedPreStop reads the Deployment's preStop hook and the app's close window
// (EKSBALANCE_SHUTDOWN_DELAY) as applied.
func renderedPreStop(t *testing.T, c *controlplane.Cluster, f *front) (hook, window time.Duration) {
	t.Helper()
	d, err := c.Clientset.AppsV1().Deployments(f.ns).Get(context.Background(), f.deployment, metav1.GetOptions{})
	require.NoError(t, err)
	ctr := d.Spec.Template.Spec.Containers[0]
	require.NotNil(t, ctr.Lifecycle, "rendered container has no lifecycle")
	require.NotNil(t, ctr.Lifecycle.PreStop.Sleep, "rendered preStop is not a sleep")
	hook = time.Duration(ctr.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	for _, e := range ctr.Env {
		if e.Name == "EKSBALANCE_SHUTDOWN_DELAY" {
			n, err := strconv.Atoi(e.Value)
			require.NoError(t, err)
			window = time.Duration(n) * time.Second
		}
	}
	return hook, window
}

// setPreStop moves the pods' whole wait to preStop, keeping the app's close window at
// its end as the template splits it.
func setPreStop(preStop, window time.Duration) func(map[string]any) {
	w := min(window, preStop)
	hook := preStop - w
	return func(tmpl map[string]any) {
		ctr := tmpl["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
		ctr["lifecycle"] = map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": int64(hook / time.Second)}}}
		env, _ := ctr["env"].([]any)
		for _, e := range env {
			m := e.(map[string]any)
			if m["name"] == "EKSBALANCE_SHUTDOWN_DELAY" {
				m["value"] = fmt.Sprint(int64(w / time.Second))
			}
		}
	}
}
