package measure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// TargetChoice says how a new connection picks one of several target addresses.
type TargetChoice string

const (
	// ChoiceRoundRobin walks the targets in order, one connection each. It is
	// what a client population that re-resolves DNS for every connection sees
	// on average, without the noise, so it is the default.
	ChoiceRoundRobin TargetChoice = "roundrobin"
	// ChoiceRandom picks a target uniformly at random for each connection, the
	// way DNS answers in shuffled order spread independent clients.
	ChoiceRandom TargetChoice = "random"
)

// FailureKind classifies a failed request by what the client saw.
type FailureKind string

const (
	// FailureRefused: the TCP connect was refused (nothing listening, or a
	// listener closed too early).
	FailureRefused FailureKind = "refused"
	// FailureReset: the connection was reset or closed before a complete
	// response arrived (RST, EPIPE, or EOF mid-exchange). A load balancer that
	// forwards to a dead target usually shows up here.
	FailureReset FailureKind = "reset"
	// FailureTimeout: connect or response took longer than Load.Timeout.
	FailureTimeout FailureKind = "timeout"
	// Failure5xx: a response with status 500-599 (e.g. haproxy's or an ALB's
	// 503 when no target is available).
	Failure5xx FailureKind = "5xx"
	// FailureOther: anything else: another non-2xx status, an empty body
	// where a pod name was expected, an unparseable response.
	FailureOther FailureKind = "other"
)

// FailureKinds lists every kind in a fixed order, for tables.
var FailureKinds = []FailureKind{FailureRefused, FailureReset, FailureTimeout, Failure5xx, FailureOther}

// Failure is one failed request.
type Failure struct {
	// At is when the request started, measured from the start of the run, so
	// failures line up with restart events on one time axis.
	At time.Duration
	// Took is how long the request ran until it failed.
	Took time.Duration
	// Kind classifies the failure.
	Kind FailureKind
	// Target is the address the request went to.
	Target string
	// Status is the HTTP status for 5xx and other-status failures, else 0.
	Status int
	// Err is the error text or a short reason.
	Err string
}

func (f Failure) String() string {
	return fmt.Sprintf("%8.3fs %-7s %s: %s", f.At.Seconds(), f.Kind, f.Target, f.Err)
}

// Load describes one bounded run. The zero value of every optional field is
// replaced by the default stated on it.
type Load struct {
	// Targets are the addresses to send to, "host:port" or "http://host:port"
	// (port 80 when absent). Several targets model one DNS name with several
	// addresses (one per AZ for an NLB with cross-zone off). Required. A host
	// name is resolved on every dial, as a client without a DNS cache would;
	// when it has several addresses and one refuses, the dial falls back to
	// the next, as most clients do.
	Targets []string
	// Choice picks a target for each new connection. Default ChoiceRoundRobin.
	Choice TargetChoice
	// Path is requested on every target. Default "/hostname", which agnhost
	// netexec and the lab backends answer with the pod name.
	Path string
	// Host is the Host header. Default: the target address. Set it when the
	// targets are IP addresses of a load balancer that routes by host.
	Host string
	// Requests bounds the number of requests sent. 0 means "until Duration".
	Requests int
	// Duration bounds the time during which requests are started; requests in
	// flight at the end finish (each within Timeout). Default 10 minutes, a
	// safety cap so that no run is unbounded in time even when only Requests
	// is set.
	Duration time.Duration
	// Concurrency is the number of requests in flight at once. Default 8:
	// enough to keep a loopback target busy without starving a 2-core machine.
	Concurrency int
	// KeepAlive reuses connections (HTTP/1.1 keepalive) from a pool of
	// Connections; false (the default) opens a fresh connection per request,
	// so every request is balanced by an L4 load balancer on its own. A
	// response with Connection: close makes the pool redial. A reused
	// connection that the server closed while idle fails the next request
	// on it (counted as reset): unlike net/http, the generator never retries
	// silently, because a rollout check must see every such race.
	KeepAlive bool
	// Connections is the keepalive pool size. Default Concurrency. Ignored
	// without KeepAlive. At most min(Concurrency, Connections) requests are
	// in flight at once.
	Connections int
	// Rate caps requests per second over all workers, for steady load. 0 (the
	// default) sends as fast as the target answers.
	Rate float64
	// Timeout bounds each request, connect included. Default 5s: a healthy
	// loopback or in-region target answers in milliseconds, so anything that
	// slow is a failure worth counting.
	Timeout time.Duration
	// Progress, when set, receives one status line at most once a second.
	Progress io.Writer
	// Seed seeds ChoiceRandom. 0 (the default) picks a random seed.
	Seed uint64
}

// Result is what a run saw.
type Result struct {
	// Attempted counts requests sent (successes plus failures).
	Attempted int
	// Succeeded counts 2xx responses with a pod name.
	Succeeded int
	// Elapsed is the wall time of the run.
	Elapsed time.Duration
	// Pods counts successful responses per pod name (the trimmed body).
	Pods map[string]int
	// Targets counts attempts per target address.
	Targets map[string]int
	// Failures lists every failed request, ordered by At.
	Failures []Failure
}

// FailuresByKind counts failures per kind; every kind is present.
func (r *Result) FailuresByKind() map[FailureKind]int {
	out := make(map[FailureKind]int, len(FailureKinds))
	for _, k := range FailureKinds {
		out[k] = 0
	}
	for _, f := range r.Failures {
		out[f.Kind]++
	}
	return out
}

// Throughput is attempted requests per second of wall time.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Attempted) / r.Elapsed.Seconds()
}

const (
	defaultPath        = "/hostname"
	defaultDuration    = 10 * time.Minute
	defaultConcurrency = 8
	defaultTimeout     = 5 * time.Second
	// maxBody bounds what is read of a response: a pod name is short, and a
	// bound keeps a misbehaving target from costing memory.
	maxBody = 64 << 10
)

// withDefaults returns l with every empty optional field set.
func (l Load) withDefaults() Load {
	if l.Choice == "" {
		l.Choice = ChoiceRoundRobin
	}
	if l.Path == "" {
		l.Path = defaultPath
	}
	if l.Duration == 0 {
		l.Duration = defaultDuration
	}
	if l.Concurrency == 0 {
		l.Concurrency = defaultConcurrency
	}
	if l.KeepAlive && l.Connections == 0 {
		l.Connections = l.Concurrency
	}
	if l.Timeout == 0 {
		l.Timeout = defaultTimeout
	}
	return l
}

// Validate reports every problem with l at once (after defaults).
func (l Load) Validate() error {
	l = l.withDefaults()
	v := validation.New("load")
	if len(l.Targets) == 0 {
		v.Add("Targets", "[]", "must list at least one address")
	}
	for i, t := range l.Targets {
		if _, err := normalizeTarget(t); err != nil {
			v.Add(fmt.Sprintf("Targets[%d]", i), t, "%v", err)
		}
	}
	if l.Choice != ChoiceRoundRobin && l.Choice != ChoiceRandom {
		v.Add("Choice", l.Choice, "must be %q or %q", ChoiceRoundRobin, ChoiceRandom)
	}
	if !strings.HasPrefix(l.Path, "/") {
		v.Add("Path", l.Path, "must start with /")
	}
	if l.Requests < 0 {
		v.Add("Requests", l.Requests, "must be >= 0 (0 means until Duration)")
	}
	if l.Duration < 0 {
		v.Add("Duration", l.Duration, "must be > 0")
	}
	if l.Concurrency < 1 {
		v.Add("Concurrency", l.Concurrency, "must be >= 1")
	}
	if l.KeepAlive && l.Connections < 1 {
		v.Add("Connections", l.Connections, "must be >= 1 with KeepAlive")
	}
	if l.Rate < 0 {
		v.Add("Rate", l.Rate, "must be >= 0 (0 means unpaced)")
	}
	if l.Timeout < 0 {
		v.Add("Timeout", l.Timeout, "must be > 0")
	}
	return v.Err()
}

// normalizeTarget turns "http://h:p/", "h:p" or "h" into "h:p".
func normalizeTarget(t string) (string, error) {
	s := strings.TrimSpace(t)
	if strings.HasPrefix(s, "https://") {
		return "", errors.New("https is not supported; point at a plain-HTTP listener")
	}
	s = strings.TrimPrefix(s, "http://")
	s = strings.TrimSuffix(s, "/")
	if s == "" || strings.ContainsAny(s, "/?# ") {
		return "", errors.New(`must be "host:port" or "http://host:port"`)
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		// No port: HTTP's default.
		s = net.JoinHostPort(strings.Trim(s, "[]"), "80")
		if _, _, err := net.SplitHostPort(s); err != nil {
			return "", err
		}
	}
	return s, nil
}

// Run sends l's requests and returns what it saw. It stops by itself when
// Requests have been sent or Duration has passed, whichever comes first; a
// cancelled ctx stops it early and Run then returns the partial result with
// ctx's error.
func Run(ctx context.Context, l Load) (*Result, error) {
	return run(ctx, l, nil, time.Time{})
}

// stopper decides, for the n-th request (1-based), whether to send it. nil
// means "n <= Requests, or unlimited when Requests is 0".
type stopper func(n int64) bool

// start is the run's time origin; zero means now.
func run(ctx context.Context, l Load, more stopper, start time.Time) (*Result, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	l = l.withDefaults()
	if start.IsZero() {
		start = time.Now()
	}
	g := &generator{l: l, start: start, more: more}
	for _, t := range l.Targets {
		n, _ := normalizeTarget(t)
		g.targets = append(g.targets, n)
	}
	g.requests = make([][]byte, len(g.targets))
	for i, t := range g.targets {
		g.requests[i] = buildRequest(l, t)
	}
	if g.more == nil {
		g.more = func(n int64) bool { return l.Requests == 0 || n <= int64(l.Requests) }
	}
	g.issueUntil = g.start.Add(l.Duration)
	if l.Rate > 0 {
		g.interval = time.Duration(float64(time.Second) / l.Rate)
		g.nextAt = g.start
	}
	workers := l.Concurrency
	if l.KeepAlive {
		g.pool = make(chan *clientConn, l.Connections)
		for range l.Connections {
			g.pool <- nil
		}
		workers = min(l.Concurrency, l.Connections)
	}
	seed := l.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}

	stopProgress := g.progress()
	stats := make([]*workerStats, workers)
	var wg sync.WaitGroup
	for i := range workers {
		st := &workerStats{pods: map[string]int{}, targets: map[string]int{},
			rng: rand.New(rand.NewPCG(seed, uint64(i)))}
		stats[i] = st
		wg.Go(func() { g.work(ctx, st) })
	}
	wg.Wait()
	stopProgress()
	if g.pool != nil {
		close(g.pool)
		for c := range g.pool {
			if c != nil {
				c.conn.Close()
			}
		}
	}

	res := &Result{Elapsed: time.Since(g.start), Pods: map[string]int{}, Targets: map[string]int{}}
	for _, st := range stats {
		res.Attempted += st.attempted
		res.Succeeded += st.ok
		for k, v := range st.pods {
			res.Pods[k] += v
		}
		for k, v := range st.targets {
			res.Targets[k] += v
		}
		res.Failures = append(res.Failures, st.failures...)
	}
	sort.SliceStable(res.Failures, func(i, j int) bool { return res.Failures[i].At < res.Failures[j].At })
	return res, ctx.Err()
}

type generator struct {
	l          Load
	targets    []string
	requests   [][]byte
	start      time.Time
	issueUntil time.Time
	more       stopper
	pool       chan *clientConn

	reserved  atomic.Int64
	attempted atomic.Int64
	failed    atomic.Int64
	rr        atomic.Uint64

	paceMu   sync.Mutex
	interval time.Duration
	nextAt   time.Time
}

type workerStats struct {
	attempted, ok int
	pods          map[string]int
	targets       map[string]int
	failures      []Failure
	rng           *rand.Rand
}

// reserve claims the next request and waits for its pacing slot; false means
// the run is over.
func (g *generator) reserve(ctx context.Context) bool {
	if ctx.Err() != nil || !time.Now().Before(g.issueUntil) {
		return false
	}
	if !g.more(g.reserved.Add(1)) {
		return false
	}
	if g.interval > 0 {
		g.paceMu.Lock()
		slot := g.nextAt
		if now := time.Now(); slot.Before(now) {
			// Behind schedule: do not burst to catch up, which would turn
			// steady load into spikes.
			slot = now
		}
		g.nextAt = slot.Add(g.interval)
		g.paceMu.Unlock()
		if slot.After(g.issueUntil) {
			return false
		}
		if d := time.Until(slot); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return false
			case <-t.C:
			}
		}
	}
	return true
}

func (g *generator) pick(st *workerStats) int {
	if len(g.targets) == 1 {
		return 0
	}
	if g.l.Choice == ChoiceRandom {
		return st.rng.IntN(len(g.targets))
	}
	return int((g.rr.Add(1) - 1) % uint64(len(g.targets)))
}

func (g *generator) work(ctx context.Context, st *workerStats) {
	for g.reserve(ctx) {
		var c *clientConn
		if g.pool != nil {
			select {
			case c = <-g.pool:
			case <-ctx.Done():
				return
			}
		}
		started := time.Now()
		c, out := g.once(ctx, st, c)
		if g.pool != nil {
			g.pool <- c
		}
		if out.cancelled {
			return
		}
		st.attempted++
		g.attempted.Add(1)
		st.targets[out.target]++
		if out.kind == "" {
			st.ok++
			st.pods[out.pod]++
			continue
		}
		g.failed.Add(1)
		st.failures = append(st.failures, Failure{
			At: started.Sub(g.start), Took: time.Since(started), Kind: out.kind,
			Target: out.target, Status: out.status, Err: out.err,
		})
	}
}

type outcome struct {
	target    string
	pod       string
	kind      FailureKind
	status    int
	err       string
	cancelled bool
}

// once sends one request, on c when it is a live keepalive connection, else
// on a new one. It returns the connection to keep (nil when closed).
func (g *generator) once(ctx context.Context, st *workerStats, c *clientConn) (*clientConn, outcome) {
	var out outcome
	deadline := time.Now().Add(g.l.Timeout)
	if c == nil {
		i := g.pick(st)
		d := net.Dialer{Deadline: deadline, KeepAlive: -1}
		conn, err := d.DialContext(ctx, "tcp", g.targets[i])
		out.target = g.targets[i]
		if err != nil {
			if ctx.Err() != nil {
				out.cancelled = true
				return nil, out
			}
			out.kind, out.err = classify(err), err.Error()
			return nil, out
		}
		c = newClientConn(conn, i)
	}
	out.target = g.targets[c.target]
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	pod, status, reusable, err := c.roundTrip(g.requests[c.target], deadline)
	if !stop() {
		c.conn.Close()
		out.cancelled = true
		return nil, out
	}
	switch {
	case err != nil:
		out.kind, out.err = classify(err), err.Error()
	case status >= 500 && status <= 599:
		out.kind, out.status, out.err = Failure5xx, status, fmt.Sprintf("status %d", status)
	case status < 200 || status > 299:
		out.kind, out.status, out.err = FailureOther, status, fmt.Sprintf("status %d", status)
	case pod == "":
		out.kind, out.status, out.err = FailureOther, status, "empty body where a pod name was expected"
	default:
		out.pod = pod
	}
	if err != nil || !reusable || !g.l.KeepAlive {
		c.conn.Close()
		return nil, out
	}
	return c, out
}

// progress prints a status line at most once a second until the returned
// func is called.
func (g *generator) progress() func() {
	if g.l.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				el := now.Sub(g.start)
				a, f := g.attempted.Load(), g.failed.Load()
				fmt.Fprintf(g.l.Progress, "measure: %5.1fs sent %d ok %d failed %d (%.0f req/s)\n",
					el.Seconds(), a, a-f, f, float64(a)/el.Seconds())
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
