package lab

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/plan"
	"github.com/eksbalance/eksbalance/tests/awslb"
	"github.com/eksbalance/eksbalance/tests/awslb/sweep"
	"github.com/eksbalance/eksbalance/tests/measure"
)

// rendered is what the workload template renders for one front, read back
// from the objects it registers: the pods' shutdown timing and the load
// balancer's settings as the AWS Load Balancer Controller would read them.
type rendered struct {
	front workload.Front
	// lb is the target group the annotations describe (unscaled).
	lb awslb.Config
	// hook is the preStop sleep; shutdownDelay the app's own wait after
	// SIGTERM (EKSBALANCE_SHUTDOWN_DELAY); drain its drain timeout; grace
	// terminationGracePeriodSeconds.
	hook, shutdownDelay, drain, grace time.Duration
}

// preStop is the pods' whole wait: the hook, then the app's close window.
func (r rendered) preStop() time.Duration { return r.hook + r.shutdownDelay }

// render runs the workload component under mocks with its defaults and reads
// back the Deployment and the Service (and Ingress) it registers: the
// rollouts use what the toolkit renders, nothing written by hand.
func render(t *testing.T, front workload.Front) rendered {
	t.Helper()
	c := pulumitest.MustRun(t, func(ctx *pulumi.Context) error {
		_, err := workload.NewWorkload(ctx, "sweep", &workload.Args{Front: front})
		return err
	})
	one := func(token string) plan.Resource {
		rs := c.ByType(token)
		if len(rs) != 1 {
			t.Fatalf("the workload registered %d %s, want 1", len(rs), token)
		}
		return rs[0]
	}
	dep := one("kubernetes:apps/v1:Deployment")
	const pod = "spec.template.spec."
	const ctr = pod + "containers[0]."
	secs := func(r plan.Resource, path string) time.Duration {
		v, ok := r.Get(path)
		f, isNum := v.(float64)
		if !ok || !isNum {
			t.Fatalf("rendered %s %s = %v: not a number", r.Type, path, v)
		}
		return time.Duration(f * float64(time.Second))
	}
	r := rendered{front: front, hook: secs(dep, ctr+"lifecycle.preStop.sleep.seconds"), grace: secs(dep, pod+"terminationGracePeriodSeconds")}
	env, _ := dep.Get(ctr + "env")
	list, _ := env.([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		n, _ := strconv.Atoi(fmt.Sprint(m["value"]))
		switch m["name"] {
		case workload.EnvShutdownDelay:
			r.shutdownDelay = time.Duration(n) * time.Second
		case workload.EnvDrainTimeout:
			r.drain = time.Duration(n) * time.Second
		}
	}
	annotations := func(res plan.Resource) map[string]string {
		v, _ := res.Get("metadata.annotations")
		m, _ := v.(map[string]any)
		out := map[string]string{}
		for k, x := range m {
			out[k] = fmt.Sprint(x)
		}
		return out
	}
	svc := annotations(one("kubernetes:core/v1:Service"))
	var err error
	if front == workload.FrontALB {
		a := annotations(one("kubernetes:networking.k8s.io/v1:Ingress"))
		for k, v := range svc { // the controller lets the Service's win
			a[k] = v
		}
		r.lb, err = awslb.FromIngressAnnotations(a)
	} else {
		r.lb, err = awslb.FromServiceAnnotations(svc)
	}
	if err != nil {
		t.Fatalf("rendered %s annotations: %v", front, err)
	}
	if r.hook <= 0 || r.drain <= 0 || r.grace <= r.preStop() {
		t.Fatalf("rendered %s timing makes no sense: %+v", front, r)
	}
	return r
}

// sweepFront is how one front is swept.
type sweepFront struct {
	front workload.Front
	kind  model.Kind
	// scale is how long one second of the manifests lasts in the lab,
	// chosen so that the narrowest gap the sweep asserts on (the NLB's
	// default preStop 5 s above the bound, the ALB's 0.9x 1.5 s below it)
	// is 150-200 ms of wall time, well above a loaded machine's timer
	// lateness.
	scale   time.Duration
	balance Balance
}

var sweepFronts = []sweepFront{
	{front: workload.FrontNLB, kind: model.KindNLB, scale: 40 * time.Millisecond, balance: BalanceRoundRobin},
	// ALB least outstanding requests is haproxy's leastconn.
	{front: workload.FrontALB, kind: model.KindALB, scale: 100 * time.Millisecond, balance: BalanceLeastConn},
}

// keepAliveRecycle is how many requests a keepalive connection carries in the
// sweep before the app recycles it: at 400 requests/s, 20 connections opened
// a second, each landing on an old pod with even odds.
const keepAliveRecycle = 20

// sweepRun is one rolling update of the sweep.
type sweepRun struct {
	row sweep.Row
	// below: preStop under the bound, so the run must lose requests;
	// mustBeClean: the toolkit's own default, so it must lose none.
	below, mustBeClean bool
	// delay overrides the rendered deregistration delay (0: as rendered).
	delay time.Duration
	// concurrency is the load's (and the keepalive pool's) size; default 8.
	concurrency int
	res         *measure.RolloutResult
	err         error
}

// TestPreStopSweep rolls every pod of a three-zone lab behind the awslb
// stand-in at preStop = 0.5x, 0.9x and 1.1x of the bound and at the
// toolkit's default, for an NLB and an ALB and for keepalive and
// fresh-connection clients, all else as the workload template renders it.
// Below the bound requests must be lost, at the default none. The bound is
// the path a rolling update takes behind the controller: the pods are
// deregistered as they start terminating, so the load balancer stops sending
// after the deregistration propagation (the NLB's 120 s, which is also its
// StopSendingAfter; the ALB's 15 s, an unmeasured assumption, while its
// StopSendingAfter of 35 s comes from the health-check path, which a pod that
// keeps passing its checks during preStop never takes). One more NLB run keeps the default preStop
// with the old 30 s deregistration delay: connection termination then cuts
// the keepalive connections.
//
// Set EKSBALANCE_LAB_CHARTS to a directory to get the chart, prestop-sweep.svg
// (make bench does: out/charts).
func TestPreStopSweep(t *testing.T) {
	requireTool(t, "haproxy")
	t.Parallel()
	bin := backendBinary(t)
	started := time.Now()

	var runs []*sweepRun
	var plans []func(*testing.T)
	for _, sf := range sweepFronts {
		r := render(t, sf.front)
		bound := r.lb.Propagation
		t.Logf("%s as rendered: preStop hook %v + close window %v, drain %v, grace %v; health check %s every %v, timeout %v, %d/%d; deregistration delay %v, connection termination %v; bound %v (deregistration propagation: %s), StopSendingAfter %v; 1 s lasts %v here",
			sf.kind, r.hook, r.shutdownDelay, r.drain, r.grace, r.lb.HealthCheck.Protocol, r.lb.HealthCheck.Interval,
			r.lb.HealthCheck.Timeout, r.lb.HealthCheck.HealthyThreshold, r.lb.HealthCheck.UnhealthyThreshold,
			r.lb.DeregistrationDelay, r.lb.ConnectionTermination, bound, r.lb.PropagationSource(), r.lb.StopSendingAfter(), sf.scale)
		points := []struct {
			label   string
			preStop time.Duration
			below   bool
		}{
			{"0.5x", bound / 2, true},
			{"0.9x", bound * 9 / 10, true},
			{"1.1x", bound * 11 / 10, false},
			{"default", r.preStop(), false},
		}
		if r.preStop() <= bound {
			t.Fatalf("%s: the rendered preStop %v does not exceed the bound %v", sf.kind, r.preStop(), bound)
		}
		for _, pt := range points {
			for _, keepAlive := range []bool{true, false} {
				run := &sweepRun{below: pt.below, mustBeClean: pt.label == "default",
					row: sweep.Row{Front: strings.ToUpper(string(sf.kind)), Client: clientName(keepAlive), Label: pt.label, PreStop: pt.preStop, Bound: bound}}
				runs = append(runs, run)
				plans = append(plans, func(t *testing.T) { runSweep(t, bin, sf, r, run, keepAlive) })
			}
		}
		if sf.front == workload.FrontNLB && r.lb.ConnectionTermination {
			// 16 connections: with 8, all could sit on new pods when the
			// delay ends (odds 1 in 256) and the reset would cut nothing.
			run := &sweepRun{below: true, delay: 30 * time.Second, concurrency: 16,
				row: sweep.Row{Front: strings.ToUpper(string(sf.kind)), Client: clientName(true), Label: "default, delay 30s", PreStop: r.preStop(), Bound: bound}}
			runs = append(runs, run)
			plans = append(plans, func(t *testing.T) { runSweep(t, bin, sf, r, run, true) })
		}
	}
	// Parallel subtests: as many rollouts at a time as go test's -parallel
	// (GOMAXPROCS, 2 here), few enough that the lab's timers stay on time.
	t.Run("rollouts", func(t *testing.T) {
		for i, p := range plans {
			t.Run(runs[i].name(), func(t *testing.T) {
				t.Parallel()
				p(t)
			})
		}
	})

	kinds := make([]string, len(measure.FailureKinds))
	for i, k := range measure.FailureKinds {
		kinds[i] = string(k)
	}
	var rows []sweep.Row
	for _, run := range runs {
		if run.err == nil && run.res == nil {
			run.err = fmt.Errorf("did not run (its lab failed to start)")
		}
		if run.err != nil {
			t.Errorf("%s: %v", run.name(), run.err)
			continue
		}
		rows = append(rows, run.row)
	}
	t.Logf("preStop sweep, %d rolling updates of 3 pods in %v (wall time, two at a time):\n%s",
		len(rows), time.Since(started).Round(100*time.Millisecond), sweep.Table(rows, kinds))
	for _, run := range runs {
		if run.err != nil {
			continue
		}
		r := run.row
		switch {
		case run.below && r.Lost == 0:
			t.Errorf("%s %s %s (preStop %v, bound %v): lost nothing, so the lab cannot tell this chain from a correct one:\n%s",
				r.Front, r.Client, r.Label, r.PreStop, r.Bound, run.res.Timeline())
		case run.mustBeClean && r.Lost != 0:
			t.Errorf("%s %s with the toolkit's default preStop %v lost %d of %d requests:\n%s",
				r.Front, r.Client, r.PreStop, r.Lost, r.Requests, run.res.Timeline())
		}
	}
	if dir := os.Getenv("EKSBALANCE_LAB_CHARTS"); dir != "" {
		path := filepath.Join(dir, "prestop-sweep.svg")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, sweep.SVG("lab: requests lost in a rolling update vs preStop / bound", rows), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("chart written to %s", path)
	}
}

func (r *sweepRun) name() string { return r.row.Front + " " + r.row.Client + " " + r.row.Label }

func clientName(keepAlive bool) string {
	if keepAlive {
		return "keepalive"
	}
	return "fresh"
}

// runSweep rolls a fresh three-pod lab once under steady load.
func runSweep(t *testing.T, bin string, sf sweepFront, r rendered, run *sweepRun, keepAlive bool) {
	scale := func(d time.Duration) time.Duration {
		return time.Duration(math.Round(float64(d) * float64(sf.scale) / float64(time.Second)))
	}
	// The sweep moves the whole wait; the app keeps its close window at the
	// end of it, as the template splits it.
	window := min(r.shutdownDelay, run.row.PreStop)
	hook := run.row.PreStop - window
	// A keepalive client population keeps opening connections: pools grow
	// and recycle. The app's request-count recycling (the template's
	// EKSBALANCE_MAX_CONN_REQUESTS) plays that here; the 300 s age the NLB
	// template renders would outlast a scaled rollout. Without it the
	// clients would move to the new pods during the close window and never
	// dial again, and no preStop, however short, could lose them a request.
	recycle := 0
	if keepAlive {
		recycle = keepAliveRecycle
	}
	lb := r.lb
	lb.TimeScale = sf.scale
	if run.delay != 0 {
		lb.DeregistrationDelay = run.delay
	}
	lab := Start(t, bin, Spec{
		Name:     fmt.Sprintf("sweep %s %s %s", run.row.Front, run.row.Client, run.row.Label),
		Topology: topo(sf.kind, ip, true, "", zs("a", 1), zs("b", 1), zs("c", 1)),
		Balance:  sf.balance,
		Backend: Backend{PreStop: scale(hook), ShutdownDelay: scale(window), DrainTimeout: scale(r.drain),
			Grace: scale(r.grace), Work: time.Millisecond, MaxConnRequests: recycle},
		Slots:        2,
		LoadBalancer: &lb,
	})
	started := time.Now()
	conc := run.concurrency
	if conc == 0 {
		conc = 8
	}
	run.res, run.err = measure.CheckRollout(t.Context(), measure.Rollout{
		Load: measure.Load{
			Targets:     lab.DNS(),
			Choice:      measure.ChoiceRandom,
			Rate:        400,
			Concurrency: conc,
			KeepAlive:   keepAlive,
			Duration:    2 * time.Minute,
			Timeout:     5 * time.Second,
		},
		Warmup: 500 * time.Millisecond,
		// Long enough for the last connections to the old pods to end or be
		// reset: the deregistration delay, scaled.
		Tail: scale(max(lb.DeregistrationDelay-run.row.PreStop, 0)) + 500*time.Millisecond,
		Restart: func(ctx context.Context, mark func(string)) error {
			return lab.Roll(ctx, mark, 3)
		},
	})
	run.row.Took = time.Since(started)
	if run.err != nil {
		return
	}
	run.row.Requests = run.res.Load.Attempted
	run.row.Lost = len(run.res.Load.Failures)
	run.row.ByKind = map[string]int{}
	for k, n := range run.res.Load.FailuresByKind() {
		run.row.ByKind[string(k)] = n
	}
}
