package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestPlanAutoModeExample plans examples/automode offline the way a user
// would (`eksbalance plan examples/automode --stack dev`): no node groups and no
// controller release, Auto Mode's classes on the workload objects, no
// violations, and a prediction for both fronts derived from their spread.
func TestPlanAutoModeExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example program: skipped with -short")
	}
	t.Parallel()
	const dir = "../../examples/automode"
	p := planJSONOf(t, dir, "dev")
	for typ, want := range map[string]int{
		"eks:index:ManagedNodeGroup":                         0,
		"kubernetes:helm.sh/v3:Release":                      0,
		"kubernetes:networking.k8s.io/v1:IngressClass":       1,
		"kubernetes:eks.amazonaws.com/v1:IngressClassParams": 1,
		"kubernetes:apps/v1:Deployment":                      2,
	} {
		if got := p.count(typ); got != want {
			t.Errorf("%d %s, want %d", got, typ, want)
		}
	}
	for _, r := range p.Resources {
		switch r.Type {
		case "eks:index:Cluster":
			if am, _ := r.Inputs["autoMode"].(map[string]any); am["enabled"] != true {
				t.Errorf("cluster autoMode = %v", r.Inputs["autoMode"])
			}
		case "kubernetes:core/v1:Service":
			spec, _ := r.Inputs["spec"].(map[string]any)
			if spec["type"] == "LoadBalancer" && spec["loadBalancerClass"] != "eks.amazonaws.com/nlb" {
				t.Errorf("Service %s class = %v", r.Name, spec["loadBalancerClass"])
			}
		}
	}
	if got := p.annotation("kubernetes:core/v1:Service", "service.beta.kubernetes.io/aws-load-balancer-attributes"); got != "load_balancing.cross_zone.enabled=true,zonal_shift.config.enabled=true" {
		t.Errorf("NLB attributes = %q", got)
	}
	if len(p.Violations) != 0 {
		t.Errorf("violations: %+v", p.Violations)
	}
	if len(p.Predictions) != 2 {
		t.Fatalf("%d predictions, want 2 (NLB and ALB)", len(p.Predictions))
	}
	for _, pr := range p.Predictions {
		if pr.Prediction.MaxOverMean != 1 || pr.Prediction.MinOverMean != 1 {
			t.Errorf("%s: max/mean %v min/mean %v, want 1", pr.Workload, pr.Prediction.MaxOverMean, pr.Prediction.MinOverMean)
		}
	}

	// The text form says where the layout came from.
	var out, errb bytes.Buffer
	if code := run([]string{"plan", dir, "--stack", "dev"}, &out, &errb); code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"nodes are provisioned for the pods (EKS Auto Mode", "Policies: 0 mandatory, 0 advisory"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan text lacks %q", want)
		}
	}
}
