package loadbalancer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The Gateway API road: the AWS Load Balancer Controller (v3) builds an ALB for
// a Gateway of its ALB class and an NLB for one of its NLB class. Load-balancer
// settings travel in a LoadBalancerConfiguration the Gateway points at
// (spec.infrastructure.parametersRef), target-group settings in a
// TargetGroupConfiguration that names the backend Service. Both are
// gateway.k8s.aws CRDs the controller publishes; every field written here is
// one of theirs (the control-plane tests apply the result with strict
// validation against the controller's own CRDs).
const (
	// GatewayAPIGroup and GatewayAPIVersion are the Gateway API's
	// (gateway.networking.k8s.io, standard channel v1.6).
	GatewayAPIGroup   = "gateway.networking.k8s.io"
	GatewayAPIVersion = GatewayAPIGroup + "/v1"
	// LBCGatewayGroup and LBCGatewayVersion are the controller's own Gateway
	// configuration CRDs.
	LBCGatewayGroup   = "gateway.k8s.aws"
	LBCGatewayVersion = LBCGatewayGroup + "/v1"
	// ALBGatewayController and NLBGatewayController are the GatewayClass
	// spec.controllerName values the controller serves.
	ALBGatewayController = "gateway.k8s.aws/alb"
	NLBGatewayController = "gateway.k8s.aws/nlb"
	// ALBGatewayClassName and NLBGatewayClassName are the GatewayClasses the
	// lbcontroller component creates (and the workload's Gateway fronts use
	// unless told otherwise).
	ALBGatewayClassName = "aws-alb"
	NLBGatewayClassName = "aws-nlb"
)

// Gateway API kinds the toolkit writes.
const (
	KindGateway                   = "Gateway"
	KindGatewayClass              = "GatewayClass"
	KindHTTPRoute                 = "HTTPRoute"
	KindTCPRoute                  = "TCPRoute"
	KindLoadBalancerConfiguration = "LoadBalancerConfiguration"
	KindTargetGroupConfiguration  = "TargetGroupConfiguration"
)

// The controller's own defaults for Gateway target groups (pkg/gateway/model,
// v3.5.0): they differ from its Service and Ingress defaults, so a Gateway
// backend without a TargetGroupConfiguration is checked a different way. The
// toolkit always writes the health check out, so these only matter for
// manifests written by hand (the guardrails read them).
const (
	GatewayDefaultHealthCheckInterval = 15 * time.Second
	GatewayDefaultHealthCheckTimeout  = 5 * time.Second
	GatewayDefaultHealthyThreshold    = 3
	GatewayDefaultUnhealthyThreshold  = 3
)

// ListenerName is the name of a Gateway listener for l: "<protocol>-<port>" in
// lower case, e.g. "http-80", so a route can name it in sectionName.
func ListenerName(l Listener) string {
	return fmt.Sprintf("%s-%d", strings.ToLower(string(l.Protocol)), l.Port)
}

// GatewayListeners renders the settings' listeners (defaulted on a copy) as
// Gateway spec.listeners. allowedRoutes is each listener's
// spec.listeners[].allowedRoutes, the same for every listener.
func (s ALB) GatewayListeners(allowedRoutes map[string]any) []any {
	s.SetDefaults()
	return gatewayListeners(s.Listeners, KindHTTPRoute, allowedRoutes)
}

// GatewayListeners renders the settings' listeners (defaulted on a copy) as
// Gateway spec.listeners, each taking TCPRoutes.
func (s NLB) GatewayListeners(allowedRoutes map[string]any) []any {
	s.SetDefaults()
	return gatewayListeners(s.Listeners, KindTCPRoute, allowedRoutes)
}

func gatewayListeners(ls []Listener, routeKind string, allowedRoutes map[string]any) []any {
	out := make([]any, 0, len(ls))
	for _, l := range ls {
		routes := map[string]any{"kinds": []any{map[string]any{"group": GatewayAPIGroup, "kind": routeKind}}}
		for k, v := range allowedRoutes {
			routes[k] = v
		}
		// HTTPS on an ALB Gateway: the controller takes the certificate from
		// the LoadBalancerConfiguration, not from tls.certificateRefs (which
		// it does not support), so the listener carries no tls block.
		out = append(out, map[string]any{
			"name":          ListenerName(l),
			"protocol":      string(l.Protocol),
			"port":          l.Port,
			"allowedRoutes": routes,
		})
	}
	return out
}

// LoadBalancerConfigurationSpec renders the load-balancer-level settings
// (defaulted on a copy) as a LoadBalancerConfiguration spec for an ALB Gateway:
// scheme, the idle timeout and client keepalive, and each HTTPS listener's
// certificate and TLS policy. Target-group settings go in
// TargetGroupConfigurationSpec.
func (s ALB) LoadBalancerConfigurationSpec() map[string]any {
	s.SetDefaults()
	spec := map[string]any{
		"scheme": string(s.Scheme),
		"loadBalancerAttributes": attributeList(map[string]string{
			"idle_timeout.timeout_seconds": seconds(s.IdleTimeout),
			"client_keep_alive.seconds":    seconds(s.ClientKeepAlive),
			AttrZonalShift:                 strconv.FormatBool(*s.ZonalShift),
		}),
	}
	var listeners []any
	for _, l := range s.Listeners {
		if l.Protocol != ProtocolHTTPS {
			continue
		}
		listeners = append(listeners, map[string]any{
			"protocolPort":       fmt.Sprintf("%s:%d", l.Protocol, l.Port),
			"defaultCertificate": s.TLS.CertificateARN,
			"sslPolicy":          s.TLS.SSLPolicy,
		})
	}
	if len(listeners) > 0 {
		spec["listenerConfigurations"] = listeners
	}
	return spec
}

// LoadBalancerConfigurationSpec renders the load-balancer-level settings
// (defaulted on a copy) as a LoadBalancerConfiguration spec for an NLB Gateway:
// scheme, cross-zone at the load balancer, and each TCP listener's idle
// timeout. TLS listeners are not rendered: an NLB Gateway terminating TLS needs
// TLSRoutes, which the toolkit does not write (the workload template rejects
// TLS listeners on its Gateway NLB front).
func (s NLB) LoadBalancerConfigurationSpec() map[string]any {
	s.SetDefaults()
	spec := map[string]any{
		"scheme": string(s.Scheme),
		"loadBalancerAttributes": attributeList(map[string]string{
			"load_balancing.cross_zone.enabled": strconv.FormatBool(*s.CrossZone),
			AttrZonalShift:                      strconv.FormatBool(*s.ZonalShift),
		}),
	}
	var listeners []any
	for _, l := range s.Listeners {
		if l.Protocol != ProtocolTCP {
			continue
		}
		listeners = append(listeners, map[string]any{
			"protocolPort": fmt.Sprintf("%s:%d", l.Protocol, l.Port),
			"listenerAttributes": attributeList(map[string]string{
				"tcp.idle_timeout.seconds": seconds(l.IdleTimeout),
			}),
		})
	}
	if len(listeners) > 0 {
		spec["listenerConfigurations"] = listeners
	}
	return spec
}

// TargetGroupConfigurationSpec renders the target-group settings (defaulted on
// a copy) as a TargetGroupConfiguration spec for the backend Service named
// service, or, with service empty, as a Gateway-wide default (referenced from a
// LoadBalancerConfiguration's defaultTargetGroupConfiguration): IP targets, the
// health check, and the attributes (deregistration delay, cross-zone, least
// outstanding requests, slow start).
func (s ALB) TargetGroupConfigurationSpec(service string) map[string]any {
	s.SetDefaults()
	tg := s.TargetGroup
	return targetGroupConfiguration(service, s.TargetType, s.HealthCheck, map[string]string{
		"deregistration_delay.timeout_seconds": seconds(*tg.DeregistrationDelay),
		"load_balancing.algorithm.type":        string(tg.Algorithm),
		"load_balancing.cross_zone.enabled":    strconv.FormatBool(*s.CrossZone),
		"slow_start.duration_seconds":          seconds(*tg.SlowStart),
	})
}

// TargetGroupConfigurationSpec renders the target-group settings (defaulted on
// a copy) as a TargetGroupConfiguration spec for the backend Service named
// service (or a Gateway-wide default when empty): IP targets, the health
// check, and the attributes the NLB Service annotations carry.
func (s NLB) TargetGroupConfigurationSpec(service string) map[string]any {
	s.SetDefaults()
	tg := s.TargetGroup
	attrs := map[string]string{
		"deregistration_delay.timeout_seconds":                seconds(*tg.DeregistrationDelay),
		"deregistration_delay.connection_termination.enabled": strconv.FormatBool(*tg.ConnectionTermination),
		"load_balancing.cross_zone.enabled":                   strconv.FormatBool(*s.CrossZone),
		"preserve_client_ip.enabled":                          strconv.FormatBool(*tg.PreserveClientIP),
		"proxy_protocol_v2.enabled":                           strconv.FormatBool(tg.ProxyProtocolV2),
	}
	tg.unhealthyAttributes(attrs)
	return targetGroupConfiguration(service, s.TargetType, s.HealthCheck, attrs)
}

func targetGroupConfiguration(service string, tt TargetType, hc HealthCheck, attrs map[string]string) map[string]any {
	check := map[string]any{
		"healthCheckProtocol":     string(hc.Protocol),
		"healthCheckInterval":     int(hc.Interval / time.Second),
		"healthCheckTimeout":      int(hc.Timeout / time.Second),
		"healthyThresholdCount":   hc.HealthyThreshold,
		"unhealthyThresholdCount": hc.UnhealthyThreshold,
	}
	// The controller's default port is the traffic port; it is only written
	// when it is something else.
	if hc.Port != "" && hc.Port != HealthCheckTrafficPort {
		check["healthCheckPort"] = hc.Port
	}
	if hc.Path != "" {
		check["healthCheckPath"] = hc.Path
	}
	if hc.SuccessCodes != "" {
		check["matcher"] = map[string]any{"httpCode": hc.SuccessCodes}
	}
	spec := map[string]any{
		"defaultConfiguration": map[string]any{
			"targetType":            string(tt),
			"healthCheckConfig":     check,
			"targetGroupAttributes": attributeList(attrs),
		},
	}
	if service != "" {
		spec["targetReference"] = map[string]any{"group": "", "kind": "Service", "name": service}
	}
	return spec
}

// ConfigurationAnnotations are the annotations the toolkit puts on the
// LoadBalancerConfiguration and TargetGroupConfiguration it renders: a
// non-default deregistration propagation or unhealthy lag, which the
// guardrails read as they read them from a Service or Ingress (the controller
// ignores them).
func (s ALB) ConfigurationAnnotations() map[string]string {
	s.SetDefaults()
	return propagationAnnotations(s.DeregistrationPropagation, DefaultALBDeregistrationPropagation,
		s.UnhealthyLag, DefaultALBUnhealthyLag)
}

// ConfigurationAnnotations: see ALB.ConfigurationAnnotations.
func (s NLB) ConfigurationAnnotations() map[string]string {
	s.SetDefaults()
	return propagationAnnotations(s.DeregistrationPropagation, DefaultNLBDeregistrationPropagation,
		s.UnhealthyLag, DefaultNLBUnhealthyLag)
}

func propagationAnnotations(p, def, lag, defLag time.Duration) map[string]string {
	var out map[string]string
	if p != def {
		out = map[string]string{PropagationAnnotation: seconds(p)}
	}
	if lag != defLag {
		if out == nil {
			out = map[string]string{}
		}
		out[UnhealthyLagAnnotation] = seconds(lag)
	}
	return out
}

// attributeList renders key/value pairs as the CRDs' [{key, value}] lists,
// sorted by key so the rendered object is byte-identical on every run.
func attributeList(attrs map[string]string) []any {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = map[string]any{"key": k, "value": attrs[k]}
	}
	return out
}
