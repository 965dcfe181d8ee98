package loadbalancer

import (
	"fmt"
	"time"

	"github.com/eksbalance/eksbalance/serve"
)

// IdleMargin is the gap kept between neighbouring idle timeouts, so that the
// side that should close an idle connection first does so before the other
// side's timer can fire: timers start at slightly different moments (one
// round trip apart) and both sides must not race to close. The app-side
// library owns the number, so a server run without the template's env vars
// picks the same keepalive.
const IdleMargin = serve.IdleMargin

// Timings are the numbers derived from a load balancer's settings that other
// components size themselves by. Nothing outside this package recomputes them.
//
// Stopping new traffic to a pod has two paths, and a pod must keep serving
// until the slower of the two that can apply has completed:
//
//   - Health checks: a target that starts failing is marked unhealthy at the
//     latest after TimeToUnhealthy = interval x unhealthy threshold + timeout.
//     The worst case starts right after a passing check: the next
//     UnhealthyThreshold checks must all fail, the last one starting
//     interval x threshold later and failing only after its timeout. An NLB
//     then keeps opening new connections to it for UnhealthyLag (30-40 s
//     measured, aws/containers-roadmap issue 470).
//   - Deregistration (IP targets): when a pod starts terminating its endpoint
//     turns not-ready, the controller deregisters the pod IP (about a second),
//     and the load balancer's nodes stop sending new work after AWS has
//     propagated the change: DeregistrationPropagation, a documented
//     assumption (about two minutes measured publicly on NLBs, LBC issues
//     2366 and 3270; 15 s on ALBs, an unmeasured assumption).
//
// StopSendingAfter is the larger of the two, the bound a preStop hook must
// exceed (the order from the KubeCon NA 2023 talk: time-to-unhealthy < preStop
// < terminationGracePeriodSeconds, widened by the deregistration path and the
// unhealthy lag).
//
// What the load balancer does with connections that are already open is the
// deregistration delay's business: they stay until DeregistrationDelay has
// passed since deregistration, and then an NLB with ConnectionTermination
// resets them. The delay starts at deregistration, about a second after the
// pod starts terminating, not at SIGTERM, so it must cover the pod's whole
// preStop + drain (DeregistrationDelayBound), or keepalive connections the app
// would have closed gracefully are cut first.
type Timings struct {
	// LoadBalancer is "NLB" or "ALB", for messages.
	LoadBalancer string

	HealthCheckInterval time.Duration
	HealthCheckTimeout  time.Duration
	UnhealthyThreshold  int
	HealthyThreshold    int
	// TimeToUnhealthy = HealthCheckInterval x UnhealthyThreshold + HealthCheckTimeout.
	TimeToUnhealthy time.Duration
	// UnhealthyLag is how long the load balancer keeps sending new work to a
	// target after marking it unhealthy (see the settings field).
	UnhealthyLag time.Duration
	// TimeToHealthy = HealthCheckInterval x HealthyThreshold: about how long a
	// new pod waits for traffic after registration (what readiness gates wait on).
	TimeToHealthy time.Duration
	// DeregistrationDelay is how long in-flight work on a deregistered target
	// may continue before the load balancer gives up on it, counted from
	// deregistration.
	DeregistrationDelay time.Duration
	// ConnectionTermination: the load balancer resets the target's open
	// connections when DeregistrationDelay ends (NLB only; false on an ALB,
	// which has no such attribute).
	ConnectionTermination bool
	// DeregistrationPropagation is the assumed bound from pod termination until
	// the load balancer stops sending it new work (see the settings field).
	DeregistrationPropagation time.Duration
	// StopSendingAfter = max(TimeToUnhealthy + UnhealthyLag, DeregistrationPropagation).
	StopSendingAfter time.Duration

	// IdleTimeout is the load balancer's idle timeout: the ALB's, or the
	// longest of an NLB's listeners (TLS listeners count as 350 s). Backends
	// compare their keepalive against it.
	IdleTimeout time.Duration
	// ShortestIdleTimeout is the shortest listener idle timeout (equal to
	// IdleTimeout unless NLB listeners differ). Clients compare against it.
	ShortestIdleTimeout time.Duration
	// RecommendedClientIdleMax = ShortestIdleTimeout - IdleMargin (half the
	// idle timeout when that is shorter): clients close idle connections
	// before the load balancer forgets them.
	RecommendedClientIdleMax time.Duration
	// RecommendedBackendKeepAlive = IdleTimeout + IdleMargin: backends never
	// close a connection the load balancer may still reuse.
	RecommendedBackendKeepAlive time.Duration
}

// Timings derives the timings from the settings (defaulted on a copy).
func (s NLB) Timings() Timings {
	s.SetDefaults()
	var longest, shortest time.Duration
	for _, l := range s.Listeners {
		idle := l.IdleTimeout
		if l.Protocol == ProtocolTLS || idle == 0 {
			idle = DefaultNLBTCPIdleTimeout
		}
		longest = max(longest, idle)
		if shortest == 0 || idle < shortest {
			shortest = idle
		}
	}
	t := newTimings("NLB", s.HealthCheck, *s.TargetGroup.DeregistrationDelay, s.DeregistrationPropagation, s.UnhealthyLag, shortest, longest)
	t.ConnectionTermination = *s.TargetGroup.ConnectionTermination
	return t
}

// Timings derives the timings from the settings (defaulted on a copy).
func (s ALB) Timings() Timings {
	s.SetDefaults()
	return newTimings("ALB", s.HealthCheck, *s.TargetGroup.DeregistrationDelay, s.DeregistrationPropagation, s.UnhealthyLag, s.IdleTimeout, s.IdleTimeout)
}

func newTimings(kind string, hc HealthCheck, dereg, propagation, lag, shortestIdle, longestIdle time.Duration) Timings {
	t := Timings{
		LoadBalancer:              kind,
		HealthCheckInterval:       hc.Interval,
		HealthCheckTimeout:        hc.Timeout,
		UnhealthyThreshold:        hc.UnhealthyThreshold,
		HealthyThreshold:          hc.HealthyThreshold,
		TimeToUnhealthy:           hc.Interval*time.Duration(hc.UnhealthyThreshold) + hc.Timeout,
		UnhealthyLag:              lag,
		TimeToHealthy:             hc.Interval * time.Duration(hc.HealthyThreshold),
		DeregistrationDelay:       dereg,
		DeregistrationPropagation: propagation,
		IdleTimeout:               longestIdle,
		ShortestIdleTimeout:       shortestIdle,
	}
	t.StopSendingAfter = max(t.TimeToUnhealthy+t.UnhealthyLag, t.DeregistrationPropagation)
	t.RecommendedClientIdleMax = shortestIdle - min(IdleMargin, shortestIdle/2)
	t.RecommendedBackendKeepAlive = longestIdle + IdleMargin
	return t
}

// Bound is one named duration in an ordering that must hold strictly, such
// as time-to-unhealthy < preStop < terminationGracePeriodSeconds.
type Bound struct {
	// Name says what the duration is, e.g. "preStop".
	Name string
	// Value is the duration.
	Value time.Duration
	// Why, when set, says where Value comes from, e.g. "interval 10s x
	// unhealthy threshold 3 + timeout 10s"; it is shown in parentheses.
	Why string
}

func (b Bound) String() string {
	s := b.Name + " " + fmtDur(b.Value)
	if b.Why != "" {
		s += " (" + b.Why + ")"
	}
	return s
}

// Violation is one inequality Lower < Upper (Lower <= Upper with AtLeast)
// that does not hold.
type Violation struct {
	Lower, Upper Bound
	// AtLeast marks a non-strict inequality: Upper may equal Lower.
	AtLeast bool
}

// Rule is the broken rule as seen from the upper bound, ready for
// validation.Errors.Add(field, upper value, rule): "must exceed LB
// time-to-unhealthy 40s (interval 10s x unhealthy threshold 3 + timeout 10s)".
func (v Violation) Rule() string {
	if v.AtLeast {
		return "must be at least " + v.Lower.String()
	}
	return "must exceed " + v.Lower.String()
}

// LowerRule is the broken rule as seen from the lower bound, for when the
// caller owns the lower value (a client idle timeout): "must be below LB idle
// timeout 60s (ALB)".
func (v Violation) LowerRule() string {
	if v.AtLeast {
		return "must not exceed " + v.Upper.String()
	}
	return "must be below " + v.Upper.String()
}

// Error is the whole inequality: "preStop 20s must exceed LB time-to-unhealthy
// 40s (interval 10s x unhealthy threshold 3 + timeout 10s)".
func (v Violation) Error() string { return v.Upper.String() + " " + v.Rule() }

// CheckChain checks that the bounds strictly increase, each neighbour pair
// in turn, and returns every pair that does not (nil when all hold).
func CheckChain(chain ...Bound) []Violation {
	var out []Violation
	for i := 1; i < len(chain); i++ {
		if chain[i-1].Value >= chain[i].Value {
			out = append(out, Violation{Lower: chain[i-1], Upper: chain[i]})
		}
	}
	return out
}

// TimeToUnhealthyBound is TimeToUnhealthy with the arithmetic behind it.
func (t Timings) TimeToUnhealthyBound() Bound {
	return Bound{
		Name:  "LB time-to-unhealthy",
		Value: t.TimeToUnhealthy,
		Why: fmt.Sprintf("interval %s x unhealthy threshold %d + timeout %s",
			fmtDur(t.HealthCheckInterval), t.UnhealthyThreshold, fmtDur(t.HealthCheckTimeout)),
	}
}

// StopSendingBound is StopSendingAfter, named after whichever path sets it.
func (t Timings) StopSendingBound() Bound {
	if t.TimeToUnhealthy+t.UnhealthyLag >= t.DeregistrationPropagation {
		if t.UnhealthyLag == 0 {
			return t.TimeToUnhealthyBound()
		}
		hc := t.TimeToUnhealthyBound()
		return Bound{
			Name:  "LB time-to-unhealthy + unhealthy lag",
			Value: t.TimeToUnhealthy + t.UnhealthyLag,
			Why: fmt.Sprintf("%s, then %s more while the %s keeps sending to an unhealthy target",
				hc.Why, fmtDur(t.UnhealthyLag), t.LoadBalancer),
		}
	}
	return Bound{
		Name:  "LB deregistration propagation",
		Value: t.DeregistrationPropagation,
		Why:   fmt.Sprintf("assumed time for the %s to stop sending new work to a deregistered IP target (%s)", t.LoadBalancer, propagationSource(t.LoadBalancer, t.DeregistrationPropagation)),
	}
}

// DeregistrationDelayBound is the least deregistration delay a pod with this
// preStop (the whole time it keeps accepting new work, hook and in-app wait
// together) and drain time needs. The delay counts from deregistration, which
// comes about a second after the pod starts terminating: counting it from
// there as well is the safe side.
//
//   - With ConnectionTermination (NLB), every connection still open when the
//     delay ends is reset. The app closes its last one at preStop + drain, so
//     the delay must be at least that.
//   - Without it the load balancer leaves open connections alone and only
//     gives up on in-flight work: the delay must cover the drain time.
func (t Timings) DeregistrationDelayBound(preStop, drain time.Duration) Bound {
	if t.ConnectionTermination {
		return Bound{
			Name:  "preStop + drain time",
			Value: preStop + drain,
			Why: fmt.Sprintf("preStop %s + drain time %s: with connection termination the %s resets every connection still open when the delay ends, and the delay counts from deregistration, about a second after the pod starts terminating",
				fmtDur(preStop), fmtDur(drain), t.LoadBalancer),
		}
	}
	return Bound{Name: "drain time", Value: drain, Why: "in-flight requests may take that long once draining starts"}
}

// DeregistrationChain checks DeregistrationDelayBound(preStop, drain) <=
// DeregistrationDelay <= grace and returns what fails: a shorter delay cuts
// connections the pod would have closed gracefully; a delay longer than the
// grace period protects nothing, the pod is killed by then.
func (t Timings) DeregistrationChain(preStop, drain, grace time.Duration) []Violation {
	delay := Bound{Name: t.LoadBalancer + " deregistration delay", Value: t.DeregistrationDelay}
	var out []Violation
	if need := t.DeregistrationDelayBound(preStop, drain); delay.Value < need.Value {
		out = append(out, Violation{Lower: need, Upper: delay, AtLeast: true})
	}
	if delay.Value > grace {
		out = append(out, Violation{Lower: delay, Upper: Bound{Name: "terminationGracePeriodSeconds", Value: grace}, AtLeast: true})
	}
	return out
}

// IdleTimeoutBound is the load balancer's (longest) idle timeout.
func (t Timings) IdleTimeoutBound() Bound {
	return Bound{Name: "LB idle timeout", Value: t.IdleTimeout, Why: t.LoadBalancer}
}

// ShutdownChain checks StopSendingAfter < preStop < grace and returns every
// inequality that fails. The caller keeps preStop + the app's drain time
// within grace with CheckChain directly.
func (t Timings) ShutdownChain(preStop, grace time.Duration) []Violation {
	return CheckChain(
		t.StopSendingBound(),
		Bound{Name: "preStop", Value: preStop},
		Bound{Name: "terminationGracePeriodSeconds", Value: grace},
	)
}

// IdleChain checks clientIdle < LB idle timeout < backendKeepAlive. A zero
// clientIdle or backendKeepAlive skips that side, for callers that control
// only one end.
func (t Timings) IdleChain(clientIdle, backendKeepAlive time.Duration) []Violation {
	var out []Violation
	if clientIdle != 0 {
		out = append(out, CheckChain(
			Bound{Name: "client idle timeout", Value: clientIdle},
			Bound{Name: "LB idle timeout", Value: t.ShortestIdleTimeout, Why: t.LoadBalancer},
		)...)
	}
	if backendKeepAlive != 0 {
		out = append(out, CheckChain(
			t.IdleTimeoutBound(),
			Bound{Name: "backend keepalive", Value: backendKeepAlive},
		)...)
	}
	return out
}

// fmtDur prints whole seconds as "120s" (not "2m0s"), matching the integer
// seconds AWS and Kubernetes use.
func fmtDur(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", int64(d/time.Second))
	}
	return d.String()
}

// propagationSource says what backs a deregistration propagation bound, for
// messages that show it.
func propagationSource(lb string, d time.Duration) string {
	switch {
	case lb == "NLB" && d == DefaultNLBDeregistrationPropagation:
		return "the NLB default, measured publicly: aws-load-balancer-controller issues 2366, 3270"
	case lb == "ALB" && d == DefaultALBDeregistrationPropagation:
		return "the ALB default, an unmeasured assumption"
	}
	return "as configured"
}
