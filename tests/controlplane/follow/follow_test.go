package follow_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/eksbalance/eksbalance/tests/controlplane"
	"github.com/eksbalance/eksbalance/tests/controlplane/follow"
)

// TestRollingUpdateFollowsEndpointSlices runs the rendered nlb-service example in a real
// control plane with haproxy following its EndpointSlices, then rolls the Deployment
// under steady load: with the toolkit's timing chain no request may fail; with the
// anti-pattern (no preStop, exit at SIGTERM) some must, or the check could not see loss.
func TestRollingUpdateFollowsEndpointSlices(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test starts a control plane")
	}
	bin := controlplane.RequireBinaries(t)
	if _, err := exec.LookPath("haproxy"); err != nil {
		controlplane.SkipOrFail(t, "haproxy is not installed (Debian package haproxy; scripts/install-deps.sh)")
	}
	backend := labBackend(t)
	eks, _ := controlplane.FindEksbalanceE()
	ex := controlplane.LoadExample(t, eks, "nlb-service", "EKSBALANCE_RENDERED_NLB")

	objs := controlplane.DeepCopyObjects(ex.Objs)
	deploys, svcs := controlplane.Find(objs, "Deployment"), controlplane.Find(objs, "Service")
	require.Len(t, deploys, 1)
	require.Len(t, svcs, 1)
	d, svc := deploys[0], svcs[0]
	ns, name := d.GetNamespace(), d.GetName()
	gate := follow.GatePrefix + "lab-" + svc.GetName()
	// The AWS controller's webhook adds the gate to pods of a labelled namespace; the
	// lab adds it to the template, which has the same effect on every pod.
	notes, err := controlplane.StripLBReadinessGates(objs)
	require.NoError(t, err)
	require.Empty(t, notes, "the toolkit leaves readiness gates to the webhook")
	require.NoError(t, unstructured.SetNestedSlice(d.Object, []any{map[string]any{"conditionType": gate}},
		"spec", "template", "spec", "readinessGates"))

	c := controlplane.Start(t, controlplane.Options{
		BinDir:     bin,
		NodeGroups: controlplane.EvenNodeGroups("dev", "m6i.large", 2, "us-east-1a", "us-east-1b", "us-east-1c"),
		KwokConfig: follow.GatedPodStages,
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	// NLB: haproxy in TCP mode; health checks as the rendered annotations say, scaled.
	ha, err := follow.StartHAProxyE(t, "tcp", follow.HealthCheck{Interval: 10 * follow.TimeScale, Fall: 3, Rise: 3})
	require.NoError(t, err)
	logs := t.TempDir()
	kubelet := &follow.Kubelet{Client: c.Clientset, Namespace: ns, Selector: "app.kubernetes.io/name=" + svc.GetName(),
		Backend: backend, Dir: logs}
	require.NoError(t, kubelet.Start(ctx))
	t.Cleanup(kubelet.Stop)
	ctrl := &follow.Controller{Client: c.Clientset, Namespace: ns, Service: svc.GetName(), HAProxy: ha, GateType: gate}
	require.NoError(t, ctrl.Start(ctx))
	t.Cleanup(func() { cancel(); ctrl.Wait() })

	c.Apply(t, objs)
	opts := c.KubectlOptions(ns)
	k8s.WaitUntilDeploymentAvailable(t, opts, name, 90, time.Second)
	replicas := int(*k8s.GetDeployment(t, opts, name).Spec.Replicas)
	requireFollowing(t, c, ctrl, replicas)

	url := "http://" + ha.Addr + "/hostname"
	good := rollUnderLoad(t, c, ns, name, url)
	t.Logf("rolling update with the toolkit's timings (preStop and grace from the manifest, x%v): %s", follow.TimeScale, good.Summary())
	assert.Empty(t, good.Failures, "a rolling update with the toolkit's timing chain must lose no request")
	assert.GreaterOrEqual(t, len(good.PerPod), replicas+1, "both the old and the new pods answered")
	requireFollowing(t, c, ctrl, replicas)

	// Switch to the anti-pattern; its pods are the ones the next rollout replaces.
	rollout(t, c, ns, name, func(tmpl map[string]any) {
		meta := tmpl["metadata"].(map[string]any)
		ann, _ := meta["annotations"].(map[string]any)
		if ann == nil {
			ann = map[string]any{}
		}
		ann[follow.AbruptAnnotation] = "true"
		meta["annotations"] = ann
		ctr := tmpl["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
		delete(ctr, "lifecycle")
	})
	requireFollowing(t, c, ctrl, replicas)
	bad := rollUnderLoad(t, c, ns, name, url)
	t.Logf("rolling update of pods without preStop that exit at SIGTERM: %s", bad.Summary())
	assert.NotEmpty(t, bad.Failures, "the anti-pattern must lose requests, or the check cannot see loss")
	assert.Empty(t, ctrl.Errors(), "controller errors")
}

// requireFollowing waits until haproxy's UP servers are exactly the Service's ready
// endpoints, one per replica.
func requireFollowing(t *testing.T, c *controlplane.Cluster, ctrl *follow.Controller, replicas int) {
	t.Helper()
	var snap follow.Snapshot
	c.WaitUntil(t, "haproxy servers equal to the EndpointSlices", 30*time.Second, func() error {
		var err error
		if snap, err = ctrl.SnapshotE(); err != nil {
			return err
		}
		if len(snap.Endpoints) != replicas || strings.Join(snap.Endpoints, " ") != strings.Join(snap.Serving, " ") {
			return fmt.Errorf("endpoints %v, haproxy UP %v", snap.Endpoints, snap.Serving)
		}
		return nil
	})
	t.Logf("haproxy serves exactly the %d ready endpoints: %s", len(snap.Serving), strings.Join(snap.Serving, " "))
}

// rollUnderLoad sends steady load while the Deployment rolls, and returns what it saw.
func rollUnderLoad(t *testing.T, c *controlplane.Cluster, ns, name, url string) follow.LoadResult {
	t.Helper()
	stop := make(chan struct{})
	type out struct {
		res follow.LoadResult
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := follow.Load{URL: url, Rate: 300, Concurrency: 16}.Run(context.Background(), stop)
		done <- out{res, err}
	}()
	time.Sleep(500 * time.Millisecond)
	rollout(t, c, ns, name, nil)
	// Long enough for the last old pod's connections to end and the new ones to serve.
	time.Sleep(500 * time.Millisecond)
	close(stop)
	o := <-done
	require.NoError(t, o.err)
	return o.res
}

// rollout changes the pod template (a restart annotation, plus change) and waits until
// the Deployment has replaced every pod and the old ones are gone.
func rollout(t *testing.T, c *controlplane.Cluster, ns, name string, change func(map[string]any)) {
	t.Helper()
	ctx := context.Background()
	u, err := c.Dynamic.Resource(appsv1.SchemeGroupVersion.WithResource("deployments")).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	require.NoError(t, err)
	tmpl, _, err := unstructured.NestedMap(u.Object, "spec", "template")
	require.NoError(t, err)
	meta, _ := tmpl["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
	}
	ann["kubectl.kubernetes.io/restartedAt"] = time.Now().Format(time.RFC3339Nano)
	meta["annotations"] = ann
	if change != nil {
		change(tmpl)
	}
	require.NoError(t, unstructured.SetNestedMap(u.Object, tmpl, "spec", "template"))
	updated, err := c.Dynamic.Resource(appsv1.SchemeGroupVersion.WithResource("deployments")).Namespace(ns).Update(ctx, u, metav1.UpdateOptions{})
	require.NoError(t, err)
	gen := updated.GetGeneration()
	start := time.Now()
	c.WaitUntil(t, "rollout of "+name, 90*time.Second, func() error {
		dep, err := c.Clientset.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		s, want := dep.Status, *dep.Spec.Replicas
		if s.ObservedGeneration < gen || s.UpdatedReplicas != want || s.Replicas != want || s.AvailableReplicas != want {
			return fmt.Errorf("generation %d/%d, replicas %d updated %d available %d, want %d",
				s.ObservedGeneration, gen, s.Replicas, s.UpdatedReplicas, s.AvailableReplicas, want)
		}
		pods, err := c.PodsOfE(ns, dep.Spec.Selector)
		if err != nil {
			return err
		}
		if len(pods) != int(want) {
			return fmt.Errorf("%d pods (terminating ones included), want %d", len(pods), want)
		}
		return nil
	})
	t.Logf("rollout of %s/%s done in %v", ns, name, time.Since(start).Round(time.Millisecond))
}

// labBackend returns the lab backend binary: EKSBALANCE_LAB_BACKEND, or one built from
// the root module's tests/lab/backend into the test's temporary directory.
func labBackend(t *testing.T) string {
	if p := os.Getenv("EKSBALANCE_LAB_BACKEND"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			controlplane.SkipOrFail(t, "EKSBALANCE_LAB_BACKEND=%s: %v", p, err)
		}
		return p
	}
	root := filepath.Join(controlplane.ModuleDir(), "..", "..")
	out := filepath.Join(t.TempDir(), "backend")
	cmd := exec.Command("go", "build", "-o", out, "./tests/lab/backend")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		controlplane.SkipOrFail(t, "cannot build the lab backend from %s: %v: %s", root, err, strings.TrimSpace(string(b)))
	}
	return out
}
