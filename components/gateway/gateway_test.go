package gateway

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
)

func run(t *testing.T, args *Args) (*pulumitest.Capture, *Ref) {
	t.Helper()
	var ref *Ref
	c := pulumitest.MustRun(t, func(ctx *pulumi.Context) error {
		g, err := NewGateway(ctx, "edge", args)
		if err == nil {
			ref = g.Ref()
		}
		return err
	})
	return c, ref
}

func sameJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	_ = json.Unmarshal(b, &g)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, b, want)
	}
}

func TestSharedALBGatewayDefaults(t *testing.T) {
	t.Parallel()
	c, ref := run(t, nil)
	ns := c.One(t, "kubernetes:core/v1:Namespace", "edge")
	if ns.String("metadata.labels[pod-security.kubernetes.io/enforce]") != "restricted" {
		t.Error("the Gateway's namespace is not restricted")
	}
	gw := c.One(t, "kubernetes:gateway.networking.k8s.io/v1:Gateway", "edge")
	v, _ := gw.Get("spec")
	sameJSON(t, "Gateway spec", v, `{"gatewayClassName": "aws-alb",
		"infrastructure": {"parametersRef": {"group": "gateway.k8s.aws", "kind": "LoadBalancerConfiguration", "name": "edge"}},
		"listeners": [{"name": "http-80", "protocol": "HTTP", "port": 80, "allowedRoutes": {
			"namespaces": {"from": "Selector", "selector": {"matchLabels": {"gateway.eksbalance.io/attach": "edge"}}},
			"kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}]}}]}`)
	// The provider reports the Gateway created only once the controller has
	// programmed it (see WaitForAnnotation); the configurations need no wait.
	if got := gw.String("metadata.annotations[pulumi.com/waitFor]"); got != "condition=Programmed" {
		t.Errorf("Gateway waitFor annotation %q, want condition=Programmed", got)
	}
	lbc := c.One(t, "kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration", "edge")
	if lbc.String("metadata.annotations[pulumi.com/waitFor]") != "" {
		t.Error("the LoadBalancerConfiguration has no status to wait for")
	}
	v, _ = lbc.Get("spec")
	sameJSON(t, "LoadBalancerConfiguration spec", v, `{"scheme": "internal",
		"loadBalancerAttributes": [{"key": "client_keep_alive.seconds", "value": "3600"}, {"key": "idle_timeout.timeout_seconds", "value": "60"}, {"key": "zonal_shift.config.enabled", "value": "true"}],
		"defaultTargetGroupConfiguration": {"name": "edge-defaults"}}`)
	tgc := c.One(t, "kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration", "edge-defaults")
	v, _ = tgc.Get("spec.defaultConfiguration.targetType")
	if v != "ip" {
		t.Errorf("default target type %v, want ip", v)
	}
	if !strings.Contains(strings.Join(lbc.DependsOn, " "), "edge-defaults") {
		t.Error("the LoadBalancerConfiguration does not wait for the TargetGroupConfiguration it references")
	}
	if ref.Name != "edge" || ref.Namespace != "edge" || ref.Kind != KindALB || ref.ALB.IdleTimeout != 60*time.Second ||
		!reflect.DeepEqual(ref.Listeners, []string{"http-80"}) || ref.NamespaceLabels[AttachLabel] != "edge" {
		t.Errorf("Ref %+v", ref)
	}
}

func TestNLBGatewayAllNamespacesNoDefaults(t *testing.T) {
	t.Parallel()
	c, ref := run(t, &Args{Kind: KindNLB, Routes: RoutesFromAll, DefaultTargetGroup: ptr(false), CreateNamespace: ptr(false), Namespace: "platform"})
	if n := len(c.ByType("kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration")); n != 0 {
		t.Errorf("%d TargetGroupConfigurations, want none", n)
	}
	if n := len(c.ByType("kubernetes:core/v1:Namespace")); n != 0 {
		t.Errorf("%d Namespaces created, want none", n)
	}
	gw := c.One(t, "kubernetes:gateway.networking.k8s.io/v1:Gateway", "edge")
	v, _ := gw.Get("spec.listeners[0].allowedRoutes.namespaces")
	sameJSON(t, "namespaces", v, `{"from": "All"}`)
	if gw.String("spec.gatewayClassName") != "aws-nlb" || ref.NamespaceLabels != nil || ref.Namespace != "platform" {
		t.Errorf("class %q ref %+v", gw.String("spec.gatewayClassName"), ref)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   Args
		fields string
	}{
		{"TLS on an NLB Gateway", Args{Kind: KindNLB, NLB: loadbalancer.NLB{
			Listeners: []loadbalancer.Listener{{Port: 443, Protocol: loadbalancer.ProtocolTLS}},
			TLS:       loadbalancer.TLS{CertificateARN: "arn:aws:acm:us-east-1:111122223333:certificate/abc"}}}, "nlb.listeners[0].protocol"},
		{"NLB settings on an ALB Gateway", Args{NLB: loadbalancer.NLB{Scheme: loadbalancer.SchemeInternal}}, "nlb"},
		{"labels with All", Args{Routes: RoutesFromAll, RouteNamespaceLabels: map[string]string{"a": "b"}}, "routeNamespaceLabels"},
		{"unknown routes mode", Args{Routes: "Everyone"}, "routes"},
		{"bad class", Args{ClassName: "AWS_ALB"}, "className"},
		{"bad ALB setting", Args{ALB: loadbalancer.ALB{IdleTimeout: 5000 * time.Second}}, "alb.idleTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := tt.args
			a.SetDefaults("edge")
			err := a.Validate("edge")
			if err == nil || !strings.Contains(err.Error(), tt.fields+":") {
				t.Fatalf("Validate() = %v, want a problem with %s", err, tt.fields)
			}
			if strings.Count(err.Error(), "\n  - ") != 1 {
				t.Errorf("one broken field gave several problems: %v", err)
			}
		})
	}
	ok := Args{}
	ok.SetDefaults("edge")
	if err := ok.Validate("edge"); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

// StatusHostname reads the address the controller writes; nothing before it
// does.
func TestStatusHostname(t *testing.T) {
	t.Parallel()
	programmed := map[string]any{"spec": map[string]any{}, "status": map[string]any{
		"addresses":  []any{map[string]any{"type": "Hostname", "value": "k8s-edge-edge-0123456789.elb.us-east-1.amazonaws.com"}},
		"conditions": []any{map[string]any{"type": "Programmed", "status": "True"}},
	}}
	if got := StatusHostname(programmed); got != "k8s-edge-edge-0123456789.elb.us-east-1.amazonaws.com" {
		t.Errorf("programmed Gateway: %q", got)
	}
	// What the CRD's status default holds before any controller acts.
	pending := map[string]any{"status": map[string]any{"conditions": []any{
		map[string]any{"type": "Accepted", "status": "Unknown", "reason": "Pending"},
		map[string]any{"type": "Programmed", "status": "Unknown", "reason": "Pending"},
	}}}
	for what, fields := range map[string]map[string]any{"pending": pending, "no status": {}, "nil": nil,
		"empty address": {"status": map[string]any{"addresses": []any{map[string]any{"value": ""}}}}} {
		if got := StatusHostname(fields); got != "" {
			t.Errorf("%s: %q, want none", what, got)
		}
	}
}
