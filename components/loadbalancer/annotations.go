package loadbalancer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	svcPrefix     = "service.beta.kubernetes.io/"
	ingressPrefix = "alb.ingress.kubernetes.io/"
)

// ServiceAnnotations renders the settings (defaulted on a copy) as the AWS
// Load Balancer Controller's Service annotations. Put them on a Service of
// type LoadBalancer whose spec.loadBalancerClass is LoadBalancerClass and
// whose ports include every listener port. Every setting is written out, even
// where it equals a controller default, so the result does not drift with
// controller versions. Listener attributes need controller v2.9+ and the IAM
// actions elasticloadbalancing:ModifyListenerAttributes and
// elasticloadbalancing:DescribeListenerAttributes.
// PropagationAnnotation carries a non-default DeregistrationPropagation to the
// rendered Service or Ingress, so the guardrail rules (which see only YAML) use
// the bound the caller chose. The controller ignores it.
const PropagationAnnotation = "eksbalance.io/deregistration-propagation-seconds"

// UnhealthyLagAnnotation carries a non-default UnhealthyLag the same way.
const UnhealthyLagAnnotation = "eksbalance.io/unhealthy-lag-seconds"

func (s NLB) ServiceAnnotations() map[string]string {
	s.SetDefaults()
	a := map[string]string{
		svcPrefix + "aws-load-balancer-type":            "external",
		svcPrefix + "aws-load-balancer-nlb-target-type": string(s.TargetType),
		svcPrefix + "aws-load-balancer-scheme":          string(s.Scheme),
		svcPrefix + "aws-load-balancer-attributes": joinAttributes(map[string]string{
			"load_balancing.cross_zone.enabled": strconv.FormatBool(*s.CrossZone),
			AttrZonalShift:                      strconv.FormatBool(*s.ZonalShift),
		}),
	}
	var tlsPorts []int
	for _, l := range s.Listeners {
		switch l.Protocol {
		case ProtocolTCP:
			key := fmt.Sprintf("%saws-load-balancer-listener-attributes.%s-%d", svcPrefix, l.Protocol, l.Port)
			a[key] = joinAttributes(map[string]string{"tcp.idle_timeout.seconds": seconds(l.IdleTimeout)})
		case ProtocolTLS:
			tlsPorts = append(tlsPorts, l.Port)
		}
	}
	if len(tlsPorts) > 0 {
		slices.Sort(tlsPorts)
		ports := make([]string, len(tlsPorts))
		for i, p := range tlsPorts {
			ports[i] = strconv.Itoa(p)
		}
		a[svcPrefix+"aws-load-balancer-ssl-ports"] = strings.Join(ports, ",")
		a[svcPrefix+"aws-load-balancer-ssl-cert"] = s.TLS.CertificateARN
		a[svcPrefix+"aws-load-balancer-ssl-negotiation-policy"] = s.TLS.SSLPolicy
	}
	tg := s.TargetGroup
	tgAttrs := map[string]string{
		"deregistration_delay.timeout_seconds":                seconds(*tg.DeregistrationDelay),
		"deregistration_delay.connection_termination.enabled": strconv.FormatBool(*tg.ConnectionTermination),
		"load_balancing.cross_zone.enabled":                   strconv.FormatBool(*s.CrossZone),
		"preserve_client_ip.enabled":                          strconv.FormatBool(*tg.PreserveClientIP),
		"proxy_protocol_v2.enabled":                           strconv.FormatBool(tg.ProxyProtocolV2),
	}
	tg.unhealthyAttributes(tgAttrs)
	a[svcPrefix+"aws-load-balancer-target-group-attributes"] = joinAttributes(tgAttrs)
	hc := s.HealthCheck
	a[svcPrefix+"aws-load-balancer-healthcheck-protocol"] = string(hc.Protocol)
	a[svcPrefix+"aws-load-balancer-healthcheck-port"] = hc.Port
	a[svcPrefix+"aws-load-balancer-healthcheck-interval"] = seconds(hc.Interval)
	a[svcPrefix+"aws-load-balancer-healthcheck-timeout"] = seconds(hc.Timeout)
	a[svcPrefix+"aws-load-balancer-healthcheck-healthy-threshold"] = strconv.Itoa(hc.HealthyThreshold)
	a[svcPrefix+"aws-load-balancer-healthcheck-unhealthy-threshold"] = strconv.Itoa(hc.UnhealthyThreshold)
	if hc.Path != "" {
		a[svcPrefix+"aws-load-balancer-healthcheck-path"] = hc.Path
	}
	if hc.SuccessCodes != "" {
		a[svcPrefix+"aws-load-balancer-healthcheck-success-codes"] = hc.SuccessCodes
	}
	if s.DeregistrationPropagation != DefaultNLBDeregistrationPropagation {
		a[PropagationAnnotation] = seconds(s.DeregistrationPropagation)
	}
	if s.UnhealthyLag != DefaultNLBUnhealthyLag {
		a[UnhealthyLagAnnotation] = seconds(s.UnhealthyLag)
	}
	return a
}

// IngressAnnotations renders the settings (defaulted on a copy) as the AWS
// Load Balancer Controller's Ingress annotations, for an Ingress whose
// spec.ingressClassName is IngressClassName. Every setting is written out.
func (s ALB) IngressAnnotations() map[string]string {
	s.SetDefaults()
	ports := make([]string, len(s.Listeners))
	for i, l := range s.Listeners {
		ports[i] = fmt.Sprintf(`{"%s":%d}`, l.Protocol, l.Port)
	}
	tg := s.TargetGroup
	hc := s.HealthCheck
	a := map[string]string{
		ingressPrefix + "scheme":       string(s.Scheme),
		ingressPrefix + "target-type":  string(s.TargetType),
		ingressPrefix + "listen-ports": "[" + strings.Join(ports, ",") + "]",
		ingressPrefix + "load-balancer-attributes": joinAttributes(map[string]string{
			"idle_timeout.timeout_seconds": seconds(s.IdleTimeout),
			"client_keep_alive.seconds":    seconds(s.ClientKeepAlive),
			AttrZonalShift:                 strconv.FormatBool(*s.ZonalShift),
		}),
		ingressPrefix + "target-group-attributes": joinAttributes(map[string]string{
			"deregistration_delay.timeout_seconds": seconds(*tg.DeregistrationDelay),
			"load_balancing.algorithm.type":        string(tg.Algorithm),
			"load_balancing.cross_zone.enabled":    strconv.FormatBool(*s.CrossZone),
			"slow_start.duration_seconds":          seconds(*tg.SlowStart),
		}),
		ingressPrefix + "healthcheck-protocol":         string(hc.Protocol),
		ingressPrefix + "healthcheck-port":             hc.Port,
		ingressPrefix + "healthcheck-path":             hc.Path,
		ingressPrefix + "healthcheck-interval-seconds": seconds(hc.Interval),
		ingressPrefix + "healthcheck-timeout-seconds":  seconds(hc.Timeout),
		ingressPrefix + "healthy-threshold-count":      strconv.Itoa(hc.HealthyThreshold),
		ingressPrefix + "unhealthy-threshold-count":    strconv.Itoa(hc.UnhealthyThreshold),
		ingressPrefix + "success-codes":                hc.SuccessCodes,
	}
	if hasTLS(s.Listeners) {
		a[ingressPrefix+"certificate-arn"] = s.TLS.CertificateARN
		a[ingressPrefix+"ssl-policy"] = s.TLS.SSLPolicy
	}
	if s.DeregistrationPropagation != DefaultALBDeregistrationPropagation {
		a[PropagationAnnotation] = seconds(s.DeregistrationPropagation)
	}
	if s.UnhealthyLag != DefaultALBUnhealthyLag {
		a[UnhealthyLagAnnotation] = seconds(s.UnhealthyLag)
	}
	return a
}

// joinAttributes renders key=value pairs sorted by key, so the annotation is
// byte-identical on every run and diffs show real changes only.
func joinAttributes(attrs map[string]string) string {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + attrs[k]
	}
	return strings.Join(parts, ",")
}

// seconds renders a duration as AWS's integer seconds.
func seconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
