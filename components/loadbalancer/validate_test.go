package loadbalancer

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// problemFields returns the fields err names; it fails the test when err is
// not a *validation.Errors.
func problemFields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var verr *validation.Errors
	if !errors.As(err, &verr) {
		t.Fatalf("error is %T, want *validation.Errors: %v", err, err)
	}
	return verr.Fields()
}

func checkFields(t *testing.T, err error, want []string) {
	t.Helper()
	got := problemFields(t, err)
	if !slices.Equal(got, want) {
		t.Fatalf("problems on %v, want %v\nerror: %v", got, want, err)
	}
}

func TestNLBValidate(t *testing.T) {
	t.Parallel()
	s := func(d time.Duration) time.Duration { return d * time.Second }
	tests := []struct {
		name   string
		modify func(*NLB)
		want   []string // nil: valid
	}{
		{"defaults", func(*NLB) {}, nil},
		{"scheme", func(n *NLB) { n.Scheme = "public" }, []string{"scheme"}},
		{"target type", func(n *NLB) { n.TargetType = "pod" }, []string{"targetType"}},
		{"instance targets, cross-zone off, no acknowledgement", func(n *NLB) {
			n.TargetType, n.CrossZone = TargetTypeInstance, ptr(false)
		}, []string{"crossZone"}},
		{"instance targets, cross-zone off, acknowledged", func(n *NLB) {
			n.TargetType, n.CrossZone, n.AcceptUnevenInstanceTargets = TargetTypeInstance, ptr(false), true
		}, nil},
		{"ip targets, cross-zone off", func(n *NLB) { n.CrossZone = ptr(false) }, nil},
		{"tcp idle below 60 s", func(n *NLB) { n.Listeners = []Listener{{Port: 80, IdleTimeout: s(59)}} }, []string{"listeners[0].idleTimeout"}},
		{"tcp idle above 6000 s", func(n *NLB) { n.Listeners = []Listener{{Port: 80, IdleTimeout: s(6001)}} }, []string{"listeners[0].idleTimeout"}},
		{"tcp idle 60 s", func(n *NLB) { n.Listeners = []Listener{{Port: 80, IdleTimeout: s(60)}} }, nil},
		{"tcp idle 6000 s", func(n *NLB) { n.Listeners = []Listener{{Port: 80, IdleTimeout: s(6000)}} }, nil},
		{"tcp idle fractional", func(n *NLB) { n.Listeners = []Listener{{Port: 80, IdleTimeout: 90500 * time.Millisecond}} }, []string{"listeners[0].idleTimeout"}},
		{"idle timeout on tls listener", func(n *NLB) {
			n.Listeners = []Listener{{Port: 80}, {Port: 443, Protocol: ProtocolTLS, IdleTimeout: s(350)}}
			n.TLS.CertificateARN = arn
		}, []string{"listeners[1].idleTimeout"}},
		{"http listener on nlb", func(n *NLB) { n.Listeners = []Listener{{Port: 80, Protocol: ProtocolHTTP}} }, []string{"listeners[0].protocol"}},
		{"listener port 0", func(n *NLB) { n.Listeners = []Listener{{Port: 0, Protocol: ProtocolTCP}} }, []string{"listeners[0].port"}},
		{"listener port 65536", func(n *NLB) { n.Listeners = []Listener{{Port: 65536}} }, []string{"listeners[0].port"}},
		{"duplicate listener port", func(n *NLB) { n.Listeners = []Listener{{Port: 80}, {Port: 80}} }, []string{"listeners[1].port"}},
		{"tls without certificate", func(n *NLB) { n.Listeners = []Listener{{Port: 443, Protocol: ProtocolTLS}} }, []string{"tls.certificateArn"}},
		{"certificate not an arn", func(n *NLB) {
			n.Listeners = []Listener{{Port: 443, Protocol: ProtocolTLS}}
			n.TLS.CertificateARN = "my-cert"
		}, []string{"tls.certificateArn"}},
		{"certificate without tls listener", func(n *NLB) { n.TLS.CertificateARN = arn }, []string{"tls.certificateArn"}},
		{"ssl policy without tls listener", func(n *NLB) { n.TLS.SSLPolicy = DefaultSSLPolicy }, []string{"tls.sslPolicy"}},
		{"bad ssl policy", func(n *NLB) {
			n.Listeners = []Listener{{Port: 443, Protocol: ProtocolTLS}}
			n.TLS = TLS{CertificateARN: arn, SSLPolicy: "TLS13"}
		}, []string{"tls.sslPolicy"}},
		{"health check timeout above interval", func(n *NLB) { n.HealthCheck.Interval, n.HealthCheck.Timeout = s(10), s(11) }, []string{"healthCheck.timeout"}},
		{"health check timeout equal to interval", func(n *NLB) { n.HealthCheck.Interval, n.HealthCheck.Timeout = s(10), s(10) }, nil},
		{"health check interval below 5 s", func(n *NLB) { n.HealthCheck.Interval, n.HealthCheck.Timeout = s(4), s(2) }, []string{"healthCheck.interval"}},
		{"health check interval above 300 s", func(n *NLB) { n.HealthCheck.Interval = s(301) }, []string{"healthCheck.interval"}},
		{"health check timeout below 2 s", func(n *NLB) { n.HealthCheck.Timeout = time.Second }, []string{"healthCheck.timeout"}},
		{"health check timeout above 120 s", func(n *NLB) { n.HealthCheck.Interval, n.HealthCheck.Timeout = s(300), s(121) }, []string{"healthCheck.timeout"}},
		{"health check interval fractional", func(n *NLB) { n.HealthCheck.Interval = 10500 * time.Millisecond }, []string{"healthCheck.interval"}},
		{"healthy threshold 1", func(n *NLB) { n.HealthCheck.HealthyThreshold = 1 }, []string{"healthCheck.healthyThreshold"}},
		{"healthy threshold 11", func(n *NLB) { n.HealthCheck.HealthyThreshold = 11 }, []string{"healthCheck.healthyThreshold"}},
		{"unhealthy threshold 1", func(n *NLB) { n.HealthCheck.UnhealthyThreshold = 1 }, []string{"healthCheck.unhealthyThreshold"}},
		{"unhealthy threshold 11", func(n *NLB) { n.HealthCheck.UnhealthyThreshold = 11 }, []string{"healthCheck.unhealthyThreshold"}},
		{"thresholds 2 and 10", func(n *NLB) { n.HealthCheck.HealthyThreshold, n.HealthCheck.UnhealthyThreshold = 2, 10 }, nil},
		{"health check protocol tls", func(n *NLB) { n.HealthCheck.Protocol = ProtocolTLS }, []string{"healthCheck.protocol"}},
		{"health check port word", func(n *NLB) { n.HealthCheck.Port = "http" }, []string{"healthCheck.port"}},
		{"health check port 0", func(n *NLB) { n.HealthCheck.Port = "0" }, []string{"healthCheck.port"}},
		{"health check port number", func(n *NLB) { n.HealthCheck.Port = "8081" }, nil},
		{"path on tcp check", func(n *NLB) { n.HealthCheck.Path = "/healthz" }, []string{"healthCheck.path"}},
		{"success codes on tcp check", func(n *NLB) { n.HealthCheck.SuccessCodes = "200" }, []string{"healthCheck.successCodes"}},
		{"http check path without slash", func(n *NLB) { n.HealthCheck.Protocol, n.HealthCheck.Path = ProtocolHTTP, "healthz" }, []string{"healthCheck.path"}},
		{"deregistration delay above 3600 s", func(n *NLB) { n.TargetGroup.DeregistrationDelay = ptr(s(3601)) }, []string{"targetGroup.deregistrationDelay"}},
		{"deregistration delay negative", func(n *NLB) { n.TargetGroup.DeregistrationDelay = ptr(-time.Second) }, []string{"targetGroup.deregistrationDelay"}},
		{"deregistration delay 0", func(n *NLB) { n.TargetGroup.DeregistrationDelay = ptr(time.Duration(0)) }, nil},
		{"deregistration delay 3600 s", func(n *NLB) { n.TargetGroup.DeregistrationDelay = ptr(s(3600)) }, nil},
		{"algorithm on nlb", func(n *NLB) { n.TargetGroup.Algorithm = AlgorithmRoundRobin }, []string{"targetGroup.algorithm"}},
		{"slow start on nlb", func(n *NLB) { n.TargetGroup.SlowStart = ptr(s(30)) }, []string{"targetGroup.slowStart"}},
		{"proxy protocol on nlb", func(n *NLB) { n.TargetGroup.ProxyProtocolV2 = true }, nil},
		{"propagation above 600 s", func(n *NLB) { n.DeregistrationPropagation = s(601) }, []string{"deregistrationPropagation"}},
		// AWS rejects zonal shift on a cross-zone NLB whose target groups reset
		// connections to unhealthy targets; the other three corners are accepted.
		{"zonal shift, cross-zone, unhealthy termination on", func(n *NLB) { n.TargetGroup.UnhealthyConnectionTermination = ptr(true) }, []string{"targetGroup.unhealthyConnectionTermination"}},
		{"zonal shift, cross-zone off, unhealthy termination on", func(n *NLB) {
			n.CrossZone, n.TargetGroup.UnhealthyConnectionTermination = ptr(false), ptr(true)
		}, nil},
		{"zonal shift off, cross-zone, unhealthy termination on", func(n *NLB) {
			n.ZonalShift, n.TargetGroup.UnhealthyConnectionTermination = ptr(false), ptr(true)
		}, nil},
		{"zonal shift, cross-zone, unhealthy termination off", func(n *NLB) { n.TargetGroup.UnhealthyConnectionTermination = ptr(false) }, nil},
		{"draining interval with termination on", func(n *NLB) {
			n.ZonalShift, n.TargetGroup.UnhealthyDrainingInterval = ptr(false), ptr(s(30))
		}, []string{"targetGroup.unhealthyDrainingInterval"}},
		{"draining interval above 360000 s", func(n *NLB) { n.TargetGroup.UnhealthyDrainingInterval = ptr(s(360001)) }, []string{"targetGroup.unhealthyDrainingInterval"}},
		{"draining interval 360000 s", func(n *NLB) { n.TargetGroup.UnhealthyDrainingInterval = ptr(s(360000)) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var n NLB
			tc.modify(&n)
			checkFields(t, n.Validate(), tc.want)
		})
	}
}

func TestALBValidate(t *testing.T) {
	t.Parallel()
	s := func(d time.Duration) time.Duration { return d * time.Second }
	tests := []struct {
		name   string
		modify func(*ALB)
		want   []string
	}{
		{"defaults", func(*ALB) {}, nil},
		{"zonal shift with cross-zone off", func(a *ALB) { a.CrossZone = ptr(false) }, nil},
		{"unhealthy termination on alb", func(a *ALB) { a.TargetGroup.UnhealthyConnectionTermination = ptr(false) }, []string{"targetGroup.unhealthyConnectionTermination"}},
		{"unhealthy draining on alb", func(a *ALB) { a.TargetGroup.UnhealthyDrainingInterval = ptr(s(30)) }, []string{"targetGroup.unhealthyDrainingInterval"}},
		{"scheme", func(a *ALB) { a.Scheme = "external" }, []string{"scheme"}},
		{"target type", func(a *ALB) { a.TargetType = "lambda" }, []string{"targetType"}},
		{"instance targets, cross-zone off, no acknowledgement", func(a *ALB) {
			a.TargetType, a.CrossZone = TargetTypeInstance, ptr(false)
		}, []string{"crossZone"}},
		{"instance targets, cross-zone off, acknowledged", func(a *ALB) {
			a.TargetType, a.CrossZone, a.AcceptUnevenInstanceTargets = TargetTypeInstance, ptr(false), true
		}, nil},
		{"idle timeout below 1 s", func(a *ALB) { a.IdleTimeout = 500 * time.Millisecond }, []string{"idleTimeout"}},
		{"idle timeout above 4000 s", func(a *ALB) { a.IdleTimeout = s(4001) }, []string{"idleTimeout"}},
		{"idle timeout 1 s", func(a *ALB) { a.IdleTimeout = s(1) }, nil},
		{"idle timeout 4000 s", func(a *ALB) { a.IdleTimeout = s(4000) }, nil},
		{"idle timeout fractional", func(a *ALB) { a.IdleTimeout = 1500 * time.Millisecond }, []string{"idleTimeout"}},
		{"client keepalive below 60 s", func(a *ALB) { a.ClientKeepAlive = s(59) }, []string{"clientKeepAlive"}},
		{"client keepalive above 7 days", func(a *ALB) { a.ClientKeepAlive = s(604801) }, []string{"clientKeepAlive"}},
		{"tcp listener on alb", func(a *ALB) { a.Listeners = []Listener{{Port: 80, Protocol: ProtocolTCP}} }, []string{"listeners[0].protocol"}},
		{"idle timeout on alb listener", func(a *ALB) { a.Listeners = []Listener{{Port: 80, IdleTimeout: s(120)}} }, []string{"listeners[0].idleTimeout"}},
		{"duplicate listener port", func(a *ALB) { a.Listeners = []Listener{{Port: 80}, {Port: 80, Protocol: ProtocolHTTP}} }, []string{"listeners[1].port"}},
		{"https without certificate", func(a *ALB) { a.Listeners = []Listener{{Port: 443, Protocol: ProtocolHTTPS}} }, []string{"tls.certificateArn"}},
		{"https with certificate", func(a *ALB) {
			a.Listeners = []Listener{{Port: 443, Protocol: ProtocolHTTPS}}
			a.TLS.CertificateARN = arn
		}, nil},
		{"health check timeout equal to interval", func(a *ALB) { a.HealthCheck.Interval, a.HealthCheck.Timeout = s(15), s(15) }, []string{"healthCheck.timeout"}},
		{"health check timeout above interval", func(a *ALB) { a.HealthCheck.Interval, a.HealthCheck.Timeout = s(10), s(20) }, []string{"healthCheck.timeout"}},
		{"health check tcp on alb", func(a *ALB) { a.HealthCheck.Protocol = ProtocolTCP }, []string{"healthCheck.protocol"}},
		{"healthy threshold 11", func(a *ALB) { a.HealthCheck.HealthyThreshold = 11 }, []string{"healthCheck.healthyThreshold"}},
		{"unhealthy threshold 1", func(a *ALB) { a.HealthCheck.UnhealthyThreshold = 1 }, []string{"healthCheck.unhealthyThreshold"}},
		{"deregistration delay above 3600 s", func(a *ALB) { a.TargetGroup.DeregistrationDelay = ptr(s(3601)) }, []string{"targetGroup.deregistrationDelay"}},
		{"proxy protocol on alb", func(a *ALB) { a.TargetGroup.ProxyProtocolV2 = true }, []string{"targetGroup.proxyProtocolV2"}},
		{"connection termination on alb", func(a *ALB) { a.TargetGroup.ConnectionTermination = ptr(true) }, []string{"targetGroup.connectionTermination"}},
		{"preserve client ip on alb", func(a *ALB) { a.TargetGroup.PreserveClientIP = ptr(false) }, []string{"targetGroup.preserveClientIp"}},
		{"unknown algorithm", func(a *ALB) { a.TargetGroup.Algorithm = "least_connections" }, []string{"targetGroup.algorithm"}},
		{"slow start below 30 s", func(a *ALB) { a.TargetGroup.SlowStart = ptr(s(10)) }, []string{"targetGroup.slowStart"}},
		{"slow start above 900 s", func(a *ALB) { a.TargetGroup.SlowStart = ptr(s(901)) }, []string{"targetGroup.slowStart"}},
		{"slow start off", func(a *ALB) { a.TargetGroup.SlowStart = ptr(time.Duration(0)) }, nil},
		{"slow start with weighted random", func(a *ALB) {
			a.TargetGroup.Algorithm, a.TargetGroup.SlowStart = AlgorithmWeightedRandom, ptr(s(30))
		}, []string{"targetGroup.slowStart"}},
		{"weighted random alone", func(a *ALB) { a.TargetGroup.Algorithm = AlgorithmWeightedRandom }, nil},
		{"propagation negative", func(a *ALB) { a.DeregistrationPropagation = -time.Second }, []string{"deregistrationPropagation"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var a ALB
			tc.modify(&a)
			checkFields(t, a.Validate(), tc.want)
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	n := NLB{
		Scheme:      "public",
		Listeners:   []Listener{{Port: 80, IdleTimeout: 30 * time.Second}, {Port: 443, Protocol: ProtocolTLS, IdleTimeout: 400 * time.Second}},
		HealthCheck: HealthCheck{Interval: 10 * time.Second, Timeout: 20 * time.Second, UnhealthyThreshold: 12},
		TargetGroup: TargetGroup{DeregistrationDelay: ptr(4000 * time.Second)},
	}
	checkFields(t, n.Validate(), []string{
		"scheme", "listeners[0].idleTimeout", "listeners[1].idleTimeout", "tls.certificateArn",
		"healthCheck.timeout", "healthCheck.unhealthyThreshold", "targetGroup.deregistrationDelay",
	})
	err := n.Validate()
	for _, want := range []string{
		"listeners[0].idleTimeout: 30s: must be between 60 and 6000 seconds for an NLB TCP listener",
		"listeners[1].idleTimeout: 6m40s: must not be set on a TLS listener: AWS fixes its idle timeout at 350 seconds",
		"healthCheck.timeout: 20s: must not exceed the interval 10s",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	a := ALB{
		IdleTimeout: 5000 * time.Second,
		HealthCheck: HealthCheck{Interval: 5 * time.Second, Timeout: 5 * time.Second},
		TargetGroup: TargetGroup{ProxyProtocolV2: true, Algorithm: AlgorithmWeightedRandom, SlowStart: ptr(60 * time.Second)},
	}
	checkFields(t, a.Validate(), []string{"idleTimeout", "healthCheck.timeout", "targetGroup.proxyProtocolV2", "targetGroup.slowStart"})
	if !strings.Contains(a.Validate().Error(), "healthCheck.timeout: 5s: must be below the interval 5s") {
		t.Errorf("ALB timeout rule not stated: %v", a.Validate())
	}
}

func TestSetDefaultsKeepsExplicitValues(t *testing.T) {
	t.Parallel()
	n := NLB{
		Scheme:      SchemeInternetFacing,
		CrossZone:   ptr(false),
		Listeners:   []Listener{{Port: 8080, Protocol: ProtocolTCP, IdleTimeout: 900 * time.Second}},
		HealthCheck: HealthCheck{Interval: 30 * time.Second, Timeout: 6 * time.Second, HealthyThreshold: 5, UnhealthyThreshold: 2},
		TargetGroup: TargetGroup{DeregistrationDelay: ptr(time.Duration(0)), PreserveClientIP: ptr(false)},
	}
	n.SetDefaults()
	if n.Scheme != SchemeInternetFacing || *n.CrossZone || n.Listeners[0].IdleTimeout != 900*time.Second ||
		n.HealthCheck.Interval != 30*time.Second || n.HealthCheck.Timeout != 6*time.Second ||
		n.HealthCheck.HealthyThreshold != 5 || n.HealthCheck.UnhealthyThreshold != 2 ||
		*n.TargetGroup.DeregistrationDelay != 0 || *n.TargetGroup.PreserveClientIP {
		t.Errorf("SetDefaults overwrote explicit values: %+v", n)
	}
	if n.TargetType != TargetTypeIP || !*n.TargetGroup.ConnectionTermination || n.HealthCheck.Protocol != ProtocolTCP {
		t.Errorf("SetDefaults left empty fields empty: %+v", n)
	}
}
