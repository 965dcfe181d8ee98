package rules_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/eksbalance/eksbalance/policies/rules"
)

// gatewayBenchSet is n applications behind shared ALB Gateways (one per ten
// namespaces): Deployment, Service, TargetGroupConfiguration and HTTPRoute
// each, plus per namespace a Gateway, its LoadBalancerConfiguration and a
// default TargetGroupConfiguration. Every fifth application's
// TargetGroupConfiguration asks for instance targets and no application has a
// PodDisruptionBudget, so rules fire.
func gatewayBenchSet(n int) []rules.Resource {
	var out []rules.Resource
	for g := 0; g < 10; g++ {
		ns := fmt.Sprintf("team-%d", g)
		meta := map[string]any{"name": "edge", "namespace": ns}
		out = append(out,
			rules.FromKubernetes(map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": meta,
				"spec": map[string]any{"gatewayClassName": "aws-alb",
					"infrastructure": map[string]any{"parametersRef": map[string]any{"group": "gateway.k8s.aws", "kind": "LoadBalancerConfiguration", "name": "edge"}},
					"listeners":      []any{map[string]any{"name": "http-80", "protocol": "HTTP", "port": 80}}}}),
			rules.FromKubernetes(map[string]any{"apiVersion": "gateway.k8s.aws/v1", "kind": "LoadBalancerConfiguration", "metadata": meta,
				"spec": map[string]any{"defaultTargetGroupConfiguration": map[string]any{"name": "edge-defaults"},
					"loadBalancerAttributes": []any{map[string]any{"key": "idle_timeout.timeout_seconds", "value": "60"}}}}),
			rules.FromKubernetes(map[string]any{"apiVersion": "gateway.k8s.aws/v1", "kind": "TargetGroupConfiguration",
				"metadata": map[string]any{"name": "edge-defaults", "namespace": ns},
				"spec":     map[string]any{"defaultConfiguration": map[string]any{"targetType": "ip"}}}),
		)
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("app-%d", i)
		ns := fmt.Sprintf("team-%d", i%10)
		meta := func() map[string]any { return map[string]any{"name": name, "namespace": ns} }
		container := map[string]any{
			"name": "app", "image": "registry.k8s.io/e2e-test-images/agnhost:2.39",
			"ports":          []any{map[string]any{"containerPort": 8080}},
			"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": 8080}},
			"lifecycle":      map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 40}}},
		}
		podSpec := map[string]any{"terminationGracePeriodSeconds": 60, "containers": []any{container},
			"topologySpreadConstraints": []any{map[string]any{
				"topologyKey": "topology.kubernetes.io/zone", "maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule",
				"labelSelector": map[string]any{"matchLabels": map[string]any{"app": name}},
			}}}
		tgc := map[string]any{"healthCheckConfig": map[string]any{"healthCheckInterval": 10, "healthCheckTimeout": 5, "unhealthyThresholdCount": 2},
			"targetGroupAttributes": []any{
				map[string]any{"key": "deregistration_delay.timeout_seconds", "value": "30"},
				map[string]any{"key": "load_balancing.algorithm.type", "value": "least_outstanding_requests"},
			}}
		if i%5 == 0 {
			tgc["targetType"] = "instance"
		}
		out = append(out,
			rules.FromKubernetes(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(),
				"spec": map[string]any{"replicas": 3, "selector": map[string]any{"matchLabels": map[string]any{"app": name}},
					"strategy": map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxUnavailable": 0, "maxSurge": 1}},
					"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": name}}, "spec": podSpec}}}),
			rules.FromKubernetes(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": meta(),
				"spec": map[string]any{"selector": map[string]any{"app": name}, "ports": []any{map[string]any{"port": 80, "targetPort": 8080}}}}),
			rules.FromKubernetes(map[string]any{"apiVersion": "gateway.k8s.aws/v1", "kind": "TargetGroupConfiguration", "metadata": meta(),
				"spec": map[string]any{"targetReference": map[string]any{"name": name}, "defaultConfiguration": tgc}}),
			rules.FromKubernetes(map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta(),
				"spec": map[string]any{"parentRefs": []any{map[string]any{"name": "edge"}},
					"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"name": name, "port": 80}}}}}}),
		)
	}
	return out
}

func TestGatewayBenchSet(t *testing.T) {
	t.Parallel()
	vs, err := evaluator(t).Evaluate(context.Background(), gatewayBenchSet(35))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, v := range vs {
		count[v.Rule]++
	}
	// 35 apps: 7 ask for instance targets (i%5==0); none has a PDB, and each
	// is load-balanced through its HTTPRoute, so pdb-present sees all 35.
	if len(count) != 2 || count["ip-targets"] != 7 || count["pdb-present"] != 35 {
		t.Fatalf("fired %v, want ip-targets 7 times and pdb-present 35", count)
	}
}

// BenchmarkEvaluateGateway1000 evaluates every rule over 1,030 manifests: 250
// applications behind shared ALB Gateways. BenchmarkEvaluate1000 (the same
// count of Service and Ingress fronted manifests) is its baseline.
func BenchmarkEvaluateGateway1000(b *testing.B) {
	e := evaluator(b)
	set := gatewayBenchSet(250)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Evaluate(ctx, set); err != nil {
			b.Fatal(err)
		}
	}
}
