package lab

import (
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/tests/awslb"
)

// The stand-in carries its own copy of the numbers it assumes (it is shared
// with the control-plane module, which cannot import the toolkit); these are
// held equal to components/loadbalancer's here.
func TestStandinDefaultsAgreeWithLoadBalancer(t *testing.T) {
	t.Parallel()
	for name, pair := range map[string][2]time.Duration{
		"NLB propagation":   {awslb.DefaultNLBPropagation, loadbalancer.DefaultNLBDeregistrationPropagation},
		"ALB propagation":   {awslb.DefaultALBPropagation, loadbalancer.DefaultALBDeregistrationPropagation},
		"NLB unhealthy lag": {awslb.DefaultNLBUnhealthyLag, loadbalancer.DefaultNLBUnhealthyLag},
		"ALB unhealthy lag": {awslb.DefaultALBUnhealthyLag, loadbalancer.DefaultALBUnhealthyLag},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s: stand-in %v, loadbalancer %v", name, pair[0], pair[1])
		}
	}
}

// What the stand-in reads from the annotations the loadbalancer package
// renders is what Timings derives from the same settings.
func TestStandinReadsWhatTheToolkitRenders(t *testing.T) {
	t.Parallel()
	hc := loadbalancer.HealthCheck{Interval: 6 * time.Second, Timeout: 4 * time.Second, HealthyThreshold: 4, UnhealthyThreshold: 5}
	delay := 77 * time.Second
	nlbs := map[string]loadbalancer.NLB{
		"NLB defaults": {},
		"NLB custom": {HealthCheck: hc, DeregistrationPropagation: 20 * time.Second, UnhealthyLag: 7 * time.Second,
			TargetGroup: loadbalancer.TargetGroup{DeregistrationDelay: &delay, ConnectionTermination: new(bool)}},
	}
	albs := map[string]loadbalancer.ALB{
		"ALB defaults": {},
		"ALB custom": {HealthCheck: hc, DeregistrationPropagation: 50 * time.Second, UnhealthyLag: 3 * time.Second,
			TargetGroup: loadbalancer.TargetGroup{DeregistrationDelay: &delay}},
	}
	check := func(name string, cfg awslb.Config, err error, tm loadbalancer.Timings, hc loadbalancer.HealthCheck) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := []any{cfg.HealthCheck.Interval, cfg.HealthCheck.Timeout, cfg.HealthCheck.HealthyThreshold, cfg.HealthCheck.UnhealthyThreshold,
			cfg.TimeToUnhealthy(), cfg.UnhealthyLag, cfg.Propagation, cfg.StopSendingAfter(), cfg.DeregistrationDelay, cfg.ConnectionTermination,
			cfg.HealthCheck.Protocol, cfg.HealthCheck.Path, cfg.HealthCheck.SuccessCodes}
		want := []any{tm.HealthCheckInterval, tm.HealthCheckTimeout, tm.HealthyThreshold, tm.UnhealthyThreshold,
			tm.TimeToUnhealthy, tm.UnhealthyLag, tm.DeregistrationPropagation, tm.StopSendingAfter, tm.DeregistrationDelay, tm.ConnectionTermination,
			string(hc.Protocol), hc.Path, hc.SuccessCodes}
		labels := []string{"interval", "timeout", "healthy threshold", "unhealthy threshold", "time to unhealthy", "unhealthy lag",
			"propagation", "stop sending after", "deregistration delay", "connection termination", "protocol", "path", "success codes"}
		for i := range got {
			if got[i] != want[i] && !(labels[i] == "path" && hc.Protocol == loadbalancer.ProtocolTCP) &&
				!(labels[i] == "success codes" && hc.Protocol == loadbalancer.ProtocolTCP) {
				t.Errorf("%s: %s: stand-in %v, toolkit %v", name, labels[i], got[i], want[i])
			}
		}
	}
	for name, s := range nlbs {
		cfg, err := awslb.FromServiceAnnotations(s.ServiceAnnotations())
		d := s
		d.SetDefaults()
		check(name, cfg, err, s.Timings(), d.HealthCheck)
	}
	for name, s := range albs {
		cfg, err := awslb.FromIngressAnnotations(s.IngressAnnotations())
		d := s
		d.SetDefaults()
		check(name, cfg, err, s.Timings(), d.HealthCheck)
	}
}
