package rules_test

import (
	"context"
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
					"terminationGracePeriodSeconds": preStop + 600,
					"containers": []any{map[string]any{
						"name": "app", "image": "app:1", "ports": []any{map[string]any{"containerPort": 8080}},
						"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/readyz", "port": 8080}},
						"lifecycle":      map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": preStop}}},
					}},
				},
			}},
	}
	vs, err := ev.Evaluate(context.Background(), []rules.Resource{rules.FromKubernetes(svc), rules.FromKubernetes(dep)})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Rule == "rollout-timing" {
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
		"defaults (propagation decides)":            {},
		"fast check, measured propagation":          {HealthCheck: customNLB().HealthCheck, DeregistrationPropagation: 10 * time.Second},
		"slow check (time to unhealthy decides)":    slowCheck,
		"custom check with the default propagation": customNLB(),
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
