package follow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Load is a paced, bounded stream of requests. It stops by itself at MaxRequests or
// MaxDuration, whichever comes first, and only ever targets loopback.
type Load struct {
	// URL to request, e.g. http://127.0.0.1:PORT/hostname. Must be on 127.0.0.0/8.
	URL string
	// Resolve, when set, is the DNS of the load balancer's name: each new connection
	// goes to one of the addresses ("127.0.0.1:PORT") it returns at that moment, chosen
	// at random, instead of URL's host. Also loopback only.
	Resolve func() []string
	// Rate in requests per second. Default 200.
	Rate int
	// Concurrency is the number of requests that may be in flight. Default 8.
	Concurrency int
	// MaxRequests bounds the count. Default 6000.
	MaxRequests int
	// MaxDuration bounds the time. Default 30 s.
	MaxDuration time.Duration
	// Timeout per request. Default 2 s.
	Timeout time.Duration
	// KeepAlive reuses connections (a pool of Concurrency) instead of opening one per
	// request. Requests are then POSTs: net/http silently replays an idempotent
	// request that failed on a reused connection, which would hide exactly the resets
	// a rollout check exists to count.
	KeepAlive bool
}

// Why a load stopped.
const (
	// StopRequested: the caller closed the stop channel, the normal end.
	StopRequested = "stop requested"
	// StopMaxRequests: MaxRequests were sent.
	StopMaxRequests = "MaxRequests reached"
	// StopMaxDuration: MaxDuration passed.
	StopMaxDuration = "MaxDuration reached"
	// StopCancelled: the context was cancelled.
	StopCancelled = "context cancelled"
)

// Failure kinds, as the lab's measure package names them.
const (
	FailureRefused = "refused"
	FailureReset   = "reset"
	FailureTimeout = "timeout"
	Failure5xx     = "5xx"
	FailureOther   = "other"
)

// FailureKinds lists every kind in table order.
var FailureKinds = []string{FailureRefused, FailureReset, FailureTimeout, Failure5xx, FailureOther}

// Failure is one failed request.
type Failure struct {
	At   time.Duration // since the start of the load
	Kind string
	Err  string
}

// LoadResult is what a Load saw.
type LoadResult struct {
	Attempted int
	Failures  []Failure
	// PerPod counts successful answers by the pod name the backend returned.
	PerPod   map[string]int
	Duration time.Duration
	// StopReason says why the load ended (StopRequested, StopMaxRequests, ...). A
	// check that relies on the load covering an event must see StopRequested.
	StopReason string
}

// FailuresByKind counts the failures per kind; every kind is present.
func (r LoadResult) FailuresByKind() map[string]int {
	out := map[string]int{}
	for _, k := range FailureKinds {
		out[k] = 0
	}
	for _, f := range r.Failures {
		out[f.Kind]++
	}
	return out
}

func (l *Load) setDefaults() {
	if l.Rate == 0 {
		l.Rate = 200
	}
	if l.Concurrency == 0 {
		l.Concurrency = 8
	}
	if l.MaxRequests == 0 {
		l.MaxRequests = 6000
	}
	if l.MaxDuration == 0 {
		l.MaxDuration = 30 * time.Second
	}
	if l.Timeout == 0 {
		l.Timeout = 2 * time.Second
	}
}

func loopbackHostPort(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("host must be an address in 127.0.0.0/8")
	}
	return nil
}

// Run sends the load until a bound is reached, ctx ends or stop is closed.
func (l Load) Run(ctx context.Context, stop <-chan struct{}) (LoadResult, error) {
	l.setDefaults()
	u, err := url.Parse(l.URL)
	if err != nil {
		return LoadResult{}, err
	}
	if err := loopbackHostPort(u.Host); err != nil {
		return LoadResult{}, fmt.Errorf("load URL %s: %w", l.URL, err)
	}
	dialer := &net.Dialer{Timeout: l.Timeout}
	transport := &http.Transport{DisableKeepAlives: !l.KeepAlive, MaxIdleConnsPerHost: l.Concurrency, MaxConnsPerHost: l.Concurrency,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if l.Resolve != nil {
				addrs := l.Resolve()
				if len(addrs) == 0 {
					return nil, errors.New("the load balancer's name resolves to no address")
				}
				addr = addrs[rand.IntN(len(addrs))]
			}
			if err := loopbackHostPort(addr); err != nil {
				return nil, fmt.Errorf("dial %s: %w", addr, err)
			}
			return dialer.DialContext(ctx, network, addr)
		}}
	defer transport.CloseIdleConnections()
	client := &http.Client{Timeout: l.Timeout, Transport: transport}
	method := http.MethodGet
	if l.KeepAlive {
		method = http.MethodPost
	}
	ctx, cancel := context.WithTimeout(ctx, l.MaxDuration)
	defer cancel()

	res := LoadResult{PerPod: map[string]int{}}
	var mu sync.Mutex
	start := time.Now()
	tokens := make(chan struct{})
	var wg sync.WaitGroup
	for range l.Concurrency {
		wg.Go(func() {
			for range tokens {
				name, kind, err := do(ctx, client, method, l.URL)
				mu.Lock()
				if err != nil {
					res.Failures = append(res.Failures, Failure{At: time.Since(start), Kind: kind, Err: err.Error()})
				} else {
					res.PerPod[name]++
				}
				mu.Unlock()
			}
		})
	}
	tick := time.NewTicker(time.Second / time.Duration(l.Rate))
	defer tick.Stop()
	res.StopReason = StopMaxRequests
loop:
	for res.Attempted < l.MaxRequests {
		select {
		case <-ctx.Done():
			res.StopReason = ctxReason(ctx)
			break loop
		case <-stop:
			res.StopReason = StopRequested
			break loop
		case <-tick.C:
		}
		select {
		case tokens <- struct{}{}:
			res.Attempted++
		case <-ctx.Done():
			res.StopReason = ctxReason(ctx)
			break loop
		case <-stop:
			res.StopReason = StopRequested
			break loop
		}
	}
	close(tokens)
	wg.Wait()
	res.Duration = time.Since(start)
	return res, nil
}

// ctxReason tells MaxDuration's deadline from the caller's cancellation.
func ctxReason(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return StopMaxDuration
	}
	return StopCancelled
}

// do sends one request and returns the pod name that answered, or the failure's kind.
func do(ctx context.Context, client *http.Client, method, u string) (string, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return "", FailureOther, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", classify(err), err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if err != nil {
		return "", classify(err), err
	}
	if resp.StatusCode >= 500 {
		return "", Failure5xx, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return "", FailureOther, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	name := strings.TrimSpace(string(body))
	if name == "" {
		// A 200 without the pod's name is not an answer from the service.
		return "", FailureOther, errors.New("empty body where a pod name was expected")
	}
	return name, "", nil
}

// classify maps a transport error to the kind a rollout report counts.
func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return FailureRefused
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return FailureTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		// net/http's name for a connection closed before any response byte.
		strings.Contains(err.Error(), "server closed idle connection"):
		return FailureReset
	}
	return FailureOther
}

// Summary renders the result on a few lines: counts, why it stopped, then failures
// grouped by error.
func (r LoadResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests in %v (%s), %d failed, %d pods answered", r.Attempted, r.Duration.Round(time.Millisecond),
		r.StopReason, len(r.Failures), len(r.PerPod))
	byErr := map[string]int{}
	for _, f := range r.Failures {
		byErr[f.Kind+": "+f.Err]++
	}
	errs := make([]string, 0, len(byErr))
	for e := range byErr {
		errs = append(errs, e)
	}
	sort.Strings(errs)
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  %5d x %s", byErr[e], e)
	}
	return b.String()
}
