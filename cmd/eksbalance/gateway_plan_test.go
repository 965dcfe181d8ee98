package main

import (
	"bytes"
	"strings"
	"testing"
)

// The Gateway examples plan offline like the others: their objects, no
// violation, and a prediction per workload.
func TestPlanGatewayExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example programs: skipped with -short")
	}
	t.Parallel()
	cases := []struct {
		dir         string
		counts      map[string]int
		predictions int
		settings    map[string]string // resource type + path -> value
	}{
		{"../../examples/gateway-alb", map[string]int{
			"kubernetes:gateway.networking.k8s.io/v1:Gateway":         1,
			"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute":       2,
			"kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration": 1,
			"kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration":  3, // the Gateway's default and one per workload
			"kubernetes:networking.k8s.io/v1:Ingress":                 0,
		}, 2, map[string]string{
			"kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration spec.loadBalancerAttributes[1].value": "120",
			"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute spec.parentRefs[0].namespace":               "edge",
		}},
		{"../../examples/gateway-nlb", map[string]int{
			"kubernetes:gateway.networking.k8s.io/v1:Gateway":         1,
			"kubernetes:gateway.networking.k8s.io/v1:TCPRoute":        1,
			"kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration": 1,
			"kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration":  1,
		}, 1, map[string]string{
			"kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration spec.listenerConfigurations[0].listenerAttributes[0].value": "600",
			"kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration spec.defaultConfiguration.targetType":                        "ip",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			p := planJSONOf(t, tc.dir, "dev")
			for typ, want := range tc.counts {
				if got := p.count(typ); got != want {
					t.Errorf("%d %s, want %d", got, typ, want)
				}
			}
			if len(p.Violations) != 0 {
				t.Errorf("violations %+v, want none", p.Violations)
			}
			if len(p.Predictions) != tc.predictions {
				t.Fatalf("%d predictions, want %d", len(p.Predictions), tc.predictions)
			}
			for _, pr := range p.Predictions {
				if pr.Prediction.MaxOverMean != 1 || pr.Prediction.MinOverMean != 1 {
					t.Errorf("%s: max/mean %v, want exactly 1", pr.Workload, pr.Prediction.MaxOverMean)
				}
			}
			for key, want := range tc.settings {
				typ, path, _ := strings.Cut(key, " ")
				found := false
				for _, r := range p.Resources {
					if r.Type == typ {
						if got := lookupString(r.Inputs, path); got == want {
							found = true
						}
					}
				}
				if !found {
					t.Errorf("no %s with %s = %q", typ, path, want)
				}
			}
		})
	}
	// The text form, as a user runs it.
	var out, errb bytes.Buffer
	if code := run([]string{"plan", "../../examples/gateway-alb", "--stack", "dev", "--inputs=false"}, &out, &errb); code != 0 {
		t.Fatalf("plan exit %d: %s", code, errb.String())
	}
	for _, want := range []string{
		"eksbalance:gateway:Gateway edge",
		"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute shop",
		"Policies: 0 mandatory, 0 advisory violation(s)",
		"Traffic prediction (2 load-balanced workload(s))",
		"shop/shop behind Gateway edge/edge (HTTPRoute shop/shop): 6 replicas",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan text lacks %q", want)
		}
	}
}

// lookupString reads a dotted path with [i] indexes from decoded JSON.
func lookupString(v any, path string) string {
	for _, part := range strings.Split(strings.ReplaceAll(path, "[", ".["), ".") {
		if part == "" {
			continue
		}
		if strings.HasPrefix(part, "[") {
			var i int
			for _, c := range strings.Trim(part, "[]") {
				i = i*10 + int(c-'0')
			}
			list, _ := v.([]any)
			if i >= len(list) {
				return ""
			}
			v = list[i]
			continue
		}
		m, _ := v.(map[string]any)
		v = m[part]
	}
	s, _ := v.(string)
	return s
}
