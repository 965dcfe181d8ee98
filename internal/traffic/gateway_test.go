package traffic

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/plan"
)

// gatewayPlan is a workload with a Gateway front on three zones of two nodes.
func gatewayPlan(t *testing.T, front workload.Front) *plan.Plan {
	t.Helper()
	c := pulumitest.MustRun(t, func(ctx *pulumi.Context) error {
		_, err := workload.NewWorkload(ctx, "web", &workload.Args{Front: front})
		return err
	})
	p := c.Plan()
	for _, z := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		p.Resources = append(p.Resources, nodeGroup(z, 2))
	}
	return p
}

func TestPredictGatewayFronts(t *testing.T) {
	t.Parallel()
	for front, kind := range map[workload.Front]model.Kind{workload.FrontGatewayALB: model.KindALB, workload.FrontGatewayNLB: model.KindNLB} {
		preds, notes, err := Predict(gatewayPlan(t, front))
		if err != nil {
			t.Fatal(err)
		}
		if len(preds) != 1 {
			t.Fatalf("%s: %d predictions (notes %v), want 1", front, len(preds), notes)
		}
		pr := preds[0]
		lb := pr.Topology.LoadBalancer
		if lb.Kind != kind || lb.TargetType != model.TargetTypeIP || !lb.CrossZone {
			t.Errorf("%s: load balancer %+v, want %s with ip targets and cross-zone", front, lb, kind)
		}
		if pr.Result.MaxOverMean != 1 || pr.Replicas != 6 {
			t.Errorf("%s: %d replicas, max/mean %v; want 6 and exactly 1", front, pr.Replicas, pr.Result.MaxOverMean)
		}
	}
}

// What the plan says decides the prediction: the NLB Gateway's cross-zone
// from its LoadBalancerConfiguration, the target type from the planned
// controller when no configuration sets it.
func TestGatewayFrontSettingsFromThePlan(t *testing.T) {
	t.Parallel()
	p := gatewayPlan(t, workload.FrontGatewayNLB)
	for i, r := range p.Resources {
		switch r.Type {
		case "kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration":
			spec := r.Inputs["spec"].(map[string]any)
			spec["loadBalancerAttributes"] = []any{map[string]any{"key": "load_balancing.cross_zone.enabled", "value": "false"}}
		case "kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration":
			dc := r.Inputs["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)
			delete(dc, "targetType")
			dc["targetGroupAttributes"] = []any{}
		}
		p.Resources[i] = r
	}
	preds, _, err := Predict(p)
	if err != nil || len(preds) != 1 {
		t.Fatalf("predictions %v, %v", preds, err)
	}
	lb := preds[0].Topology.LoadBalancer
	if lb.CrossZone || lb.TargetType != model.TargetTypeInstance {
		t.Errorf("load balancer %+v: want cross-zone off (the LoadBalancerConfiguration) and instance targets (no controller planned)", lb)
	}
	p.Resources = append(p.Resources, plan.Resource{Type: "kubernetes:helm.sh/v3:Release", Name: "lbc-release",
		Inputs: map[string]any{"chart": "aws-load-balancer-controller", "values": map[string]any{"defaultTargetType": "ip"}}})
	preds, _, _ = Predict(p)
	if got := preds[0].Topology.LoadBalancer.TargetType; got != model.TargetTypeIP {
		t.Errorf("with the planned controller's defaultTargetType ip: target type %s", got)
	}
}

// TestControllerDefaultChartNames: the planned controller is found however
// the Helm release names the chart: bare (with a repositoryOpts repo, as the
// toolkit does), repo/chart as helm install takes it, or an OCI or chart URL.
func TestControllerDefaultChartNames(t *testing.T) {
	t.Parallel()
	for chart, want := range map[string]bool{
		"aws-load-balancer-controller":                          true,
		"eks/aws-load-balancer-controller":                      true,
		"oci://public.ecr.aws/eks/aws-load-balancer-controller": true,
		"my-aws-load-balancer-controller":                       false,
		"ingress-nginx":                                         false,
	} {
		p := &plan.Plan{Resources: []plan.Resource{{Type: "kubernetes:helm.sh/v3:Release", Name: "lbc",
			Inputs: map[string]any{"chart": chart, "values": map[string]any{"defaultTargetType": "ip"}}}}}
		got, _, ok := ControllerDefault(p)
		if ok != want || (want && got != "ip") {
			t.Errorf("chart %q: %q found %v, want found %v", chart, got, ok, want)
		}
	}
}
