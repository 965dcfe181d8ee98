package follow

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoadStaysOnLoopback(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://10.0.0.1:80/", "http://example.com/", "http://[::2]:80/", "::"} {
		if _, err := (Load{URL: u}).Run(context.Background(), nil); err == nil {
			t.Errorf("Load to %s must be refused", u)
		}
	}
}

func TestLoadIsBoundedAndCounts(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%10 == 0 {
			http.Error(w, "nope", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("pod-a\n"))
	}))
	t.Cleanup(srv.Close)

	res, err := Load{URL: srv.URL, Rate: 1000, MaxRequests: 50, MaxDuration: 10 * time.Second}.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempted != 50 || int(n.Load()) != 50 {
		t.Fatalf("attempted %d, server saw %d; want 50 each", res.Attempted, n.Load())
	}
	if res.StopReason != StopMaxRequests {
		t.Errorf("stop reason %q, want %q", res.StopReason, StopMaxRequests)
	}
	if len(res.Failures) != 5 || res.PerPod["pod-a"] != 45 {
		t.Errorf("failures %d (want 5), pod-a %d (want 45)", len(res.Failures), res.PerPod["pod-a"])
	}
	if !strings.Contains(res.Summary(), "5 x 5xx: HTTP 503") || res.FailuresByKind()[Failure5xx] != 5 {
		t.Errorf("summary does not group the failures:\n%s", res.Summary())
	}

	// The time bound holds even when the count bound is far away.
	res, err = Load{URL: srv.URL, Rate: 50, MaxRequests: 1_000_000, MaxDuration: 300 * time.Millisecond}.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duration > 2*time.Second || res.Attempted > 50 {
		t.Errorf("ran %v with %d requests; the 300 ms bound did not hold", res.Duration, res.Attempted)
	}
	if res.StopReason != StopMaxDuration {
		t.Errorf("stop reason %q, want %q", res.StopReason, StopMaxDuration)
	}

	// Closing stop is the normal end, and says so.
	stop := make(chan struct{})
	time.AfterFunc(100*time.Millisecond, func() { close(stop) })
	res, err = Load{URL: srv.URL, Rate: 50, MaxDuration: 10 * time.Second}.Run(context.Background(), stop)
	if err != nil || res.StopReason != StopRequested {
		t.Errorf("stop reason %q (%v), want %q", res.StopReason, err, StopRequested)
	}
}

// A 200 without a pod name is not an answer from the service: it counts as failed.
func TestLoadCountsAnEmptyBodyAsFailed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	res, err := Load{URL: srv.URL, Rate: 1000, MaxRequests: 10}.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 10 || len(res.PerPod) != 0 || res.Failures[0].Kind != FailureOther {
		t.Errorf("empty bodies: %d failures (want 10), per pod %v\n%s", len(res.Failures), res.PerPod, res.Summary())
	}
}

// Keepalive requests reuse connections, and a request that fails on a reused
// connection is counted, not replayed: the server closes every connection after its
// second request without answering it.
func TestKeepAliveLoadCountsResetsOnReusedConnections(t *testing.T) {
	t.Parallel()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			t.Errorf("keepalive load sent %s, want POST (not replayed by net/http)", r.Method)
		}
		c := r.Context().Value(connKey{}).(*atomic.Int64)
		if c.Add(1) == 2 {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
			return
		}
		w.Write([]byte("pod-a\n"))
	}))
	srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
		conns.Add(1)
		return context.WithValue(ctx, connKey{}, new(atomic.Int64))
	}
	srv.Start()
	t.Cleanup(srv.Close)
	res, err := Load{URL: srv.URL, Rate: 200, Concurrency: 1, MaxRequests: 10, KeepAlive: true}.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Requests 1, 3, 5, 7, 9 succeed on fresh connections, 2, 4, ... fail on reuse.
	if len(res.Failures) != 5 || res.PerPod["pod-a"] != 5 || conns.Load() != 5 {
		t.Errorf("failures %d (want 5), answers %d (want 5), connections %d (want 5)\n%s",
			len(res.Failures), res.PerPod["pod-a"], conns.Load(), res.Summary())
	}
}

type connKey struct{}

// DNS-style targets: each connection goes to an address Resolve returns, loopback only.
func TestLoadResolve(t *testing.T) {
	t.Parallel()
	var hits [2]atomic.Int64
	var addrs []string
	for i := range hits {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			w.Write([]byte("pod\n"))
		}))
		t.Cleanup(srv.Close)
		addrs = append(addrs, srv.Listener.Addr().String())
	}
	res, err := Load{URL: "http://127.0.0.1:1/hostname", Resolve: func() []string { return addrs }, Rate: 1000, MaxRequests: 200}.Run(context.Background(), nil)
	if err != nil || len(res.Failures) != 0 {
		t.Fatalf("%v\n%s", err, res.Summary())
	}
	if hits[0].Load() < 50 || hits[1].Load() < 50 {
		t.Errorf("hits %d and %d: not spread over both addresses", hits[0].Load(), hits[1].Load())
	}
	res, _ = Load{URL: "http://127.0.0.1:1/", Resolve: func() []string { return []string{"10.0.0.1:80"} }, Rate: 1000, MaxRequests: 3}.Run(context.Background(), nil)
	if len(res.Failures) != 3 || !strings.Contains(res.Failures[0].Err, "127.0.0.0/8") {
		t.Errorf("a non-loopback address was not refused:\n%s", res.Summary())
	}
}

func TestServerName(t *testing.T) {
	t.Parallel()
	if got := serverName("echo-6fc9b7c779-4hh2n"); got != "echo-6fc9b7c779-4hh2n" {
		t.Errorf("a pod name is a valid server name, got %q", got)
	}
	if got := serverName("a/b c"); got != "a_b_c" {
		t.Errorf("got %q", got)
	}
}
