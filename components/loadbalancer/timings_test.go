package loadbalancer

import (
	"slices"
	"testing"
	"time"
)

const sec = time.Second

func TestNLBTimings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings NLB
		want     Timings
	}{
		{
			// Controller defaults: interval 10 s x unhealthy 3 + timeout 10 s.
			name:     "controller defaults",
			settings: NLB{},
			want: Timings{
				LoadBalancer:        "NLB",
				HealthCheckInterval: 10 * sec, HealthCheckTimeout: 10 * sec, UnhealthyThreshold: 3, HealthyThreshold: 3,
				TimeToUnhealthy: 40 * sec, UnhealthyLag: 40 * sec, TimeToHealthy: 30 * sec,
				DeregistrationDelay: 30 * sec, ConnectionTermination: true,
				DeregistrationPropagation: 120 * sec, StopSendingAfter: 120 * sec,
				IdleTimeout: 350 * sec, ShortestIdleTimeout: 350 * sec,
				RecommendedClientIdleMax: 345 * sec, RecommendedBackendKeepAlive: 355 * sec,
			},
		},
		{
			// 5 x 2 + 3 = 13 s to unhealthy, then the measured 2 s lag: 15 s
			// beats the 10 s propagation.
			name: "fast health checks, measured propagation and lag",
			settings: NLB{
				HealthCheck:               HealthCheck{Interval: 5 * sec, Timeout: 3 * sec, HealthyThreshold: 2, UnhealthyThreshold: 2},
				TargetGroup:               TargetGroup{DeregistrationDelay: ptr(time.Duration(0)), ConnectionTermination: ptr(false)},
				DeregistrationPropagation: 10 * sec,
				UnhealthyLag:              2 * sec,
			},
			want: Timings{
				LoadBalancer:        "NLB",
				HealthCheckInterval: 5 * sec, HealthCheckTimeout: 3 * sec, UnhealthyThreshold: 2, HealthyThreshold: 2,
				TimeToUnhealthy: 13 * sec, UnhealthyLag: 2 * sec, TimeToHealthy: 10 * sec,
				DeregistrationDelay: 0, DeregistrationPropagation: 10 * sec, StopSendingAfter: 15 * sec,
				IdleTimeout: 350 * sec, ShortestIdleTimeout: 350 * sec,
				RecommendedClientIdleMax: 345 * sec, RecommendedBackendKeepAlive: 355 * sec,
			},
		},
		{
			name: "long tcp idle next to a tls listener",
			settings: NLB{
				Listeners: []Listener{{Port: 80, IdleTimeout: 600 * sec}, {Port: 443, Protocol: ProtocolTLS}},
				TLS:       TLS{CertificateARN: arn},
				HealthCheck: HealthCheck{Interval: 30 * sec, Timeout: 10 * sec, UnhealthyThreshold: 10,
					HealthyThreshold: 5},
			},
			want: Timings{
				LoadBalancer:        "NLB",
				HealthCheckInterval: 30 * sec, HealthCheckTimeout: 10 * sec, UnhealthyThreshold: 10, HealthyThreshold: 5,
				// 30 x 10 + 10 = 310 s, plus the 40 s lag.
				TimeToUnhealthy: 310 * sec, UnhealthyLag: 40 * sec, TimeToHealthy: 150 * sec,
				DeregistrationDelay: 30 * sec, ConnectionTermination: true,
				DeregistrationPropagation: 120 * sec, StopSendingAfter: 350 * sec,
				IdleTimeout: 600 * sec, ShortestIdleTimeout: 350 * sec,
				RecommendedClientIdleMax: 345 * sec, RecommendedBackendKeepAlive: 605 * sec,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.settings.Timings(); got != tc.want {
				t.Errorf("Timings()\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestALBTimings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings ALB
		want     Timings
	}{
		{
			// Controller defaults: interval 15 s x unhealthy 2 + timeout 5 s.
			name:     "controller defaults",
			settings: ALB{},
			want: Timings{
				LoadBalancer:        "ALB",
				HealthCheckInterval: 15 * sec, HealthCheckTimeout: 5 * sec, UnhealthyThreshold: 2, HealthyThreshold: 2,
				TimeToUnhealthy: 35 * sec, TimeToHealthy: 30 * sec,
				DeregistrationDelay: 30 * sec, DeregistrationPropagation: 15 * sec, StopSendingAfter: 35 * sec,
				IdleTimeout: 60 * sec, ShortestIdleTimeout: 60 * sec,
				RecommendedClientIdleMax: 55 * sec, RecommendedBackendKeepAlive: 65 * sec,
			},
		},
		{
			name: "custom checks and long idle",
			settings: ALB{
				IdleTimeout:               300 * sec,
				HealthCheck:               HealthCheck{Interval: 6 * sec, Timeout: 2 * sec, HealthyThreshold: 3, UnhealthyThreshold: 3},
				TargetGroup:               TargetGroup{DeregistrationDelay: ptr(90 * sec)},
				DeregistrationPropagation: 45 * sec,
			},
			want: Timings{
				LoadBalancer:        "ALB",
				HealthCheckInterval: 6 * sec, HealthCheckTimeout: 2 * sec, UnhealthyThreshold: 3, HealthyThreshold: 3,
				TimeToUnhealthy: 20 * sec, TimeToHealthy: 18 * sec,
				DeregistrationDelay: 90 * sec, DeregistrationPropagation: 45 * sec, StopSendingAfter: 45 * sec,
				IdleTimeout: 300 * sec, ShortestIdleTimeout: 300 * sec,
				RecommendedClientIdleMax: 295 * sec, RecommendedBackendKeepAlive: 305 * sec,
			},
		},
		{
			// Below twice the margin, the client side keeps half the idle timeout.
			name:     "very short idle timeout",
			settings: ALB{IdleTimeout: 4 * sec},
			want: Timings{
				LoadBalancer:        "ALB",
				HealthCheckInterval: 15 * sec, HealthCheckTimeout: 5 * sec, UnhealthyThreshold: 2, HealthyThreshold: 2,
				TimeToUnhealthy: 35 * sec, TimeToHealthy: 30 * sec,
				DeregistrationDelay: 30 * sec, DeregistrationPropagation: 15 * sec, StopSendingAfter: 35 * sec,
				IdleTimeout: 4 * sec, ShortestIdleTimeout: 4 * sec,
				RecommendedClientIdleMax: 2 * sec, RecommendedBackendKeepAlive: 9 * sec,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.settings.Timings(); got != tc.want {
				t.Errorf("Timings()\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestRecommendedIdleValuesSatisfyTheChain(t *testing.T) {
	t.Parallel()
	for _, tm := range []Timings{
		NLB{}.Timings(),
		ALB{}.Timings(),
		ALB{IdleTimeout: sec}.Timings(),
		NLB{Listeners: []Listener{{Port: 80, IdleTimeout: 6000 * sec}, {Port: 443, Protocol: ProtocolTLS}}}.Timings(),
	} {
		if v := tm.IdleChain(tm.RecommendedClientIdleMax, tm.RecommendedBackendKeepAlive); v != nil {
			t.Errorf("%s recommended values break the idle chain: %v", tm.LoadBalancer, v)
		}
	}
}

func errs(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Error())
	}
	return out
}

func TestShutdownChain(t *testing.T) {
	t.Parallel()
	alb := ALB{}.Timings()
	nlb := NLB{}.Timings()
	fastNLB := NLB{DeregistrationPropagation: 5 * sec}.Timings()
	noLagNLB := NLB{DeregistrationPropagation: 5 * sec, UnhealthyLag: time.Nanosecond}.Timings()
	tests := []struct {
		name           string
		timings        Timings
		preStop, grace time.Duration
		want           []string
	}{
		{"alb in order", alb, 40 * sec, 70 * sec, nil},
		{"alb preStop too short", alb, 20 * sec, 70 * sec, []string{
			"preStop 20s must exceed LB time-to-unhealthy 35s (interval 15s x unhealthy threshold 2 + timeout 5s)",
		}},
		{"alb preStop equal is not enough", alb, 35 * sec, 70 * sec, []string{
			"preStop 35s must exceed LB time-to-unhealthy 35s (interval 15s x unhealthy threshold 2 + timeout 5s)",
		}},
		{"alb grace too short", alb, 40 * sec, 30 * sec, []string{
			"terminationGracePeriodSeconds 30s must exceed preStop 40s",
		}},
		{"both fail", alb, 40 * sec, 20 * sec, []string{
			"terminationGracePeriodSeconds 20s must exceed preStop 40s",
		}},
		{"everything short", alb, 10 * sec, 5 * sec, []string{
			"preStop 10s must exceed LB time-to-unhealthy 35s (interval 15s x unhealthy threshold 2 + timeout 5s)",
			"terminationGracePeriodSeconds 5s must exceed preStop 10s",
		}},
		{"nlb deregistration path dominates", nlb, 60 * sec, 90 * sec, []string{
			"preStop 60s must exceed LB deregistration propagation 120s (assumed time for the NLB to stop sending new work to a deregistered IP target (the NLB default, measured publicly: aws-load-balancer-controller issues 2366, 3270))",
		}},
		{"nlb in order", nlb, 125 * sec, 160 * sec, nil},
		{"nlb health path and its lag dominate when propagation is measured low", fastNLB, 60 * sec, 90 * sec, []string{
			"preStop 60s must exceed LB time-to-unhealthy + unhealthy lag 80s (interval 10s x unhealthy threshold 3 + timeout 10s, then 40s more while the NLB keeps sending to an unhealthy target)",
		}},
		{"nlb in order on the health path", fastNLB, 85 * sec, 110 * sec, nil},
		{"nlb lag measured to be nothing", noLagNLB, 40 * sec, 60 * sec, []string{
			"preStop 40s must exceed LB time-to-unhealthy + unhealthy lag 40.000000001s (interval 10s x unhealthy threshold 3 + timeout 10s, then 1ns more while the NLB keeps sending to an unhealthy target)",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := errs(tc.timings.ShutdownChain(tc.preStop, tc.grace))
			if !slices.Equal(got, tc.want) {
				t.Errorf("ShutdownChain(%v, %v)\n got %q\nwant %q", tc.preStop, tc.grace, got, tc.want)
			}
		})
	}
}

// The deregistration delay counts from deregistration, so with connection
// termination it must cover the pod's whole preStop + drain; without it, the
// drain; and never more than the grace period.
func TestDeregistrationChain(t *testing.T) {
	t.Parallel()
	delay := func(d time.Duration, termination bool) Timings {
		return NLB{TargetGroup: TargetGroup{DeregistrationDelay: ptr(d), ConnectionTermination: ptr(termination)}}.Timings()
	}
	tests := []struct {
		name                  string
		timings               Timings
		preStop, drain, grace time.Duration
		want                  []string
	}{
		{"termination, delay covers preStop + drain", delay(135*sec, true), 125 * sec, 10 * sec, 140 * sec, nil},
		{"termination, the old 30 s default", delay(30*sec, true), 125 * sec, 10 * sec, 140 * sec, []string{
			"NLB deregistration delay 30s must be at least preStop + drain time 135s (preStop 125s + drain time 10s: with connection termination the NLB resets every connection still open when the delay ends, and the delay counts from deregistration, about a second after the pod starts terminating)",
		}},
		{"termination, one second short", delay(134*sec, true), 125 * sec, 10 * sec, 140 * sec, []string{
			"NLB deregistration delay 134s must be at least preStop + drain time 135s (preStop 125s + drain time 10s: with connection termination the NLB resets every connection still open when the delay ends, and the delay counts from deregistration, about a second after the pod starts terminating)",
		}},
		{"no termination: the drain is enough", delay(30*sec, false), 125 * sec, 10 * sec, 140 * sec, nil},
		{"no termination, delay below the drain", delay(5*sec, false), 125 * sec, 10 * sec, 140 * sec, []string{
			"NLB deregistration delay 5s must be at least drain time 10s (in-flight requests may take that long once draining starts)",
		}},
		{"delay above grace", delay(300*sec, true), 125 * sec, 10 * sec, 140 * sec, []string{
			"terminationGracePeriodSeconds 140s must be at least NLB deregistration delay 300s",
		}},
		{"alb has no termination", ALB{}.Timings(), 40 * sec, 10 * sec, 55 * sec, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := errs(tc.timings.DeregistrationChain(tc.preStop, tc.drain, tc.grace))
			if !slices.Equal(got, tc.want) {
				t.Errorf("DeregistrationChain(%v, %v, %v)\n got %q\nwant %q", tc.preStop, tc.drain, tc.grace, got, tc.want)
			}
		})
	}
}

func TestIdleChain(t *testing.T) {
	t.Parallel()
	alb := ALB{}.Timings()
	mixed := NLB{Listeners: []Listener{{Port: 80, IdleTimeout: 600 * sec}, {Port: 443, Protocol: ProtocolTLS}}}.Timings()
	tests := []struct {
		name            string
		timings         Timings
		client, backend time.Duration
		want            []string
	}{
		{"alb in order", alb, 55 * sec, 65 * sec, nil},
		{"node's default 5 s keepalive behind an alb", alb, 0, 5 * sec, []string{
			"backend keepalive 5s must exceed LB idle timeout 60s (ALB)",
		}},
		{"backend equal to alb idle", alb, 0, 60 * sec, []string{
			"backend keepalive 60s must exceed LB idle timeout 60s (ALB)",
		}},
		{"client idle above alb idle", alb, 90 * sec, 0, []string{
			"LB idle timeout 60s (ALB) must exceed client idle timeout 90s",
		}},
		{"mixed nlb listeners: client against the shortest", mixed, 400 * sec, 0, []string{
			"LB idle timeout 350s (NLB) must exceed client idle timeout 400s",
		}},
		{"mixed nlb listeners in order", mixed, 345 * sec, 605 * sec, nil},
		{"mixed nlb listeners: backend against the longest", mixed, 0, 400 * sec, []string{
			"backend keepalive 400s must exceed LB idle timeout 600s (NLB)",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := errs(tc.timings.IdleChain(tc.client, tc.backend))
			if !slices.Equal(got, tc.want) {
				t.Errorf("IdleChain(%v, %v)\n got %q\nwant %q", tc.client, tc.backend, got, tc.want)
			}
		})
	}
}

func TestCheckChain(t *testing.T) {
	t.Parallel()
	a := Bound{Name: "a", Value: 1 * sec}
	b := Bound{Name: "b", Value: 2 * sec, Why: "from b"}
	c := Bound{Name: "c", Value: 90 * sec}
	if v := CheckChain(a, b, c); v != nil {
		t.Errorf("increasing chain reported %v", errs(v))
	}
	if v := CheckChain(a); v != nil {
		t.Errorf("single bound reported %v", errs(v))
	}
	got := CheckChain(c, b, a)
	want := []string{"b 2s (from b) must exceed c 90s", "a 1s must exceed b 2s (from b)"}
	if !slices.Equal(errs(got), want) {
		t.Errorf("CheckChain(c, b, a) = %q, want %q", errs(got), want)
	}
	if got[1].Rule() != "must exceed b 2s (from b)" {
		t.Errorf("Rule() = %q", got[1].Rule())
	}
	if r := got[0].LowerRule(); r != "must be below b 2s (from b)" {
		t.Errorf("LowerRule() = %q", r)
	}
	if s := (Bound{Name: "x", Value: 1500 * time.Millisecond}).String(); s != "x 1.5s" {
		t.Errorf("fractional bound prints %q", s)
	}
}
