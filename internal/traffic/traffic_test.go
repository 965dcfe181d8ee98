package traffic

import (
	"math"
	"testing"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/plan"
)

func nodeGroup(zone string, desired int) plan.Resource {
	return plan.Resource{Type: "eks:index:ManagedNodeGroup", Name: "nodes-" + zone, Inputs: map[string]any{
		"scalingConfig": map[string]any{"desiredSize": float64(desired)},
		"tags":          map[string]any{zoneTag: zone},
	}}
}

func deployment(replicas int, constraints ...map[string]any) plan.Resource {
	var tsc []any
	for _, c := range constraints {
		tsc = append(tsc, c)
	}
	return plan.Resource{Type: "kubernetes:apps/v1:Deployment", Name: "web", URN: "urn:web", Inputs: map[string]any{
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec": map[string]any{
			"replicas": float64(replicas),
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
				"spec":     map[string]any{"topologySpreadConstraints": tsc},
			},
		},
	}}
}

var zoneSpread = map[string]any{"topologyKey": "topology.kubernetes.io/zone", "maxSkew": 1.0, "whenUnsatisfiable": "DoNotSchedule"}

func service(annotations map[string]any, etp string) plan.Resource {
	spec := map[string]any{"type": "LoadBalancer", "selector": map[string]any{"app": "web"}}
	if etp != "" {
		spec["externalTrafficPolicy"] = etp
	}
	return plan.Resource{Type: "kubernetes:core/v1:Service", Name: "web", Inputs: map[string]any{
		"metadata": map[string]any{"name": "web", "namespace": "shop", "annotations": annotations},
		"spec":     spec,
	}}
}

var toolkitNLB = map[string]any{
	annLBType:        "external",
	annNLBTargetType: "ip",
	annNLBAttributes: "load_balancing.cross_zone.enabled=true",
}

func TestToolkitDefaultsAreEven(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Resources: []plan.Resource{
		nodeGroup("us-east-1a", 2), nodeGroup("us-east-1b", 2), nodeGroup("us-east-1c", 2),
		deployment(6, zoneSpread), service(toolkitNLB, ""),
	}}
	preds, notes, err := Predict(p)
	if err != nil || len(preds) != 1 {
		t.Fatalf("preds %v notes %v err %v", preds, notes, err)
	}
	pr := preds[0]
	if pr.Workload != "shop/web" || pr.Replicas != 6 || pr.Spread.ZoneMaxSkew != 1 {
		t.Errorf("derived %+v", pr)
	}
	if pr.Topology.LoadBalancer != (model.LoadBalancer{Kind: model.KindNLB, TargetType: model.TargetTypeIP, CrossZone: true}) {
		t.Errorf("load balancer = %+v", pr.Topology.LoadBalancer)
	}
	if pr.Result.MaxOverMean != 1 || pr.Result.MinOverMean != 1 {
		t.Errorf("toolkit defaults: max/mean %v min/mean %v, want 1", pr.Result.MaxOverMean, pr.Result.MinOverMean)
	}
	if len(pr.Contrast) < 3 {
		t.Fatalf("contrast has %d variants", len(pr.Contrast))
	}
	// After drift, the toolkit default stays even, and so does kube-proxy's
	// random pick over all pods (its cost is the extra hop, not imbalance); the
	// per-zone and per-node splits do not.
	if len(pr.Drift) != len(pr.Contrast) || pr.DriftNote == "" {
		t.Fatalf("drift = %v (%q)", pr.Drift, pr.DriftNote)
	}
	for _, np := range pr.Drift {
		even := np.Prediction.MaxOverMean == 1
		toolkit := np.Variant.TargetType == model.TargetTypeIP && np.Variant.CrossZone
		kubeProxy := np.Variant.ExternalTrafficPolicy == model.PolicyCluster
		if even != (toolkit || kubeProxy) {
			t.Errorf("after drift, %s: max/mean %v", np.Variant.Name, np.Prediction.MaxOverMean)
		}
		if kubeProxy && np.Prediction.ExtraHopFraction == 0 {
			t.Errorf("after drift, %s: no extra hop", np.Variant.Name)
		}
	}
	// The contrast must not have changed the placement it was given.
	if pr.Topology.TotalPods() != 6 || pr.Topology.Zones[0].Nodes[0].Pods != 1 {
		t.Errorf("placement changed: %+v", pr.Topology.Zones)
	}
}

func TestKubernetesDefaultsDerivedFromAnnotations(t *testing.T) {
	t.Parallel()
	// Legacy-style Service (no controller annotations): instance targets,
	// cross-zone off, eTP Local; 3 replicas on nodes 2+1+0 per zone.
	p := &plan.Plan{Resources: []plan.Resource{
		nodeGroup("us-east-1a", 1), nodeGroup("us-east-1b", 1),
		deployment(3), service(map[string]any{}, "Local"),
	}}
	preds, _, err := Predict(p)
	if err != nil || len(preds) != 1 {
		t.Fatalf("preds %v err %v", preds, err)
	}
	lb := preds[0].Topology
	if lb.LoadBalancer.TargetType != model.TargetTypeInstance || lb.LoadBalancer.CrossZone || lb.ExternalTrafficPolicy != model.PolicyLocal {
		t.Errorf("derived %+v", lb)
	}
	// 3 pods on 2 nodes: 2 on one and 1 on the other, each node gets 1/2.
	if got := preds[0].Result.MaxOverMean; math.Abs(got-1.5) > 1e-9 {
		t.Errorf("max/mean = %v, want 1.5 (the single pod gets 1/2)", got)
	}
}

func TestALBIngressFront(t *testing.T) {
	t.Parallel()
	svc := service(nil, "")
	svc.Inputs["spec"].(map[string]any)["type"] = "ClusterIP"
	ing := plan.Resource{Type: "kubernetes:networking.k8s.io/v1:Ingress", Name: "web", Inputs: map[string]any{
		"metadata": map[string]any{"name": "web", "namespace": "shop", "annotations": map[string]any{annALBTargetType: "ip"}},
		"spec": map[string]any{"ingressClassName": "alb", "rules": []any{map[string]any{"http": map[string]any{"paths": []any{
			map[string]any{"backend": map[string]any{"service": map[string]any{"name": "web"}}}}}}}},
	}}
	p := &plan.Plan{Resources: []plan.Resource{nodeGroup("us-east-1a", 1), nodeGroup("us-east-1b", 1), deployment(4, zoneSpread), svc, ing}}
	preds, _, err := Predict(p)
	if err != nil || len(preds) != 1 {
		t.Fatalf("preds %v err %v", preds, err)
	}
	if got := preds[0].Topology.LoadBalancer; got.Kind != model.KindALB || got.TargetType != model.TargetTypeIP || !got.CrossZone {
		t.Errorf("ALB front derived as %+v", got)
	}
}

func TestNoNodeGroupsExplains(t *testing.T) {
	t.Parallel()
	preds, notes, err := Predict(&plan.Plan{Resources: []plan.Resource{deployment(3), service(toolkitNLB, "")}})
	if err != nil || len(preds) != 0 || len(notes) != 1 {
		t.Fatalf("preds %v notes %v err %v", preds, notes, err)
	}
}

func TestUnbalancedNodeGroupsShowInPrediction(t *testing.T) {
	t.Parallel()
	// One zone has 2 nodes, another 1, the third none: cross-zone off with ip
	// targets puts half the traffic on the lone zone-b pods.
	ann := map[string]any{annLBType: "external", annNLBTargetType: "ip"}
	p := &plan.Plan{Resources: []plan.Resource{nodeGroup("us-east-1a", 2), nodeGroup("us-east-1b", 1), deployment(3, zoneSpread), service(ann, "")}}
	preds, _, err := Predict(p)
	if err != nil || len(preds) != 1 {
		t.Fatalf("preds %v err %v", preds, err)
	}
	if preds[0].Result.MaxOverMean <= 1 {
		t.Errorf("uneven zones with cross-zone off predicted even: %+v", preds[0].Result)
	}
}
