package lab

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/tests/measure"
)

// rolloutCheck is the lab's target-group health check: 100ms interval, 3
// failures to take a target out, 100ms timeout. Time to down 400ms, the
// scaled-down twin of the NLB's 10s x 3 + 10s.
var rolloutCheck = HealthCheck{Interval: 100 * time.Millisecond, Timeout: 100 * time.Millisecond, Fall: 3, Rise: 1}

// rolloutRequests is the least number of requests each rollout sends.
const rolloutRequests = 20000

type rolloutScenario struct {
	name    string
	backend Backend
	res     *measure.RolloutResult
	err     error
}

// TestRollingRestartLosesNothing replaces every pod of a 3-pod NLB lab under
// steady load, once with the toolkit's timing chain and once with the
// anti-pattern, side by side.
func TestRollingRestartLosesNothing(t *testing.T) {
	requireTool(t, "haproxy")
	t.Parallel()
	bin := backendBinary(t)

	// The toolkit's chain, scaled down: the pod keeps serving after SIGTERM
	// (the preStop stand-in) for longer than the load balancer needs to take
	// it out, with room for a loaded machine's late health checks; then it
	// drains within a grace period that covers its slowest request.
	toolkit := Backend{ShutdownDelay: 2 * time.Second, DrainTimeout: 3 * time.Second, Work: 2 * time.Millisecond}
	if ttd := rolloutCheck.TimeToDown(); toolkit.ShutdownDelay <= ttd {
		t.Fatalf("timing chain broken: shutdown delay %v must exceed time to down %v (interval %v x fall %d + timeout %v)",
			toolkit.ShutdownDelay, ttd, rolloutCheck.Interval, rolloutCheck.Fall, rolloutCheck.Timeout)
	}
	scenarios := []*rolloutScenario{
		{name: "toolkit timings", backend: toolkit},
		// No preStop, no drain: gone the moment SIGTERM lands.
		{name: "anti-pattern", backend: Backend{Abrupt: true, Work: 2 * time.Millisecond}},
	}

	var wg sync.WaitGroup
	for _, sc := range scenarios {
		lab := Start(t, bin, Spec{
			Name:     "rollout " + sc.name,
			Topology: topo(nlb, ip, true, "", zs("a", 1, 1), zs("b", 1)),
			Check:    rolloutCheck,
			Backend:  sc.backend,
			Slots:    2,
		})
		targets := lab.DNS()
		wg.Go(func() {
			sc.res, sc.err = measure.CheckRollout(t.Context(), measure.Rollout{
				Load: measure.Load{
					Targets:     targets,
					Choice:      measure.ChoiceRandom,
					Requests:    rolloutRequests,
					Rate:        1500,
					Concurrency: 16,
					Duration:    90 * time.Second,
					Timeout:     5 * time.Second,
				},
				Warmup:  time.Second,
				Tail:    2 * time.Second,
				Restart: lab.RollingRestart,
			})
		})
	}
	wg.Wait()
	for _, sc := range scenarios {
		if sc.err != nil {
			t.Fatalf("%s: %v", sc.name, sc.err)
		}
	}
	t.Logf("rolling restart of 3 pods under steady load (haproxy mode tcp, check %v x %d + %v = %v to down):\n%s",
		rolloutCheck.Interval, rolloutCheck.Fall, rolloutCheck.Timeout, rolloutCheck.TimeToDown(), sideBySide(scenarios))

	good, bad := scenarios[0].res.Load, scenarios[1].res.Load
	if good.Attempted < rolloutRequests || bad.Attempted < rolloutRequests {
		t.Errorf("sent %d and %d requests, want at least %d each", good.Attempted, bad.Attempted, rolloutRequests)
	}
	if len(good.Failures) != 0 {
		t.Errorf("toolkit timings lost %d of %d requests:\n%s", len(good.Failures), good.Attempted, scenarios[0].res.Timeline())
	}
	// The anti-pattern must lose requests, or the lab could not tell a
	// lossless rollout from a blind measurement.
	if len(bad.Failures) == 0 {
		t.Errorf("the anti-pattern lost nothing: the lab cannot see loss")
	} else {
		t.Logf("anti-pattern timeline:\n%s", scenarios[1].res.Timeline())
	}
}

func sideBySide(scs []*rolloutScenario) string {
	var b strings.Builder
	row := func(label string, f func(*rolloutScenario) string) {
		fmt.Fprintf(&b, "%-30s", label)
		for _, sc := range scs {
			fmt.Fprintf(&b, " %20s", f(sc))
		}
		b.WriteString("\n")
	}
	row("", func(sc *rolloutScenario) string { return sc.name })
	row("shutdown delay after SIGTERM", func(sc *rolloutScenario) string {
		if sc.backend.Abrupt {
			return "none (exit at once)"
		}
		return sc.backend.ShutdownDelay.String()
	})
	row("requests sent", func(sc *rolloutScenario) string { return fmt.Sprint(sc.res.Load.Attempted) })
	row("requests failed", func(sc *rolloutScenario) string { return fmt.Sprint(len(sc.res.Load.Failures)) })
	for _, k := range measure.FailureKinds {
		row("  "+string(k), func(sc *rolloutScenario) string { return fmt.Sprint(sc.res.Load.FailuresByKind()[k]) })
	}
	row("loss", func(sc *rolloutScenario) string {
		return fmt.Sprintf("%.3f%%", 100*float64(len(sc.res.Load.Failures))/float64(max(sc.res.Load.Attempted, 1)))
	})
	row("restart took", func(sc *rolloutScenario) string {
		return (sc.res.RestartEnded - sc.res.RestartStarted).Round(10 * time.Millisecond).String()
	})
	row("load ran", func(sc *rolloutScenario) string { return sc.res.Load.Elapsed.Round(10 * time.Millisecond).String() })
	return b.String()
}

// Keep the restart signature in step with measure.Rollout.Restart.
var _ func(context.Context, func(string)) error = (*Lab)(nil).RollingRestart
