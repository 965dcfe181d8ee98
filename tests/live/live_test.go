//go:build live

package live

import (
	"context"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/retry"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/tests/measure"
)

// example is one example program the suite deploys.
type example struct {
	// name is the subtest name (go test -run TestLive/NLB).
	name string
	// dir is the program's directory under examples/.
	dir  string
	kind model.Kind
	// gateway: the example's front is a Gateway (class aws-nlb or aws-alb)
	// with its route and configurations instead of a Service or Ingress.
	gateway bool
}

var examples = []example{
	{name: "NLB", dir: "nlb-service", kind: model.KindNLB},
	{name: "ALB", dir: "alb-ingress", kind: model.KindALB},
	{name: "GatewayNLB", dir: "gateway-nlb", kind: model.KindNLB, gateway: true},
}

// Run parameters. Fixed rather than tunable: they are part of what a green
// run means.
const (
	// replicas is what the examples' dev stacks run (Pulumi.dev.yaml): two per
	// zone.
	replicas = 6
	// exampleComponent is the workload component's name in both examples;
	// the template names the Namespace's objects after it.
	exampleComponent = "echo"
	// destroyReserve is kept free at the end of go test's -timeout for the
	// destroy, so a slow deploy fails the test instead of being killed with
	// its cluster still running.
	destroyReserve = 25 * time.Minute
	// measureConcurrency and requestTimeout suit a runner talking to the load
	// balancer over the internet: a few tens of milliseconds per request, so
	// 16 in flight give a few hundred requests per second without crowding
	// six small pods.
	measureConcurrency = 16
	requestTimeout     = 10 * time.Second
	// Steady load during the rolling restart: 40 requests per second over
	// the ~5-8 minutes of a restart of six pods gives well over 10,000
	// requests, so a loss that hits one request in a few thousand still shows.
	rolloutRate        = 40
	rolloutConcurrency = 32
	rolloutWarmup      = 30 * time.Second
	rolloutTail        = 30 * time.Second
	rolloutTimeout     = 15 * time.Minute
	// minRolloutSucceeded guards against a vacuous pass: a rollout check that
	// got almost no requests through proves nothing about loss.
	minRolloutSucceeded = 5000
)

// TestLive deploys each example into the AWS account of the environment,
// checks the load balancer the controller built against the component's
// settings, measures the spread of requests over the pods against the
// model's prediction for the placement Kubernetes made, and counts the
// requests lost during a rolling restart. See the package documentation for
// cost, prerequisites and settings.
func TestLive(t *testing.T) {
	settings, err := LoadSettings(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	reason := Preflight(OSHost())
	if reason == "" {
		deadline, ok := t.Deadline()
		reason = TimeoutReason(time.Until(deadline), ok)
	}
	if reason != "" {
		if settings.Required {
			t.Fatal("live: required but cannot run (EKSBALANCE_LIVE_REQUIRED is set): " + strings.TrimPrefix(reason, SkipPrefix))
		}
		t.Skip(reason)
	}
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			runExample(t, settings, ex)
		})
	}
}

// expectation is what the component asked for, derived from the same
// defaults the example's workload component applies.
type expectation struct {
	args        workload.Args
	lb          model.LoadBalancer
	port        int
	annotations map[string]string
	// configurations are the Gateway front's TargetGroupConfiguration and
	// LoadBalancerConfiguration specs, by kubectl resource name.
	configurations map[string]map[string]any
	check          func(Observed) []Mismatch
	// keepAlive: an ALB balances each request, so clients keep connections
	// open as real ones do; an NLB balances connections, so each request
	// opens a fresh one to be balanced on its own.
	keepAlive bool
	// warmup is waited after all targets are healthy: the ALB's slow start
	// ramps new targets' share up over this long.
	warmup time.Duration
}

// expect mirrors the settings examples/<dir>/main.go passes to the workload
// component (the NLB: a 10-minute TCP idle timeout; the ALB: a 2-minute idle
// timeout; both internet-facing because the suite sets <project>:public) and
// lets the component's own SetDefaults fill the rest. The annotation check
// compares the result with the live Service or Ingress, so if an example
// drifts from this mirror the run says so instead of checking the wrong
// numbers.
func expect(ex example) expectation {
	kind := ex.kind
	var a workload.Args
	switch kind {
	case model.KindNLB:
		a.Front = workload.FrontNLB
		if ex.gateway {
			a.Front = workload.FrontGatewayNLB
		}
		a.NLB = loadbalancer.NLB{
			Scheme:    loadbalancer.SchemeInternetFacing,
			Listeners: []loadbalancer.Listener{{Port: 80, IdleTimeout: 10 * time.Minute}},
		}
	case model.KindALB:
		a.Front = workload.FrontALB
		a.ALB = loadbalancer.ALB{Scheme: loadbalancer.SchemeInternetFacing, IdleTimeout: 2 * time.Minute}
	}
	a.SetDefaults(exampleComponent)
	if kind == model.KindALB {
		return expectation{
			args:        a,
			lb:          model.LoadBalancer{Kind: kind, TargetType: model.TargetType(a.ALB.TargetType), CrossZone: *a.ALB.CrossZone},
			port:        a.ALB.Listeners[0].Port,
			annotations: a.ALB.IngressAnnotations(),
			check:       func(o Observed) []Mismatch { return CheckALB(a.ALB, o) },
			keepAlive:   true,
			warmup:      *a.ALB.TargetGroup.SlowStart,
		}
	}
	e := expectation{
		args:        a,
		lb:          model.LoadBalancer{Kind: kind, TargetType: model.TargetType(a.NLB.TargetType), CrossZone: *a.NLB.CrossZone},
		port:        a.NLB.Listeners[0].Port,
		annotations: a.NLB.ServiceAnnotations(),
		check:       func(o Observed) []Mismatch { return CheckNLB(a.NLB, o) },
	}
	if ex.gateway {
		// The same settings, carried by the Gateway's configurations; the
		// load balancer AWS builds must be the same as the Service front's.
		e.annotations = nil
		e.configurations = map[string]map[string]any{
			"targetgroupconfigurations.gateway.k8s.aws":  a.NLB.TargetGroupConfigurationSpec(exampleComponent),
			"loadbalancerconfigurations.gateway.k8s.aws": a.NLB.LoadBalancerConfigurationSpec(),
		}
	}
	return e
}

func runExample(t *testing.T, s Settings, ex example) {
	exp := expect(ex)
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", ex.dir))
	if err != nil {
		t.Fatal(err)
	}
	project := ProjectName(t, dir)
	stack := s.Stack
	if stack == "" {
		stack = StackName(time.Now(), uint16(rand.Uint32()))
	}
	prefix := "[" + ex.name + " " + stack + "] "
	log := LogWriter(t, prefix)

	// Everything before the destroy must end destroyReserve before go
	// test's deadline, so the cleanup always gets to run.
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-destroyReserve))
		defer cancel()
	}

	// The examples are internal by default; the runner reaches the load
	// balancer over the internet, so the suite asks for an internet-facing
	// one (only the sample app's /hostname is exposed, and only for the
	// length of the run).
	st, err := NewStackE(t, ctx, StackOptions{
		Dir:  dir,
		Name: stack,
		Config: map[string]string{
			"aws:region":          s.Region,
			project + ":replicas": strconv.Itoa(replicas),
			project + ":public":   "true",
			// Opens the cluster's API endpoint to the runner only.
			project + ":apiAccessCidrs": apiCIDRsJSON(os.Getenv(EnvAPICIDRs)),
		},
		Log: log,
	})
	if st == nil {
		t.Fatal(err)
	}
	// Registered before anything is deployed, so a failed or interrupted
	// up is destroyed too.
	t.Cleanup(func() {
		if s.Keep {
			logger.Default.Logf(t, "%sEKSBALANCE_KEEP is set: stack %s is left running (billed by the hour); remove it with: cd %s && pulumi destroy --yes --remove -s %s",
				prefix, stack, dir, stack)
			return
		}
		dctx, cancel := context.WithTimeout(context.Background(), destroyReserve)
		defer cancel()
		if err := DestroyE(t, dctx, st, log); err != nil {
			t.Errorf("%v\nresources may be left behind; finish with: cd %s && pulumi destroy --yes --remove -s %s", err, dir, stack)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	outputs := Up(t, ctx, st, log)

	kubeconfig := WriteKubeconfig(t, outputs, "kubeconfig", t.TempDir())
	namespace := OutputString(t, outputs, "namespace")
	// The Gateway example exports its Gateway and routes rather than a
	// Service; the template names the Service after the component.
	service := exampleComponent
	if !ex.gateway {
		service = OutputString(t, outputs, "service")
	}
	front := service
	if ex.kind == model.KindALB {
		front = OutputString(t, outputs, "ingress")
	}
	opts := k8s.NewKubectlOptions("", kubeconfig, namespace)
	// The workload template names the Deployment after the component, like
	// the Service.
	deployment := service
	k8s.WaitUntilDeploymentAvailable(t, opts, deployment, 60, 10*time.Second)

	var hostname string
	if ex.gateway {
		var ms []Mismatch
		for kind, want := range exp.configurations {
			got, err := GetObjectSpecE(t, opts, kind, exampleComponent)
			if err != nil {
				t.Fatal(err)
			}
			ms = append(ms, CheckSpec(kind+" "+exampleComponent, want, got)...)
		}
		for _, m := range ms {
			t.Errorf("%s", m)
		}
		if len(ms) > 0 {
			t.Fatalf("the deployed Gateway configurations no longer match the settings this suite mirrors from examples/%s (update expect in live_test.go)", ex.dir)
		}
		hostname = WaitForGatewayHostname(t, opts, exampleComponent, 60, 10*time.Second)
	} else {
		ann, err := FrontAnnotationsE(t, opts, ex.kind, front)
		if err != nil {
			t.Fatal(err)
		}
		if ms := CheckAnnotations(exp.annotations, ann); len(ms) > 0 {
			for _, m := range ms {
				t.Errorf("%s: %s", front, m)
			}
			t.Fatalf("the deployed %s no longer matches the settings this suite mirrors from examples/%s (update expect in live_test.go)", front, ex.dir)
		}
		hostname = WaitForHostname(t, opts, ex.kind, front, 60, 10*time.Second)
	}
	elb := NewELBClient(t, s.Region)
	lb := WaitForLoadBalancer(t, elb, hostname, 60, 10*time.Second)
	obs := Describe(t, elb, lb)
	for _, m := range exp.check(obs) {
		t.Errorf("load balancer %s: %s", hostname, m)
	}
	tm := exp.args.Timing()
	logger.Default.Logf(t, "%sload balancer %s: %d target group(s); time to unhealthy %v, stop sending after %v, deregistration delay %v, idle timeout %v",
		prefix, hostname, len(obs.TargetGroups), tm.LB.TimeToUnhealthy, tm.LB.StopSendingAfter, tm.LB.DeregistrationDelay, tm.LB.IdleTimeout)

	selector := ServiceSelector(t, opts, service)
	pods, nodes := ReadyPlacement(t, opts, selector)
	var ips, arns []string
	for _, p := range pods {
		ips = append(ips, p.IP)
	}
	for _, tg := range obs.TargetGroups {
		arns = append(arns, tg.ARN)
	}
	WaitUntilTargetsHealthy(t, elb, arns, ips, 60, 10*time.Second)
	if exp.warmup > 0 {
		logger.Default.Logf(t, "%swaiting %v for the slow start of the new targets to end", prefix, exp.warmup)
		time.Sleep(exp.warmup)
	}

	t.Run("spread", func(t *testing.T) {
		measureSpread(t, ctx, prefix, exp, hostname, LoadBalancerZones(lb), nodes, pods, s.Requests)
	})
	t.Run("rollout", func(t *testing.T) {
		settle := tm.TerminationGracePeriod + time.Minute
		rollout(t, ctx, prefix, exp, hostname, opts, deployment, selector, settle)
	})
}

// measureSpread sends a sample of requests through the load balancer and
// compares the pods that answered with the model's shares for the placement
// Kubernetes made.
func measureSpread(t *testing.T, ctx context.Context, prefix string, exp expectation, hostname string,
	lbZones []string, nodes map[string]string, pods []PodPlacement, requests int) {
	topo := TopologyFor(exp.lb, lbZones, nodes, pods)
	shares, pred, err := ExpectedShares(topo, pods)
	if err != nil {
		t.Fatal(err)
	}
	if requests == 0 {
		if requests, err = SampleSize(shares); err != nil {
			t.Fatal(err)
		}
	}
	bound := MaxOverMeanBound(shares, requests)
	logger.Default.Logf(t, "%smodel: %s; %s; %d requests, pass if p > %g and max/mean <= %.3f",
		prefix, model.Describe(topo), pred.Summary(), requests, Alpha, bound)

	// Clients spread over the load balancer's per-zone addresses as many
	// independent resolvers would: the targets are the resolved addresses,
	// picked at random per connection, with the hostname in the Host header.
	addrs, err := retry.DoWithRetryInterfaceE(t, "resolve "+hostname, 30, 10*time.Second, func() (any, error) {
		return net.DefaultResolver.LookupHost(ctx, hostname)
	})
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, a := range addrs.([]string) {
		targets = append(targets, net.JoinHostPort(a, strconv.Itoa(exp.port)))
	}
	res, err := measure.Run(ctx, measure.Load{
		Targets:     targets,
		Choice:      measure.ChoiceRandom,
		Host:        hostname,
		Requests:    requests,
		Concurrency: measureConcurrency,
		KeepAlive:   exp.keepAlive,
		Timeout:     requestTimeout,
		Duration:    20 * time.Minute,
		Progress:    LogWriter(t, prefix),
	})
	if err != nil {
		t.Fatalf("load run: %v", err)
	}
	for _, f := range res.Failures {
		logger.Default.Logf(t, "%sfailed request: %s", prefix, f)
	}
	if len(res.Failures) > 0 {
		t.Errorf("%d of %d requests failed while nothing was changing (%v)", len(res.Failures), res.Attempted, res.FailuresByKind())
	}

	a, err := measure.Analyze(res.Pods, shares)
	if err != nil {
		t.Fatal(err)
	}
	zoneOf := map[string]string{}
	for _, p := range pods {
		zoneOf[p.Pod] = p.Zone
	}
	zone := func(pod string) string {
		if z, ok := zoneOf[pod]; ok {
			return z
		}
		return "(pod not in placement)"
	}
	logger.Default.Logf(t, "%sper pod:\n%s", prefix, a)
	if za, err := measure.Analyze(measure.GroupCounts(res.Pods, zone), measure.GroupShares(shares, zone)); err == nil {
		logger.Default.Logf(t, "%sper zone:\n%s", prefix, za)
	}

	if !(a.PValue > Alpha) {
		t.Errorf("spread does not match the model: chi-square %.2f, df %d, p = %.3g (must exceed %g)", a.ChiSquare, a.DF, a.PValue, Alpha)
	}
	if a.MaxOverMean > bound {
		t.Errorf("busiest pod got %.3f x the mean, bound %.3f (model %.3f plus %g standard errors at %d requests)",
			a.MaxOverMean, bound, pred.MaxOverMean, NoiseZ, a.Total)
	}
}

// rollout keeps steady load on the load balancer's hostname (resolved per
// connection, as a real client does) while the Deployment restarts, and
// requires that not one request fails.
func rollout(t *testing.T, ctx context.Context, prefix string, exp expectation, hostname string,
	opts *k8s.KubectlOptions, deployment, selector string, settle time.Duration) {
	load := measure.Load{
		Targets:     []string{net.JoinHostPort(hostname, strconv.Itoa(exp.port))},
		Host:        hostname,
		Concurrency: rolloutConcurrency,
		KeepAlive:   exp.keepAlive,
		Rate:        rolloutRate,
		Timeout:     requestTimeout,
		// A hard cap on the whole check; the restart itself is bounded by
		// rolloutTimeout and settle.
		Duration: rolloutWarmup + rolloutTimeout + settle + rolloutTail + time.Minute,
		Progress: LogWriter(t, prefix),
	}
	rr, err := measure.CheckRollout(ctx, measure.Rollout{
		Load:    load,
		Warmup:  rolloutWarmup,
		Tail:    rolloutTail,
		Restart: RolloutRestart(t, opts, deployment, selector, rolloutTimeout, settle),
	})
	if rr != nil && rr.Load != nil {
		for _, f := range rr.Load.Failures {
			logger.Default.Logf(t, "%srollout failure: %s", prefix, f)
		}
		logger.Default.Logf(t, "%srollout timeline (restart %.1fs-%.1fs):\n%s", prefix,
			rr.RestartStarted.Seconds(), rr.RestartEnded.Seconds(), strings.TrimRight(rr.Timeline(), "\n"))
		logger.Default.Logf(t, "%srollout: %d requests, %d ok, failures %v", prefix,
			rr.Load.Attempted, rr.Load.Succeeded, rr.Load.FailuresByKind())
	}
	if err != nil {
		t.Fatalf("rollout: %v", err)
	}
	if n := len(rr.Load.Failures); n > 0 {
		t.Errorf("rolling restart lost %d of %d requests (%v); each is listed above with its time and kind",
			n, rr.Load.Attempted, rr.Load.FailuresByKind())
	}
	if rr.Load.Succeeded < minRolloutSucceeded {
		t.Errorf("only %d requests succeeded during the rollout check, fewer than %d: too few to call it lossless",
			rr.Load.Succeeded, minRolloutSucceeded)
	}
}
