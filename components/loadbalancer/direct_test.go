package loadbalancer

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/internal/validation"
)

const (
	lbType       = "aws:lb/loadBalancer:LoadBalancer"
	tgType       = "aws:lb/targetGroup:TargetGroup"
	listenerType = "aws:lb/listener:Listener"
	tgbType      = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"

	// ARNs as internal/mockcloud forms them.
	mockLBArn = "arn:aws:lb:us-east-1:123456789012:loadBalancer/web-lb"
	mockTGArn = "arn:aws:lb:us-east-1:123456789012:targetGroup/web-tg"
)

// absent marks an input that must not be sent at all.
var absent = &struct{}{}

type inputCheck struct {
	typ, name, path string
	want            any
}

func checkInputs(t *testing.T, c *pulumitest.Capture, checks []inputCheck) {
	t.Helper()
	for _, ch := range checks {
		r := c.One(t, ch.typ, ch.name)
		got, ok := r.Get(ch.path)
		if ch.want == absent {
			if ok {
				t.Errorf("%s %s: %s = %#v, want it unset", ch.typ, ch.name, ch.path, got)
			}
			continue
		}
		if !ok {
			t.Errorf("%s %s: %s missing, want %#v", ch.typ, ch.name, ch.path, ch.want)
			continue
		}
		if !reflect.DeepEqual(got, ch.want) {
			t.Errorf("%s %s: %s = %#v, want %#v", ch.typ, ch.name, ch.path, got, ch.want)
		}
	}
}

// run runs body under mocks with a Kubernetes provider made for it.
func run(t *testing.T, body func(ctx *pulumi.Context, k8s pulumi.ProviderResource) error) (*pulumitest.Capture, error) {
	t.Helper()
	return pulumitest.Run(t, func(ctx *pulumi.Context) error {
		p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		return body(ctx, p)
	})
}

func subnets(ids ...string) pulumi.StringArray { return pulumi.ToStringArray(ids) }

func TestNetworkLoadBalancerDefaults(t *testing.T) {
	t.Parallel()
	var comp *NetworkLoadBalancer
	c, err := run(t, func(ctx *pulumi.Context, k8s pulumi.ProviderResource) error {
		var err error
		comp, err = NewNetworkLoadBalancer(ctx, "web", &NetworkLoadBalancerArgs{
			VpcId:      pulumi.String("vpc-1"),
			SubnetIds:  subnets("subnet-a", "subnet-b", "subnet-c"),
			TargetPort: 8080,
			Binding:    &Binding{Provider: k8s, Namespace: "shop", ServiceName: "web", ServicePort: 80},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	checkInputs(t, c, []inputCheck{
		{lbType, "web-lb", "loadBalancerType", "network"},
		{lbType, "web-lb", "internal", true},
		{lbType, "web-lb", "enableCrossZoneLoadBalancing", true},
		{lbType, "web-lb", "subnets", []any{"subnet-a", "subnet-b", "subnet-c"}},
		{lbType, "web-lb", "idleTimeout", absent},
		{lbType, "web-lb", "securityGroups", absent},
		{lbType, "web-lb", "enableZonalShift", true},

		{tgType, "web-tg", "targetType", "ip"},
		{tgType, "web-tg", "protocol", "TCP"},
		{tgType, "web-tg", "port", 8080.0},
		{tgType, "web-tg", "vpcId", "vpc-1"},
		{tgType, "web-tg", "loadBalancingCrossZoneEnabled", "true"},
		{tgType, "web-tg", "deregistrationDelay", 30.0},
		{tgType, "web-tg", "connectionTermination", true},
		{tgType, "web-tg", "preserveClientIp", "true"},
		{tgType, "web-tg", "proxyProtocolV2", false},
		// Zonal shift on a cross-zone NLB needs unhealthy connection termination off.
		{tgType, "web-tg", "targetHealthStates[0].enableUnhealthyConnectionTermination", false},
		{tgType, "web-tg", "targetHealthStates[0].unhealthyDrainingInterval", 30.0},
		{tgType, "web-tg", "healthCheck.enabled", true},
		{tgType, "web-tg", "healthCheck.protocol", "TCP"},
		{tgType, "web-tg", "healthCheck.port", "traffic-port"},
		{tgType, "web-tg", "healthCheck.interval", 10.0},
		{tgType, "web-tg", "healthCheck.timeout", 10.0},
		{tgType, "web-tg", "healthCheck.healthyThreshold", 3.0},
		{tgType, "web-tg", "healthCheck.unhealthyThreshold", 3.0},
		{tgType, "web-tg", "healthCheck.path", absent},
		{tgType, "web-tg", "healthCheck.matcher", absent},
		{tgType, "web-tg", "slowStart", absent},
		{tgType, "web-tg", "loadBalancingAlgorithmType", absent},

		{listenerType, "web-tcp-80", "port", 80.0},
		{listenerType, "web-tcp-80", "protocol", "TCP"},
		{listenerType, "web-tcp-80", "tcpIdleTimeoutSeconds", 350.0},
		{listenerType, "web-tcp-80", "loadBalancerArn", mockLBArn},
		{listenerType, "web-tcp-80", "defaultActions[0].type", "forward"},
		{listenerType, "web-tcp-80", "defaultActions[0].targetGroupArn", mockTGArn},
		{listenerType, "web-tcp-80", "certificateArn", absent},

		{tgbType, "web-tgb", "apiVersion", "elbv2.k8s.aws/v1beta1"},
		{tgbType, "web-tgb", "kind", "TargetGroupBinding"},
		{tgbType, "web-tgb", "metadata.name", "web"},
		{tgbType, "web-tgb", "metadata.namespace", "shop"},
		{tgbType, "web-tgb", "spec.serviceRef.name", "web"},
		{tgbType, "web-tgb", "spec.serviceRef.port", 80.0},
		{tgbType, "web-tgb", "spec.targetGroupARN", mockTGArn},
		{tgbType, "web-tgb", "spec.targetType", "ip"},
		{tgbType, "web-tgb", "spec.networking", absent},
	})

	compRes := c.One(t, NetworkLoadBalancerType, "web")
	for _, typ := range []string{lbType, tgType, listenerType, tgbType} {
		for _, r := range c.ByType(typ) {
			if r.Parent != compRes.URN {
				t.Errorf("%s %s has parent %q, want the component %q", typ, r.Name, r.Parent, compRes.URN)
			}
		}
	}
	if got := c.One(t, tgbType, "web-tgb").Provider; got == "" {
		t.Error("TargetGroupBinding registered without the caller's Kubernetes provider")
	}
	if len(c.ByType(listenerType)) != 1 {
		t.Errorf("want 1 listener, got %d", len(c.ByType(listenerType)))
	}
	if comp.Timings != (NLB{}).Timings() {
		t.Errorf("component timings %+v differ from the settings' %+v", comp.Timings, NLB{}.Timings())
	}
}

func TestNetworkLoadBalancerOverrides(t *testing.T) {
	t.Parallel()
	const inputCert = "arn:aws:acm:us-east-1:123456789012:certificate/from-stack"
	c, err := run(t, func(ctx *pulumi.Context, k8s pulumi.ProviderResource) error {
		_, err := NewNetworkLoadBalancer(ctx, "web", &NetworkLoadBalancerArgs{
			Settings: NLB{
				Scheme:    SchemeInternetFacing,
				CrossZone: ptr(false),
				Listeners: []Listener{{Port: 80, IdleTimeout: 600 * time.Second}, {Port: 443, Protocol: ProtocolTLS}},
				TLS:       TLS{SSLPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06"},
				HealthCheck: HealthCheck{Protocol: ProtocolHTTP, Path: "/healthz", Interval: 5 * time.Second,
					Timeout: 3 * time.Second, HealthyThreshold: 2, UnhealthyThreshold: 2},
				TargetGroup: TargetGroup{
					DeregistrationDelay:   ptr(time.Duration(0)),
					ConnectionTermination: ptr(false),
					PreserveClientIP:      ptr(false),
					ProxyProtocolV2:       true,
				},
			},
			VpcId:            pulumi.String("vpc-1"),
			SubnetIds:        subnets("subnet-a"),
			SecurityGroupIds: pulumi.ToStringArray([]string{"sg-1", "sg-2"}),
			CertificateArn:   pulumi.String(inputCert),
			TargetPort:       8443,
			Binding:          &Binding{Provider: k8s, ServiceName: "web", ServicePort: 443},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	checkInputs(t, c, []inputCheck{
		{lbType, "web-lb", "internal", false},
		{lbType, "web-lb", "enableCrossZoneLoadBalancing", false},
		{lbType, "web-lb", "securityGroups", []any{"sg-1", "sg-2"}},
		{tgType, "web-tg", "loadBalancingCrossZoneEnabled", "false"},
		{tgType, "web-tg", "port", 8443.0},
		{tgType, "web-tg", "deregistrationDelay", 0.0},
		{tgType, "web-tg", "connectionTermination", false},
		{tgType, "web-tg", "preserveClientIp", "false"},
		{tgType, "web-tg", "proxyProtocolV2", true},
		{tgType, "web-tg", "healthCheck.protocol", "HTTP"},
		{tgType, "web-tg", "healthCheck.path", "/healthz"},
		{tgType, "web-tg", "healthCheck.matcher", "200-399"},
		{tgType, "web-tg", "healthCheck.interval", 5.0},
		{tgType, "web-tg", "healthCheck.timeout", 3.0},
		{tgType, "web-tg", "healthCheck.healthyThreshold", 2.0},
		{tgType, "web-tg", "healthCheck.unhealthyThreshold", 2.0},
		{listenerType, "web-tcp-80", "tcpIdleTimeoutSeconds", 600.0},
		{listenerType, "web-tls-443", "protocol", "TLS"},
		{listenerType, "web-tls-443", "certificateArn", inputCert},
		{listenerType, "web-tls-443", "sslPolicy", "ELBSecurityPolicy-TLS13-1-3-2021-06"},
		{listenerType, "web-tls-443", "tcpIdleTimeoutSeconds", absent},
		{tgbType, "web-tgb", "metadata.namespace", "default"},
		{tgbType, "web-tgb", "spec.networking.ingress[0].from", []any{
			map[string]any{"securityGroup": map[string]any{"groupID": "sg-1"}},
			map[string]any{"securityGroup": map[string]any{"groupID": "sg-2"}},
		}},
		{tgbType, "web-tgb", "spec.networking.ingress[0].ports", []any{map[string]any{"protocol": "TCP", "port": 8443.0}}},
	})
}

func TestApplicationLoadBalancerDefaults(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	outputs := map[string]string{}
	record := func(key string) func(string) string {
		return func(v string) string { mu.Lock(); outputs[key] = v; mu.Unlock(); return v }
	}
	c, err := run(t, func(ctx *pulumi.Context, k8s pulumi.ProviderResource) error {
		comp, err := NewApplicationLoadBalancer(ctx, "web", &ApplicationLoadBalancerArgs{
			VpcId:            pulumi.String("vpc-1"),
			SubnetIds:        subnets("subnet-a", "subnet-b"),
			SecurityGroupIds: pulumi.ToStringArray([]string{"sg-alb"}),
			TargetPort:       8080,
			Binding:          &Binding{Provider: k8s, Namespace: "shop", ServiceName: "web", ServicePort: 80},
		})
		if err != nil {
			return err
		}
		// Exports are awaited before the run ends, so the records are complete.
		ctx.Export("dns", comp.DnsName.ApplyT(record("dns")))
		ctx.Export("tg", comp.TargetGroupArn.ApplyT(record("tg")))
		ctx.Export("lb", comp.LoadBalancerArn.ApplyT(record("lb")))
		ctx.Export("listeners", comp.ListenerArns.ApplyT(func(arns []string) int {
			mu.Lock()
			outputs["listeners"] = arns[0]
			mu.Unlock()
			return len(arns)
		}))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkInputs(t, c, []inputCheck{
		{lbType, "web-lb", "loadBalancerType", "application"},
		{lbType, "web-lb", "internal", true},
		{lbType, "web-lb", "enableCrossZoneLoadBalancing", true},
		{lbType, "web-lb", "idleTimeout", 60.0},
		{lbType, "web-lb", "clientKeepAlive", 3600.0},
		{lbType, "web-lb", "securityGroups", []any{"sg-alb"}},
		{lbType, "web-lb", "enableZonalShift", true},

		{tgType, "web-tg", "targetType", "ip"},
		{tgType, "web-tg", "protocol", "HTTP"},
		{tgType, "web-tg", "loadBalancingCrossZoneEnabled", "true"},
		{tgType, "web-tg", "loadBalancingAlgorithmType", "least_outstanding_requests"},
		{tgType, "web-tg", "slowStart", 30.0},
		{tgType, "web-tg", "deregistrationDelay", 30.0},
		{tgType, "web-tg", "healthCheck.protocol", "HTTP"},
		{tgType, "web-tg", "healthCheck.path", "/"},
		{tgType, "web-tg", "healthCheck.matcher", "200"},
		{tgType, "web-tg", "healthCheck.interval", 15.0},
		{tgType, "web-tg", "healthCheck.timeout", 5.0},
		{tgType, "web-tg", "healthCheck.healthyThreshold", 2.0},
		{tgType, "web-tg", "healthCheck.unhealthyThreshold", 2.0},
		{tgType, "web-tg", "connectionTermination", absent},
		{tgType, "web-tg", "preserveClientIp", absent},
		{tgType, "web-tg", "proxyProtocolV2", absent},

		{listenerType, "web-http-80", "protocol", "HTTP"},
		{listenerType, "web-http-80", "port", 80.0},
		{listenerType, "web-http-80", "tcpIdleTimeoutSeconds", absent},
		{listenerType, "web-http-80", "defaultActions[0].targetGroupArn", mockTGArn},

		{tgbType, "web-tgb", "spec.targetType", "ip"},
		{tgbType, "web-tgb", "spec.targetGroupARN", mockTGArn},
		{tgbType, "web-tgb", "spec.networking.ingress[0].from[0].securityGroup.groupID", "sg-alb"},
	})
	c.One(t, ApplicationLoadBalancerType, "web")
	mu.Lock()
	defer mu.Unlock()
	want := map[string]string{
		"dns":       "web-lb-0123456789.elb.us-east-1.amazonaws.com",
		"tg":        mockTGArn,
		"lb":        mockLBArn,
		"listeners": "arn:aws:lb:us-east-1:123456789012:listener/web-http-80",
	}
	if !reflect.DeepEqual(outputs, want) {
		t.Errorf("component outputs %v, want %v", outputs, want)
	}
}

func TestApplicationLoadBalancerOverrides(t *testing.T) {
	t.Parallel()
	c, err := run(t, func(ctx *pulumi.Context, _ pulumi.ProviderResource) error {
		_, err := NewApplicationLoadBalancer(ctx, "web", &ApplicationLoadBalancerArgs{
			Settings: ALB{
				Scheme:          SchemeInternetFacing,
				CrossZone:       ptr(false),
				Listeners:       []Listener{{Port: 443, Protocol: ProtocolHTTPS}},
				TLS:             TLS{CertificateARN: arn},
				IdleTimeout:     120 * time.Second,
				ClientKeepAlive: 600 * time.Second,
				TargetGroup: TargetGroup{
					Algorithm:           AlgorithmRoundRobin,
					SlowStart:           ptr(time.Duration(0)),
					DeregistrationDelay: ptr(5 * time.Second),
				},
			},
			VpcId:            pulumi.String("vpc-1"),
			SubnetIds:        subnets("subnet-a", "subnet-b"),
			SecurityGroupIds: pulumi.ToStringArray([]string{"sg-alb"}),
			TargetPort:       8080,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	checkInputs(t, c, []inputCheck{
		{lbType, "web-lb", "internal", false},
		// An ALB is cross-zone at the LB level whatever the target group says.
		{lbType, "web-lb", "enableCrossZoneLoadBalancing", true},
		{lbType, "web-lb", "idleTimeout", 120.0},
		{lbType, "web-lb", "clientKeepAlive", 600.0},
		{tgType, "web-tg", "loadBalancingCrossZoneEnabled", "false"},
		{tgType, "web-tg", "loadBalancingAlgorithmType", "round_robin"},
		{tgType, "web-tg", "slowStart", 0.0},
		{tgType, "web-tg", "deregistrationDelay", 5.0},
		{listenerType, "web-https-443", "protocol", "HTTPS"},
		{listenerType, "web-https-443", "certificateArn", arn},
		{listenerType, "web-https-443", "sslPolicy", DefaultSSLPolicy},
	})
	if n := len(c.ByType(tgbType)); n != 0 {
		t.Errorf("no binding asked for, yet %d TargetGroupBindings registered", n)
	}
}

func TestInvalidArgsRegisterNothing(t *testing.T) {
	t.Parallel()
	good := func(k8s pulumi.ProviderResource) NetworkLoadBalancerArgs {
		return NetworkLoadBalancerArgs{
			VpcId: pulumi.String("vpc-1"), SubnetIds: subnets("subnet-a"), TargetPort: 8080,
			Binding: &Binding{Provider: k8s, ServiceName: "web", ServicePort: 80},
		}
	}
	goodALB := func(k8s pulumi.ProviderResource) ApplicationLoadBalancerArgs {
		return ApplicationLoadBalancerArgs{
			VpcId: pulumi.String("vpc-1"), SubnetIds: subnets("subnet-a", "subnet-b"),
			SecurityGroupIds: pulumi.ToStringArray([]string{"sg"}), TargetPort: 8080,
			Binding: &Binding{Provider: k8s, ServiceName: "web", ServicePort: 80},
		}
	}
	tests := []struct {
		name string
		nlb  func(*NetworkLoadBalancerArgs)
		alb  func(*ApplicationLoadBalancerArgs)
		want []string
	}{
		{name: "nlb without vpc", nlb: func(a *NetworkLoadBalancerArgs) { a.VpcId = nil }, want: []string{"vpcId"}},
		{name: "nlb without subnets", nlb: func(a *NetworkLoadBalancerArgs) { a.SubnetIds = nil }, want: []string{"subnetIds"}},
		{name: "nlb with no subnet", nlb: func(a *NetworkLoadBalancerArgs) { a.SubnetIds = pulumi.StringArray{} }, want: []string{"subnetIds"}},
		{name: "nlb without target port", nlb: func(a *NetworkLoadBalancerArgs) { a.TargetPort = 0 }, want: []string{"targetPort"}},
		{name: "nlb bad settings", nlb: func(a *NetworkLoadBalancerArgs) {
			a.Settings.Listeners = []Listener{{Port: 80, IdleTimeout: 7000 * time.Second}}
			a.Settings.HealthCheck.UnhealthyThreshold = 1
		}, want: []string{"settings.listeners[0].idleTimeout", "settings.healthCheck.unhealthyThreshold"}},
		{name: "nlb tls without any certificate", nlb: func(a *NetworkLoadBalancerArgs) {
			a.Settings.Listeners = []Listener{{Port: 443, Protocol: ProtocolTLS}}
		}, want: []string{"settings.tls.certificateArn"}},
		{name: "nlb certificate input without tls listener", nlb: func(a *NetworkLoadBalancerArgs) {
			a.CertificateArn = pulumi.String(arn)
		}, want: []string{"certificateArn"}},
		{name: "binding without provider", nlb: func(a *NetworkLoadBalancerArgs) { a.Binding.Provider = nil }, want: []string{"binding.provider"}},
		{name: "binding without service", nlb: func(a *NetworkLoadBalancerArgs) { a.Binding.ServiceName = "" }, want: []string{"binding.serviceName"}},
		{name: "binding bad namespace", nlb: func(a *NetworkLoadBalancerArgs) { a.Binding.Namespace = "Shop" }, want: []string{"binding.namespace"}},
		{name: "binding without port", nlb: func(a *NetworkLoadBalancerArgs) { a.Binding.ServicePort = 0 }, want: []string{"binding.servicePort"}},
		{name: "nlb instance targets", nlb: func(a *NetworkLoadBalancerArgs) { a.Settings.TargetType = TargetTypeInstance }, want: []string{"settings.targetType"}},
		{name: "alb empty security groups", alb: func(a *ApplicationLoadBalancerArgs) { a.SecurityGroupIds = pulumi.StringArray{} }, want: []string{"securityGroupIds"}},
		{name: "alb without security groups", alb: func(a *ApplicationLoadBalancerArgs) { a.SecurityGroupIds = nil }, want: []string{"securityGroupIds"}},
		{name: "alb with one subnet", alb: func(a *ApplicationLoadBalancerArgs) { a.SubnetIds = subnets("subnet-a") }, want: []string{"subnetIds"}},
		{name: "alb proxy protocol", alb: func(a *ApplicationLoadBalancerArgs) { a.Settings.TargetGroup.ProxyProtocolV2 = true }, want: []string{"settings.targetGroup.proxyProtocolV2"}},
		{name: "alb idle timeout", alb: func(a *ApplicationLoadBalancerArgs) { a.Settings.IdleTimeout = 4001 * time.Second }, want: []string{"settings.idleTimeout"}},
		{name: "alb instance targets without cross-zone", alb: func(a *ApplicationLoadBalancerArgs) {
			a.Settings.TargetType, a.Settings.CrossZone = TargetTypeInstance, ptr(false)
		}, want: []string{"settings.crossZone", "settings.targetType"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := run(t, func(ctx *pulumi.Context, k8s pulumi.ProviderResource) error {
				if tc.nlb != nil {
					a := good(k8s)
					tc.nlb(&a)
					_, err := NewNetworkLoadBalancer(ctx, "web", &a)
					return err
				}
				a := goodALB(k8s)
				tc.alb(&a)
				_, err := NewApplicationLoadBalancer(ctx, "web", &a)
				return err
			})
			var verr *validation.Errors
			if !errors.As(err, &verr) {
				t.Fatalf("want *validation.Errors, got %T: %v", err, err)
			}
			if got := verr.Fields(); !slices.Equal(got, tc.want) {
				t.Errorf("problems on %v, want %v\n%v", got, tc.want, err)
			}
			for _, r := range c.All() {
				if r.Type != "pulumi:providers:kubernetes" {
					t.Errorf("invalid args registered %s %s", r.Type, r.Name)
				}
			}
		})
	}
}

func TestNilArgsAreRejected(t *testing.T) {
	t.Parallel()
	c, err := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, errN := NewNetworkLoadBalancer(ctx, "web", nil)
		_, errA := NewApplicationLoadBalancer(ctx, "web", nil)
		return errors.Join(errN, errA)
	})
	if err == nil {
		t.Fatal("nil args accepted")
	}
	for _, field := range []string{"vpcId", "subnetIds", "targetPort", "securityGroupIds"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error does not name %s: %v", field, err)
		}
	}
	if n := len(c.All()); n != 0 {
		t.Errorf("nil args registered %d resources", n)
	}
}

func TestArgsValidateMatchesConstructor(t *testing.T) {
	t.Parallel()
	a := NetworkLoadBalancerArgs{VpcId: pulumi.String("vpc"), SubnetIds: subnets("s"), TargetPort: 80}
	if err := a.Validate("web"); err != nil {
		t.Errorf("valid args rejected: %v", err)
	}
	a.Settings.Scheme = "open"
	checkFields(t, a.Validate("web"), []string{"settings.scheme"})
	if a.Settings.TargetType != "" {
		t.Error("Validate defaulted the caller's settings")
	}
	b := ApplicationLoadBalancerArgs{VpcId: pulumi.String("vpc"), SubnetIds: subnets("a", "b"), TargetPort: 80}
	checkFields(t, b.Validate("web"), []string{"securityGroupIds"})
}
