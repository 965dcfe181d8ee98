package loadbalancer

import (
	"maps"
	"slices"
	"strconv"
)

// EKS Auto Mode runs AWS's own load-balancer controller in the control plane:
// no Helm release, no IRSA role, IP targets by default. It reads the same
// settings through different classes and APIs:
//
//   - an NLB from a Service of type LoadBalancer whose spec.loadBalancerClass is
//     AutoModeLoadBalancerClass, configured by Service annotations;
//   - an ALB from an Ingress whose IngressClass names AutoModeIngressController
//     and points at an IngressClassParams object (AutoModeParamsAPIVersion),
//     which holds the load-balancer-wide settings; target-group settings stay on
//     the Ingress as annotations.
//
// What Auto Mode honours, from the EKS user guide ("Use Service Annotations to
// configure Network Load Balancers",
// https://docs.aws.amazon.com/eks/latest/userguide/auto-configure-nlb.html;
// "Create an IngressClass to configure an Application Load Balancer",
// https://docs.aws.amazon.com/eks/latest/userguide/auto-configure-alb.html;
// "Learn about VPC Networking and Load Balancing in EKS Auto Mode",
// https://docs.aws.amazon.com/eks/latest/userguide/auto-networking.html):
//
//   - documented for Services: aws-load-balancer-nlb-target-type, -scheme,
//     -healthcheck-protocol, -healthcheck-path, -healthcheck-port, -ssl-cert,
//     -ssl-ports, -attributes (load-balancer attributes, where cross-zone and
//     zonal shift go) and -target-group-attributes;
//   - documented as NOT supported: aws-load-balancer-type (spec.loadBalancerClass
//     replaces it, so AutoModeServiceAnnotations leaves it out), the separate
//     cross-zone, proxy-protocol and access-log annotations (the toolkit already
//     uses the attribute lists), and NLBs without security groups;
//   - not documented either way: the health-check interval, timeout and
//     threshold annotations and the listener-attributes annotation (TCP idle
//     timeout). They are written anyway. The toolkit's defaults equal the
//     controller defaults Auto Mode inherits, so the timing chain holds whether
//     or not they are read; a non-default value is unverified under Auto Mode;
//   - IngressClassParams (eks.amazonaws.com/v1): scheme, targetType (default ip),
//     certificateARNs, sslPolicy, namespaceSelector, loadBalancerAttributes and
//     listeners; annotations on an IngressClass are ignored, annotations on an
//     Ingress are read (except group.name and a few others the guide lists);
//   - pod readiness gates: NOT supported (aws/containers-roadmap issue 2511 is
//     open), so the elbv2.k8s.aws/pod-readiness-gate-inject label does nothing.
//     The workload template compensates with minReadySeconds (see
//     components/workload).
const (
	// AutoModeLoadBalancerClass hands a Service of type LoadBalancer to EKS Auto
	// Mode, which creates an NLB. It is the default class on an Auto Mode
	// cluster; the toolkit writes it anyway, so a Service never lands on the
	// in-tree provider or on a self-managed controller by accident.
	AutoModeLoadBalancerClass = "eks.amazonaws.com/nlb"
	// AutoModeIngressController is the spec.controller of an IngressClass served
	// by EKS Auto Mode.
	AutoModeIngressController = "eks.amazonaws.com/alb"
	// AutoModeParamsAPIGroup, AutoModeParamsAPIVersion and AutoModeParamsKind
	// name Auto Mode's IngressClassParams.
	AutoModeParamsAPIGroup   = "eks.amazonaws.com"
	AutoModeParamsAPIVersion = "eks.amazonaws.com/v1"
	AutoModeParamsKind       = "IngressClassParams"
)

// AutoModeServiceAnnotations renders the NLB settings for a Service whose
// spec.loadBalancerClass is AutoModeLoadBalancerClass: ServiceAnnotations
// without aws-load-balancer-type, which Auto Mode does not support.
func (s NLB) AutoModeServiceAnnotations() map[string]string {
	a := s.ServiceAnnotations()
	delete(a, svcPrefix+"aws-load-balancer-type")
	return a
}

// albLoadBalancerWide are the Ingress annotations that IngressClassParams
// carries under Auto Mode.
var albLoadBalancerWide = []string{
	ingressPrefix + "scheme",
	ingressPrefix + "load-balancer-attributes",
	ingressPrefix + "certificate-arn",
	ingressPrefix + "ssl-policy",
}

// AutoModeIngressAnnotations renders the ALB's per-Ingress settings (target
// type, listen ports, target-group attributes, health check) for an Ingress of
// an Auto Mode IngressClass. The load-balancer-wide settings go into
// AutoModeIngressClassParamsSpec instead.
func (s ALB) AutoModeIngressAnnotations() map[string]string {
	a := s.IngressAnnotations()
	for _, k := range albLoadBalancerWide {
		delete(a, k)
	}
	return a
}

// AutoModeIngressClassParamsSpec is the spec of an IngressClassParams
// (AutoModeParamsAPIVersion) carrying the ALB's load-balancer-wide settings:
// scheme, target type, idle timeout, client keepalive and zonal shift as
// load-balancer attributes, and TLS. namespace, when set, restricts the class
// to that namespace, so another team's Ingress cannot attach to this ALB.
func (s ALB) AutoModeIngressClassParamsSpec(namespace string) map[string]any {
	s.SetDefaults()
	lbAttrs := map[string]string{
		"idle_timeout.timeout_seconds": seconds(s.IdleTimeout),
		"client_keep_alive.seconds":    seconds(s.ClientKeepAlive),
		AttrZonalShift:                 strconv.FormatBool(*s.ZonalShift),
	}
	var attrs []any
	for _, k := range slices.Sorted(maps.Keys(lbAttrs)) {
		attrs = append(attrs, map[string]any{"key": k, "value": lbAttrs[k]})
	}
	spec := map[string]any{
		"scheme":                 string(s.Scheme),
		"targetType":             string(s.TargetType),
		"loadBalancerAttributes": attrs,
	}
	if hasTLS(s.Listeners) {
		spec["certificateARNs"] = []any{s.TLS.CertificateARN}
		spec["sslPolicy"] = s.TLS.SSLPolicy
	}
	if namespace != "" {
		spec["namespaceSelector"] = map[string]any{
			"matchLabels": map[string]any{"kubernetes.io/metadata.name": namespace},
		}
	}
	return spec
}
