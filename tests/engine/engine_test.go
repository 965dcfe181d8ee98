//go:build live

package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/tests/controlplane"
	"github.com/eksbalance/eksbalance/tests/controlplane/follow"
	"github.com/eksbalance/eksbalance/tests/live"
)

// front is one workload the program deploys, with what the suite expects of it.
type front struct {
	name string
	kind model.Kind
	// gateway: the front is a Gateway (args.Front FrontGatewayNLB or FrontGatewayALB),
	// whose settings travel in a TargetGroupConfiguration and a
	// LoadBalancerConfiguration instead of annotations.
	gateway bool
	// args are the component's arguments as the program passes them (release 1).
	args workload.Args
	// defaulted is args after SetDefaults: the numbers every check compares with.
	defaulted workload.Args

	ha      *follow.HAProxy
	ctrl    *follow.Controller
	kubelet *follow.Kubelet
}

const (
	project   = "eksbalance-engine"
	zoneCount = 3
	replicas  = 6
)

var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// container is the app container of both workloads. RELEASE is the change the update
// rolls out: a new value changes the pod template, as a new image tag would (kwok
// nodes run no containers, so the image is never pulled).
func container(release string) workload.Container {
	return workload.Container{
		Image:         workload.SampleImage,
		Args:          []string{"netexec", "--http-port=8080"},
		Port:          8080,
		ReadinessPath: "/readyz",
		LivenessPath:  "/healthz",
		Resources:     workload.Resources{CPURequest: "50m", MemoryRequest: "32Mi", CPULimit: "200m", MemoryLimit: "64Mi"},
		Env:           map[string]string{"RELEASE": release},
	}
}

// newFronts are the workloads deployed: an NLB Service, an ALB Ingress, and a Gateway
// of the controller's NLB class with a TCPRoute. Of the two Gateway fronts the NLB one
// is deployed: it is the one the live suite's Gateway checks run on AWS
// (examples/gateway-nlb), so the same helpers run here, and the NLB's is the longer
// shutdown chain (120 s deregistration propagation, the unhealthy lag) that a rollout
// must outwait, now read from a TargetGroupConfiguration instead of annotations.
func newFronts() []*front {
	fs := []*front{
		{name: "echo-nlb", kind: model.KindNLB, args: workload.Args{Front: workload.FrontNLB}},
		{name: "echo-alb", kind: model.KindALB, args: workload.Args{Front: workload.FrontALB}},
		{name: "echo-gateway-nlb", kind: model.KindNLB, gateway: true, args: workload.Args{Front: workload.FrontGatewayNLB}},
	}
	for _, f := range fs {
		f.args.ZoneCount, f.args.Replicas, f.args.Container = zoneCount, replicas, container("1")
		f.defaulted = f.args
		f.defaulted.SetDefaults(f.name)
	}
	return fs
}

// program is the user's program on the "existing cluster" path: a Kubernetes provider
// from the cluster's kubeconfig, no cluster component, and the workload component for
// each front.
func program(kubeconfig string, fronts []*front, release *string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		k8sProvider, err := kubernetes.NewProvider(ctx, "local", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String(kubeconfig)})
		if err != nil {
			return err
		}
		for _, f := range fronts {
			args := f.args
			args.Container = container(*release)
			w, err := workload.NewWorkload(ctx, f.name, &args, pulumi.Providers(k8sProvider))
			if err != nil {
				return err
			}
			ctx.Export(f.name+"-namespace", w.Namespace)
			ctx.Export(f.name+"-service", w.ServiceName)
			ctx.Export(f.name+"-ingress", w.IngressName)
			ctx.Export(f.name+"-hostname", w.Hostname)
			ctx.Export(f.name+"-gateway", w.GatewayName)
			ctx.Export(f.name+"-routes", w.RouteNames)
		}
		return nil
	}
}

// scaled turns a load-balancer duration into lab time, as follow does for pod specs.
func scaled(d time.Duration) time.Duration {
	return time.Duration(d.Seconds() * float64(follow.TimeScale))
}

// changes counts the steps that are not "same".
func changes(ops map[string]int) int {
	n := 0
	for op, c := range ops {
		if op != "same" {
			n += c
		}
	}
	return n
}

// TestPulumiEngineOnLocalControlPlane runs the real Pulumi engine (CLI and Kubernetes
// provider built by tools/build.sh) on the local control plane, through the live
// suite's own Automation API and Terratest functions with a local target: pulumi up of
// the workload component with an NLB front, an ALB front and a Gateway NLB front (on the
// real Gateway API and gateway.k8s.aws CRDs), a second up that must
// change nothing, an update that rolls every pod under load with no request lost, and
// a destroy that must leave nothing behind. The live suite's AWS-only checks are
// skipped by name.
func TestPulumiEngineOnLocalControlPlane(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test starts a control plane and runs pulumi")
	}
	cpBin := controlplane.RequireBinaries(t)
	pulumiBin := RequirePulumi(t)
	if _, err := exec.LookPath("haproxy"); err != nil {
		controlplane.SkipOrFail(t, "haproxy is not installed (Debian package haproxy; scripts/install-deps.sh)")
	}
	backend := follow.LabBackend(t)

	c := controlplane.Start(t, controlplane.Options{
		BinDir: cpBin,
		// Pods stay not Ready until their readiness gate opens, and are removed by the
		// follow kubelet once their process has exited.
		KwokConfig: follow.GatedPodStages,
	})
	nodes, err := controlplane.NodeObjects(controlplane.EvenNodeGroups("dev", "m6i.large", 2, zones...))
	require.NoError(t, err)
	require.NoError(t, UniquePodCIDRs(nodes))
	require.NoError(t, c.CreateNodesE(t, nodes))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	// The Gateway front's objects are checked against the real CRDs: the Gateway API
	// standard channel and the controller's gateway.k8s.aws ones, from the copies under
	// testdata/upstream, as the control-plane tests install them; then the controller's
	// GatewayClasses, which the lbcontroller component creates on EKS.
	require.NoError(t, c.InstallCRDsE(t))
	require.NoError(t, CreateGatewayClassesE(ctx, c.Dynamic))

	// The parts of the AWS Load Balancer Controller the cluster lacks: the readiness-gate
	// webhook, the load balancer's hostname in status (a Service's, an Ingress's, a
	// Gateway's with its Programmed condition), and (follow) target registration into a
	// load balancer that is haproxy on loopback.
	require.NoError(t, StartGateWebhookE(t, c))
	statusErrs := make(chan error, 16)
	go ReportLoadBalancers(ctx, c.Clientset, statusErrs)
	go ReportGateways(ctx, c.Dynamic, statusErrs)

	fronts := newFronts()
	logs := t.TempDir()
	for _, f := range fronts {
		tm := f.defaulted.Timing().LB
		mode := "tcp"
		if f.kind == model.KindALB {
			mode = "http"
		}
		ha, err := follow.StartHAProxyE(t, mode, follow.HealthCheck{
			Interval: scaled(tm.HealthCheckInterval), Fall: tm.UnhealthyThreshold, Rise: tm.HealthyThreshold,
		})
		require.NoError(t, err)
		f.ha = ha
		f.kubelet = &follow.Kubelet{Client: c.Clientset, Namespace: f.defaulted.Namespace,
			Selector: workload.LabelName + "=" + f.name, Backend: backend, Dir: logs}
		require.NoError(t, f.kubelet.Start(ctx))
		t.Cleanup(f.kubelet.Stop)
		f.ctrl = &follow.Controller{Client: c.Clientset, Dynamic: c.Dynamic, Namespace: f.defaulted.Namespace, Service: f.name, HAProxy: ha,
			GateType: GateType(f.name), DeregistrationDelay: scaled(tm.DeregistrationDelay), TerminatingSince: f.kubelet.TerminatingSince}
		require.NoError(t, f.ctrl.Start(ctx))
		t.Cleanup(func() { cancel(); f.ctrl.Wait() })
	}

	ws, err := NewWorkspace(t, pulumiBin)
	require.NoError(t, err)
	wsOpts, err := ws.Options(project)
	require.NoError(t, err)
	release := "1"
	log := live.LogWriter(t, "[pulumi] ")
	st, err := live.NewStackE(t, ctx, live.StackOptions{
		Name: "local", Project: project, Program: program(c.KubeconfigPath, fronts, &release),
		Workspace: wsOpts, Log: log,
	})
	require.NoError(t, err)

	// 1. pulumi up creates everything.
	start := time.Now()
	res, err := live.UpResultE(t, ctx, st, log)
	require.NoError(t, err)
	ops := live.UpChanges(res)
	state := stateResources(t, ctx, st)
	t.Logf("pulumi up created %d resources in %v (%s)", ops["create"], time.Since(start).Round(time.Second), strings.Join(state, ", "))
	assert.Equal(t, len(state), ops["create"], "every resource in the state was created by this up")
	assert.Equal(t, ops["create"], changes(ops), "a first up only creates: %v", ops)

	namespaces := make([]string, 0, len(fronts))
	for _, f := range fronts {
		namespaces = append(namespaces, f.defaulted.Namespace)
	}
	objs, err := ObjectsInE(ctx, c.Clientset.Discovery(), c.Dynamic, namespaces...)
	require.NoError(t, err)
	for _, f := range fronts {
		ns := f.defaulted.Namespace
		want := []string{"Namespace " + ns, "Service " + ns + "/" + f.name, "Deployment " + ns + "/" + f.name, "PodDisruptionBudget " + ns + "/" + f.name}
		switch {
		case f.gateway:
			want = append(want, "Gateway "+ns+"/"+f.name, "TargetGroupConfiguration "+ns+"/"+f.name,
				"LoadBalancerConfiguration "+ns+"/"+f.name)
			for _, l := range f.defaulted.NLB.Listeners {
				want = append(want, "TCPRoute "+ns+"/"+f.name+"-"+loadbalancer.ListenerName(l))
			}
		case f.kind == model.KindALB:
			want = append(want, "Ingress "+ns+"/"+f.name)
		}
		for _, w := range want {
			assert.Contains(t, objs, w, "the component's objects exist in the cluster")
		}
	}

	// 2. The live suite's checks, on the local target.
	for _, f := range fronts {
		t.Run("live checks "+f.name, func(t *testing.T) { liveChecks(t, ctx, c, res.Outputs, f) })
	}
	if t.Failed() {
		t.FailNow()
	}

	// 3. A second up with the same program changes nothing; the same count sees a
	// real change (the failing side of the no-change check).
	res2, err := live.UpResultE(t, ctx, st, log)
	require.NoError(t, err)
	t.Logf("second up: %d changes (%v)", changes(live.UpChanges(res2)), live.UpChanges(res2))
	assert.Zero(t, changes(live.UpChanges(res2)), "a second up of an unchanged program must change nothing: %v", live.UpChanges(res2))

	release = "2"
	preview, err := live.PreviewE(t, ctx, st, log)
	require.NoError(t, err)
	t.Logf("preview after changing RELEASE: %d changes (%v)", changes(preview), preview)
	assert.Equal(t, len(fronts), preview["update"], "the env change must show as one update per Deployment: %v", preview)
	assert.Equal(t, len(fronts), changes(preview), "and nothing else: %v", preview)

	// 4. The update rolls every pod while load runs through every load balancer.
	old := map[string]map[string]bool{}
	for _, f := range fronts {
		old[f.name] = podNames(t, c, f)
		require.Len(t, old[f.name], replicas)
	}
	loads := startLoads(fronts)
	time.Sleep(time.Second) // the load is steady before anything changes
	start = time.Now()
	res3, err := live.UpResultE(t, ctx, st, log)
	upErr := err
	// The up returns once the new pods are available; the old ones still run their
	// preStop and drain. The load goes on until they are gone.
	for _, f := range fronts {
		waitOldPodsGone(t, c, f, old[f.name])
	}
	time.Sleep(500 * time.Millisecond)
	results := loads.stop()
	require.NoError(t, upErr)
	t.Logf("update up: %v in %v", live.UpChanges(res3), time.Since(start).Round(time.Second))
	assert.Equal(t, len(fronts), live.UpChanges(res3)["update"], "the update up changes the Deployments: %v", live.UpChanges(res3))

	rolled, lost, sent := 0, 0, 0
	for _, f := range fronts {
		r := results[f.name]
		now := podNames(t, c, f)
		newPods := 0
		for p := range now {
			if !old[f.name][p] {
				newPods++
			}
		}
		assert.Equal(t, replicas, newPods, "%s: every pod replaced", f.name)
		rolled += newPods
		lost += len(r.Failures)
		sent += r.Attempted
		t.Logf("%s during the update: %s", f.name, r.Summary())
		oldAnswered, newAnswered := 0, 0
		var foreign []string
		for p := range r.PerPod {
			switch {
			case old[f.name][p]:
				oldAnswered++
			case now[p]:
				newAnswered++
			default:
				foreign = append(foreign, p)
			}
		}
		// Every answer came from this workload's pods: a stray process on a reused
		// loopback address would make the count meaningless.
		assert.Empty(t, foreign, "%s: answers from processes that are not this workload's pods", f.name)
		t.Logf("%s: answered %v; old pods %v; pods now %v", f.name, r.PerPod, sortedKeys(old[f.name]), sortedKeys(now))
		// The load spanned the rollout: otherwise zero loss would say nothing.
		assert.Positive(t, oldAnswered, "%s: old pods answered during the update", f.name)
		assert.Equal(t, replicas, newAnswered, "%s: every new pod answered during the update", f.name)
		assert.Empty(t, r.Failures, "%s: the update must lose no request", f.name)
		assert.Empty(t, f.ctrl.Errors(), "%s: load-balancer stand-in errors", f.name)
	}
	t.Logf("update rolled %d pods, %d lost of %d requests", rolled, lost, sent)

	// 5. Destroy leaves nothing in the namespaces (the listing sees the objects while
	// they exist: it is the same call that must then return nothing).
	before, err := ObjectsInE(ctx, c.Clientset.Discovery(), c.Dynamic, namespaces...)
	require.NoError(t, err)
	require.NotEmpty(t, before)
	start = time.Now()
	require.NoError(t, live.DestroyE(t, ctx, st, log))
	after, err := ObjectsInE(ctx, c.Clientset.Discovery(), c.Dynamic, namespaces...)
	require.NoError(t, err)
	t.Logf("destroy left %d objects (of %d before destroy, in namespaces %s; destroy took %v)",
		len(after), len(before), strings.Join(namespaces, ", "), time.Since(start).Round(time.Second))
	assert.Empty(t, after, "objects left after pulumi destroy")
	select {
	case err := <-statusErrs:
		t.Errorf("load-balancer status stand-in: %v", err)
	default:
	}
}

// liveChecks runs the live suite's checks of a deployed example against the local
// target, and skips by name the ones only AWS can answer.
func liveChecks(t *testing.T, ctx context.Context, c *controlplane.Cluster, outputs auto.OutputMap, f *front) {
	ns, err := live.OutputStringE(outputs, f.name+"-namespace")
	require.NoError(t, err)
	service, err := live.OutputStringE(outputs, f.name+"-service")
	require.NoError(t, err)
	opts := k8s.NewKubectlOptions("", c.KubeconfigPath, ns)
	k8s.WaitUntilDeploymentAvailable(t, opts, f.name, 30, time.Second)

	var hostname, frontObj, carried string
	if f.gateway {
		// The live suite's Gateway checks (examples/gateway-nlb on AWS): the settings are
		// in the configurations, the hostname in the Gateway's status.addresses.
		gw, err := live.OutputStringE(outputs, f.name+"-gateway")
		require.NoError(t, err)
		require.Equal(t, ns+"/"+f.name, gw, "the workload's own Gateway")
		frontObj = "gateway/" + f.name
		for kind, want := range map[string]map[string]any{
			"targetgroupconfigurations.gateway.k8s.aws":  f.defaulted.NLB.TargetGroupConfigurationSpec(f.name),
			"loadbalancerconfigurations.gateway.k8s.aws": f.defaulted.NLB.LoadBalancerConfigurationSpec(),
		} {
			got, err := live.GetObjectSpecE(t, opts, kind, f.name)
			require.NoError(t, err)
			for _, m := range live.CheckSpec(kind+" "+f.name, want, got) {
				t.Errorf("%s", m)
			}
		}
		carried = "TargetGroupConfiguration and LoadBalancerConfiguration specs as rendered"
		hostname, err = live.WaitForGatewayHostnameE(t, opts, f.name, 30, time.Second)
		require.NoError(t, err)
	} else {
		var annotations map[string]string
		frontObj, annotations = service, f.defaulted.NLB.ServiceAnnotations()
		if f.kind == model.KindALB {
			frontObj, err = live.OutputStringE(outputs, f.name+"-ingress")
			require.NoError(t, err)
			annotations = f.defaulted.ALB.IngressAnnotations()
		}
		got, err := live.FrontAnnotationsE(t, opts, f.kind, frontObj)
		require.NoError(t, err)
		for _, m := range live.CheckAnnotations(annotations, got) {
			t.Errorf("%s: %s", frontObj, m)
		}
		carried = "annotations as rendered"
		hostname, err = live.WaitForHostnameE(t, opts, f.kind, frontObj, 30, time.Second)
		require.NoError(t, err)
	}
	// The exported hostname is read from the object the provider returned when it
	// reported the front created: equal to the stand-in's address only if the provider
	// waited for it (for a Gateway: for its Programmed condition; before that its
	// status has no address).
	exported, err := live.OutputStringE(outputs, f.name+"-hostname")
	require.NoError(t, err)
	assert.Equal(t, LocalHostname(ns, frontObjName(frontObj)), hostname, "the stand-in's address")
	assert.Equal(t, hostname, exported, "the component's hostname output is the load balancer's")
	t.Logf("%s: %s %s, hostname %s", f.name, frontObj, carried, hostname)

	t.Run("ELBv2 attributes (WaitForLoadBalancer, Describe, Check"+strings.ToUpper(string(f.kind))+")", func(t *testing.T) {
		t.Skip("AWS-only: reads the load balancer through the ELBv2 API; TestELBAttributesOnMoto runs these helpers against moto_server")
	})
	t.Run("target health (WaitUntilTargetsHealthy)", func(t *testing.T) {
		t.Skip("AWS-only: target health comes from the ELBv2 API; locally the check below compares haproxy's UP servers with the EndpointSlices")
	})

	selector, err := live.ServiceSelectorE(t, opts, service)
	require.NoError(t, err)
	pods, nodes, err := live.ReadyPlacementE(t, opts, selector)
	require.NoError(t, err)
	require.Len(t, pods, replicas, "ready pods")
	perZone := map[string]int{}
	for _, p := range pods {
		perZone[p.Zone]++
	}
	for _, z := range zones {
		assert.Equal(t, replicas/zoneCount, perZone[z], "%s: pods in %s", f.name, z)
	}
	assert.Len(t, nodes, len(zones)*2)

	// The namespace label made the webhook gate every pod; the gate opened only once
	// haproxy counted the target UP.
	nsObj, err := c.Clientset.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "enabled", nsObj.Labels[workload.ReadinessGateLabel])
	list, err := c.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	require.NoError(t, err)
	for _, p := range list.Items {
		assert.True(t, gated(p, GateType(f.name)), "pod %s has the readiness gate %s, open", p.Name, GateType(f.name))
	}
	pdb, err := c.Clientset.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, f.name, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, pdb.Spec.MaxUnavailable.IntValue(), "PDB maxUnavailable")
	requireFollowing(t, c, f)

	t.Run("spread (measureSpread)", func(t *testing.T) {
		t.Skip("AWS-only: measures how AWS's load balancer nodes spread requests over pods; haproxy's roundrobin is even by construction, so the local run would prove nothing")
	})
	t.Run("rollout (RolloutRestart)", func(t *testing.T) {
		t.Skip("replaced on the local target: the rollout under load is a pulumi up of a changed program (the update step of the parent test), not kubectl rollout restart")
	})
}

// frontObjName is the object's name without a "kind/" prefix.
func frontObjName(obj string) string {
	if _, name, ok := strings.Cut(obj, "/"); ok {
		return name
	}
	return obj
}

// gated reports whether the pod has the readiness gate and its condition is True.
func gated(p corev1.Pod, gate string) bool {
	has := false
	for _, g := range p.Spec.ReadinessGates {
		has = has || string(g.ConditionType) == gate
	}
	for _, cond := range p.Status.Conditions {
		if string(cond.Type) == gate {
			return has && cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// requireFollowing waits until haproxy's UP servers are exactly the Service's ready
// endpoints, one per replica.
func requireFollowing(t *testing.T, c *controlplane.Cluster, f *front) {
	t.Helper()
	var snap follow.Snapshot
	c.WaitUntil(t, f.name+": haproxy servers equal to the EndpointSlices", 30*time.Second, func() error {
		var err error
		if snap, err = f.ctrl.SnapshotE(); err != nil {
			return err
		}
		if len(snap.Endpoints) != replicas || strings.Join(snap.Endpoints, " ") != strings.Join(snap.Serving, " ") {
			return fmt.Errorf("endpoints %v, haproxy UP %v", snap.Endpoints, snap.Serving)
		}
		return nil
	})
}

// podNames lists the workload's pods, terminating ones included.
func podNames(t *testing.T, c *controlplane.Cluster, f *front) map[string]bool {
	t.Helper()
	list, err := c.Clientset.CoreV1().Pods(f.defaulted.Namespace).List(context.Background(),
		metav1.ListOptions{LabelSelector: workload.LabelName + "=" + f.name})
	require.NoError(t, err)
	out := map[string]bool{}
	for _, p := range list.Items {
		out[p.Name] = true
	}
	return out
}

func waitOldPodsGone(t *testing.T, c *controlplane.Cluster, f *front, old map[string]bool) {
	t.Helper()
	c.WaitUntil(t, f.name+": old pods gone", time.Minute, func() error {
		var left []string
		for p := range podNames(t, c, f) {
			if old[p] {
				left = append(left, p)
			}
		}
		if len(left) > 0 {
			sort.Strings(left)
			return fmt.Errorf("still there: %s", strings.Join(left, ", "))
		}
		return nil
	})
}

type loadRun struct {
	stopCh chan struct{}
	done   map[string]chan follow.LoadResult
}

// startLoads sends the control-plane rollout test's load (bounded, paced, loopback
// only) through each front's haproxy until stop.
func startLoads(fronts []*front) *loadRun {
	lr := &loadRun{stopCh: make(chan struct{}), done: map[string]chan follow.LoadResult{}}
	for _, f := range fronts {
		ch := make(chan follow.LoadResult, 1)
		lr.done[f.name] = ch
		l := follow.Load{URL: "http://" + f.ha.Addr + "/hostname", Rate: 100, Concurrency: 8,
			MaxRequests: 60000, MaxDuration: 5 * time.Minute}
		go func() {
			res, err := l.Run(context.Background(), lr.stopCh)
			if err != nil {
				res.Failures = append(res.Failures, follow.Failure{Err: "load: " + err.Error()})
			}
			ch <- res
		}()
	}
	return lr
}

func (lr *loadRun) stop() map[string]follow.LoadResult {
	close(lr.stopCh)
	out := map[string]follow.LoadResult{}
	for name, ch := range lr.done {
		out[name] = <-ch
	}
	return out
}

// stateResources lists the stack's resources (type::name) from its exported state.
func stateResources(t *testing.T, ctx context.Context, st *auto.Stack) []string {
	t.Helper()
	dep, err := st.Export(ctx)
	require.NoError(t, err)
	var state struct {
		Resources []struct {
			URN string `json:"urn"`
		} `json:"resources"`
	}
	require.NoError(t, json.Unmarshal(dep.Deployment, &state))
	var out []string
	for _, r := range state.Resources {
		parts := strings.Split(r.URN, "::")
		if len(parts) >= 4 {
			typ := parts[len(parts)-2]
			if i := strings.LastIndex(typ, "$"); i >= 0 {
				typ = typ[i+1:]
			}
			out = append(out, typ+" "+parts[len(parts)-1])
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
