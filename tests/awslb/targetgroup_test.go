package awslb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

const sec = time.Second

// fakeClock runs timers when the test advances it, in time order, each in the
// test's goroutine.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers map[int]fakeTimer
}

type fakeTimer struct {
	at  time.Time
	seq int
	f   func()
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Unix(1_000_000, 0), timers: map[int]fakeTimer{}}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	id := c.seq
	c.timers[id] = fakeTimer{at: c.now.Add(d), seq: id, f: f}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.timers[id]
		delete(c.timers, id)
		return ok
	}
}

// advanceTo runs every timer due up to t (since the clock's start), then
// sets the clock to t.
func (c *fakeClock) advanceTo(start time.Time, t time.Duration) {
	until := start.Add(t)
	for {
		c.mu.Lock()
		var next *fakeTimer
		for _, tm := range c.timers {
			if !tm.at.After(until) && (next == nil || tm.at.Before(next.at) || tm.at.Equal(next.at) && tm.seq < next.seq) {
				next = &tm
			}
		}
		if next == nil {
			c.now = until
			c.mu.Unlock()
			return
		}
		delete(c.timers, next.seq)
		c.now = next.at
		c.mu.Unlock()
		next.f()
	}
}

// recorder is a Dataplane that writes down what it was told, and when.
type recorder struct {
	clock *fakeClock
	start time.Time
	calls []string
}

func (r *recorder) note(what string, t Target) error {
	r.calls = append(r.calls, fmt.Sprintf("%v %s %s", r.clock.Now().Sub(r.start), what, t.Name))
	return nil
}
func (r *recorder) Route(t Target, on bool) error {
	if on {
		return r.note("route", t)
	}
	return r.note("stop", t)
}
func (r *recorder) Reset(t Target) error   { return r.note("reset", t) }
func (r *recorder) Release(t Target) error { return r.note("release", t) }

// probes answers health checks from a table the test changes.
type probes struct {
	mu   sync.Mutex
	down map[string]bool
}

func (p *probes) set(addr string, down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down[addr] = down
}

func (p *probes) probe(_ context.Context, addr string, _ HealthCheck) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down[addr] {
		return errors.New("refused")
	}
	return nil
}

// nlbConfig is the toolkit's rendered NLB: checks 10 s / 10 s / 3 / 3,
// propagation 120 s, lag 40 s, delay 135 s with connection termination.
func nlbConfig() Config {
	return Config{Kind: NLB, Propagation: 120 * sec, UnhealthyLag: 40 * sec, DeregistrationDelay: 135 * sec,
		ConnectionTermination: true,
		HealthCheck: HealthCheck{Protocol: ProtocolTCP, Interval: 10 * sec, Timeout: 10 * sec,
			HealthyThreshold: 3, UnhealthyThreshold: 3}}
}

type rig struct {
	t     *testing.T
	clock *fakeClock
	start time.Time
	rec   *recorder
	p     *probes
	g     *TargetGroup
}

// newRig registers targets a and b at time 0 on a fake clock.
func newRig(t *testing.T, cfg Config) *rig {
	clock := newFakeClock()
	start := clock.Now()
	r := &rig{t: t, clock: clock, start: start, rec: &recorder{clock: clock, start: start}, p: &probes{down: map[string]bool{}}}
	r.g = &TargetGroup{Config: cfg, Dataplane: r.rec, Clock: clock, Probe: r.p.probe}
	for _, n := range []string{"a", "b"} {
		if err := r.g.Register(Target{Name: n, Addr: n + ":80", Servers: []string{"lb/" + n}}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(r.g.Close)
	return r
}

func (r *rig) at(d time.Duration) { r.clock.advanceTo(r.start, d) }

func (r *rig) routing(name string) bool {
	s, _ := r.g.State(name)
	return s.Routing
}

// calls returns the data-plane calls about name.
func (r *rig) calls(name string) []string {
	var out []string
	for _, c := range r.rec.calls {
		if len(c) > len(name) && c[len(c)-len(name)-1:] == " "+name {
			out = append(out, c)
		}
	}
	return out
}

func (r *rig) wantCalls(name string, want ...string) {
	r.t.Helper()
	if got := r.calls(name); !slices.Equal(got, want) {
		r.t.Errorf("data plane calls for %s:\n got %q\nwant %q\nevents:\n%s", name, got, want, r.timeline())
	}
}

func (r *rig) timeline() string {
	var s string
	for _, e := range r.g.Events() {
		s += e.String() + "\n"
	}
	return s
}

// A target deregistered at t gets new connections until t + propagation and
// none after; with connection termination, what is still open is reset at
// t + delay; the deregistration completes then.
func TestDeregisteredTargetTimeline(t *testing.T) {
	t.Parallel()
	r := newRig(t, nlbConfig())
	// Checks at 0, 10 and 20 s pass: healthy after the third, as AWS's
	// healthy threshold 3 says.
	r.at(19 * sec)
	if r.routing("a") {
		t.Fatal("a takes traffic before three checks passed")
	}
	r.at(20 * sec)
	if !r.routing("a") || !r.routing("b") {
		t.Fatalf("a and b not taking traffic after three passed checks:\n%s", r.timeline())
	}
	r.at(100 * sec)
	if err := r.g.Deregister("a"); err != nil {
		t.Fatal(err)
	}
	r.at(220*sec - time.Millisecond)
	if !r.routing("a") {
		t.Errorf("a stopped taking new connections before t + propagation (100 s + 120 s)")
	}
	r.at(220 * sec)
	if r.routing("a") {
		t.Errorf("a still takes new connections at t + propagation")
	}
	r.at(400 * sec)
	r.wantCalls("a", "20s route a", "3m40s stop a", "3m55s reset a", "3m55s release a")
	r.wantCalls("b", "20s route b")
	if s, _ := r.g.State("a"); !s.Released || s.Routing {
		t.Errorf("a after its deregistration: %+v", s)
	}
}

// A deregistration learnt late and dated back (DeregisterAt) keeps the
// timeline of one made on time: learnt at 103 s, dated 100 s, a stops taking
// new connections at 220 s and is reset at 235 s, not 3 s later. Dated after
// now, it counts from now.
func TestDeregisterAtDatesTheTimeline(t *testing.T) {
	t.Parallel()
	r := newRig(t, nlbConfig())
	r.at(103 * sec)
	if err := r.g.DeregisterAt("a", r.clock.Now().Add(-3*sec)); err != nil {
		t.Fatal(err)
	}
	if err := r.g.DeregisterAt("b", r.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r.at(220*sec - time.Millisecond)
	if !r.routing("a") {
		t.Errorf("a stopped taking new connections before 100 s + 120 s")
	}
	r.at(220 * sec)
	if r.routing("a") {
		t.Errorf("a still takes new connections at 100 s + 120 s, as if deregistered when learnt")
	}
	r.at(400 * sec)
	r.wantCalls("a", "20s route a", "3m40s stop a", "3m55s reset a", "3m55s release a")
	r.wantCalls("b", "20s route b", "3m43s stop b", "3m58s reset b", "3m58s release b")
}

// Without connection termination nothing is reset: open connections end on
// their own, and the deregistration completes when the later of the two
// clocks runs out.
func TestNoConnectionTerminationResetsNothing(t *testing.T) {
	t.Parallel()
	cfg := nlbConfig()
	cfg.ConnectionTermination = false
	r := newRig(t, cfg)
	r.at(100 * sec)
	if err := r.g.Deregister("a"); err != nil {
		t.Fatal(err)
	}
	r.at(400 * sec)
	r.wantCalls("a", "20s route a", "3m40s stop a", "3m55s release a")
}

// A delay shorter than the propagation (the old 30 s default): the reset
// comes at t + delay, while new connections still arrive until t +
// propagation. This is the chain the toolkit used to render: every keepalive
// connection cut 30 s into a 125 s preStop.
func TestShortDelayResetsDuringPropagation(t *testing.T) {
	t.Parallel()
	cfg := nlbConfig()
	cfg.DeregistrationDelay = 30 * sec
	r := newRig(t, cfg)
	r.at(100 * sec)
	if err := r.g.Deregister("a"); err != nil {
		t.Fatal(err)
	}
	r.at(131 * sec)
	if !r.routing("a") {
		t.Error("a stopped taking new connections at the end of the delay; the propagation decides that")
	}
	r.at(400 * sec)
	r.wantCalls("a", "20s route a", "2m10s reset a", "3m40s stop a", "3m40s release a")
}

// An NLB keeps opening connections to a target for the unhealthy lag after
// marking it unhealthy; an ALB (no public figure: none assumed) stops at once.
func TestUnhealthyLag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		lag     time.Duration
		stopped string
	}{
		{"NLB 40 s lag", 40 * sec, "1m50s stop a"},
		{"no lag", 0, "1m10s stop a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := nlbConfig()
			cfg.UnhealthyLag = tc.lag
			r := newRig(t, cfg)
			r.at(45 * sec)
			r.p.set("a:80", true)
			// Checks at 50, 60 and 70 s fail: unhealthy at 70 s (time to
			// unhealthy 10 x 3 + 10 = 40 s after the last pass at 40 s,
			// the timeout not spent by a refused connection).
			r.at(69 * sec)
			if s, _ := r.g.State("a"); s.Health != HealthHealthy {
				t.Fatalf("a is %s before its third failed check", s.Health)
			}
			r.at(300 * sec)
			r.wantCalls("a", "20s route a", tc.stopped)
			r.wantCalls("b", "20s route b")
		})
	}
}

// A target that recovers takes traffic again after the healthy threshold; one
// that never passed its checks never takes any.
func TestRecoveryAndNeverHealthy(t *testing.T) {
	t.Parallel()
	r := newRig(t, nlbConfig())
	r.p.set("b:80", true)
	r.at(45 * sec)
	r.p.set("a:80", true)
	r.at(115 * sec) // a unhealthy at 70 s, off at 110 s
	r.p.set("a:80", false)
	// Passes at 120, 130, 140 s: healthy again at 140 s.
	r.at(200 * sec)
	r.wantCalls("a", "20s route a", "1m50s stop a", "2m20s route a")
	r.wantCalls("b")
	if s, _ := r.g.State("b"); s.Health != HealthUnhealthy || s.Routing {
		t.Errorf("b never passed a check and is %+v", s)
	}
}

// Re-registering a target whose deregistration completed starts it afresh;
// one still registered is refused.
func TestRegisterTwice(t *testing.T) {
	t.Parallel()
	r := newRig(t, nlbConfig())
	if err := r.g.Register(Target{Name: "a", Addr: "a:80"}); err == nil {
		t.Error("a registered twice")
	}
	r.at(30 * sec)
	if err := r.g.Deregister("a"); err != nil {
		t.Fatal(err)
	}
	r.at(200 * sec)
	if err := r.g.Register(Target{Name: "a", Addr: "a:80"}); err != nil {
		t.Errorf("re-registering a released target: %v", err)
	}
}

func TestEventsAreInTimeOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t, nlbConfig())
	r.at(100 * sec)
	_ = r.g.Deregister("b")
	r.at(400 * sec)
	ev := r.g.Events()
	if !sort.SliceIsSorted(ev, func(i, j int) bool { return ev[i].At < ev[j].At }) {
		t.Errorf("events out of order:\n%s", r.timeline())
	}
	var whats []string
	for _, e := range ev {
		if e.Target == "b" {
			whats = append(whats, e.What)
		}
	}
	want := []string{"registered", "healthy", "routing on", "deregistered", "routing off", "reset", "released"}
	if !slices.Equal(whats, want) {
		t.Errorf("b's events %q, want %q", whats, want)
	}
}

// WaitRouting returns once the named targets take traffic, however many
// times it looked before.
func TestWaitRouting(t *testing.T) {
	t.Parallel()
	r := newRig(t, nlbConfig())
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- r.g.WaitRouting(ctx, "a", "b")
	}()
	for d := time.Duration(0); d <= 30*sec; d += sec {
		r.at(d)
		time.Sleep(time.Millisecond) // let the waiter look at every step
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.g.WaitRouting(ctx, "a"); err == nil {
		t.Error("WaitRouting(a) returned while b takes traffic too")
	}
}
