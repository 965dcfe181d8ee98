package awslb

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Target is one registered pod: the address its health is checked on and
// the data-plane servers that carry traffic to it (one per load-balancer
// node that lists it, "proxy/server" for haproxy).
type Target struct {
	Name    string
	Addr    string
	Servers []string
}

// Dataplane is what carries the traffic; the target group tells it what the
// load balancer would do.
type Dataplane interface {
	// Route opens a target to new connections (true) or closes it to them
	// (false); connections already open are left alone.
	Route(t Target, on bool) error
	// Reset closes every connection open to the target, as connection
	// termination does when the deregistration delay ends.
	Reset(t Target) error
	// Release takes the target out for good. Connections still open (no
	// connection termination) stay until they end.
	Release(t Target) error
}

// Health is a target's health-check state.
type Health string

const (
	// HealthInitial: registered, not yet passed HealthyThreshold checks.
	HealthInitial Health = "initial"
	// HealthHealthy: passing.
	HealthHealthy Health = "healthy"
	// HealthUnhealthy: failed UnhealthyThreshold checks in a row.
	HealthUnhealthy Health = "unhealthy"
)

// TargetState is one target as the load balancer sees it now.
type TargetState struct {
	Target
	Health Health
	// Routing: new connections (requests) go to it.
	Routing      bool
	Deregistered bool
	// Released: deregistration has completed.
	Released bool
}

// Event is one step of a target's timeline.
type Event struct {
	// At is wall time since the target group started.
	At     time.Duration
	Target string
	// What is registered, healthy, unhealthy, routing on, routing off,
	// deregistered, reset or released.
	What string
}

func (e Event) String() string {
	return fmt.Sprintf("%8.3fs %-12s %s", e.At.Seconds(), e.What, e.Target)
}

// TargetGroup plays an AWS target group over a Dataplane. Set Config and
// Dataplane (and, in tests, Clock and Probe) before the first Register; Close
// stops its timers.
type TargetGroup struct {
	Config    Config
	Dataplane Dataplane
	// Clock is the time the group runs on. Default RealClock.
	Clock Clock
	// Probe checks a target's health. Default DefaultProbe.
	Probe Probe
	// Logf reports every event; nil is quiet.
	Logf func(format string, args ...any)

	once    sync.Once
	mu      sync.Mutex
	start   time.Time
	targets map[string]*target
	events  []Event
	errs    []error
	changed chan struct{}
	closed  bool
}

type target struct {
	Target
	health         Health
	passes, fails  int
	routing        bool
	unhealthyEpoch int  // bumped on every turn to unhealthy, so a stale lag timer is ignored
	lagOver        bool // unhealthy for longer than UnhealthyLag
	deregistered   bool
	propagated     bool
	delayOver      bool
	released       bool
	stops          []func() bool // deregistration and lag timers
	checkStop      func() bool   // the next health check
}

func (g *TargetGroup) init() {
	g.once.Do(func() {
		if g.Clock == nil {
			g.Clock = RealClock{}
		}
		if g.Probe == nil {
			g.Probe = DefaultProbe
		}
		g.start = g.Clock.Now()
		g.targets = map[string]*target{}
		g.changed = make(chan struct{})
	})
}

// Register adds a target in the initial state and starts its health checks;
// it takes traffic once they pass. A name whose deregistration has completed
// may be registered again.
func (g *TargetGroup) Register(t Target) error {
	g.init()
	if err := g.Config.Validate(); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errors.New("target group closed")
	}
	if old := g.targets[t.Name]; old != nil && !old.released {
		return fmt.Errorf("target %s is already registered", t.Name)
	}
	rec := &target{Target: t, health: HealthInitial}
	g.targets[t.Name] = rec
	g.event(rec, "registered")
	g.scheduleCheck(rec, 0)
	return nil
}

// Deregister starts a target's deregistration now: new work until now +
// Propagation, open connections until now + DeregistrationDelay (then reset
// with ConnectionTermination).
func (g *TargetGroup) Deregister(name string) error {
	g.init()
	return g.DeregisterAt(name, g.Clock.Now())
}

// DeregisterAt deregisters a target as of at, on the group's clock (at most
// now): Propagation and DeregistrationDelay count from at, not from the call.
// A harness that learns of a deregistration late (its own watches and
// controllers react in real milliseconds, which scaled time reads as seconds)
// dates it to when AWS's controller would have made it.
func (g *TargetGroup) DeregisterAt(name string, at time.Time) error {
	g.init()
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.targets[name]
	if t == nil || t.released {
		return fmt.Errorf("target %s is not registered", name)
	}
	if t.deregistered {
		return nil
	}
	now := g.Clock.Now()
	if at.After(now) {
		at = now
	}
	late := now.Sub(at)
	t.deregistered = true
	if late > 0 {
		g.logf("awslb: %s deregistered as of %v ago", t.Name, late.Round(time.Millisecond))
	}
	g.event(t, "deregistered")
	c := g.Config
	g.after(t, max(0, c.Scaled(c.Propagation)-late), func() {
		t.propagated = true
		g.update(t)
		g.maybeRelease(t)
	})
	g.after(t, max(0, c.Scaled(c.DeregistrationDelay)-late), func() {
		t.delayOver = true
		if c.ConnectionTermination {
			g.dataplane(t, "reset", g.Dataplane.Reset(t.Target))
		}
		g.maybeRelease(t)
	})
	return nil
}

// State returns one target's state.
func (g *TargetGroup) State(name string) (TargetState, bool) {
	g.init()
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.targets[name]
	if t == nil {
		return TargetState{}, false
	}
	return t.state(), true
}

// Snapshot returns every target's state, by name.
func (g *TargetGroup) Snapshot() []TargetState {
	g.init()
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.snapshot()
}

func (g *TargetGroup) snapshot() []TargetState {
	out := make([]TargetState, 0, len(g.targets))
	for _, t := range g.targets {
		out = append(out, t.state())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (t *target) state() TargetState {
	return TargetState{Target: t.Target, Health: t.health, Routing: t.routing, Deregistered: t.deregistered, Released: t.released}
}

// Wait blocks until cond holds for the targets' states or ctx ends.
func (g *TargetGroup) Wait(ctx context.Context, cond func([]TargetState) bool) error {
	g.init()
	for {
		g.mu.Lock()
		ok, ch := cond(g.snapshot()), g.changed
		g.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// WaitRouting waits until exactly the named targets take new work, among
// those not deregistered.
func (g *TargetGroup) WaitRouting(ctx context.Context, names ...string) error {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	err := g.Wait(ctx, func(ts []TargetState) bool {
		seen := 0
		for _, t := range ts {
			if !t.Deregistered && t.Routing != want[t.Name] {
				return false
			}
			if want[t.Name] {
				seen++
			}
		}
		return seen == len(want)
	})
	if err != nil {
		return fmt.Errorf("waiting for %v to take traffic: %w (now %v)", names, err, g.Snapshot())
	}
	return nil
}

// Events returns the timeline so far.
func (g *TargetGroup) Events() []Event {
	g.init()
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Event(nil), g.events...)
}

// Errors returns the data-plane errors seen so far.
func (g *TargetGroup) Errors() []error {
	g.init()
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]error(nil), g.errs...)
}

// Close stops every timer and health check. The data plane is left as it is.
func (g *TargetGroup) Close() {
	g.init()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	for _, t := range g.targets {
		t.stopTimers()
	}
}

func (t *target) stopTimers() {
	for _, stop := range t.stops {
		stop()
	}
	t.stops = nil
	if t.checkStop != nil {
		t.checkStop()
	}
}

// after runs f under the lock after d, unless the group closed meanwhile.
func (g *TargetGroup) after(t *target, d time.Duration, f func()) {
	t.stops = append(t.stops, g.Clock.AfterFunc(d, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if !g.closed {
			f()
		}
	}))
}

// scheduleCheck runs a health check after d and then every interval, until
// the target is released. Each check's next one is scheduled when it starts,
// as AWS checks on a fixed interval whatever a check takes.
func (g *TargetGroup) scheduleCheck(t *target, d time.Duration) {
	hc := g.Config.HealthCheck
	t.checkStop = g.Clock.AfterFunc(d, func() {
		g.mu.Lock()
		if g.closed || t.released || g.targets[t.Name] != t {
			g.mu.Unlock()
			return
		}
		g.scheduleCheck(t, g.Config.Scaled(hc.Interval))
		g.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), g.Config.Scaled(hc.Timeout))
		err := g.Probe(ctx, t.Addr, hc)
		cancel()
		g.mu.Lock()
		defer g.mu.Unlock()
		if !g.closed && !t.released {
			g.observe(t, err == nil)
		}
	})
}

// observe counts one check result.
func (g *TargetGroup) observe(t *target, ok bool) {
	hc := g.Config.HealthCheck
	if ok {
		t.passes, t.fails = t.passes+1, 0
		if t.health != HealthHealthy && t.passes >= hc.HealthyThreshold {
			t.health, t.lagOver = HealthHealthy, false
			g.event(t, "healthy")
			g.update(t)
		}
		return
	}
	t.passes, t.fails = 0, t.fails+1
	if t.health != HealthUnhealthy && t.fails >= hc.UnhealthyThreshold {
		t.health = HealthUnhealthy
		t.unhealthyEpoch++
		g.event(t, "unhealthy")
		if !t.routing || g.Config.UnhealthyLag == 0 {
			t.lagOver = true
			g.update(t)
			return
		}
		epoch := t.unhealthyEpoch
		g.after(t, g.Config.Scaled(g.Config.UnhealthyLag), func() {
			if t.unhealthyEpoch == epoch && t.health == HealthUnhealthy {
				t.lagOver = true
				g.update(t)
			}
		})
	}
}

// routable is whether the load balancer sends new work to t: healthy (or
// unhealthy for less than the lag, if it was taking work), and not
// deregistered for longer than the propagation.
func (t *target) routable() bool {
	if t.released || t.propagated {
		return false
	}
	switch t.health {
	case HealthHealthy:
		return true
	case HealthUnhealthy:
		return t.routing && !t.lagOver
	}
	return false
}

// update tells the data plane when routing changes.
func (g *TargetGroup) update(t *target) {
	if r := t.routable(); r != t.routing {
		t.routing = r
		what := "routing off"
		if r {
			what = "routing on"
		}
		g.dataplane(t, what, g.Dataplane.Route(t.Target, r))
	}
}

// maybeRelease completes deregistration once both the propagation and the
// delay are over.
func (g *TargetGroup) maybeRelease(t *target) {
	if t.released || !t.propagated || !t.delayOver {
		return
	}
	t.released = true
	t.routing = false
	t.stopTimers()
	g.dataplane(t, "released", g.Dataplane.Release(t.Target))
}

// dataplane records what was done, or why it failed.
func (g *TargetGroup) dataplane(t *target, what string, err error) {
	if err != nil {
		err = fmt.Errorf("%s %s: %w", what, t.Name, err)
		g.errs = append(g.errs, err)
		g.logf("awslb: %v", err)
	}
	g.event(t, what)
}

func (g *TargetGroup) event(t *target, what string) {
	e := Event{At: g.Clock.Now().Sub(g.start), Target: t.Name, What: what}
	g.events = append(g.events, e)
	g.logf("awslb: %s", e)
	close(g.changed)
	g.changed = make(chan struct{})
}

func (g *TargetGroup) logf(format string, args ...any) {
	if g.Logf != nil {
		g.Logf(format, args...)
	}
}
