package rules_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/policies/rules"
)

// The Rego rules carry the health-check arithmetic for raw YAML; Timings in
// components/loadbalancer is its source. These tests hold the two together:
// the same numbers from the function, and the same boundary when the rules read
// the annotations the loadbalancer package renders.

func customNLB() loadbalancer.NLB {
	return loadbalancer.NLB{HealthCheck: loadbalancer.HealthCheck{
		Interval: 5 * time.Second, Timeout: 3 * time.Second, UnhealthyThreshold: 4, HealthyThreshold: 2,
	}}
}

func customALB() loadbalancer.ALB {
	return loadbalancer.ALB{HealthCheck: loadbalancer.HealthCheck{
		Interval: 20 * time.Second, Timeout: 6 * time.Second, UnhealthyThreshold: 5, HealthyThreshold: 3,
	}}
}

func TestTimeToUnhealthyAgreesWithLoadBalancerTimings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ev, err := rules.NewEvaluator(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]loadbalancer.Timings{
		"nlb defaults": loadbalancer.NLB{}.Timings(),
		"alb defaults": loadbalancer.ALB{}.Timings(),
		"nlb custom":   customNLB().Timings(),
		"alb custom":   customALB().Timings(),
	}
	for name, tm := range cases {
		got, err := ev.TimeToUnhealthy(ctx, tm.HealthCheckInterval.Seconds(), tm.HealthCheckTimeout.Seconds(), tm.UnhealthyThreshold)
		if err != nil {
			t.Fatal(err)
		}
		if got != tm.TimeToUnhealthy.Seconds() {
			t.Errorf("%s: Rego time_to_unhealthy %vs, loadbalancer.Timings %v", name, got, tm.TimeToUnhealthy)
		}
	}
}

// rolloutViolated evaluates a Deployment with the given preStop behind a
// Service carrying the annotations, and reports whether rollout-timing fires.
func rolloutViolated(t *testing.T, ev *rules.Evaluator, annotations map[string]string, preStop int) bool {
	t.Helper()
	return fired(t, ev, annotations, pod{hook: preStop}, "rollout-timing")
}

// pod is the shutdown side of the evaluated Deployment: the preStop hook's
// sleep, and the EKSBALANCE_SHUTDOWN_DELAY and EKSBALANCE_DRAIN_TIMEOUT the
// app reads (left out when negative).
type pod struct {
	hook, shutdownDelay, drain int
	grace                      int
}

// fired evaluates a Deployment shaped by p behind a Service carrying the
// annotations, and reports whether the rule fires.
func fired(t *testing.T, ev *rules.Evaluator, annotations map[string]string, p pod, rule string) bool {
	t.Helper()
	ctr := map[string]any{
		"name": "app", "image": "app:1", "ports": []any{map[string]any{"containerPort": 8080}},
		"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/readyz", "port": 8080}},
		"lifecycle":      map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": p.hook}}},
	}
	var env []any
	if p.shutdownDelay > 0 {
		env = append(env, map[string]any{"name": "EKSBALANCE_SHUTDOWN_DELAY", "value": strconv.Itoa(p.shutdownDelay)})
	}
	if p.drain > 0 {
		env = append(env, map[string]any{"name": "EKSBALANCE_DRAIN_TIMEOUT", "value": strconv.Itoa(p.drain)})
	}
	if env != nil {
		ctr["env"] = env
	}
	grace := p.grace
	if grace == 0 {
		grace = p.hook + p.shutdownDelay + p.drain + 600
	}
	ann := map[string]any{}
	for k, v := range annotations {
		ann[k] = v
	}
	svc := map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "web", "namespace": "shop", "annotations": ann},
		"spec": map[string]any{"type": "LoadBalancer", "loadBalancerClass": "service.k8s.aws/nlb",
			"selector": map[string]any{"app": "web"}, "ports": []any{map[string]any{"port": 80, "targetPort": 8080}}},
	}
	dep := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec": map[string]any{"replicas": 1, "selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
				"spec": map[string]any{
					"terminationGracePeriodSeconds": grace,
					"containers":                    []any{ctr},
				},
			}},
	}
	vs, err := ev.Evaluate(context.Background(), []rules.Resource{rules.FromKubernetes(svc), rules.FromKubernetes(dep)})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Rule == rule {
			return true
		}
	}
	return false
}

// The rule's preStop bound is Timings.StopSendingAfter: the later of the health
// check giving up and deregistration propagating, whichever decides.
func TestRolloutTimingBoundaryMatchesStopSendingAfter(t *testing.T) {
	t.Parallel()
	ev, err := rules.NewEvaluator(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slowCheck := loadbalancer.NLB{HealthCheck: loadbalancer.HealthCheck{
		Interval: 30 * time.Second, Timeout: 10 * time.Second, UnhealthyThreshold: 5, HealthyThreshold: 2,
	}}
	cases := map[string]loadbalancer.NLB{
		"defaults (propagation decides)":                   {},
		"fast check, measured propagation (lag decides)":   {HealthCheck: customNLB().HealthCheck, DeregistrationPropagation: 10 * time.Second},
		"fast check, measured propagation and lag":         {HealthCheck: customNLB().HealthCheck, DeregistrationPropagation: 10 * time.Second, UnhealthyLag: 3 * time.Second},
		"slow check (time to unhealthy + lag decides)":     slowCheck,
		"slow check with a measured lag":                   {HealthCheck: slowCheck.HealthCheck, UnhealthyLag: 50 * time.Second},
		"custom check with the default propagation":        customNLB(),
		"measured propagation, no lag (time to unhealthy)": {DeregistrationPropagation: 10 * time.Second, UnhealthyLag: time.Second},
	}
	for name, nlb := range cases {
		bound := int(nlb.Timings().StopSendingAfter.Seconds())
		ann := nlb.ServiceAnnotations()
		if !rolloutViolated(t, ev, ann, bound) {
			t.Errorf("%s: preStop %ds = StopSendingAfter passed rollout-timing", name, bound)
		}
		if rolloutViolated(t, ev, ann, bound+1) {
			t.Errorf("%s: preStop %ds > StopSendingAfter %ds still violates rollout-timing", name, bound+1, bound)
		}
	}
}

// The workload template splits preStop between the hook and the app's own
// close window (EKSBALANCE_SHUTDOWN_DELAY); the rule counts both, as Timings
// does, at the same boundary.
func TestRolloutTimingCountsTheAppsShutdownDelay(t *testing.T) {
	t.Parallel()
	ev, err := rules.NewEvaluator(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	nlb := loadbalancer.NLB{}
	bound := int(nlb.Timings().StopSendingAfter.Seconds())
	ann := nlb.ServiceAnnotations()
	if !fired(t, ev, ann, pod{hook: bound - 5, shutdownDelay: 5}, "rollout-timing") {
		t.Errorf("hook %ds + delay 5s = StopSendingAfter passed rollout-timing", bound-5)
	}
	if fired(t, ev, ann, pod{hook: bound - 4, shutdownDelay: 5}, "rollout-timing") {
		t.Errorf("hook %ds + delay 5s > StopSendingAfter %ds still violates rollout-timing", bound-4, bound)
	}
}

// With connection termination the deregistration delay must cover the
// container's whole wait plus drain (Timings.DeregistrationDelayBound), and the
// rule fires exactly below that; without termination it only needs the drain.
func TestDeregistrationDelayBoundaryMatchesTimings(t *testing.T) {
	t.Parallel()
	ev, err := rules.NewEvaluator(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p := pod{hook: 120, shutdownDelay: 5, drain: 10, grace: 200}
	preStop := time.Duration(p.hook+p.shutdownDelay) * time.Second
	drain := time.Duration(p.drain) * time.Second
	for _, termination := range []bool{true, false} {
		settings := func(delay time.Duration) loadbalancer.NLB {
			return loadbalancer.NLB{TargetGroup: loadbalancer.TargetGroup{
				DeregistrationDelay: &delay, ConnectionTermination: &termination}}
		}
		need := settings(0).Timings().DeregistrationDelayBound(preStop, drain).Value
		if want := map[bool]time.Duration{true: 135 * time.Second, false: 10 * time.Second}[termination]; need != want {
			t.Fatalf("termination %v: Timings bound %v, want %v", termination, need, want)
		}
		if fired(t, ev, settings(need).ServiceAnnotations(), p, "deregistration-delay") {
			t.Errorf("termination %v: delay %v = Timings' bound violates deregistration-delay", termination, need)
		}
		if !fired(t, ev, settings(need-time.Second).ServiceAnnotations(), p, "deregistration-delay") {
			t.Errorf("termination %v: delay %v, one second under Timings' bound, passed deregistration-delay", termination, need-time.Second)
		}
	}
}
