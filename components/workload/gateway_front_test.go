package workload

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/gateway"
	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/plan"
)

const (
	tGateway   = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	tHTTPRoute = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
	tTCPRoute  = "kubernetes:gateway.networking.k8s.io/v1:TCPRoute"
	tLBConfig  = "kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration"
	tTGConfig  = "kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration"
)

// sameJSON compares a captured value with the expected JSON document exactly
// (numbers as JSON numbers), and prints both on a mismatch.
func sameJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expected JSON: %v", what, err)
	}
	b, _ := json.Marshal(got)
	var g any
	_ = json.Unmarshal(b, &g)
	if !reflect.DeepEqual(g, w) {
		gb, _ := json.MarshalIndent(g, "", "  ")
		wb, _ := json.MarshalIndent(w, "", "  ")
		t.Errorf("%s differs:\n got %s\nwant %s", what, gb, wb)
	}
}

func spec(t *testing.T, r plan.Resource) any {
	t.Helper()
	v, ok := r.Get("spec")
	if !ok {
		t.Fatalf("%s %s has no spec", r.Type, r.Name)
	}
	return v
}

func TestGatewayALBDefaultObjects(t *testing.T) {
	t.Parallel()
	c := run(t, &Args{Front: FrontGatewayALB})

	gw := c.One(t, tGateway, testName)
	if gw.String("metadata.namespace") != testName {
		t.Errorf("Gateway namespace %q, want the workload's", gw.String("metadata.namespace"))
	}
	sameJSON(t, "Gateway spec", spec(t, gw), `{
		"gatewayClassName": "aws-alb",
		"infrastructure": {"parametersRef": {"group": "gateway.k8s.aws", "kind": "LoadBalancerConfiguration", "name": "web"}},
		"listeners": [{"name": "http-80", "protocol": "HTTP", "port": 80,
			"allowedRoutes": {"namespaces": {"from": "Same"}, "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}]}}]}`)
	sameJSON(t, "LoadBalancerConfiguration spec", spec(t, c.One(t, tLBConfig, testName)), `{
		"scheme": "internal",
		"loadBalancerAttributes": [
			{"key": "client_keep_alive.seconds", "value": "3600"},
			{"key": "idle_timeout.timeout_seconds", "value": "60"},
			{"key": "zonal_shift.config.enabled", "value": "true"}]}`)
	sameJSON(t, "TargetGroupConfiguration spec", spec(t, c.One(t, tTGConfig, testName)), `{
		"targetReference": {"group": "", "kind": "Service", "name": "web"},
		"defaultConfiguration": {
			"targetType": "ip",
			"healthCheckConfig": {"healthCheckProtocol": "HTTP", "healthCheckPath": "/readyz", "healthCheckInterval": 15,
				"healthCheckTimeout": 5, "healthyThresholdCount": 2, "unhealthyThresholdCount": 2, "matcher": {"httpCode": "200"}},
			"targetGroupAttributes": [
				{"key": "deregistration_delay.timeout_seconds", "value": "30"},
				{"key": "load_balancing.algorithm.type", "value": "least_outstanding_requests"},
				{"key": "load_balancing.cross_zone.enabled", "value": "true"},
				{"key": "slow_start.duration_seconds", "value": "30"}]}}`)
	sameJSON(t, "HTTPRoute spec", spec(t, c.One(t, tHTTPRoute, testName)), `{
		"parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web"}],
		"rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
			"backendRefs": [{"group": "", "kind": "Service", "name": "web", "port": 80, "weight": 1}]}]}`)

	svc := c.One(t, tService, testName)
	if svc.String("spec.type") != "ClusterIP" {
		t.Errorf("Service type %q, want ClusterIP", svc.String("spec.type"))
	}
	if len(c.ByType(tIngress)) != 0 {
		t.Error("a Gateway front renders no Ingress")
	}
	ns := c.One(t, tNamespace, testName)
	if ns.String("metadata.labels["+ReadinessGateLabel+"]") != "enabled" {
		t.Error("IP targets behind a Gateway need the readiness-gate label on the namespace")
	}
	// The pods wait for the route and the configuration, which the
	// controller builds the target group from.
	deps := strings.Join(c.One(t, tDeployment, testName).DependsOn, " ")
	for _, tok := range []string{tHTTPRoute, tTGConfig, tGateway} {
		if !strings.Contains(deps, tok) {
			t.Errorf("Deployment does not wait for the %s: %s", tok, deps)
		}
	}
}

// The Gateway front's timings are the Ingress front's: same settings, same
// loadbalancer.Timings, same preStop and grace.
func TestGatewayFrontsShareTheTimings(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]Front{{FrontALB, FrontGatewayALB}, {FrontNLB, FrontGatewayNLB}} {
		var timings [2]Timing
		for i, f := range pair {
			a := Args{Front: f}
			a.SetDefaults(testName)
			if err := a.Validate(testName); err != nil {
				t.Fatal(err)
			}
			timings[i] = a.Timing()
		}
		if !reflect.DeepEqual(timings[0], timings[1]) {
			t.Errorf("%s and %s timings differ:\n%+v\n%+v", pair[0], pair[1], timings[0], timings[1])
		}
	}
}

func TestGatewayALBOverrides(t *testing.T) {
	t.Parallel()
	c := run(t, &Args{
		Front: FrontGatewayALB,
		Host:  "shop.example.com",
		ALB: loadbalancer.ALB{
			Scheme:                    loadbalancer.SchemeInternetFacing,
			IdleTimeout:               120 * time.Second,
			Listeners:                 []loadbalancer.Listener{{Port: 443, Protocol: loadbalancer.ProtocolHTTPS}},
			TLS:                       loadbalancer.TLS{CertificateARN: "arn:aws:acm:us-east-1:111122223333:certificate/abc"},
			HealthCheck:               loadbalancer.HealthCheck{Interval: 10 * time.Second, Port: "9090"},
			TargetGroup:               loadbalancer.TargetGroup{DeregistrationDelay: ptr(45 * time.Second), SlowStart: ptr(time.Duration(0))},
			DeregistrationPropagation: 20 * time.Second,
		},
		GatewayClass: "edge-alb",
	})
	gw := spec(t, c.One(t, tGateway, testName)).(map[string]any)
	if gw["gatewayClassName"] != "edge-alb" {
		t.Errorf("class %v", gw["gatewayClassName"])
	}
	sameJSON(t, "listeners", gw["listeners"], `[{"name": "https-443", "protocol": "HTTPS", "port": 443,
		"allowedRoutes": {"namespaces": {"from": "Same"}, "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}]}}]`)
	lbc := c.One(t, tLBConfig, testName)
	sameJSON(t, "LoadBalancerConfiguration spec", spec(t, lbc), `{
		"scheme": "internet-facing",
		"loadBalancerAttributes": [
			{"key": "client_keep_alive.seconds", "value": "3600"},
			{"key": "idle_timeout.timeout_seconds", "value": "120"},
			{"key": "zonal_shift.config.enabled", "value": "true"}],
		"listenerConfigurations": [{"protocolPort": "HTTPS:443",
			"defaultCertificate": "arn:aws:acm:us-east-1:111122223333:certificate/abc",
			"sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}]}`)
	tgc := c.One(t, tTGConfig, testName)
	sameJSON(t, "TargetGroupConfiguration spec", spec(t, tgc), `{
		"targetReference": {"group": "", "kind": "Service", "name": "web"},
		"defaultConfiguration": {
			"targetType": "ip",
			"healthCheckConfig": {"healthCheckProtocol": "HTTP", "healthCheckPort": "9090", "healthCheckPath": "/readyz",
				"healthCheckInterval": 10, "healthCheckTimeout": 5, "healthyThresholdCount": 2, "unhealthyThresholdCount": 2,
				"matcher": {"httpCode": "200"}},
			"targetGroupAttributes": [
				{"key": "deregistration_delay.timeout_seconds", "value": "45"},
				{"key": "load_balancing.algorithm.type", "value": "least_outstanding_requests"},
				{"key": "load_balancing.cross_zone.enabled", "value": "true"},
				{"key": "slow_start.duration_seconds", "value": "0"}]}}`)
	for _, r := range []plan.Resource{lbc, tgc} {
		if got := r.String("metadata.annotations[" + loadbalancer.PropagationAnnotation + "]"); got != "20" {
			t.Errorf("%s: propagation annotation %q, want 20 (the rules read the bound from it)", r.Type, got)
		}
	}
	route := spec(t, c.One(t, tHTTPRoute, testName)).(map[string]any)
	sameJSON(t, "hostnames", route["hostnames"], `["shop.example.com"]`)
	// preStop: time to unhealthy 10 s x 2 + 5 s = 25 s beats propagation 20 s; + 5 s
	// margin = 30 s, of which the hook sleeps all but the app's 5 s close window.
	dep := c.One(t, tDeployment, testName)
	v, _ := dep.Get("spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds")
	if v != float64(25) {
		t.Errorf("preStop hook %v s, want 25 (time to unhealthy 25 s + 5 s, less the 5 s close window)", v)
	}
}

func TestGatewayNLBObjects(t *testing.T) {
	t.Parallel()
	c := run(t, &Args{
		Front: FrontGatewayNLB,
		NLB: loadbalancer.NLB{Listeners: []loadbalancer.Listener{
			{Port: 80}, {Port: 9000, IdleTimeout: 600 * time.Second},
		}},
	})
	sameJSON(t, "Gateway spec", spec(t, c.One(t, tGateway, testName)), `{
		"gatewayClassName": "aws-nlb",
		"infrastructure": {"parametersRef": {"group": "gateway.k8s.aws", "kind": "LoadBalancerConfiguration", "name": "web"}},
		"listeners": [
			{"name": "tcp-80", "protocol": "TCP", "port": 80,
				"allowedRoutes": {"namespaces": {"from": "Same"}, "kinds": [{"group": "gateway.networking.k8s.io", "kind": "TCPRoute"}]}},
			{"name": "tcp-9000", "protocol": "TCP", "port": 9000,
				"allowedRoutes": {"namespaces": {"from": "Same"}, "kinds": [{"group": "gateway.networking.k8s.io", "kind": "TCPRoute"}]}}]}`)
	sameJSON(t, "LoadBalancerConfiguration spec", spec(t, c.One(t, tLBConfig, testName)), `{
		"scheme": "internal",
		"loadBalancerAttributes": [{"key": "load_balancing.cross_zone.enabled", "value": "true"}, {"key": "zonal_shift.config.enabled", "value": "true"}],
		"listenerConfigurations": [
			{"protocolPort": "TCP:80", "listenerAttributes": [{"key": "tcp.idle_timeout.seconds", "value": "350"}]},
			{"protocolPort": "TCP:9000", "listenerAttributes": [{"key": "tcp.idle_timeout.seconds", "value": "600"}]}]}`)
	sameJSON(t, "TargetGroupConfiguration spec", spec(t, c.One(t, tTGConfig, testName)), `{
		"targetReference": {"group": "", "kind": "Service", "name": "web"},
		"defaultConfiguration": {
			"targetType": "ip",
			"healthCheckConfig": {"healthCheckProtocol": "TCP", "healthCheckInterval": 10, "healthCheckTimeout": 10,
				"healthyThresholdCount": 3, "unhealthyThresholdCount": 3},
			"targetGroupAttributes": [
				{"key": "deregistration_delay.connection_termination.enabled", "value": "true"},
				{"key": "deregistration_delay.timeout_seconds", "value": "135"},
				{"key": "load_balancing.cross_zone.enabled", "value": "true"},
				{"key": "preserve_client_ip.enabled", "value": "true"},
				{"key": "proxy_protocol_v2.enabled", "value": "false"},
				{"key": "target_health_state.unhealthy.connection_termination.enabled", "value": "false"},
				{"key": "target_health_state.unhealthy.draining_interval_seconds", "value": "30"}]}}`)
	for _, port := range []string{"80", "9000"} {
		sameJSON(t, "TCPRoute "+port, spec(t, c.One(t, tTCPRoute, testName+"-tcp-"+port)), `{
			"parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web", "sectionName": "tcp-`+port+`"}],
			"rules": [{"backendRefs": [{"group": "", "kind": "Service", "name": "web", "port": `+port+`, "weight": 1}]}]}`)
	}
	svcPorts, _ := c.One(t, tService, testName).Get("spec.ports")
	sameJSON(t, "Service ports", svcPorts, `[
		{"name": "tcp-80", "port": 80, "protocol": "TCP", "targetPort": "http"},
		{"name": "tcp-9000", "port": 9000, "protocol": "TCP", "targetPort": "http"}]`)
	// The backend keepalive is above the longest listener idle timeout, and
	// connections are recycled, as behind the Service NLB.
	env := envOf(t, c.One(t, tDeployment, testName))
	age := strconv.Itoa(int(DefaultNLBMaxConnAge / time.Second))
	if env["EKSBALANCE_IDLE_TIMEOUT"] != "605" || env["EKSBALANCE_MAX_CONN_AGE"] != age {
		t.Errorf("env %v: want idle 605 (600 + margin) and connection recycling after %s s behind an NLB", env, age)
	}
}

func envOf(t *testing.T, dep plan.Resource) map[string]string {
	t.Helper()
	raw, _ := dep.Get("spec.template.spec.containers[0].env")
	out := map[string]string{}
	list, _ := raw.([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		n, _ := m["name"].(string)
		v, _ := m["value"].(string)
		out[n] = v
	}
	return out
}

// sharedRun creates a shared Gateway and workloads attached to it.
func sharedRun(t *testing.T, gw *gateway.Args, workloads map[string]*Args) *pulumitest.Capture {
	t.Helper()
	return pulumitest.MustRun(t, func(ctx *pulumi.Context) error {
		g, err := gateway.NewGateway(ctx, "edge", gw)
		if err != nil {
			return err
		}
		for name, a := range workloads {
			a.Gateway = g.Ref()
			if _, err := NewWorkload(ctx, name, a); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestSharedGatewayTakesRoutesFromSeveralWorkloads(t *testing.T) {
	t.Parallel()
	c := sharedRun(t, &gateway.Args{ALB: loadbalancer.ALB{IdleTimeout: 300 * time.Second}}, map[string]*Args{
		"shop":   {Front: FrontGatewayALB, Host: "shop.example.internal"},
		"search": {Front: FrontGatewayALB, Host: "search.example.internal"},
	})
	if n := len(c.ByType(tGateway)); n != 1 {
		t.Fatalf("%d Gateways, want the shared one only", n)
	}
	gw := spec(t, c.One(t, tGateway, "edge")).(map[string]any)
	sameJSON(t, "shared listener", gw["listeners"], `[{"name": "http-80", "protocol": "HTTP", "port": 80,
		"allowedRoutes": {"namespaces": {"from": "Selector", "selector": {"matchLabels": {"gateway.eksbalance.io/attach": "edge"}}},
			"kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}]}}]`)
	lbc := spec(t, c.One(t, tLBConfig, "edge")).(map[string]any)
	sameJSON(t, "default target group reference", lbc["defaultTargetGroupConfiguration"], `{"name": "edge-defaults"}`)
	defaults := spec(t, c.One(t, tTGConfig, "edge-defaults")).(map[string]any)
	if _, ok := defaults["targetReference"]; ok {
		t.Error("the Gateway-wide TargetGroupConfiguration must not name a Service")
	}
	for _, name := range []string{"shop", "search"} {
		route := spec(t, c.One(t, tHTTPRoute, name)).(map[string]any)
		sameJSON(t, name+" parentRefs", route["parentRefs"], `[{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge", "namespace": "edge"}]`)
		ns := c.One(t, tNamespace, name)
		if ns.String("metadata.labels["+gateway.AttachLabel+"]") != "edge" {
			t.Errorf("namespace %s is not labelled for the shared Gateway", name)
		}
		if len(c.ByType(tLBConfig)) != 1 {
			t.Errorf("workloads behind a shared Gateway create no LoadBalancerConfiguration")
		}
		// Timings follow the shared Gateway's idle timeout (300 s), not the ALB default.
		env := envOf(t, c.One(t, tDeployment, name))
		if env["EKSBALANCE_LB_IDLE_TIMEOUT"] != "300" || env["EKSBALANCE_IDLE_TIMEOUT"] != "305" {
			t.Errorf("%s env %v: want LB idle 300 and keepalive 305 from the shared Gateway", name, env)
		}
		deps := strings.Join(c.One(t, tHTTPRoute, name).DependsOn, " ")
		if !strings.Contains(deps, tGateway) {
			t.Errorf("route %s does not wait for the shared Gateway: %s", name, deps)
		}
	}
}

func TestSharedNLBGatewayListener(t *testing.T) {
	t.Parallel()
	c := sharedRun(t, &gateway.Args{Kind: gateway.KindNLB, NLB: loadbalancer.NLB{Listeners: []loadbalancer.Listener{{Port: 5432}, {Port: 6379}}}},
		map[string]*Args{"db-proxy": {Front: FrontGatewayNLB, GatewayListener: "tcp-5432"}})
	routes := c.ByType(tTCPRoute)
	if len(routes) != 1 || routes[0].Name != "db-proxy-tcp-5432" {
		t.Fatalf("routes %v, want only db-proxy-tcp-5432 on the chosen listener", routes)
	}
}

func TestGatewayFrontValidation(t *testing.T) {
	t.Parallel()
	albRef := &gateway.Ref{Name: "edge", Namespace: "edge", Kind: gateway.KindALB, Listeners: []string{"http-80"},
		ALB: func() loadbalancer.ALB { s := loadbalancer.ALB{}; s.SetDefaults(); return s }()}
	sameNS := *albRef
	sameNS.SameNamespaceOnly = true
	tests := []struct {
		name   string
		args   Args
		fields []string
		frag   string
	}{
		{"TLS listener on an NLB Gateway", Args{Front: FrontGatewayNLB, NLB: loadbalancer.NLB{
			Listeners: []loadbalancer.Listener{{Port: 443, Protocol: loadbalancer.ProtocolTLS}},
			TLS:       loadbalancer.TLS{CertificateARN: "arn:aws:acm:us-east-1:111122223333:certificate/abc"}}},
			[]string{"nlb.listeners[0].protocol"}, "must be TCP on an NLB Gateway"},
		{"host on an NLB Gateway", Args{Front: FrontGatewayNLB, Host: "x.example.com"}, []string{"host"}, "HTTP routes only"},
		{"ALB front on an NLB Gateway", Args{Front: FrontGatewayNLB, Gateway: albRef}, []string{"gateway"}, "needs an NLB one"},
		{"unknown listener", Args{Front: FrontGatewayALB, Gateway: albRef, GatewayListener: "https-443"}, []string{"gatewayListener"}, "http-80"},
		{"idle timeout of the shared Gateway", Args{Front: FrontGatewayALB, Gateway: albRef, ALB: loadbalancer.ALB{IdleTimeout: 120 * time.Second}},
			[]string{"alb.idleTimeout"}, "set it on the Gateway"},
		{"other namespace with Same", Args{Front: FrontGatewayALB, Gateway: &sameNS}, []string{"namespace"}, "own namespace only"},
		{"class with a shared Gateway", Args{Front: FrontGatewayALB, Gateway: albRef, GatewayClass: "x"}, []string{"gatewayClass"}, "has its class"},
		{"gateway with an Ingress front", Args{Front: FrontALB, GatewayListener: "http-80"}, []string{"gateway"}, "Gateway fronts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			expectOnly(t, validate(tt.args), tt.fields, tt.frag)
		})
	}
}

// Zonal shift is a load-balancer attribute: behind a shared NLB Gateway the
// workload's target group must follow the Gateway's choice. With the
// Gateway's zonal shift and cross-zone on, AWS refuses the attribute on the
// whole NLB (every workload's routes fail) unless each target group keeps
// unhealthy connection termination off; with the Gateway's zonal shift off
// the target group keeps AWS's default.
func TestSharedGatewayZonalShiftIsTheGateways(t *testing.T) {
	t.Parallel()
	termination := func(c *pulumitest.Capture, name string) string {
		dc := spec(t, c.One(t, tTGConfig, name)).(map[string]any)["defaultConfiguration"].(map[string]any)
		for _, a := range dc["targetGroupAttributes"].([]any) {
			if m := a.(map[string]any); m["key"] == loadbalancer.AttrUnhealthyConnectionTermination {
				return m["value"].(string)
			}
		}
		return ""
	}
	off := false
	c := sharedRun(t, &gateway.Args{Kind: gateway.KindNLB, NLB: loadbalancer.NLB{ZonalShift: &off}},
		map[string]*Args{"db-proxy": {Front: FrontGatewayNLB}})
	if got := termination(c, "db-proxy"); got != "true" {
		t.Errorf("Gateway without zonal shift: unhealthy connection termination %q, want AWS's default true", got)
	}
	c = sharedRun(t, &gateway.Args{Kind: gateway.KindNLB}, map[string]*Args{"db-proxy": {Front: FrontGatewayNLB}})
	if got := termination(c, "db-proxy"); got != "false" {
		t.Errorf("Gateway with zonal shift and cross-zone: unhealthy connection termination %q, want false", got)
	}

	nlbRef := &gateway.Ref{Name: "edge", Namespace: "edge", Kind: gateway.KindNLB, Listeners: []string{"tcp-80"},
		NLB: func() loadbalancer.NLB { s := loadbalancer.NLB{}; s.SetDefaults(); return s }()}
	expectOnly(t, validate(Args{Front: FrontGatewayNLB, Gateway: nlbRef, NLB: loadbalancer.NLB{ZonalShift: &off}}),
		[]string{"nlb.zonalShift"}, "nlb.zonalShift: false: is the shared Gateway edge/edge's setting (true)")
}

// A Gateway front's hostname is its Gateway's (status.addresses, read once the
// provider has waited for the Gateway's Programmed condition), never the
// backend ClusterIP Service's, which has no load balancer; a Ref written by hand
// carries none and gives an empty hostname rather than a program that never
// resolves.
func TestGatewayFrontHostnameIsTheGateways(t *testing.T) {
	t.Parallel()
	hostnames := map[string]string{}
	var mu sync.Mutex
	nlbRef := func(host *pulumi.StringOutput) *gateway.Ref {
		r := &gateway.Ref{Name: "edge", Namespace: "edge", Kind: gateway.KindNLB, Listeners: []string{"tcp-80"},
			NLB: func() loadbalancer.NLB { s := loadbalancer.NLB{}; s.SetDefaults(); return s }()}
		if host != nil {
			r.Hostname = *host
		}
		return r
	}
	c := pulumitest.MustRun(t, func(ctx *pulumi.Context) error {
		given := pulumi.String("k8s-edge-edge-0123456789.elb.us-east-1.amazonaws.com").ToStringOutput()
		for name, a := range map[string]*Args{
			"own":     {Front: FrontGatewayNLB},
			"shared":  {Front: FrontGatewayNLB, Namespace: "edge", CreateNamespace: ptr(false), Gateway: nlbRef(&given)},
			"by-hand": {Front: FrontGatewayNLB, Namespace: "edge", CreateNamespace: ptr(false), Gateway: nlbRef(nil)},
		} {
			w, err := NewWorkload(ctx, name, a)
			if err != nil {
				return err
			}
			w.Hostname.ApplyT(func(h string) string {
				mu.Lock()
				defer mu.Unlock()
				hostnames[name] = h
				return h
			})
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	want := map[string]string{"shared": "k8s-edge-edge-0123456789.elb.us-east-1.amazonaws.com", "by-hand": "", "own": ""}
	if !reflect.DeepEqual(hostnames, want) {
		t.Errorf("hostnames %v, want %v (the mocked cloud writes no Gateway status)", hostnames, want)
	}
	if got := c.One(t, tGateway, "own").String("metadata.annotations[" + gateway.WaitForAnnotation + "]"); got != gateway.WaitForProgrammed {
		t.Errorf("the workload's own Gateway: waitFor %q, want %q", got, gateway.WaitForProgrammed)
	}
}
