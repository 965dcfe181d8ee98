package rules_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/gateway"
	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/policies/rules"
)

// rendered runs a program under mocks and returns its Kubernetes objects as
// the rules see them (deep copies, so a case may change them).
func rendered(t *testing.T, program func(*pulumi.Context) error) []rules.Resource {
	t.Helper()
	c := pulumitest.MustRun(t, program)
	var res []rules.Resource
	for _, r := range c.All() {
		if !strings.HasPrefix(r.Type, "kubernetes:") || !r.Custom {
			continue
		}
		b, _ := json.Marshal(r.Inputs)
		var props map[string]any
		_ = json.Unmarshal(b, &props)
		res = append(res, rules.Resource{Type: r.Type, Name: r.Name, Properties: props})
	}
	if len(res) < 5 {
		t.Fatalf("only %d Kubernetes objects rendered", len(res))
	}
	return res
}

func oneWorkload(front workload.Front, mode workload.PreStopMode) func(*pulumi.Context) error {
	return func(ctx *pulumi.Context) error {
		_, err := workload.NewWorkload(ctx, "web", &workload.Args{Front: front, PreStopMode: mode})
		return err
	}
}

func sharedGateway(kind gateway.Kind, front workload.Front) func(*pulumi.Context) error {
	return func(ctx *pulumi.Context) error {
		g, err := gateway.NewGateway(ctx, "edge", &gateway.Args{Kind: kind})
		if err != nil {
			return err
		}
		for _, name := range []string{"shop", "search"} {
			a := &workload.Args{Front: front, Gateway: g.Ref()}
			if front == workload.FrontGatewayALB {
				a.Host = name + ".example.internal"
			}
			if _, err := workload.NewWorkload(ctx, name, a); err != nil {
				return err
			}
		}
		return nil
	}
}

func evaluate(t *testing.T, res []rules.Resource) []rules.Violation {
	t.Helper()
	vs, err := evaluator(t).Evaluate(context.Background(), res)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// The toolkit's own Gateway objects pass every rule, whatever front, preStop
// mode and Gateway ownership a user picks.
func TestGatewayFrontsPassTheRules(t *testing.T) {
	t.Parallel()
	programs := map[string]func(*pulumi.Context) error{
		"shared-alb": sharedGateway(gateway.KindALB, workload.FrontGatewayALB),
		"shared-nlb": sharedGateway(gateway.KindNLB, workload.FrontGatewayNLB),
	}
	for _, f := range []workload.Front{workload.FrontGatewayALB, workload.FrontGatewayNLB} {
		for _, m := range []workload.PreStopMode{workload.PreStopSleep, workload.PreStopExec, workload.PreStopInApp} {
			programs[string(f)+"-"+string(m)] = oneWorkload(f, m)
		}
	}
	for name, program := range programs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, v := range evaluate(t, rendered(t, program)) {
				t.Errorf("%s [%s] %s", v.Rule, v.Severity, v.Message)
			}
		})
	}
}

// find returns the object of kind (and name, when given) in res.
func find(t *testing.T, res []rules.Resource, kind, name string) map[string]any {
	t.Helper()
	for _, r := range res {
		if r.Properties["kind"] == kind && (name == "" || r.Name == name) {
			return r.Properties
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return nil
}

func setAttr(list any, key, value string) []any {
	out, _ := list.([]any)
	for _, a := range out {
		m := a.(map[string]any)
		if m["key"] == key {
			m["value"] = value
			return out
		}
	}
	return append(out, map[string]any{"key": key, "value": value})
}

// Start from the toolkit's Gateway NLB front, break one thing, and exactly the
// rule that guards it fires.
func TestGatewayMisconfigurationsFire(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		front  workload.Front
		breakf func(t *testing.T, res []rules.Resource)
		want   []string
		says   string
	}{
		{"instance targets in the TargetGroupConfiguration", workload.FrontGatewayNLB, func(t *testing.T, res []rules.Resource) {
			dc := find(t, res, "TargetGroupConfiguration", "")["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)
			dc["targetType"] = "instance"
		}, []string{"ip-targets"}, `spec.defaultConfiguration.targetType is "instance"`},
		{"no target type: the stock controller's instance", workload.FrontGatewayALB, func(t *testing.T, res []rules.Resource) {
			dc := find(t, res, "TargetGroupConfiguration", "")["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)
			delete(dc, "targetType")
		}, []string{"ip-targets"}, "a stock controller"},
		{"cross-zone off on the NLB", workload.FrontGatewayNLB, func(t *testing.T, res []rules.Resource) {
			spec := find(t, res, "LoadBalancerConfiguration", "")["spec"].(map[string]any)
			spec["loadBalancerAttributes"] = setAttr(spec["loadBalancerAttributes"], "load_balancing.cross_zone.enabled", "false")
			dc := find(t, res, "TargetGroupConfiguration", "")["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)
			dc["targetGroupAttributes"] = setAttr(dc["targetGroupAttributes"], "load_balancing.cross_zone.enabled", "use_load_balancer_configuration")
		}, []string{"cross-zone-enabled"}, "load_balancing.cross_zone.enabled=false"},
		{"cross-zone left at the NLB default", workload.FrontGatewayNLB, func(t *testing.T, res []rules.Resource) {
			spec := find(t, res, "LoadBalancerConfiguration", "")["spec"].(map[string]any)
			delete(spec, "loadBalancerAttributes")
			dc := find(t, res, "TargetGroupConfiguration", "")["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)
			dc["targetGroupAttributes"] = setAttr(dc["targetGroupAttributes"], "load_balancing.cross_zone.enabled", "use_load_balancer_configuration")
		}, []string{"cross-zone-enabled"}, "NLB default false"},
		{"cross-zone off in the ALB target group", workload.FrontGatewayALB, func(t *testing.T, res []rules.Resource) {
			dc := find(t, res, "TargetGroupConfiguration", "")["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)
			dc["targetGroupAttributes"] = setAttr(dc["targetGroupAttributes"], "load_balancing.cross_zone.enabled", "false")
		}, []string{"cross-zone-enabled"}, "targetGroupAttributes"},
		{"preStop 60 s behind a Gateway NLB (propagation 120 s)", workload.FrontGatewayNLB, func(t *testing.T, res []rules.Resource) {
			c := container(find(t, res, "Deployment", ""))
			c["lifecycle"] = map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 60}}}
		}, []string{"rollout-timing"}, "NLB of Gateway web (TCPRoute web-tcp-80, Service web)"},
		// The rendered app serves its last 5 s of preStop itself (EKSBALANCE_SHUTDOWN_DELAY):
		// a 115 s hook makes a 120 s wait, at the bound.
		{"preStop hook + close window at the bound (115 + 5 = 120 s)", workload.FrontGatewayNLB, func(t *testing.T, res []rules.Resource) {
			c := container(find(t, res, "Deployment", ""))
			c["lifecycle"] = map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 115}}}
		}, []string{"rollout-timing"}, "deregistration propagation 120 s"},
		{"health check slower than preStop behind a Gateway ALB", workload.FrontGatewayALB, func(t *testing.T, res []rules.Resource) {
			hc := find(t, res, "TargetGroupConfiguration", "")["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)["healthCheckConfig"].(map[string]any)
			hc["healthCheckInterval"] = 30
		}, []string{"rollout-timing"}, "interval 30 s x unhealthy threshold 2 + timeout 5 s"},
		{"keepalive below the Gateway ALB idle timeout", workload.FrontGatewayALB, func(t *testing.T, res []rules.Resource) {
			spec := find(t, res, "LoadBalancerConfiguration", "")["spec"].(map[string]any)
			spec["loadBalancerAttributes"] = setAttr(spec["loadBalancerAttributes"], "idle_timeout.timeout_seconds", "120")
		}, []string{"idle-timeout-order"}, "idle timeout of the ALB of Gateway web"},
		{"deregistration delay above the grace period", workload.FrontGatewayNLB, func(t *testing.T, res []rules.Resource) {
			dc := find(t, res, "TargetGroupConfiguration", "")["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)
			dc["targetGroupAttributes"] = setAttr(dc["targetGroupAttributes"], "deregistration_delay.timeout_seconds", "300")
		}, []string{"deregistration-delay"}, "deregisters targets over 300 s"},
		{"round robin on the Gateway ALB", workload.FrontGatewayALB, func(t *testing.T, res []rules.Resource) {
			dc := find(t, res, "TargetGroupConfiguration", "")["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)
			dc["targetGroupAttributes"] = setAttr(dc["targetGroupAttributes"], "load_balancing.algorithm.type", "round_robin")
		}, []string{"alb-algorithm"}, "round_robin"},
		{"NLB listener idle timeout out of range", workload.FrontGatewayNLB, func(t *testing.T, res []rules.Resource) {
			spec := find(t, res, "LoadBalancerConfiguration", "")["spec"].(map[string]any)
			lc := spec["listenerConfigurations"].([]any)[0].(map[string]any)
			lc["listenerAttributes"] = setAttr(lc["listenerAttributes"], "tcp.idle_timeout.seconds", "30")
		}, []string{"idle-timeout-order", "nlb-idle-timeout"}, "outside the 60-6000 s"},
		{"unhealthy connection termination on, zonal shift and cross-zone on the NLB", workload.FrontGatewayNLB, func(t *testing.T, res []rules.Resource) {
			dc := find(t, res, "TargetGroupConfiguration", "")["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)
			var kept []any
			for _, a := range dc["targetGroupAttributes"].([]any) {
				if a.(map[string]any)["key"] != "target_health_state.unhealthy.draining_interval_seconds" {
					kept = append(kept, a)
				}
			}
			dc["targetGroupAttributes"] = setAttr(kept, "target_health_state.unhealthy.connection_termination.enabled", "true")
		}, []string{"zonal-shift-compatible"}, "target_health_state.unhealthy.connection_termination.enabled is \"true\" in TargetGroupConfiguration web"},
		{"unhealthy connection termination left at AWS's default behind a zonal-shift NLB", workload.FrontGatewayNLB, func(t *testing.T, res []rules.Resource) {
			dc := find(t, res, "TargetGroupConfiguration", "")["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)
			var kept []any
			for _, a := range dc["targetGroupAttributes"].([]any) {
				if k := a.(map[string]any)["key"].(string); !strings.HasPrefix(k, "target_health_state.unhealthy.") {
					kept = append(kept, a)
				}
			}
			dc["targetGroupAttributes"] = kept
		}, []string{"zonal-shift-compatible"}, "AWS default true"},
		{"target-group cross-zone off under a zonal-shift, cross-zone NLB", workload.FrontGatewayNLB, func(t *testing.T, res []rules.Resource) {
			dc := find(t, res, "TargetGroupConfiguration", "")["spec"].(map[string]any)["defaultConfiguration"].(map[string]any)
			dc["targetGroupAttributes"] = setAttr(dc["targetGroupAttributes"], "load_balancing.cross_zone.enabled", "false")
		}, []string{"cross-zone-enabled", "zonal-shift-compatible"}, "only when its target groups keep cross-zone on"},
		{"namespace without readiness gates", workload.FrontGatewayALB, func(t *testing.T, res []rules.Resource) {
			labels := find(t, res, "Namespace", "")["metadata"].(map[string]any)["labels"].(map[string]any)
			delete(labels, "elbv2.k8s.aws/pod-readiness-gate-inject")
		}, []string{"readiness-gate"}, "ALB of Gateway web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := rendered(t, oneWorkload(tt.front, workload.PreStopSleep))
			tt.breakf(t, res)
			vs := evaluate(t, res)
			if got := ruleIDs(vs); !reflect.DeepEqual(got, tt.want) {
				for _, v := range vs {
					t.Logf("%s: %s", v.Rule, v.Message)
				}
				t.Fatalf("rules fired = %v, want %v", got, tt.want)
			}
			all := ""
			for _, v := range vs {
				all += v.Message + "\n"
			}
			if !strings.Contains(all, tt.says) {
				t.Errorf("messages do not say %q:\n%s", tt.says, all)
			}
		})
	}
}

func container(deployment map[string]any) map[string]any {
	return deployment["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
}
