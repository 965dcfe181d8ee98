package follow_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/eksbalance/eksbalance/tests/controlplane"
	"github.com/eksbalance/eksbalance/tests/controlplane/follow"
)

// stackZones are the dev stack's zones, which the rendered examples spread over.
var stackZones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// front is one rendered example running on the control plane behind haproxy, which
// the awslb stand-in drives as the example's target group.
type front struct {
	// name is NLB or ALB; example is its directory under examples/.
	name, example, envVar string
	// mode is haproxy's: tcp plays an NLB, http an ALB.
	mode string
	// scale is how long one second of the manifests lasts here.
	scale time.Duration
	// namespace, when set, moves the example's objects to another namespace, so two
	// examples (both render namespace "echo") share one control plane.
	namespace string

	ns, deployment, service, ingress string
	replicas                         int
	ha                               *follow.HAProxy
	ctrl                             *follow.Controller
	kubelet                          *follow.Kubelet

	mu   sync.Mutex
	down map[string]bool // zones whose load-balancer node is out
	log  []string        // what the kubelet, controller and stand-in did, shown on failure
}

// logf keeps a line for the failure report.
func (f *front) logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
}

// keepAliveRecycle makes the backends recycle a connection after this many requests,
// so keepalive clients open connections during a scaled rollout as a client population
// does (the rendered 300 s age would outlast it).
const keepAliveRecycle = 10

// startControlPlane starts the dev stack's three zones of two nodes with the gated pod
// stages the follow package needs.
func startControlPlane(t *testing.T) *controlplane.Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: this test starts a control plane")
	}
	bin := controlplane.RequireBinaries(t)
	if _, err := exec.LookPath("haproxy"); err != nil {
		controlplane.SkipOrFail(t, "haproxy is not installed (Debian package haproxy; scripts/install-deps.sh)")
	}
	return controlplane.Start(t, controlplane.Options{
		BinDir:     bin,
		NodeGroups: controlplane.EvenNodeGroups("dev", "m6i.large", 2, stackZones...),
		KwokConfig: follow.GatedPodStages,
	})
}

// deploy applies the front's rendered example with haproxy, the kubelet and the
// controller following it, and waits until haproxy serves every replica.
func (f *front) deploy(t *testing.T, ctx context.Context, c *controlplane.Cluster, backend string) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	eks, _ := controlplane.FindEksbalanceE()
	ex := controlplane.LoadRenderedExample(t, eks, f.example, f.envVar)
	objs := controlplane.DeepCopyObjects(ex.Objs)
	if f.namespace != "" {
		moveNamespace(objs, f.namespace)
	}
	deploys, svcs := controlplane.Find(objs, "Deployment"), controlplane.Find(objs, "Service")
	require.Len(t, deploys, 1)
	require.Len(t, svcs, 1)
	d, svc := deploys[0], svcs[0]
	f.ns, f.deployment, f.service = d.GetNamespace(), d.GetName(), svc.GetName()
	if ings := controlplane.Find(objs, "Ingress"); len(ings) == 1 {
		f.ingress = ings[0].GetName()
	}
	gate := follow.GatePrefix + "lab-" + f.service
	// The AWS controller's webhook adds the gate to pods of a labelled namespace; the
	// test adds it to the template, which has the same effect on every pod.
	notes, err := controlplane.StripLBReadinessGates(objs)
	require.NoError(t, err)
	require.Empty(t, notes, "the toolkit leaves readiness gates to the webhook")
	require.NoError(t, unstructured.SetNestedSlice(d.Object, []any{map[string]any{"conditionType": gate}},
		"spec", "template", "spec", "readinessGates"))

	t.Cleanup(func() {
		if t.Failed() {
			f.mu.Lock()
			defer f.mu.Unlock()
			tail := f.log[max(len(f.log)-300, 0):]
			t.Logf("---- %s: last %d lines of the kubelet, controller and stand-in ----\n%s", f.name, len(tail), strings.Join(tail, "\n"))
		}
	})
	f.ha, err = follow.StartHAProxyE(t, f.mode, follow.HealthCheck{}, stackZones...)
	require.NoError(t, err)
	f.kubelet = &follow.Kubelet{Client: c.Clientset, Namespace: f.ns, Selector: "app.kubernetes.io/name=" + f.service,
		Backend: backend, Dir: t.TempDir(), TimeScale: f.scale, MaxConnRequests: keepAliveRecycle, Logf: f.logf}
	require.NoError(t, f.kubelet.Start(ctx))
	t.Cleanup(f.kubelet.Stop)
	c.Apply(t, objs)
	f.ctrl = &follow.Controller{Client: c.Clientset, Namespace: f.ns, Service: f.service, Ingress: f.ingress,
		HAProxy: f.ha, GateType: gate, TimeScale: f.scale, TerminatingSince: f.kubelet.TerminatingSince, Logf: f.logf}
	require.NoError(t, f.ctrl.Start(ctx))
	t.Cleanup(func() { cancel(); f.ctrl.Wait() })
	k8s.WaitUntilDeploymentAvailable(t, c.KubectlOptions(f.ns), f.deployment, 120, time.Second)
	f.replicas = int(*k8s.GetDeployment(t, c.KubectlOptions(f.ns), f.deployment).Spec.Replicas)
	requireFollowing(t, c, f.ctrl, f.replicas)
}

// moveNamespace puts every namespaced object, and the Namespace itself, in ns.
func moveNamespace(objs []*unstructured.Unstructured, ns string) {
	for _, o := range objs {
		switch o.GetKind() {
		case "Namespace":
			o.SetName(ns)
		case "IngressClass":
		default:
			if o.GetNamespace() != "" {
				o.SetNamespace(ns)
			}
		}
	}
}

// url is the request URL on the load balancer's first node; resolve is its DNS: the
// nodes of the zones that are up, as Route 53 answers for the load balancer's name.
func (f *front) url() string { return "http://" + f.ha.Addr + "/hostname" }

func (f *front) resolve() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, z := range f.ha.Zones {
		if !f.down[z] {
			out = append(out, f.ha.ZoneAddrs[z])
		}
	}
	return out
}

// zoneDown takes a zone's load-balancer node out of haproxy and of the DNS answer.
func (f *front) zoneDown(t *testing.T, zone string) {
	t.Helper()
	require.NoError(t, f.ha.DisableZone(zone))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down == nil {
		f.down = map[string]bool{}
	}
	f.down[zone] = true
}

// requireFollowing waits until the load balancer sends new work to exactly the
// Service's ready endpoints, one per replica.
func requireFollowing(t *testing.T, c *controlplane.Cluster, ctrl *follow.Controller, replicas int) {
	t.Helper()
	var snap follow.Snapshot
	c.WaitUntil(t, "load balancer targets equal to the EndpointSlices", 60*time.Second, func() error {
		var err error
		if snap, err = ctrl.SnapshotE(); err != nil {
			return err
		}
		if len(snap.Endpoints) != replicas || strings.Join(snap.Endpoints, " ") != strings.Join(snap.Serving, " ") {
			return fmt.Errorf("endpoints %v, load balancer routing to %v", snap.Endpoints, snap.Serving)
		}
		return nil
	})
	t.Logf("the load balancer routes to exactly the %d ready endpoints: %s", len(snap.Serving), strings.Join(snap.Serving, " "))
}

// rollUnderLoad sends steady load while the Deployment rolls, and returns what it saw.
func rollUnderLoad(t *testing.T, c *controlplane.Cluster, ns, name, url string) follow.LoadResult {
	t.Helper()
	res := rollWithLoads(t, c, ns, name, nil, map[string]follow.Load{"load": {URL: url, Rate: 300, Concurrency: 16}})
	return res["load"]
}

// rollWithLoads runs the loads while the Deployment rolls (changed by change, if
// given), and checks that every load outlasted the rollout.
func rollWithLoads(t *testing.T, c *controlplane.Cluster, ns, name string, change func(map[string]any), loads map[string]follow.Load) map[string]follow.LoadResult {
	t.Helper()
	stop := make(chan struct{})
	type out struct {
		name string
		res  follow.LoadResult
		err  error
	}
	done := make(chan out, len(loads))
	for n, l := range loads {
		if l.MaxRequests == 0 {
			l.MaxRequests = 1_000_000
		}
		if l.MaxDuration == 0 {
			l.MaxDuration = 5 * time.Minute
		}
		go func() {
			res, err := l.Run(context.Background(), stop)
			done <- out{n, res, err}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	rollout(t, c, ns, name, change)
	// Long enough for the last old pod's connections to end and the new ones to serve.
	time.Sleep(500 * time.Millisecond)
	close(stop)
	results := map[string]follow.LoadResult{}
	for range loads {
		o := <-done
		require.NoError(t, o.err)
		// A load that stopped on its own bound before the rollout ended would have
		// watched only part of it, and could pass by not looking.
		require.Equal(t, follow.StopRequested, o.res.StopReason, "load %s stopped before the rollout ended: %s", o.name, o.res.Summary())
		results[o.name] = o.res
	}
	return results
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
	err = c.WaitUntilE(t, "rollout of "+ns+"/"+name, 3*time.Minute, func() error {
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
	if err != nil {
		// What the pods said, for the failure report.
		pods, _ := c.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		for _, p := range pods.Items {
			var conds []string
			for _, cond := range p.Status.Conditions {
				conds = append(conds, fmt.Sprintf("%s=%s", cond.Type, cond.Status))
			}
			t.Logf("pod %s ip %s deleting %v: %s", p.Name, p.Status.PodIP, p.DeletionTimestamp != nil, strings.Join(conds, " "))
		}
		t.Fatal(err)
	}
	t.Logf("rollout of %s/%s done in %v", ns, name, time.Since(start).Round(time.Millisecond))
}
