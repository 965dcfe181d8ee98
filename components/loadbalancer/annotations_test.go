package loadbalancer

import (
	"maps"
	"testing"
	"time"
)

const (
	svc = "service.beta.kubernetes.io/"
	ing = "alb.ingress.kubernetes.io/"
	arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
)

// Written out by hand (not derived from the code) so a change of any default
// shows up here.
var nlbDefaultAnnotations = map[string]string{
	svc + "aws-load-balancer-type":                            "external",
	svc + "aws-load-balancer-nlb-target-type":                 "ip",
	svc + "aws-load-balancer-scheme":                          "internal",
	svc + "aws-load-balancer-attributes":                      "load_balancing.cross_zone.enabled=true,zonal_shift.config.enabled=true",
	svc + "aws-load-balancer-listener-attributes.TCP-80":      "tcp.idle_timeout.seconds=350",
	svc + "aws-load-balancer-target-group-attributes":         "deregistration_delay.connection_termination.enabled=true,deregistration_delay.timeout_seconds=30,load_balancing.cross_zone.enabled=true,preserve_client_ip.enabled=true,proxy_protocol_v2.enabled=false,target_health_state.unhealthy.connection_termination.enabled=false,target_health_state.unhealthy.draining_interval_seconds=30",
	svc + "aws-load-balancer-healthcheck-protocol":            "TCP",
	svc + "aws-load-balancer-healthcheck-port":                "traffic-port",
	svc + "aws-load-balancer-healthcheck-interval":            "10",
	svc + "aws-load-balancer-healthcheck-timeout":             "10",
	svc + "aws-load-balancer-healthcheck-healthy-threshold":   "3",
	svc + "aws-load-balancer-healthcheck-unhealthy-threshold": "3",
}

var albDefaultAnnotations = map[string]string{
	ing + "scheme":                       "internal",
	ing + "target-type":                  "ip",
	ing + "listen-ports":                 `[{"HTTP":80}]`,
	ing + "load-balancer-attributes":     "client_keep_alive.seconds=3600,idle_timeout.timeout_seconds=60,zonal_shift.config.enabled=true",
	ing + "target-group-attributes":      "deregistration_delay.timeout_seconds=30,load_balancing.algorithm.type=least_outstanding_requests,load_balancing.cross_zone.enabled=true,slow_start.duration_seconds=30",
	ing + "healthcheck-protocol":         "HTTP",
	ing + "healthcheck-port":             "traffic-port",
	ing + "healthcheck-path":             "/",
	ing + "healthcheck-interval-seconds": "15",
	ing + "healthcheck-timeout-seconds":  "5",
	ing + "healthy-threshold-count":      "2",
	ing + "unhealthy-threshold-count":    "2",
	ing + "success-codes":                "200",
}

// expect is the default map with set applied and del removed.
func expect(base map[string]string, set map[string]string, del ...string) map[string]string {
	out := maps.Clone(base)
	maps.Copy(out, set)
	for _, k := range del {
		delete(out, k)
	}
	return out
}

func diffMaps(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("missing %s (want %q)", k, w)
		} else if g != w {
			t.Errorf("%s = %q, want %q", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s = %q", k, g)
		}
	}
}

func TestNLBServiceAnnotations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*NLB)
		set    map[string]string
		del    []string
	}{
		{name: "defaults", modify: func(*NLB) {}},
		{
			name:   "internet-facing",
			modify: func(s *NLB) { s.Scheme = SchemeInternetFacing },
			set:    map[string]string{svc + "aws-load-balancer-scheme": "internet-facing"},
		},
		{
			name:   "instance targets",
			modify: func(s *NLB) { s.TargetType = TargetTypeInstance },
			set:    map[string]string{svc + "aws-load-balancer-nlb-target-type": "instance"},
		},
		{
			name: "cross-zone off",
			modify: func(s *NLB) {
				s.CrossZone = ptr(false)
			},
			set: map[string]string{
				svc + "aws-load-balancer-attributes":              "load_balancing.cross_zone.enabled=false,zonal_shift.config.enabled=true",
				svc + "aws-load-balancer-target-group-attributes": "deregistration_delay.connection_termination.enabled=true,deregistration_delay.timeout_seconds=30,load_balancing.cross_zone.enabled=false,preserve_client_ip.enabled=true,proxy_protocol_v2.enabled=false,target_health_state.unhealthy.connection_termination.enabled=true",
			},
		},
		{
			name:   "tcp idle timeout",
			modify: func(s *NLB) { s.Listeners = []Listener{{Port: 80, IdleTimeout: 600 * time.Second}} },
			set:    map[string]string{svc + "aws-load-balancer-listener-attributes.TCP-80": "tcp.idle_timeout.seconds=600"},
		},
		{
			name: "two tcp listeners",
			modify: func(s *NLB) {
				s.Listeners = []Listener{{Port: 8080, IdleTimeout: 120 * time.Second}, {Port: 80}}
			},
			set: map[string]string{
				svc + "aws-load-balancer-listener-attributes.TCP-8080": "tcp.idle_timeout.seconds=120",
			},
		},
		{
			name: "tls listener",
			modify: func(s *NLB) {
				s.Listeners = []Listener{{Port: 80}, {Port: 443, Protocol: ProtocolTLS}}
				s.TLS.CertificateARN = arn
			},
			set: map[string]string{
				svc + "aws-load-balancer-ssl-ports":              "443",
				svc + "aws-load-balancer-ssl-cert":               arn,
				svc + "aws-load-balancer-ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
			},
		},
		{
			name: "tls only, custom policy, ports sorted",
			modify: func(s *NLB) {
				s.Listeners = []Listener{{Port: 8443, Protocol: ProtocolTLS}, {Port: 443, Protocol: ProtocolTLS}}
				s.TLS = TLS{CertificateARN: arn, SSLPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06"}
			},
			set: map[string]string{
				svc + "aws-load-balancer-ssl-ports":              "443,8443",
				svc + "aws-load-balancer-ssl-cert":               arn,
				svc + "aws-load-balancer-ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-3-2021-06",
			},
			del: []string{svc + "aws-load-balancer-listener-attributes.TCP-80"},
		},
		{
			name: "http health check",
			modify: func(s *NLB) {
				s.HealthCheck = HealthCheck{Protocol: ProtocolHTTP, Port: "8081", Path: "/healthz",
					Interval: 5 * time.Second, Timeout: 4 * time.Second, HealthyThreshold: 2, UnhealthyThreshold: 4}
			},
			set: map[string]string{
				svc + "aws-load-balancer-healthcheck-protocol":            "HTTP",
				svc + "aws-load-balancer-healthcheck-port":                "8081",
				svc + "aws-load-balancer-healthcheck-path":                "/healthz",
				svc + "aws-load-balancer-healthcheck-success-codes":       "200-399",
				svc + "aws-load-balancer-healthcheck-interval":            "5",
				svc + "aws-load-balancer-healthcheck-timeout":             "4",
				svc + "aws-load-balancer-healthcheck-healthy-threshold":   "2",
				svc + "aws-load-balancer-healthcheck-unhealthy-threshold": "4",
			},
		},
		{
			name: "https health check with success codes",
			modify: func(s *NLB) {
				s.HealthCheck = HealthCheck{Protocol: ProtocolHTTPS, SuccessCodes: "200"}
			},
			set: map[string]string{
				svc + "aws-load-balancer-healthcheck-protocol":      "HTTPS",
				svc + "aws-load-balancer-healthcheck-path":          "/",
				svc + "aws-load-balancer-healthcheck-success-codes": "200",
			},
		},
		{
			name: "short interval keeps timeout within it",
			modify: func(s *NLB) {
				s.HealthCheck.Interval = 5 * time.Second
			},
			set: map[string]string{
				svc + "aws-load-balancer-healthcheck-interval": "5",
				svc + "aws-load-balancer-healthcheck-timeout":  "5",
			},
		},
		{
			name: "target group attributes",
			modify: func(s *NLB) {
				s.TargetGroup = TargetGroup{
					DeregistrationDelay:   ptr(time.Duration(0)),
					ConnectionTermination: ptr(false),
					PreserveClientIP:      ptr(false),
					ProxyProtocolV2:       true,
				}
			},
			set: map[string]string{
				svc + "aws-load-balancer-target-group-attributes": "deregistration_delay.connection_termination.enabled=false,deregistration_delay.timeout_seconds=0,load_balancing.cross_zone.enabled=true,preserve_client_ip.enabled=false,proxy_protocol_v2.enabled=true,target_health_state.unhealthy.connection_termination.enabled=false,target_health_state.unhealthy.draining_interval_seconds=0",
			},
		},
		{
			name:   "deregistration delay",
			modify: func(s *NLB) { s.TargetGroup.DeregistrationDelay = ptr(300 * time.Second) },
			set: map[string]string{
				svc + "aws-load-balancer-target-group-attributes": "deregistration_delay.connection_termination.enabled=true,deregistration_delay.timeout_seconds=300,load_balancing.cross_zone.enabled=true,preserve_client_ip.enabled=true,proxy_protocol_v2.enabled=false,target_health_state.unhealthy.connection_termination.enabled=false,target_health_state.unhealthy.draining_interval_seconds=300",
			},
		},
		{
			name:   "zonal shift off keeps AWS's unhealthy connection termination",
			modify: func(s *NLB) { s.ZonalShift = ptr(false) },
			set: map[string]string{
				svc + "aws-load-balancer-attributes":              "load_balancing.cross_zone.enabled=true,zonal_shift.config.enabled=false",
				svc + "aws-load-balancer-target-group-attributes": "deregistration_delay.connection_termination.enabled=true,deregistration_delay.timeout_seconds=30,load_balancing.cross_zone.enabled=true,preserve_client_ip.enabled=true,proxy_protocol_v2.enabled=false,target_health_state.unhealthy.connection_termination.enabled=true",
			},
		},
		{
			name:   "unhealthy draining interval chosen",
			modify: func(s *NLB) { s.TargetGroup.UnhealthyDrainingInterval = ptr(90 * time.Second) },
			set: map[string]string{
				svc + "aws-load-balancer-target-group-attributes": "deregistration_delay.connection_termination.enabled=true,deregistration_delay.timeout_seconds=30,load_balancing.cross_zone.enabled=true,preserve_client_ip.enabled=true,proxy_protocol_v2.enabled=false,target_health_state.unhealthy.connection_termination.enabled=false,target_health_state.unhealthy.draining_interval_seconds=90",
			},
		},
		{
			// The controller ignores it; the guardrail rules read it.
			name:   "a chosen propagation is carried for the rules",
			modify: func(s *NLB) { s.DeregistrationPropagation = 30 * time.Second },
			set:    map[string]string{PropagationAnnotation: "30"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var s NLB
			tc.modify(&s)
			before := s
			got := s.ServiceAnnotations()
			diffMaps(t, got, expect(nlbDefaultAnnotations, tc.set, tc.del...))
			if s.Scheme != before.Scheme || s.CrossZone != before.CrossZone || s.HealthCheck != before.HealthCheck {
				t.Errorf("ServiceAnnotations changed its receiver")
			}
		})
	}
}

func TestNLBServiceAnnotationsDoNotAliasListeners(t *testing.T) {
	t.Parallel()
	s := NLB{Listeners: []Listener{{Port: 80}}}
	_ = s.ServiceAnnotations()
	if s.Listeners[0].Protocol != "" || s.Listeners[0].IdleTimeout != 0 {
		t.Fatalf("caller's listeners were defaulted in place: %+v", s.Listeners[0])
	}
}

func TestALBIngressAnnotations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*ALB)
		set    map[string]string
		del    []string
	}{
		{name: "defaults", modify: func(*ALB) {}},
		{
			name:   "internet-facing",
			modify: func(s *ALB) { s.Scheme = SchemeInternetFacing },
			set:    map[string]string{ing + "scheme": "internet-facing"},
		},
		{
			name:   "instance targets",
			modify: func(s *ALB) { s.TargetType = TargetTypeInstance },
			set:    map[string]string{ing + "target-type": "instance"},
		},
		{
			name: "https",
			modify: func(s *ALB) {
				s.Listeners = []Listener{{Port: 80}, {Port: 443, Protocol: ProtocolHTTPS}}
				s.TLS.CertificateARN = arn
			},
			set: map[string]string{
				ing + "listen-ports":    `[{"HTTP":80},{"HTTPS":443}]`,
				ing + "certificate-arn": arn,
				ing + "ssl-policy":      "ELBSecurityPolicy-TLS13-1-2-2021-06",
			},
		},
		{
			name:   "idle timeout",
			modify: func(s *ALB) { s.IdleTimeout = 120 * time.Second },
			set:    map[string]string{ing + "load-balancer-attributes": "client_keep_alive.seconds=3600,idle_timeout.timeout_seconds=120,zonal_shift.config.enabled=true"},
		},
		{
			name:   "client keepalive",
			modify: func(s *ALB) { s.ClientKeepAlive = 7200 * time.Second },
			set:    map[string]string{ing + "load-balancer-attributes": "client_keep_alive.seconds=7200,idle_timeout.timeout_seconds=60,zonal_shift.config.enabled=true"},
		},
		{
			name:   "round robin",
			modify: func(s *ALB) { s.TargetGroup.Algorithm = AlgorithmRoundRobin },
			set:    map[string]string{ing + "target-group-attributes": "deregistration_delay.timeout_seconds=30,load_balancing.algorithm.type=round_robin,load_balancing.cross_zone.enabled=true,slow_start.duration_seconds=30"},
		},
		{
			name:   "weighted random turns slow start off by default",
			modify: func(s *ALB) { s.TargetGroup.Algorithm = AlgorithmWeightedRandom },
			set:    map[string]string{ing + "target-group-attributes": "deregistration_delay.timeout_seconds=30,load_balancing.algorithm.type=weighted_random,load_balancing.cross_zone.enabled=true,slow_start.duration_seconds=0"},
		},
		{
			name:   "slow start off",
			modify: func(s *ALB) { s.TargetGroup.SlowStart = ptr(time.Duration(0)) },
			set:    map[string]string{ing + "target-group-attributes": "deregistration_delay.timeout_seconds=30,load_balancing.algorithm.type=least_outstanding_requests,load_balancing.cross_zone.enabled=true,slow_start.duration_seconds=0"},
		},
		{
			name: "deregistration delay and slow start",
			modify: func(s *ALB) {
				s.TargetGroup.DeregistrationDelay = ptr(120 * time.Second)
				s.TargetGroup.SlowStart = ptr(90 * time.Second)
			},
			set: map[string]string{ing + "target-group-attributes": "deregistration_delay.timeout_seconds=120,load_balancing.algorithm.type=least_outstanding_requests,load_balancing.cross_zone.enabled=true,slow_start.duration_seconds=90"},
		},
		{
			name:   "cross-zone off on the target group",
			modify: func(s *ALB) { s.CrossZone = ptr(false) },
			set:    map[string]string{ing + "target-group-attributes": "deregistration_delay.timeout_seconds=30,load_balancing.algorithm.type=least_outstanding_requests,load_balancing.cross_zone.enabled=false,slow_start.duration_seconds=30"},
		},
		{
			name: "health check",
			modify: func(s *ALB) {
				s.HealthCheck = HealthCheck{Protocol: ProtocolHTTPS, Port: "8443", Path: "/ready", SuccessCodes: "200-299",
					Interval: 10 * time.Second, Timeout: 4 * time.Second, HealthyThreshold: 3, UnhealthyThreshold: 5}
			},
			set: map[string]string{
				ing + "healthcheck-protocol":         "HTTPS",
				ing + "healthcheck-port":             "8443",
				ing + "healthcheck-path":             "/ready",
				ing + "success-codes":                "200-299",
				ing + "healthcheck-interval-seconds": "10",
				ing + "healthcheck-timeout-seconds":  "4",
				ing + "healthy-threshold-count":      "3",
				ing + "unhealthy-threshold-count":    "5",
			},
		},
		{
			name:   "short interval keeps timeout below it",
			modify: func(s *ALB) { s.HealthCheck.Interval = 5 * time.Second },
			set: map[string]string{
				ing + "healthcheck-interval-seconds": "5",
				ing + "healthcheck-timeout-seconds":  "4",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var s ALB
			tc.modify(&s)
			diffMaps(t, s.IngressAnnotations(), expect(albDefaultAnnotations, tc.set, tc.del...))
		})
	}
}

func TestAnnotationsAreDeterministic(t *testing.T) {
	t.Parallel()
	s := NLB{Listeners: []Listener{{Port: 80}, {Port: 81}, {Port: 443, Protocol: ProtocolTLS}}, TLS: TLS{CertificateARN: arn}}
	first := s.ServiceAnnotations()
	a := ALB{}
	firstALB := a.IngressAnnotations()
	for range 50 {
		if !maps.Equal(first, s.ServiceAnnotations()) {
			t.Fatal("NLB annotations differ between calls")
		}
		if !maps.Equal(firstALB, a.IngressAnnotations()) {
			t.Fatal("ALB annotations differ between calls")
		}
	}
}

func TestControllerClassNames(t *testing.T) {
	t.Parallel()
	if LoadBalancerClass != "service.k8s.aws/nlb" {
		t.Errorf("LoadBalancerClass = %q", LoadBalancerClass)
	}
	if IngressClassName != "alb" {
		t.Errorf("IngressClassName = %q", IngressClassName)
	}
}
