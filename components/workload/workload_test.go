package workload

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/plan"
)

// fronts are the two ways in, with what each must produce.
var fronts = []struct {
	name             string
	args             func() *Args
	preStop, grace   int
	serviceType      string
	lbIdle, keepIdle int
}{
	{name: "nlb", args: func() *Args { return &Args{} }, preStop: 125, grace: 140, serviceType: "LoadBalancer", lbIdle: 350, keepIdle: 355},
	{name: "alb", args: func() *Args { return &Args{Front: FrontALB} }, preStop: 40, grace: 55, serviceType: "ClusterIP", lbIdle: 60, keepIdle: 65},
}

func TestPodTemplate(t *testing.T) {
	t.Parallel()
	for _, fr := range fronts {
		t.Run(fr.name, func(t *testing.T) {
			t.Parallel()
			c := run(t, fr.args())
			dep := c.One(t, tDeployment, testName)
			const ctr = "spec.template.spec.containers[0]."
			const pod = "spec.template.spec."

			t.Run("names", func(t *testing.T) {
				for _, typ := range []string{tService, tDeployment, tPDB} {
					r := c.One(t, typ, testName)
					if got := str(t, r, "metadata.name"); got != testName {
						t.Errorf("%s metadata.name = %q", typ, got)
					}
					if got := str(t, r, "metadata.namespace"); got != testName {
						t.Errorf("%s metadata.namespace = %q, want the default %q", typ, got, testName)
					}
				}
			})
			t.Run("probes", func(t *testing.T) {
				if got := str(t, dep, ctr+"readinessProbe.httpGet.path"); got != "/readyz" {
					t.Errorf("readiness path = %q", got)
				}
				if got := str(t, dep, ctr+"livenessProbe.httpGet.path"); got != "/healthz" {
					t.Errorf("liveness path = %q", got)
				}
				for _, p := range []string{"readinessProbe", "livenessProbe"} {
					if got := str(t, dep, ctr+p+".httpGet.port"); got != "http" {
						t.Errorf("%s port = %q, want the named port http", p, got)
					}
				}
				rWindow := num(t, dep, ctr+"readinessProbe.periodSeconds") * num(t, dep, ctr+"readinessProbe.failureThreshold")
				lWindow := num(t, dep, ctr+"livenessProbe.periodSeconds") * num(t, dep, ctr+"livenessProbe.failureThreshold")
				if lWindow <= rWindow {
					t.Errorf("liveness failure window %ds is not gentler than readiness %ds", lWindow, rWindow)
				}
				if _, ok := dep.Get(ctr + "startupProbe"); ok {
					t.Error("startup probe set without a startup time")
				}
			})
			t.Run("preStop and grace", func(t *testing.T) {
				// The hook sleeps preStop minus the app's close window.
				if got := num(t, dep, ctr+"lifecycle.preStop.sleep.seconds"); got != fr.preStop-5 {
					t.Errorf("preStop sleep = %d, want %d - 5", got, fr.preStop)
				}
				if got := num(t, dep, pod+"terminationGracePeriodSeconds"); got != fr.grace {
					t.Errorf("terminationGracePeriodSeconds = %d, want %d", got, fr.grace)
				}
			})
			t.Run("env", func(t *testing.T) {
				e := env(t, dep)
				want := map[string]string{
					EnvLBIdleTimeout: strconv.Itoa(fr.lbIdle), EnvIdleTimeout: strconv.Itoa(fr.keepIdle),
					EnvShutdownDelay: "5", EnvDrainTimeout: "10", EnvMaxConnRequests: "0",
				}
				for k, v := range want {
					if e[k] != v {
						t.Errorf("env %s = %q, want %q", k, e[k], v)
					}
				}
				args := get(t, dep, ctr+"args").([]any)
				if !slices.Contains(args, any("--delay-shutdown=15")) || args[0] != "netexec" {
					t.Errorf("sample args = %v, want netexec with --delay-shutdown=15", args)
				}
				if got := str(t, dep, ctr+"image"); got != SampleImage {
					t.Errorf("image = %q", got)
				}
			})
			t.Run("spread", func(t *testing.T) {
				cs := get(t, dep, pod+"topologySpreadConstraints").([]any)
				if len(cs) != 2 {
					t.Fatalf("%d spread constraints, want 2", len(cs))
				}
				want := map[string]string{ZoneKey: "DoNotSchedule", HostnameKey: "ScheduleAnyway"}
				for _, x := range cs {
					m := x.(map[string]any)
					key := m["topologyKey"].(string)
					if m["whenUnsatisfiable"] != want[key] {
						t.Errorf("%s whenUnsatisfiable = %v, want %s", key, m["whenUnsatisfiable"], want[key])
					}
					delete(want, key)
					if m["maxSkew"] != float64(1) {
						t.Errorf("%s maxSkew = %v", key, m["maxSkew"])
					}
					sel, _ := plan.Lookup(m, "labelSelector.matchLabels")
					if !maps.Equal(toStrings(sel), map[string]string{LabelName: testName}) {
						t.Errorf("%s selector = %v", key, sel)
					}
					if keys, _ := m["matchLabelKeys"].([]any); !slices.Equal(keys, []any{PodTemplateHashKey}) {
						t.Errorf("%s matchLabelKeys = %v", key, m["matchLabelKeys"])
					}
					if key == ZoneKey && m["minDomains"] != float64(3) {
						t.Errorf("zone minDomains = %v, want the zone count 3", m["minDomains"])
					}
				}
				if len(want) != 0 {
					t.Errorf("missing spread over %v", want)
				}
				podLabels := stringMap(t, dep, "spec.template.metadata.labels")
				if podLabels[LabelName] != testName {
					t.Errorf("pod labels %v do not carry the spread selector", podLabels)
				}
			})
			t.Run("rolling update", func(t *testing.T) {
				if got := num(t, dep, "spec.replicas"); got != 6 {
					t.Errorf("replicas = %d, want 2 per zone x 3", got)
				}
				if got := str(t, dep, "spec.strategy.type"); got != "RollingUpdate" {
					t.Errorf("strategy = %q", got)
				}
				if got := num(t, dep, "spec.strategy.rollingUpdate.maxUnavailable"); got != 0 {
					t.Errorf("maxUnavailable = %d", got)
				}
				if got := num(t, dep, "spec.strategy.rollingUpdate.maxSurge"); got != 3 {
					t.Errorf("maxSurge = %d, want one per zone", got)
				}
			})
			t.Run("security", func(t *testing.T) {
				for path, want := range map[string]bool{
					pod + "automountServiceAccountToken":             false,
					pod + "securityContext.runAsNonRoot":             true,
					ctr + "securityContext.runAsNonRoot":             true,
					ctr + "securityContext.readOnlyRootFilesystem":   true,
					ctr + "securityContext.allowPrivilegeEscalation": false,
					ctr + "securityContext.privileged":               false,
				} {
					if got := boolean(t, dep, path); got != want {
						t.Errorf("%s = %v, want %v", path, got, want)
					}
				}
				if got := num(t, dep, pod+"securityContext.runAsUser"); got == 0 {
					t.Error("runAsUser is root")
				}
				if got := num(t, dep, pod+"securityContext.runAsGroup"); got == 0 {
					t.Error("runAsGroup is root")
				}
				if got := str(t, dep, pod+"securityContext.seccompProfile.type"); got != "RuntimeDefault" {
					t.Errorf("seccomp = %q", got)
				}
				if drop := get(t, dep, ctr+"securityContext.capabilities.drop").([]any); !slices.Equal(drop, []any{"ALL"}) {
					t.Errorf("capabilities.drop = %v", drop)
				}
				for _, p := range []string{"requests.cpu", "requests.memory", "limits.cpu", "limits.memory"} {
					if str(t, dep, ctr+"resources."+p) == "" {
						t.Errorf("resources.%s empty", p)
					}
				}
			})
			t.Run("pdb", func(t *testing.T) {
				pdb := c.One(t, tPDB, testName)
				if got := num(t, pdb, "spec.maxUnavailable"); got != 1 {
					t.Errorf("maxUnavailable = %d", got)
				}
				if !maps.Equal(stringMap(t, pdb, "spec.selector.matchLabels"), map[string]string{LabelName: testName}) {
					t.Error("PDB selector does not select the pods")
				}
				if got := str(t, pdb, "spec.unhealthyPodEvictionPolicy"); got != "AlwaysAllow" {
					t.Errorf("unhealthyPodEvictionPolicy = %q", got)
				}
			})
			t.Run("readiness gate label", func(t *testing.T) {
				ns := c.One(t, tNamespace, testName)
				labels := stringMap(t, ns, "metadata.labels")
				if labels[ReadinessGateLabel] != "enabled" {
					t.Errorf("namespace labels %v lack %s=enabled", labels, ReadinessGateLabel)
				}
				if labels[PodSecurityLabel] != "restricted" {
					t.Errorf("namespace labels %v lack %s=restricted", labels, PodSecurityLabel)
				}
			})
			t.Run("service", func(t *testing.T) {
				svc := c.One(t, tService, testName)
				if got := str(t, svc, "spec.type"); got != fr.serviceType {
					t.Errorf("service type = %q, want %q", got, fr.serviceType)
				}
				if !maps.Equal(stringMap(t, svc, "spec.selector"), map[string]string{LabelName: testName}) {
					t.Error("service selector does not select the pods")
				}
				if got := str(t, svc, "spec.ports[0].targetPort"); got != "http" {
					t.Errorf("targetPort = %q", got)
				}
				if _, ok := svc.Get("spec.trafficDistribution"); ok {
					t.Error("trafficDistribution set by default")
				}
			})
			t.Run("no autoscaler", func(t *testing.T) {
				if hpas := c.ByType(tHPA); len(hpas) != 0 {
					t.Errorf("HPA registered without autoscaling: %v", hpas)
				}
			})
		})
	}
}

func TestNLBService(t *testing.T) {
	t.Parallel()
	nlb := loadbalancer.NLB{
		Scheme:    loadbalancer.SchemeInternetFacing,
		Listeners: []loadbalancer.Listener{{Port: 80}, {Port: 8443, IdleTimeout: 120 * time.Second}},
	}
	c := run(t, &Args{NLB: nlb})
	svc := c.One(t, tService, testName)

	// The annotations are exactly the loadbalancer package's, for the settings
	// the workload defaulted (the workload fills the deregistration delay).
	a := Args{NLB: nlb}
	a.SetDefaults(testName)
	want := a.NLB.ServiceAnnotations()
	if got := stringMap(t, svc, "metadata.annotations"); !maps.Equal(got, want) {
		t.Errorf("annotations differ from loadbalancer's:\n got %v\nwant %v", got, want)
	}
	if got := str(t, svc, "spec.loadBalancerClass"); got != loadbalancer.LoadBalancerClass {
		t.Errorf("loadBalancerClass = %q", got)
	}
	if got := boolean(t, svc, "spec.allocateLoadBalancerNodePorts"); got {
		t.Error("node ports allocated for IP targets")
	}
	ports := get(t, svc, "spec.ports").([]any)
	var got []float64
	for _, p := range ports {
		got = append(got, p.(map[string]any)["port"].(float64))
	}
	if !slices.Equal(got, []float64{80, 8443}) {
		t.Errorf("service ports = %v, want the listener ports [80 8443]", got)
	}
	if ings := c.ByType(tIngress); len(ings) != 0 {
		t.Error("Ingress registered for an NLB front")
	}
}

func TestALBIngress(t *testing.T) {
	t.Parallel()
	c := run(t, &Args{Front: FrontALB, Host: "api.example.com", ServicePort: 8080})
	ing := c.One(t, tIngress, testName)
	a := Args{Front: FrontALB}
	a.SetDefaults(testName)
	want := a.ALB.IngressAnnotations()
	got := stringMap(t, ing, "metadata.annotations")
	if !maps.Equal(got, want) {
		t.Errorf("annotations differ from loadbalancer's:\n got %v\nwant %v", got, want)
	}
	// The ALB checks the app's readiness path, not the controller's "/".
	if p := got["alb.ingress.kubernetes.io/healthcheck-path"]; p != "/readyz" {
		t.Errorf("healthcheck-path = %q, want the readiness path", p)
	}
	if got := str(t, ing, "spec.ingressClassName"); got != "alb" {
		t.Errorf("ingressClassName = %q", got)
	}
	if got := str(t, ing, "spec.rules[0].host"); got != "api.example.com" {
		t.Errorf("host = %q", got)
	}
	if got := str(t, ing, "spec.rules[0].http.paths[0].backend.service.name"); got != testName {
		t.Errorf("backend service = %q", got)
	}
	if got := num(t, ing, "spec.rules[0].http.paths[0].backend.service.port.number"); got != 8080 {
		t.Errorf("backend port = %d", got)
	}
	svc := c.One(t, tService, testName)
	if got := num(t, svc, "spec.ports[0].port"); got != 8080 {
		t.Errorf("service port = %d", got)
	}
	if _, ok := svc.Get("metadata.annotations"); ok {
		t.Error("ClusterIP service carries load-balancer annotations")
	}
}

// TestDependencies: the namespace (label) and the Service (and Ingress) exist
// before any pod.
func TestDependencies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args Args
		want []string // types the Deployment must depend on
		not  []string
	}{
		{"nlb", Args{}, []string{tNamespace, tService}, []string{tIngress}},
		{"alb", Args{Front: FrontALB}, []string{tNamespace, tService, tIngress}, nil},
		{"existing namespace", Args{Namespace: "shop", CreateNamespace: ptr(false)}, []string{tService}, []string{tNamespace}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := run(t, &tc.args)
			dep := c.One(t, tDeployment, testName)
			for _, typ := range tc.want {
				r := c.One(t, typ, testName)
				if !slices.Contains(dep.DependsOn, r.URN) {
					t.Errorf("Deployment DependsOn %v lacks %s", dep.DependsOn, r.URN)
				}
			}
			for _, typ := range tc.not {
				for _, r := range c.ByType(typ) {
					if slices.Contains(dep.DependsOn, r.URN) {
						t.Errorf("Deployment depends on %s", r.URN)
					}
				}
			}
			if ns, ok := c.Plan().Find(tNamespace, testName); ok {
				for _, typ := range []string{tService, tPDB} {
					if r := c.One(t, typ, testName); !slices.Contains(r.DependsOn, ns.URN) {
						t.Errorf("%s does not wait for the namespace", typ)
					}
				}
			}
		})
	}
}

func TestExistingNamespace(t *testing.T) {
	t.Parallel()
	c := run(t, &Args{Namespace: "shop", CreateNamespace: ptr(false)})
	if ns := c.ByType(tNamespace); len(ns) != 0 {
		t.Errorf("namespace created: %v", ns)
	}
	for _, typ := range []string{tService, tDeployment, tPDB} {
		if got := str(t, c.One(t, typ, testName), "metadata.namespace"); got != "shop" {
			t.Errorf("%s namespace = %q", typ, got)
		}
	}
}

func TestInstanceTargets(t *testing.T) {
	t.Parallel()
	c := run(t, &Args{NLB: loadbalancer.NLB{TargetType: loadbalancer.TargetTypeInstance}})
	labels := stringMap(t, c.One(t, tNamespace, testName), "metadata.labels")
	if _, ok := labels[ReadinessGateLabel]; ok {
		t.Error("readiness-gate label set for instance targets (gates need IP targets)")
	}
	if _, ok := c.One(t, tService, testName).Get("spec.allocateLoadBalancerNodePorts"); ok {
		t.Error("node ports turned off although instance targets need them")
	}
}

func TestPreStopModes(t *testing.T) {
	t.Parallel()
	const ctr = "spec.template.spec.containers[0]."
	tests := []struct {
		mode          PreStopMode
		command       []any
		sleep         bool
		shutdownDelay string
		delayShutdown string
	}{
		{mode: PreStopSleep, sleep: true, shutdownDelay: "5", delayShutdown: "--delay-shutdown=15"},
		{mode: PreStopExec, command: []any{"sleep", "35"}, shutdownDelay: "5", delayShutdown: "--delay-shutdown=15"},
		{mode: PreStopInApp, shutdownDelay: "40", delayShutdown: "--delay-shutdown=50"},
	}
	for _, tc := range tests {
		t.Run(string(tc.mode), func(t *testing.T) {
			t.Parallel()
			dep := c1(t, &Args{Front: FrontALB, PreStopMode: tc.mode})
			_, hasSleep := dep.Get(ctr + "lifecycle.preStop.sleep")
			if hasSleep != tc.sleep {
				t.Errorf("sleep action present = %v, want %v", hasSleep, tc.sleep)
			}
			cmd, _ := dep.Get(ctr + "lifecycle.preStop.exec.command")
			if got, _ := cmd.([]any); !slices.Equal(got, tc.command) {
				t.Errorf("exec command = %v, want %v", cmd, tc.command)
			}
			if tc.mode == PreStopInApp {
				if _, ok := dep.Get(ctr + "lifecycle"); ok {
					t.Error("lifecycle hook set although the app waits itself")
				}
			}
			if got := env(t, dep)[EnvShutdownDelay]; got != tc.shutdownDelay {
				t.Errorf("%s = %q, want %q", EnvShutdownDelay, got, tc.shutdownDelay)
			}
			if args := get(t, dep, ctr+"args").([]any); !slices.Contains(args, any(tc.delayShutdown)) {
				t.Errorf("sample args %v lack %s", args, tc.delayShutdown)
			}
		})
	}
}

func TestCustomContainer(t *testing.T) {
	t.Parallel()
	ct := customContainer()
	ct.StartupTime = 62 * time.Second
	ct.Command = []string{"/api"}
	ct.Env = map[string]string{"LOG_LEVEL": "debug"}
	dep := c1(t, &Args{Container: ct})
	const ctr = "spec.template.spec.containers[0]."
	if got := str(t, dep, ctr+"image"); got != ct.Image {
		t.Errorf("image = %q", got)
	}
	if _, ok := dep.Get(ctr + "args"); ok {
		t.Error("sample args leaked into a custom container")
	}
	if got := str(t, dep, ctr+"readinessProbe.httpGet.path"); got != "/ready" {
		t.Errorf("readiness path = %q", got)
	}
	if got := str(t, dep, ctr+"livenessProbe.httpGet.path"); got != "/live" {
		t.Errorf("liveness path = %q", got)
	}
	// 62 s at a 5 s period: 13 attempts.
	if got := num(t, dep, ctr+"startupProbe.failureThreshold"); got != 13 {
		t.Errorf("startup failureThreshold = %d, want 13", got)
	}
	if got := num(t, dep, ctr+"startupProbe.periodSeconds") * num(t, dep, ctr+"startupProbe.failureThreshold"); got < 62 {
		t.Errorf("startup window %ds shorter than the startup time 62s", got)
	}
	e := env(t, dep)
	if e["LOG_LEVEL"] != "debug" || e[EnvDrainTimeout] != "10" {
		t.Errorf("env = %v", e)
	}
	if got := str(t, dep, ctr+"resources.limits.memory"); got != "512Mi" {
		t.Errorf("memory limit = %q", got)
	}
}

func TestAutoscaling(t *testing.T) {
	t.Parallel()
	c := run(t, &Args{Autoscaling: &Autoscaling{MinReplicas: 3, MaxReplicas: 12}})
	hpa := c.One(t, tHPA, testName)
	if got := str(t, hpa, "spec.scaleTargetRef.name"); got != testName {
		t.Errorf("scaleTargetRef = %q", got)
	}
	if got := str(t, hpa, "spec.scaleTargetRef.kind"); got != "Deployment" {
		t.Errorf("scaleTargetRef.kind = %q", got)
	}
	if lo, hi := num(t, hpa, "spec.minReplicas"), num(t, hpa, "spec.maxReplicas"); lo != 3 || hi != 12 {
		t.Errorf("replicas %d-%d, want 3-12", lo, hi)
	}
	if got := num(t, hpa, "spec.metrics[0].resource.target.averageUtilization"); got != DefaultTargetCPUUtilization {
		t.Errorf("target utilization = %d", got)
	}
	if got := str(t, hpa, "metadata.namespace"); got != testName {
		t.Errorf("HPA namespace = %q", got)
	}
	// The Deployment starts at the HPA's floor.
	if got := num(t, c.One(t, tDeployment, testName), "spec.replicas"); got != 3 {
		t.Errorf("deployment replicas = %d, want minReplicas 3", got)
	}
}

func TestTrafficDistribution(t *testing.T) {
	t.Parallel()
	for _, fr := range fronts {
		t.Run(fr.name, func(t *testing.T) {
			t.Parallel()
			a := fr.args()
			a.TrafficDistribution = TrafficDistributionPreferClose
			svc := run(t, a).One(t, tService, testName)
			if got := str(t, svc, "spec.trafficDistribution"); got != "PreferClose" {
				t.Errorf("trafficDistribution = %q", got)
			}
		})
	}
}

// TestProviderInherited: the caller's Kubernetes provider reaches every child.
func TestProviderInherited(t *testing.T) {
	t.Parallel()
	c := pulumitest.MustRun(t, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = NewWorkload(ctx, testName, &Args{Front: FrontALB}, pulumi.Providers(k8s))
		return err
	})
	providerURN := c.One(t, "pulumi:providers:kubernetes", "k8s").URN
	comp := c.One(t, Type, testName)
	for _, r := range c.All() {
		if !strings.HasPrefix(r.Type, "kubernetes:") {
			continue
		}
		if !strings.HasPrefix(r.Provider, providerURN+"::") {
			t.Errorf("%s %s provider = %q, want %s", r.Type, r.Name, r.Provider, providerURN)
		}
		if r.Parent != comp.URN {
			t.Errorf("%s %s parent = %q, want the component", r.Type, r.Name, r.Parent)
		}
	}
}

// TestOutputs checks the plain timing the component exposes, and that the
// caller's Args are left as they were (defaults go on a copy).
func TestOutputs(t *testing.T) {
	t.Parallel()
	var w *Workload
	args := &Args{Front: FrontALB, Autoscaling: &Autoscaling{MaxReplicas: 9}}
	pulumitest.MustRun(t, func(ctx *pulumi.Context) error {
		var err error
		w, err = NewWorkload(ctx, testName, args)
		return err
	})
	if w.Timing.PreStop != 40*time.Second || w.Timing.TerminationGracePeriod != 55*time.Second {
		t.Errorf("component timing = %+v", w.Timing)
	}
	if args.PreStop != 0 || args.Namespace != "" || args.ALB.TargetGroup.DeregistrationDelay != nil ||
		args.Autoscaling.MinReplicas != 0 || args.Container.Image != "" {
		t.Errorf("caller's args were modified: %+v", args)
	}
}

// c1 runs args and returns the Deployment.
func c1(t *testing.T, args *Args) plan.Resource {
	t.Helper()
	return run(t, args).One(t, tDeployment, testName)
}

func toStrings(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := map[string]string{}
	for k, x := range m {
		s, _ := x.(string)
		out[k] = s
	}
	return out
}
