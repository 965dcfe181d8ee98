package rules_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/policies/rules"
)

// Whatever front and preStop mode a user picks, the workload template's objects
// pass the guardrails: the rules and the template derive the same bounds.
func TestWorkloadTemplatePassesTheRules(t *testing.T) {
	t.Parallel()
	ev, err := rules.NewEvaluator(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, front := range []workload.Front{workload.FrontNLB, workload.FrontALB} {
		for _, mode := range []workload.PreStopMode{workload.PreStopSleep, workload.PreStopExec, workload.PreStopInApp} {
			t.Run(string(front)+"-"+string(mode), func(t *testing.T) {
				t.Parallel()
				c := pulumitest.MustRun(t, func(ctx *pulumi.Context) error {
					_, err := workload.NewWorkload(ctx, "web", &workload.Args{Front: front, PreStopMode: mode})
					return err
				})
				var res []rules.Resource
				for _, r := range c.All() {
					if strings.HasPrefix(r.Type, "kubernetes:") {
						res = append(res, rules.Resource{Type: r.Type, Name: r.Name, Properties: r.Inputs})
					}
				}
				if len(res) < 4 {
					t.Fatalf("only %d Kubernetes objects captured", len(res))
				}
				vs, err := ev.Evaluate(context.Background(), res)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range vs {
					t.Errorf("%s [%s] %s", v.Rule, v.Severity, v.Message)
				}
			})
		}
	}
}
