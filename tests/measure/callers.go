package measure

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// Callers is a client population as the model's long-lived-callers view
// describes it: a few callers, each with a pool of keepalive connections,
// each connection paced at Rate/Connections requests per second, each caller
// looking the load balancer's name up its own way. It is what Load is not:
// Load spreads fresh or pooled connections over its targets for the whole
// run, Callers pins them the way DNS caching and keepalive do.
type Callers struct {
	// Resolve returns the addresses DNS answers with at the moment of the
	// call (one per zone in DNS). Required; called for every lookup, so the
	// answer may change during the run (a zone shifted away).
	Resolve func() []string
	// Callers is the number of callers. Required.
	Callers int
	// Connections is each caller's pool size. Default 1.
	Connections int
	// Rate is each caller's requests per second, spread evenly over its
	// connections. Required.
	Rate float64
	// Pinned, when set, is the one address each caller connects to for its
	// whole life (a DNS answer cached for the process's life), one per
	// caller. Empty: each caller looks the name up for every new connection
	// and takes a random answer.
	Pinned []string
	// RequestsPerConnection makes the client close a connection after this
	// many requests. Default 0: the client never closes a healthy one (the
	// server may, with Connection: close).
	RequestsPerConnection int
	// StartSpread staggers each connection's first request uniformly over
	// this long, so that connection ages, and with them the server's
	// recycling, are spread as in a steady state. Default 0.
	StartSpread time.Duration
	// Duration is how long requests are started. Required.
	Duration time.Duration
	// Timeout bounds each request, connect included. Default 5s.
	Timeout time.Duration
	// Path is requested. Default "/hostname".
	Path string
	// Seed seeds the random lookups and the start offsets. 0 picks one.
	Seed uint64
	// Start is the run's time origin, for lining its hits up with events
	// the caller times itself. Default: when RunCallers is called.
	Start time.Time
}

// Hit is one successful request.
type Hit struct {
	// At is when it was sent, from the start of the run.
	At time.Duration
	// Pod is the pod that answered.
	Pod string
}

// CallersResult is what a population run saw.
type CallersResult struct {
	// Hits are the successful requests, ordered by At.
	Hits []Hit
	// Failures are the failed ones, ordered by At.
	Failures []Failure
	// Attempted counts requests sent.
	Attempted int
	// Dials counts connections opened.
	Dials int
	// Elapsed is the run's wall time.
	Elapsed time.Duration
}

// Validate reports every problem with c at once (after defaults).
func (c Callers) Validate() error {
	c = c.withDefaults()
	v := validation.New("callers")
	if c.Resolve == nil {
		v.Add("Resolve", "nil", "must be set")
	}
	if c.Callers < 1 {
		v.Add("Callers", c.Callers, "must be at least 1")
	}
	if c.Connections < 1 {
		v.Add("Connections", c.Connections, "must be at least 1")
	}
	if !(c.Rate > 0) {
		v.Add("Rate", c.Rate, "must be positive")
	}
	if len(c.Pinned) > 0 && len(c.Pinned) != c.Callers {
		v.Add("Pinned", fmt.Sprintf("%d addresses", len(c.Pinned)), "must give one address per caller (%d)", c.Callers)
	}
	for i, a := range c.Pinned {
		if _, err := normalizeTarget(a); err != nil {
			v.Add(fmt.Sprintf("Pinned[%d]", i), a, "%v", err)
		}
	}
	if c.RequestsPerConnection < 0 {
		v.Add("RequestsPerConnection", c.RequestsPerConnection, "must be 0 (never) or positive")
	}
	if c.StartSpread < 0 {
		v.Add("StartSpread", c.StartSpread, "must not be negative")
	}
	if c.Duration <= 0 {
		v.Add("Duration", c.Duration, "must be positive")
	}
	if c.Timeout < 0 {
		v.Add("Timeout", c.Timeout, "must be positive")
	}
	return v.Err()
}

func (c Callers) withDefaults() Callers {
	if c.Connections == 0 {
		c.Connections = 1
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.Path == "" {
		c.Path = defaultPath
	}
	return c
}

// RunCallers runs the population until Duration has passed (requests in
// flight then finish, each within Timeout) or ctx is done.
func RunCallers(ctx context.Context, c Callers) (*CallersResult, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	seed := c.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	start := c.Start
	if start.IsZero() {
		start = time.Now()
	}
	end := start.Add(c.Duration)
	interval := time.Duration(float64(time.Second) * float64(c.Connections) / c.Rate)
	type connOut struct {
		hits      []Hit
		failures  []Failure
		attempted int
		dials     int
	}
	outs := make([]connOut, c.Callers*c.Connections)
	var wg sync.WaitGroup
	for caller := range c.Callers {
		for k := range c.Connections {
			i := caller*c.Connections + k
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(seed, uint64(i)))
				o := &outs[i]
				var cc *clientConn
				var ccAddr string
				sent := 0
				defer func() {
					if cc != nil {
						cc.conn.Close()
					}
				}()
				next := start.Add(time.Duration(rng.Float64() * float64(c.StartSpread)))
				for next.Before(end) && ctx.Err() == nil {
					if d := time.Until(next); d > 0 {
						t := time.NewTimer(d)
						select {
						case <-ctx.Done():
							t.Stop()
							return
						case <-t.C:
						}
					}
					// Paced: the next slot follows this one whatever this
					// request costs, so a window's count per connection stays
					// rate x time even on a busy machine.
					at := next
					next = next.Add(interval)
					o.attempted++
					deadline := time.Now().Add(c.Timeout)
					if cc == nil {
						addr := ""
						if len(c.Pinned) > 0 {
							addr = c.Pinned[caller]
						} else if answers := c.Resolve(); len(answers) > 0 {
							addr = answers[rng.IntN(len(answers))]
						}
						target, _ := normalizeTarget(addr)
						d := net.Dialer{Deadline: deadline, KeepAlive: -1}
						conn, err := d.DialContext(ctx, "tcp", target)
						if err != nil {
							o.failures = append(o.failures, Failure{At: at.Sub(start), Kind: classify(err), Target: target, Err: err.Error()})
							continue
						}
						o.dials++
						cc, ccAddr = newClientConn(conn, 0), target
					}
					pod, status, reusable, err := cc.roundTrip(buildRequest(Load{Path: c.Path, KeepAlive: true}, ccAddr), deadline)
					sent++
					switch {
					case err != nil:
						o.failures = append(o.failures, Failure{At: at.Sub(start), Kind: classify(err), Target: ccAddr, Err: err.Error()})
					case status < 200 || status > 299 || pod == "":
						kind := FailureOther
						if status >= 500 && status <= 599 {
							kind = Failure5xx
						}
						o.failures = append(o.failures, Failure{At: at.Sub(start), Kind: kind, Target: ccAddr, Status: status, Err: fmt.Sprintf("status %d", status)})
					default:
						o.hits = append(o.hits, Hit{At: at.Sub(start), Pod: pod})
					}
					if err != nil || !reusable || (c.RequestsPerConnection > 0 && sent >= c.RequestsPerConnection) {
						cc.conn.Close()
						cc, sent = nil, 0
					}
				}
			})
		}
	}
	wg.Wait()
	res := &CallersResult{Elapsed: time.Since(start)}
	for _, o := range outs {
		res.Hits = append(res.Hits, o.hits...)
		res.Failures = append(res.Failures, o.failures...)
		res.Attempted += o.attempted
		res.Dials += o.dials
	}
	slices.SortStableFunc(res.Hits, func(a, b Hit) int { return int(a.At - b.At) })
	slices.SortStableFunc(res.Failures, func(a, b Failure) int { return int(a.At - b.At) })
	return res, ctx.Err()
}

// Windows counts the hits per pod in n consecutive windows of length w
// starting at from.
func (r *CallersResult) Windows(from, w time.Duration, n int) []map[string]int {
	out := make([]map[string]int, n)
	for i := range out {
		out[i] = map[string]int{}
	}
	for _, h := range r.Hits {
		if h.At < from {
			continue
		}
		i := int((h.At - from) / w)
		if i >= n {
			break
		}
		out[i][h.Pod]++
	}
	return out
}

// Between counts the hits per pod sent in [from, to).
func (r *CallersResult) Between(from, to time.Duration) map[string]int {
	out := map[string]int{}
	for _, h := range r.Hits {
		if h.At >= from && h.At < to {
			out[h.Pod]++
		}
	}
	return out
}

// FailuresBetween returns the failures of requests sent in [from, to).
func (r *CallersResult) FailuresBetween(from, to time.Duration) []Failure {
	var out []Failure
	for _, f := range r.Failures {
		if f.At >= from && f.At < to {
			out = append(out, f)
		}
	}
	return out
}
