package loadbalancer

import (
	"os"
	"strings"
	"testing"
	"time"
)

// A bound set by deregistration propagation says what backs its figure: the
// NLB's 120 s public measurements, the ALB's 15 s nothing (an unmeasured
// assumption), a chosen value the stack's choice.
func TestPropagationBoundSaysWhatBacksIt(t *testing.T) {
	t.Parallel()
	// An ALB health check faster than the propagation (5 s x 2 + 2 s = 12 s)
	// lets the assumed 15 s set the bound.
	fastALB := ALB{HealthCheck: HealthCheck{Interval: 5 * time.Second, Timeout: 2 * time.Second, UnhealthyThreshold: 2}}.Timings()
	for name, tc := range map[string]struct {
		t    Timings
		want string
	}{
		"ALB default":   {fastALB, "the ALB default, an unmeasured assumption"},
		"NLB default":   {NLB{}.Timings(), "measured publicly: aws-load-balancer-controller issues 2366, 3270"},
		"NLB measured":  {NLB{DeregistrationPropagation: 90 * time.Second}.Timings(), "as configured"},
		"ALB, measured": {ALB{HealthCheck: fastALB.healthCheck(), DeregistrationPropagation: 20 * time.Second}.Timings(), "as configured"},
	} {
		b := tc.t.StopSendingBound()
		if b.Name != "LB deregistration propagation" || !strings.Contains(b.Why, tc.want) {
			t.Errorf("%s: bound %q (%s), want propagation said to be %q", name, b.Name, b.Why, tc.want)
		}
	}
}

// healthCheck is the check these timings were computed from.
func (t Timings) healthCheck() HealthCheck {
	return HealthCheck{Interval: t.HealthCheckInterval, Timeout: t.HealthCheckTimeout, UnhealthyThreshold: t.UnhealthyThreshold}
}

// Wherever the ALB's 15 s is written down, it is called an unmeasured
// assumption; the NLB's 120 s cites its measurements.
func TestPropagationFiguresCiteTheirSource(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"settings.go", "timings.go", "../../README.md", "../../policies/README.md",
		"../../policies/rules/lib.rego", "../../policies/rules/rollout_timing.rego", "../../docs/timing.md",
		"../../tests/awslb/config.go"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(b)), " ") // lines wrap anywhere
		if !strings.Contains(text, "unmeasured assumption") {
			t.Errorf("%s does not call the ALB's 15 s an unmeasured assumption", file)
		}
		if !strings.Contains(text, "2366") || !strings.Contains(text, "3270") {
			t.Errorf("%s does not cite LBC issues 2366 and 3270 for the NLB's 120 s", file)
		}
	}
}
