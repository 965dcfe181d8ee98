package rules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/policies/rules"
)

// The rollout-timing finding prints the deregistration propagation it compared
// with, and says what backs that figure: the ALB's 15 s default is an
// unmeasured assumption, the NLB's 120 s comes from public measurements (LBC
// issues 2366 and 3270), and a figure from the annotation is the stack's own.
// Issue 11 bug 8: an unlabelled "deregistration propagation 15 s" read as a
// fact.
func TestRolloutTimingLabelsThePropagation(t *testing.T) {
	t.Parallel()
	const (
		albDefault = "deregistration propagation 15 s (the ALB default, an unmeasured assumption"
		nlbDefault = "deregistration propagation 120 s (the NLB default, assumed from public measurements: LBC issues 2366 and 3270)"
		annotated  = "deregistration propagation 20 s (set by eksbalance.io/deregistration-propagation-seconds)"
	)
	fixture := func(name string) []rules.Resource {
		return loadFixture(t, filepath.Join("testdata", "rollout-timing", name)).resources
	}
	albAnnotated := fixture("bad-alb.yaml")
	for i, r := range albAnnotated {
		if r.Type == "kubernetes:networking.k8s.io/v1:Ingress" {
			albAnnotated[i] = withAnnotation(r, "eksbalance.io/deregistration-propagation-seconds", "20")
		}
	}
	gatewayALB := rendered(t, oneWorkload(workload.FrontGatewayALB, ""))
	hc := find(t, gatewayALB, "TargetGroupConfiguration", "")["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)["healthCheckConfig"].(map[string]any)
	hc["healthCheckInterval"] = 30

	for name, tc := range map[string]struct {
		res  []rules.Resource
		want string
	}{
		"ALB Ingress, default":              {fixture("bad-alb.yaml"), albDefault},
		"ALB Ingress, annotated":            {albAnnotated, annotated},
		"NLB Service, default":              {fixture("bad-propagation.yaml"), nlbDefault},
		"NLB Gateway, default":              {fixture("bad-gateway-nlb.yaml"), nlbDefault},
		"ALB Gateway, default (slow check)": {gatewayALB, albDefault},
	} {
		var msgs []string
		for _, v := range evaluate(t, tc.res) {
			if v.Rule == "rollout-timing" {
				msgs = append(msgs, v.Message)
			}
		}
		if len(msgs) == 0 {
			t.Errorf("%s: rollout-timing did not fire", name)
			continue
		}
		for _, m := range msgs {
			if !strings.Contains(m, tc.want) {
				t.Errorf("%s: message does not say %q:\n%s", name, tc.want, m)
			}
			// No figure left bare: every "propagation N s" says what backs it.
			if n, labelled := strings.Count(m, "deregistration propagation "), strings.Count(m, " s (set by ")+
				strings.Count(m, " s (the ALB default, an unmeasured assumption")+strings.Count(m, " s (the NLB default, assumed from public measurements"); n != labelled {
				t.Errorf("%s: %d propagation figures, %d labelled:\n%s", name, n, labelled, m)
			}
		}
	}
}
