package rules_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/eksbalance/eksbalance/policies/rules"
)

// benchSet is n applications of four objects each (Deployment, Service, PDB,
// Ingress) spread over ten namespaces; every fifth Deployment lacks a
// readiness probe and every seventh a zone spread, so rules fire too.
func benchSet(n int) []rules.Resource {
	var out []rules.Resource
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("app-%d", i)
		ns := fmt.Sprintf("team-%d", i%10)
		labels := map[string]any{"app": name, "team": ns}
		container := map[string]any{
			"name": "app", "image": "registry.k8s.io/e2e-test-images/agnhost:2.39",
			"ports":     []any{map[string]any{"containerPort": 8080}},
			"lifecycle": map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 125}}},
		}
		if i%5 != 0 {
			container["readinessProbe"] = map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": 8080}}
		}
		podSpec := map[string]any{"terminationGracePeriodSeconds": 150, "containers": []any{container}}
		if i%7 != 0 {
			podSpec["topologySpreadConstraints"] = []any{map[string]any{
				"topologyKey": "topology.kubernetes.io/zone", "maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule",
				"labelSelector": map[string]any{"matchLabels": map[string]any{"app": name}},
			}}
		}
		meta := func() map[string]any { return map[string]any{"name": name, "namespace": ns} }
		svc := map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": meta(),
			"spec": map[string]any{"selector": map[string]any{"app": name}, "ports": []any{map[string]any{"port": 80, "targetPort": 8080}}}}
		if i%2 == 0 {
			svc["spec"].(map[string]any)["type"] = "LoadBalancer"
			svc["metadata"].(map[string]any)["annotations"] = map[string]any{
				"service.beta.kubernetes.io/aws-load-balancer-type":                    "external",
				"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type":         "ip",
				"service.beta.kubernetes.io/aws-load-balancer-attributes":              "load_balancing.cross_zone.enabled=true",
				"service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "deregistration_delay.timeout_seconds=60",
			}
		}
		ingMeta := meta()
		ingMeta["annotations"] = map[string]any{
			"alb.ingress.kubernetes.io/target-type":             "ip",
			"alb.ingress.kubernetes.io/target-group-attributes": "deregistration_delay.timeout_seconds=30,load_balancing.algorithm.type=least_outstanding_requests",
		}
		out = append(out,
			rules.FromKubernetes(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(),
				"spec": map[string]any{"replicas": 3, "selector": map[string]any{"matchLabels": map[string]any{"app": name}},
					"strategy": map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxUnavailable": 0, "maxSurge": 1}},
					"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": podSpec}}}),
			rules.FromKubernetes(svc),
			rules.FromKubernetes(map[string]any{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(),
				"spec": map[string]any{"maxUnavailable": 1, "selector": map[string]any{"matchLabels": map[string]any{"app": name}}}}),
			rules.FromKubernetes(map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": ingMeta,
				"spec": map[string]any{"ingressClassName": "alb", "defaultBackend": map[string]any{"service": map[string]any{
					"name": name, "port": map[string]any{"number": 80}}}}}),
		)
	}
	return out
}

// TestBenchSet checks the benchmark's input fires what it was built to fire,
// so the benchmark measures real work.
func TestBenchSet(t *testing.T) {
	t.Parallel()
	vs, err := evaluator(t).Evaluate(context.Background(), benchSet(35))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, v := range vs {
		count[v.Rule]++
	}
	// 35 apps: 7 without probe (i%5==0), 5 without spread (i%7==0).
	want := map[string]int{"readiness-probe": 7, "zone-spread": 5}
	if len(count) != len(want) || count["readiness-probe"] != 7 || count["zone-spread"] != 5 {
		t.Fatalf("fired %v, want %v", count, want)
	}
}

// BenchmarkEvaluate1000 evaluates every rule over 1,000 manifests (250 sets of
// Deployment, Service, PodDisruptionBudget and Ingress), already parsed.
func BenchmarkEvaluate1000(b *testing.B) {
	e := evaluator(b)
	set := benchSet(250)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Evaluate(ctx, set); err != nil {
			b.Fatal(err)
		}
	}
}
