package workload

import (
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
)

const (
	tIngressClass = "kubernetes:networking.k8s.io/v1:IngressClass"
	tParams       = "kubernetes:eks.amazonaws.com/v1:IngressClassParams"
)

// TestAutoModeNLB: under Auto Mode the Service names Auto Mode's class, keeps
// every setting except the type annotation Auto Mode does not support, and the
// namespace promises no readiness gate Auto Mode would not deliver.
func TestAutoModeNLB(t *testing.T) {
	t.Parallel()
	c := run(t, &Args{Controller: ControllerEKSAutoMode})
	svc := c.One(t, tService, testName)
	if got := str(t, svc, "spec.loadBalancerClass"); got != "eks.amazonaws.com/nlb" {
		t.Errorf("loadBalancerClass = %q, want eks.amazonaws.com/nlb", got)
	}
	ann := stringMap(t, svc, "metadata.annotations")
	if v, ok := ann["service.beta.kubernetes.io/aws-load-balancer-type"]; ok {
		t.Errorf("aws-load-balancer-type = %q under Auto Mode, which does not support it", v)
	}
	for k, want := range map[string]string{
		"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type":            "ip",
		"service.beta.kubernetes.io/aws-load-balancer-attributes":                 "load_balancing.cross_zone.enabled=true,zonal_shift.config.enabled=true",
		"service.beta.kubernetes.io/aws-load-balancer-listener-attributes.TCP-80": "tcp.idle_timeout.seconds=350",
		"service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval":       "10",
	} {
		if ann[k] != want {
			t.Errorf("%s = %q, want %q", k, ann[k], want)
		}
	}
	// Connection termination on: the delay covers preStop 125 s + drain 10 s.
	if !strings.Contains(ann["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"], "deregistration_delay.timeout_seconds=135") {
		t.Errorf("deregistration delay missing: %q", ann["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"])
	}
	ns := c.One(t, tNamespace, testName)
	if v, ok := stringMap(t, ns, "metadata.labels")[ReadinessGateLabel]; ok {
		t.Errorf("namespace label %s=%s under Auto Mode, which has no readiness gate", ReadinessGateLabel, v)
	}
	// NLB: 3 healthy checks x 10 s before a new target takes traffic.
	if got := num(t, c.One(t, tDeployment, testName), "spec.minReadySeconds"); got != 30 {
		t.Errorf("minReadySeconds = %d, want 30 (healthy threshold 3 x interval 10 s)", got)
	}
	if n := len(c.ByType(tIngressClass)) + len(c.ByType(tParams)); n != 0 {
		t.Errorf("an NLB front created %d IngressClass objects", n)
	}
}

// TestAutoModeALB: the Ingress names an IngressClass of controller
// eks.amazonaws.com/alb whose IngressClassParams carry the ALB-wide settings.
func TestAutoModeALB(t *testing.T) {
	t.Parallel()
	c := run(t, &Args{Front: FrontALB, Controller: ControllerEKSAutoMode, ALB: loadbalancer.ALB{IdleTimeout: 120e9}})
	class := AutoModeIngressClassName(testName, testName)
	ing := c.One(t, tIngress, testName)
	if got := str(t, ing, "spec.ingressClassName"); got != class {
		t.Errorf("ingressClassName = %q, want %q", got, class)
	}
	ann := stringMap(t, ing, "metadata.annotations")
	for _, k := range []string{"scheme", "load-balancer-attributes"} {
		if v, ok := ann["alb.ingress.kubernetes.io/"+k]; ok {
			t.Errorf("Ingress annotation %s = %q; Auto Mode reads it from IngressClassParams", k, v)
		}
	}
	if !strings.Contains(ann["alb.ingress.kubernetes.io/target-group-attributes"], "load_balancing.algorithm.type=least_outstanding_requests") {
		t.Errorf("target-group attributes = %q", ann["alb.ingress.kubernetes.io/target-group-attributes"])
	}
	ic := c.One(t, tIngressClass, testName)
	if got := str(t, ic, "spec.controller"); got != "eks.amazonaws.com/alb" {
		t.Errorf("IngressClass controller = %q", got)
	}
	if got := str(t, ic, "spec.parameters.kind"); got != "IngressClassParams" {
		t.Errorf("parameters kind = %q", got)
	}
	if got := str(t, ic, "spec.parameters.name"); got != class {
		t.Errorf("parameters name = %q", got)
	}
	params := c.One(t, tParams, testName+"-params")
	if got := str(t, params, "metadata.name"); got != class {
		t.Errorf("IngressClassParams name = %q", got)
	}
	attrs := map[string]string{}
	for _, kv := range get(t, params, "spec.loadBalancerAttributes").([]any) {
		m := kv.(map[string]any)
		attrs[m["key"].(string)] = m["value"].(string)
	}
	if attrs["idle_timeout.timeout_seconds"] != "120" || attrs["zonal_shift.config.enabled"] != "true" {
		t.Errorf("load-balancer attributes = %v", attrs)
	}
	if got := str(t, params, "spec.namespaceSelector.matchLabels[kubernetes.io/metadata.name]"); got != testName {
		t.Errorf("namespaceSelector = %q", got)
	}
	// The Ingress waits for its class.
	if !dependsOn(ing.DependsOn, ic.URN) {
		t.Errorf("Ingress does not depend on its IngressClass: %v", ing.DependsOn)
	}
	// ALB: 2 healthy checks x 15 s.
	if got := num(t, c.One(t, tDeployment, testName), "spec.minReadySeconds"); got != 30 {
		t.Errorf("minReadySeconds = %d, want 30", got)
	}
}

// TestControllerDefault: the self-managed controller stays the default, with no
// minReadySeconds and its own classes.
func TestControllerDefault(t *testing.T) {
	t.Parallel()
	c := run(t, &Args{Front: FrontALB})
	if got := str(t, c.One(t, tIngress, testName), "spec.ingressClassName"); got != "alb" {
		t.Errorf("ingressClassName = %q, want alb", got)
	}
	if _, ok := c.One(t, tDeployment, testName).Get("spec.minReadySeconds"); ok {
		t.Error("minReadySeconds set without Auto Mode")
	}
	if len(c.ByType(tIngressClass)) != 0 {
		t.Error("IngressClass created for the self-managed controller, whose chart owns class alb")
	}
}

func TestControllerValidation(t *testing.T) {
	t.Parallel()
	expectOnly(t, validate(Args{Controller: "karpenter"}), []string{"controller"}, "must be aws-load-balancer-controller or eks-auto-mode")
	if err := validate(Args{Controller: ControllerEKSAutoMode, Front: FrontALB}); err != nil {
		t.Errorf("Auto Mode ALB rejected: %v", err)
	}
	// Auto Mode runs no Gateway API controller of the toolkit's classes.
	for _, f := range []Front{FrontGatewayALB, FrontGatewayNLB} {
		expectOnly(t, validate(Args{Controller: ControllerEKSAutoMode, Front: f}), []string{"front"}, "EKS Auto Mode does not run")
		if err := validate(Args{Front: f}); err != nil {
			t.Errorf("%s with the controller rejected: %v", f, err)
		}
	}
}

func TestPreferSameZone(t *testing.T) {
	t.Parallel()
	svc := run(t, &Args{TrafficDistribution: TrafficDistributionPreferSameZone}).One(t, tService, testName)
	if got := str(t, svc, "spec.trafficDistribution"); got != "PreferSameZone" {
		t.Errorf("trafficDistribution = %q", got)
	}
	a := Args{TrafficDistribution: TrafficDistributionPreferSameZone}
	a.NLB.TargetType = loadbalancer.TargetTypeInstance
	expectOnly(t, validate(a), []string{"trafficDistribution"}, "instance targets")
}

func dependsOn(deps []string, urn string) bool {
	for _, d := range deps {
		if d == urn {
			return true
		}
	}
	return false
}
