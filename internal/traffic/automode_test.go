package traffic

import (
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/plan"
)

func subnet(zone string) plan.Resource {
	return plan.Resource{Type: "aws:ec2/subnet:Subnet", Name: "private-" + zone, Inputs: map[string]any{"availabilityZone": zone}}
}

func autoModeService() plan.Resource {
	s := service(map[string]any{annNLBAttributes: "load_balancing.cross_zone.enabled=true"}, "")
	s.Inputs["spec"].(map[string]any)["loadBalancerClass"] = autoModeNLBClass
	return s
}

var zoneSpreadMinDomains = map[string]any{"topologyKey": "topology.kubernetes.io/zone", "maxSkew": 1.0, "whenUnsatisfiable": "DoNotSchedule", "minDomains": 3.0}

// TestAutoModeLayoutFromSpread: with no node groups, the zones come from the
// workload's hard zone spread and the planned subnets, and an Auto Mode NLB
// with no target-type annotation is an IP-target NLB.
func TestAutoModeLayoutFromSpread(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Resources: []plan.Resource{
		subnet("us-east-1b"), subnet("us-east-1a"), subnet("us-east-1c"),
		deployment(6, zoneSpreadMinDomains), autoModeService(),
	}}
	preds, notes, err := Predict(p)
	if err != nil || len(preds) != 1 {
		t.Fatalf("preds %v notes %v err %v", preds, notes, err)
	}
	pr := preds[0]
	if pr.Topology.LoadBalancer != (model.LoadBalancer{Kind: model.KindNLB, TargetType: model.TargetTypeIP, CrossZone: true}) {
		t.Errorf("load balancer = %+v, want ip targets (Auto Mode's default) with cross-zone", pr.Topology.LoadBalancer)
	}
	var zones []string
	for _, z := range pr.Topology.Zones {
		pods := 0
		for _, n := range z.Nodes {
			pods += n.Pods
		}
		if pods != 2 {
			t.Errorf("zone %s has %d pods, want 2", z.Name, pods)
		}
		zones = append(zones, z.Name)
	}
	if strings.Join(zones, ",") != "us-east-1a,us-east-1b,us-east-1c" {
		t.Errorf("zones = %v, want the planned subnets' zones", zones)
	}
	if pr.Result.MaxOverMean != 1 {
		t.Errorf("max/mean = %v, want 1", pr.Result.MaxOverMean)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "minDomains 3") || !strings.Contains(notes[0], "one node per pod") {
		t.Errorf("notes do not state the assumption: %v", notes)
	}
}

// TestNoDerivationWithoutHardZoneSpread: a provisioner may put every pod in one
// zone when nothing requires otherwise, so the plan predicts nothing.
func TestNoDerivationWithoutHardZoneSpread(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Resources: []plan.Resource{subnet("us-east-1a"), deployment(6, zoneSpread), autoModeService()}}
	preds, notes, err := Predict(p)
	if err != nil || len(preds) != 0 {
		t.Fatalf("preds %v err %v, want none", preds, err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "traffic prediction skipped") {
		t.Errorf("notes = %v", notes)
	}
}

// TestNodeGroupsWin: planned node groups decide the layout, not the spread.
func TestNodeGroupsWin(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Resources: []plan.Resource{
		nodeGroup("us-east-1a", 1), nodeGroup("us-east-1b", 1),
		deployment(4, zoneSpreadMinDomains), autoModeService(),
	}}
	preds, _, err := Predict(p)
	if err != nil || len(preds) != 1 {
		t.Fatalf("preds %v err %v", preds, err)
	}
	if n := len(preds[0].Topology.Zones); n != 2 {
		t.Errorf("%d zones, want the 2 of the node groups", n)
	}
}

func TestAutoModeIngressClass(t *testing.T) {
	t.Parallel()
	ing := plan.Resource{Type: "kubernetes:networking.k8s.io/v1:Ingress", Name: "web", Inputs: map[string]any{
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec": map[string]any{"ingressClassName": "shop-web", "rules": []any{map[string]any{"http": map[string]any{"paths": []any{
			map[string]any{"backend": map[string]any{"service": map[string]any{"name": "web"}}},
		}}}}},
	}}
	class := plan.Resource{Type: "kubernetes:networking.k8s.io/v1:IngressClass", Name: "shop-web", Inputs: map[string]any{
		"metadata": map[string]any{"name": "shop-web"}, "spec": map[string]any{"controller": autoModeALBController},
	}}
	svc := plan.Resource{Type: "kubernetes:core/v1:Service", Name: "web", Inputs: map[string]any{
		"metadata": map[string]any{"name": "web", "namespace": "shop"},
		"spec":     map[string]any{"type": "ClusterIP", "selector": map[string]any{"app": "web"}},
	}}
	p := &plan.Plan{Resources: []plan.Resource{subnet("a"), subnet("b"), subnet("c"), deployment(6, zoneSpreadMinDomains), svc, ing, class}}
	preds, _, err := Predict(p)
	if err != nil || len(preds) != 1 {
		t.Fatalf("preds %v err %v", preds, err)
	}
	if lb := preds[0].Topology.LoadBalancer; lb.Kind != model.KindALB || lb.TargetType != model.TargetTypeIP {
		t.Errorf("load balancer = %+v, want an ip-target ALB", lb)
	}
	// Without the IngressClass the Ingress belongs to no ALB controller.
	p = &plan.Plan{Resources: []plan.Resource{subnet("a"), subnet("b"), subnet("c"), deployment(6, zoneSpreadMinDomains), svc, ing}}
	if preds, _, _ := Predict(p); len(preds) != 0 {
		t.Errorf("an Ingress of an unknown class was predicted: %+v", preds)
	}
}

// TestNoDerivationOutsideAutoMode: a workload on a cluster the plan does not
// create (self-managed controller, no node groups, no --nodes) has unknown
// nodes: its spread is not taken as a layout.
func TestNoDerivationOutsideAutoMode(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Resources: []plan.Resource{subnet("a"), subnet("b"), subnet("c"), deployment(6, zoneSpreadMinDomains), service(toolkitNLB, "")}}
	preds, notes, err := Predict(p)
	if err != nil || len(preds) != 0 {
		t.Fatalf("preds %v err %v, want none", preds, err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "--nodes") {
		t.Errorf("notes = %v", notes)
	}
	// The same workload in a plan that creates an Auto Mode cluster is derived.
	cl := plan.Resource{Type: "eks:index:Cluster", Name: "c", Inputs: map[string]any{"autoMode": map[string]any{"enabled": true}}}
	p.Resources = append(p.Resources, cl)
	if preds, _, _ := Predict(p); len(preds) != 1 {
		t.Errorf("Auto Mode cluster in the plan: %d predictions, want 1", len(preds))
	}
}
