package workload

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/internal/validation"
	"github.com/eksbalance/eksbalance/serve"
)

// Environment variables the template sets on the app container. The serve
// package owns the contract (names and meaning); they are re-exported here for
// callers of this package.
const (
	EnvLBIdleTimeout   = serve.EnvLBIdleTimeout
	EnvIdleTimeout     = serve.EnvIdleTimeout
	EnvMaxConnAge      = serve.EnvMaxConnAge
	EnvMaxConnRequests = serve.EnvMaxConnRequests
	EnvShutdownDelay   = serve.EnvShutdownDelay
	EnvDrainTimeout    = serve.EnvDrainTimeout
)

// EnvPrefix marks the variables reserved for the template.
const EnvPrefix = "EKSBALANCE_"

// Timing is the shutdown and connection timing of a workload: the load
// balancer's derived numbers and the values the template chose from them.
type Timing struct {
	// LB are the load balancer's timings, from the loadbalancer package.
	LB loadbalancer.Timings
	// PreStop is the wait between the start of termination and draining:
	// the hook's sleep plus the app's ShutdownDelay.
	PreStop time.Duration
	// PreStopHook is the preStop hook's sleep: PreStop - ShutdownDelay with
	// the sleep and exec modes, 0 with PreStopInApp.
	PreStopHook time.Duration
	// DrainTime is how long in-flight requests may take once draining starts.
	DrainTime time.Duration
	// TerminationGracePeriod is the pod's terminationGracePeriodSeconds.
	TerminationGracePeriod time.Duration
	// ShutdownDelay is the wait the app itself does after SIGTERM, serving
	// with Connection: close: the last CloseWindow of PreStop with a preStop
	// hook, all of PreStop with PreStopInApp.
	ShutdownDelay time.Duration
	// DeregistrationDelayDerived says the load balancer's deregistration
	// delay was derived from preStop and drain, not given.
	DeregistrationDelayDerived bool
	// BackendKeepAlive is the app's keepalive idle timeout.
	BackendKeepAlive time.Duration
	// MaxConnAge and MaxConnRequests recycle connections; 0 = off.
	MaxConnAge      time.Duration
	MaxConnRequests int
}

// Timing returns the workload's timing. Call it on defaulted Args.
func (a Args) Timing() Timing {
	lb, _ := a.lbTimings()
	t := Timing{
		LB:                         lb,
		PreStop:                    a.PreStop,
		DrainTime:                  a.DrainTime,
		TerminationGracePeriod:     a.TerminationGracePeriod,
		BackendKeepAlive:           a.BackendKeepAlive,
		MaxConnRequests:            a.MaxConnRequests,
		DeregistrationDelayDerived: a.derivedDelay,
	}
	if a.MaxConnAge != nil {
		t.MaxConnAge = *a.MaxConnAge
	}
	if a.PreStopMode == PreStopInApp {
		t.ShutdownDelay = a.PreStop
	} else {
		t.ShutdownDelay = min(CloseWindow, a.PreStop)
		t.PreStopHook = a.PreStop - t.ShutdownDelay
	}
	return t
}

// Env is the container environment that carries the timing to the app.
func (t Timing) Env() map[string]string {
	return map[string]string{
		EnvLBIdleTimeout:   strconv.Itoa(secs(t.LB.IdleTimeout)),
		EnvIdleTimeout:     strconv.Itoa(secs(t.BackendKeepAlive)),
		EnvMaxConnAge:      strconv.Itoa(secs(t.MaxConnAge)),
		EnvMaxConnRequests: strconv.Itoa(t.MaxConnRequests),
		EnvShutdownDelay:   strconv.Itoa(secs(t.ShutdownDelay)),
		EnvDrainTimeout:    strconv.Itoa(secs(t.DrainTime)),
	}
}

// Check adds to v every broken link of the chain
//
//	LB stops sending < preStop < preStop + drain < grace
//	drain <= deregistration delay <= grace
//	preStop + drain <= deregistration delay   (NLB with connection termination)
//	LB idle timeout < backend keepalive
//
// each with the inequality and its numbers. deregField is the field path of
// the load balancer's deregistration delay, for the message.
func (t Timing) Check(v *validation.Errors, deregField string) {
	for _, viol := range t.LB.ShutdownChain(t.PreStop, t.TerminationGracePeriod) {
		field := "terminationGracePeriod"
		value := t.TerminationGracePeriod
		if viol.Upper.Name == "preStop" {
			field, value = "preStop", t.PreStop
		}
		v.Add(field, fmtDur(value), "%s", viol.Error())
	}
	// Only worth saying when grace exceeds preStop: otherwise the shutdown
	// chain already reported grace.
	if t.TerminationGracePeriod > t.PreStop {
		for _, viol := range loadbalancer.CheckChain(
			loadbalancer.Bound{Name: "preStop + drain time", Value: t.PreStop + t.DrainTime,
				Why: fmt.Sprintf("preStop %s + drain time %s", fmtDur(t.PreStop), fmtDur(t.DrainTime))},
			loadbalancer.Bound{Name: "terminationGracePeriodSeconds", Value: t.TerminationGracePeriod},
		) {
			v.Add("terminationGracePeriod", fmtDur(t.TerminationGracePeriod), "%s", viol.Error())
		}
	}
	for _, viol := range t.LB.DeregistrationChain(t.PreStop, t.DrainTime, t.TerminationGracePeriod) {
		// A derived delay follows preStop + drain; when that overruns the
		// grace period, grace is the field to fix and was reported above.
		if t.DeregistrationDelayDerived && viol.Upper.Name == "terminationGracePeriodSeconds" &&
			t.TerminationGracePeriod <= t.PreStop+t.DrainTime {
			continue
		}
		v.Add(deregField, fmtDur(t.LB.DeregistrationDelay), "%s", deregMessage(viol))
	}
	for _, viol := range t.LB.IdleChain(0, t.BackendKeepAlive) {
		v.Add("backendKeepAlive", fmtDur(t.BackendKeepAlive), "%s", viol.Error())
	}
}

// deregMessage says what a broken deregistration-delay link costs.
func deregMessage(viol loadbalancer.Violation) string {
	if viol.Upper.Name == "terminationGracePeriodSeconds" {
		return fmt.Sprintf("%s %s: the pod is killed by then, so the longer delay protects no request; to let requests run longer raise drainTime",
			viol.Lower, viol.LowerRule())
	}
	return fmt.Sprintf("%s: the load balancer would cut off work the pod still does", viol.Error())
}

// sortedEnv lists env in name order, so the rendered pod spec is stable.
func sortedEnv(env map[string]string) []string {
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// ceilSeconds rounds up to whole seconds: Kubernetes and AWS take integers,
// and rounding down could break a strict inequality.
func ceilSeconds(d time.Duration) time.Duration {
	if r := d % time.Second; r != 0 {
		return d - r + time.Second
	}
	return d
}

// secs is d in whole seconds (callers pass whole seconds).
func secs(d time.Duration) int { return int(ceilSeconds(d) / time.Second) }

// fmtDur prints whole seconds as "120s" (not "2m0s"), as the loadbalancer
// package's messages do.
func fmtDur(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", int64(d/time.Second))
	}
	return d.String()
}
