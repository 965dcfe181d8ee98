package follow

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Load is a paced, bounded stream of GET requests. It stops by itself at MaxRequests or
// MaxDuration, whichever comes first, and only ever targets loopback.
type Load struct {
	// URL to request, e.g. http://127.0.0.1:PORT/hostname. Must be on 127.0.0.0/8.
	URL string
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
}

// Failure is one failed request.
type Failure struct {
	At  time.Duration // since the start of the load
	Err string
}

// LoadResult is what a Load saw.
type LoadResult struct {
	Attempted int
	Failures  []Failure
	// PerPod counts successful answers by the pod name the backend returned.
	PerPod   map[string]int
	Duration time.Duration
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

// Run sends the load until a bound is reached, ctx ends or stop is closed.
func (l Load) Run(ctx context.Context, stop <-chan struct{}) (LoadResult, error) {
	l.setDefaults()
	u, err := url.Parse(l.URL)
	if err != nil {
		return LoadResult{}, err
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return LoadResult{}, fmt.Errorf("load URL %s: host must be an address in 127.0.0.0/8", l.URL)
	}
	// A new connection per request: each one is balanced afresh, as clients opening
	// connections to an NLB are, and a drained target stops getting work at once.
	client := &http.Client{Timeout: l.Timeout, Transport: &http.Transport{DisableKeepAlives: true}}
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
				name, err := get(ctx, client, l.URL)
				mu.Lock()
				if err != nil {
					res.Failures = append(res.Failures, Failure{At: time.Since(start), Err: err.Error()})
				} else {
					res.PerPod[name]++
				}
				mu.Unlock()
			}
		})
	}
	tick := time.NewTicker(time.Second / time.Duration(l.Rate))
	defer tick.Stop()
loop:
	for res.Attempted < l.MaxRequests {
		select {
		case <-ctx.Done():
			break loop
		case <-stop:
			break loop
		case <-tick.C:
		}
		select {
		case tokens <- struct{}{}:
			res.Attempted++
		case <-ctx.Done():
			break loop
		case <-stop:
			break loop
		}
	}
	close(tokens)
	wg.Wait()
	res.Duration = time.Since(start)
	return res, nil
}

func get(ctx context.Context, client *http.Client, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return strings.TrimSpace(string(body)), nil
}

// Summary renders the result on a few lines: counts, then failures grouped by error.
func (r LoadResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests in %v, %d failed, %d pods answered", r.Attempted, r.Duration.Round(time.Millisecond), len(r.Failures), len(r.PerPod))
	byErr := map[string]int{}
	for _, f := range r.Failures {
		byErr[f.Err]++
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
