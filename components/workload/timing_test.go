package workload

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
)

// TestDerivedTiming checks the defaults derived from the controller's health
// check defaults (NLB 10s x 3 + 10s, ALB 15s x 2 + 5s), from the
// deregistration-propagation assumption, and from custom settings. Expected
// numbers are worked out by hand in each row's comment.
func TestDerivedTiming(t *testing.T) {
	t.Parallel()
	type want struct {
		timeToUnhealthy, preStop, grace, dereg, lbIdle, keepAlive, maxAge, shutdownDelay, drain int
	}
	tests := []struct {
		name string
		args Args
		want want
	}{
		{
			// TTU 10x3+10 = 40, + lag 40 = 80 < propagation 120: preStop
			// 120+5, grace 125+10+5; connection termination: delay 125+10;
			// the app's last 5 s of preStop is the close window.
			name: "NLB controller defaults",
			args: Args{},
			want: want{timeToUnhealthy: 40, preStop: 125, grace: 140, dereg: 135, lbIdle: 350, keepAlive: 355, maxAge: 60, shutdownDelay: 5, drain: 10},
		},
		{
			// Propagation 1s: TTU 40 + lag 40 decides; preStop 85, grace
			// 100, delay 95.
			name: "NLB health-check path",
			args: Args{NLB: loadbalancer.NLB{DeregistrationPropagation: time.Second}},
			want: want{timeToUnhealthy: 40, preStop: 85, grace: 100, dereg: 95, lbIdle: 350, keepAlive: 355, maxAge: 60, shutdownDelay: 5, drain: 10},
		},
		{
			// TTU 5x2+5 = 15, measured lag 5: preStop 25, grace 40; delay
			// 25+10 = 35.
			name: "NLB custom health check and lag",
			args: Args{NLB: loadbalancer.NLB{
				DeregistrationPropagation: time.Second,
				UnhealthyLag:              5 * time.Second,
				HealthCheck: loadbalancer.HealthCheck{Protocol: loadbalancer.ProtocolHTTP, Interval: 5 * time.Second,
					Timeout: 5 * time.Second, UnhealthyThreshold: 2},
			}},
			want: want{timeToUnhealthy: 15, preStop: 25, grace: 40, dereg: 35, lbIdle: 350, keepAlive: 355, maxAge: 60, shutdownDelay: 5, drain: 10},
		},
		{
			// Listener idle 600: keepalive 605.
			name: "NLB long idle timeout",
			args: Args{NLB: loadbalancer.NLB{Listeners: []loadbalancer.Listener{{Port: 443, IdleTimeout: 600 * time.Second}}}},
			want: want{timeToUnhealthy: 40, preStop: 125, grace: 140, dereg: 135, lbIdle: 600, keepAlive: 605, maxAge: 60, shutdownDelay: 5, drain: 10},
		},
		{
			// Drain 60: grace 125+60+5, delay 125+60.
			name: "NLB long drain",
			args: Args{DrainTime: 60 * time.Second},
			want: want{timeToUnhealthy: 40, preStop: 125, grace: 190, dereg: 185, lbIdle: 350, keepAlive: 355, maxAge: 60, shutdownDelay: 5, drain: 60},
		},
		{
			// No connection termination: nothing is reset at the end of the
			// delay, which then only covers the drain (the 30 s default).
			name: "NLB without connection termination",
			args: Args{NLB: loadbalancer.NLB{TargetGroup: loadbalancer.TargetGroup{ConnectionTermination: ptr(false)}}},
			want: want{timeToUnhealthy: 40, preStop: 125, grace: 140, dereg: 30, lbIdle: 350, keepAlive: 355, maxAge: 60, shutdownDelay: 5, drain: 10},
		},
		{
			// TTU 15x2+5 = 35 > propagation 15: preStop 40, grace 55.
			name: "ALB controller defaults",
			args: Args{Front: FrontALB},
			want: want{timeToUnhealthy: 35, preStop: 40, grace: 55, dereg: 30, lbIdle: 60, keepAlive: 65, maxAge: 0, shutdownDelay: 5, drain: 10},
		},
		{
			// TTU 20x3+10 = 70: preStop 75, grace 90.
			name: "ALB custom health check",
			args: Args{Front: FrontALB, ALB: loadbalancer.ALB{HealthCheck: loadbalancer.HealthCheck{
				Interval: 20 * time.Second, Timeout: 10 * time.Second, UnhealthyThreshold: 3}}},
			want: want{timeToUnhealthy: 70, preStop: 75, grace: 90, dereg: 30, lbIdle: 60, keepAlive: 65, maxAge: 0, shutdownDelay: 5, drain: 10},
		},
		{
			// Propagation 50 > TTU 35: preStop 55, grace 70.
			name: "ALB slow propagation",
			args: Args{Front: FrontALB, ALB: loadbalancer.ALB{DeregistrationPropagation: 50 * time.Second}},
			want: want{timeToUnhealthy: 35, preStop: 55, grace: 70, dereg: 30, lbIdle: 60, keepAlive: 65, maxAge: 0, shutdownDelay: 5, drain: 10},
		},
		{
			// The app waits itself: shutdown delay = preStop 40.
			name: "ALB in-app delay",
			args: Args{Front: FrontALB, PreStopMode: PreStopInApp},
			want: want{timeToUnhealthy: 35, preStop: 40, grace: 55, dereg: 30, lbIdle: 60, keepAlive: 65, maxAge: 0, shutdownDelay: 40, drain: 10},
		},
		{
			// Overrides are kept as given when the chain holds.
			name: "ALB overrides",
			args: Args{Front: FrontALB, PreStop: 50 * time.Second, DrainTime: 20 * time.Second,
				TerminationGracePeriod: 90 * time.Second, BackendKeepAlive: 120 * time.Second,
				MaxConnAge: ptr(30 * time.Second), MaxConnRequests: 1000},
			want: want{timeToUnhealthy: 35, preStop: 50, grace: 90, dereg: 30, lbIdle: 60, keepAlive: 120, maxAge: 30, shutdownDelay: 5, drain: 20},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := tc.args
			a.SetDefaults(testName)
			if err := a.Validate(testName); err != nil {
				t.Fatalf("defaults do not validate: %v", err)
			}
			tm := a.Timing()
			got := want{
				timeToUnhealthy: secs(tm.LB.TimeToUnhealthy),
				preStop:         secs(tm.PreStop),
				grace:           secs(tm.TerminationGracePeriod),
				dereg:           secs(tm.LB.DeregistrationDelay),
				lbIdle:          secs(tm.LB.IdleTimeout),
				keepAlive:       secs(tm.BackendKeepAlive),
				maxAge:          secs(tm.MaxConnAge),
				shutdownDelay:   secs(tm.ShutdownDelay),
				drain:           secs(tm.DrainTime),
			}
			if got != tc.want {
				t.Errorf("timing = %+v\nwant     %+v", got, tc.want)
			}
			e := tm.Env()
			for k, v := range map[string]int{
				EnvLBIdleTimeout: tc.want.lbIdle, EnvIdleTimeout: tc.want.keepAlive, EnvMaxConnAge: tc.want.maxAge,
				EnvShutdownDelay: tc.want.shutdownDelay, EnvDrainTimeout: tc.want.drain,
			} {
				if e[k] != strconv.Itoa(v) {
					t.Errorf("env %s = %q, want %d", k, e[k], v)
				}
			}
			// The sample app keeps serving for the in-app delay plus the drain.
			wantArg := "--delay-shutdown=" + strconv.Itoa(tc.want.shutdownDelay+tc.want.drain)
			if !slices.Contains(a.Container.Args, wantArg) {
				t.Errorf("sample args %v lack %s", a.Container.Args, wantArg)
			}
		})
	}
}

// TestTimingRules breaks each inequality of the chain in turn and expects it
// rejected on the right field, with the inequality and its numbers.
func TestTimingRules(t *testing.T) {
	t.Parallel()
	fastNLB := loadbalancer.NLB{DeregistrationPropagation: time.Second} // TTU 40 + lag 40 decides
	tests := []struct {
		name     string
		args     Args
		field    string
		fragment string
	}{
		{
			name:     "preStop below NLB time-to-unhealthy + unhealthy lag",
			args:     Args{NLB: fastNLB, PreStop: 60 * time.Second},
			field:    "preStop",
			fragment: "preStop 60s must exceed LB time-to-unhealthy + unhealthy lag 80s (interval 10s x unhealthy threshold 3 + timeout 10s, then 40s more while the NLB keeps sending to an unhealthy target)",
		},
		{
			name:     "preStop equal to NLB time-to-unhealthy + unhealthy lag",
			args:     Args{NLB: fastNLB, PreStop: 80 * time.Second},
			field:    "preStop",
			fragment: "preStop 80s must exceed LB time-to-unhealthy + unhealthy lag 80s",
		},
		{
			name:     "preStop below NLB deregistration propagation",
			args:     Args{PreStop: 100 * time.Second},
			field:    "preStop",
			fragment: "preStop 100s must exceed LB deregistration propagation 120s",
		},
		{
			name:     "preStop below ALB time-to-unhealthy",
			args:     Args{Front: FrontALB, PreStop: 30 * time.Second},
			field:    "preStop",
			fragment: "preStop 30s must exceed LB time-to-unhealthy 35s (interval 15s x unhealthy threshold 2 + timeout 5s)",
		},
		{
			name: "preStop below custom ALB time-to-unhealthy",
			args: Args{Front: FrontALB, PreStop: 60 * time.Second, ALB: loadbalancer.ALB{HealthCheck: loadbalancer.HealthCheck{
				Interval: 20 * time.Second, Timeout: 10 * time.Second, UnhealthyThreshold: 3}}},
			field:    "preStop",
			fragment: "preStop 60s must exceed LB time-to-unhealthy 70s (interval 20s x unhealthy threshold 3 + timeout 10s)",
		},
		{
			name:     "grace not above preStop",
			args:     Args{NLB: fastNLB, PreStop: 85 * time.Second, TerminationGracePeriod: 85 * time.Second},
			field:    "terminationGracePeriod",
			fragment: "terminationGracePeriodSeconds 85s must exceed preStop 85s",
		},
		{
			name:     "grace not above preStop plus drain",
			args:     Args{NLB: fastNLB, PreStop: 85 * time.Second, TerminationGracePeriod: 90 * time.Second},
			field:    "terminationGracePeriod",
			fragment: "terminationGracePeriodSeconds 90s must exceed preStop + drain time 95s (preStop 85s + drain time 10s)",
		},
		{
			// The old default: termination on, 30 s. The NLB would reset
			// every keepalive connection 95 s before the app closes it.
			name:     "NLB deregistration delay below preStop + drain with connection termination",
			args:     Args{NLB: loadbalancer.NLB{TargetGroup: loadbalancer.TargetGroup{DeregistrationDelay: ptr(30 * time.Second)}}},
			field:    "nlb.targetGroup.deregistrationDelay",
			fragment: "NLB deregistration delay 30s must be at least preStop + drain time 135s (preStop 125s + drain time 10s: with connection termination the NLB resets every connection still open when the delay ends",
		},
		{
			name: "NLB deregistration delay below drain time without connection termination",
			args: Args{NLB: loadbalancer.NLB{TargetGroup: loadbalancer.TargetGroup{
				DeregistrationDelay: ptr(5 * time.Second), ConnectionTermination: ptr(false)}}},
			field:    "nlb.targetGroup.deregistrationDelay",
			fragment: "NLB deregistration delay 5s must be at least drain time 10s",
		},
		{
			name:     "ALB deregistration delay below drain time",
			args:     Args{Front: FrontALB, DrainTime: 45 * time.Second, ALB: loadbalancer.ALB{TargetGroup: loadbalancer.TargetGroup{DeregistrationDelay: ptr(30 * time.Second)}}},
			field:    "alb.targetGroup.deregistrationDelay",
			fragment: "ALB deregistration delay 30s must be at least drain time 45s",
		},
		{
			name:     "deregistration delay beyond grace",
			args:     Args{NLB: loadbalancer.NLB{TargetGroup: loadbalancer.TargetGroup{DeregistrationDelay: ptr(300 * time.Second)}}},
			field:    "nlb.targetGroup.deregistrationDelay",
			fragment: "NLB deregistration delay 300s must not exceed terminationGracePeriodSeconds 140s",
		},
		{
			name:     "ALB keepalive not above idle timeout",
			args:     Args{Front: FrontALB, BackendKeepAlive: 60 * time.Second},
			field:    "backendKeepAlive",
			fragment: "backend keepalive 60s must exceed LB idle timeout 60s (ALB)",
		},
		{
			name: "NLB keepalive below a raised listener idle timeout",
			args: Args{BackendKeepAlive: 355 * time.Second, NLB: loadbalancer.NLB{
				Listeners: []loadbalancer.Listener{{Port: 80, IdleTimeout: 400 * time.Second}}}},
			field:    "backendKeepAlive",
			fragment: "backend keepalive 355s must exceed LB idle timeout 400s (NLB)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expectOnly(t, validate(tc.args), []string{tc.field}, tc.fragment)
		})
	}
}

// TestTimingBoundaries: each rule's limit itself is accepted, so the rules are
// no stricter than documented.
func TestTimingBoundaries(t *testing.T) {
	t.Parallel()
	fastNLB := loadbalancer.NLB{DeregistrationPropagation: time.Second}
	tests := []struct {
		name string
		args Args
	}{
		{"preStop one second above time-to-unhealthy + unhealthy lag", Args{NLB: fastNLB, PreStop: 81 * time.Second}},
		{"grace one second above preStop + drain", Args{NLB: fastNLB, PreStop: 85 * time.Second, TerminationGracePeriod: 96 * time.Second}},
		{"deregistration delay equal to drain without termination", Args{DrainTime: 30 * time.Second, NLB: loadbalancer.NLB{
			TargetGroup: loadbalancer.TargetGroup{DeregistrationDelay: ptr(30 * time.Second), ConnectionTermination: ptr(false)}}}},
		{"deregistration delay equal to preStop + drain with termination", Args{NLB: loadbalancer.NLB{
			TargetGroup: loadbalancer.TargetGroup{DeregistrationDelay: ptr(135 * time.Second)}}}},
		{"deregistration delay equal to grace", Args{NLB: loadbalancer.NLB{TargetGroup: loadbalancer.TargetGroup{DeregistrationDelay: ptr(140 * time.Second)}}}},
		{"keepalive one second above idle", Args{Front: FrontALB, BackendKeepAlive: 61 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := validate(tc.args); err != nil {
				t.Errorf("rejected: %v", err)
			}
		})
	}
}

// TestTimingChainReportsEveryBreak: several broken links come back together.
func TestTimingChainReportsEveryBreak(t *testing.T) {
	t.Parallel()
	err := validate(Args{
		Front:            FrontALB,
		PreStop:          30 * time.Second,
		BackendKeepAlive: 30 * time.Second,
		ALB:              loadbalancer.ALB{TargetGroup: loadbalancer.TargetGroup{DeregistrationDelay: ptr(5 * time.Second)}},
	})
	expectOnly(t, err, []string{"preStop", "alb.targetGroup.deregistrationDelay", "backendKeepAlive"},
		"preStop 30s must exceed", "ALB deregistration delay 5s must be at least drain time 10s", "backend keepalive 30s must exceed")
}
