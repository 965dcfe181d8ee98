package awslb

import (
	"strings"
	"testing"
	"time"
)

// Without annotations the stand-in plays what the controller and AWS default to;
// a bad value is an error naming the annotation.
func TestFromAnnotations(t *testing.T) {
	t.Parallel()
	nlb, err := FromServiceAnnotations(nil)
	if err != nil {
		t.Fatal(err)
	}
	if nlb.DeregistrationDelay != 300*sec || nlb.ConnectionTermination || nlb.StopSendingAfter() != 120*sec || nlb.HealthCheck.Protocol != ProtocolTCP {
		t.Errorf("NLB defaults: %+v", nlb)
	}
	alb, err := FromIngressAnnotations(map[string]string{
		"alb.ingress.kubernetes.io/healthcheck-interval-seconds": "6",
		"alb.ingress.kubernetes.io/target-group-attributes":      "deregistration_delay.timeout_seconds=45,load_balancing.algorithm.type=least_outstanding_requests",
		"eksbalance.io/unhealthy-lag-seconds":                    "3",
	})
	if err != nil {
		t.Fatal(err)
	}
	if alb.HealthCheck.Interval != 6*sec || alb.DeregistrationDelay != 45*sec || alb.UnhealthyLag != 3*sec ||
		alb.Algorithm != "least_outstanding_requests" || alb.TimeToUnhealthy() != 17*sec {
		t.Errorf("ALB: %+v", alb)
	}
	for _, a := range []map[string]string{
		{"service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval": "ten"},
		{"service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "deregistration_delay.connection_termination.enabled=maybe"},
		{"eksbalance.io/deregistration-propagation-seconds": "-1"},
	} {
		_, err := FromServiceAnnotations(a)
		for k := range a {
			if err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("%v: error %v does not name the annotation", a, err)
			}
		}
	}
	for _, tc := range []struct {
		c    Config
		want string
	}{{nlb, "LBC issues 2366 and 3270"}, {alb, "unmeasured assumption"}, {Config{Kind: ALB, Propagation: 20 * sec}, "as configured"}} {
		if got := tc.c.PropagationSource(); !strings.Contains(got, tc.want) {
			t.Errorf("%s propagation %v: source %q, want %q", tc.c.Kind, tc.c.Propagation, got, tc.want)
		}
	}
	if c := (Config{TimeScale: 40 * time.Millisecond}); c.Scaled(125*sec) != 5*sec {
		t.Errorf("125 s at 40 ms per second is %v", c.Scaled(125*sec))
	}
}
