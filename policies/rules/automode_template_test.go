package rules_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/policies/rules"
)

// The workload template on EKS Auto Mode's classes passes the guardrails too,
// and the Auto Mode rules see it: with minReadySeconds taken away, the one
// guarantee that replaces the readiness gate is reported.
func TestAutoModeTemplatePassesTheRules(t *testing.T) {
	t.Parallel()
	ev, err := rules.NewEvaluator(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, front := range []workload.Front{workload.FrontNLB, workload.FrontALB} {
		t.Run(string(front), func(t *testing.T) {
			t.Parallel()
			c := pulumitest.MustRun(t, func(ctx *pulumi.Context) error {
				_, err := workload.NewWorkload(ctx, "web", &workload.Args{Front: front, Controller: workload.ControllerEKSAutoMode})
				return err
			})
			var res []rules.Resource
			for _, r := range c.All() {
				if strings.HasPrefix(r.Type, "kubernetes:") {
					res = append(res, rules.Resource{Type: r.Type, Name: r.Name, Properties: r.Inputs})
				}
			}
			vs, err := ev.Evaluate(context.Background(), res)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				t.Errorf("%s [%s] %s", v.Rule, v.Severity, v.Message)
			}
			// The failing side: the same objects without minReadySeconds.
			for _, r := range res {
				if r.Type == "kubernetes:apps/v1:Deployment" {
					delete(r.Properties["spec"].(map[string]any), "minReadySeconds")
				}
			}
			vs, err = ev.Evaluate(context.Background(), res)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, v := range vs {
				ids = append(ids, v.Rule)
			}
			if !slices.Equal(ids, []string{"automode-min-ready"}) {
				t.Errorf("without minReadySeconds: rules fired %v, want [automode-min-ready]", ids)
			}
		})
	}
}
