package follow

import (
	"context"
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
	if len(res.Failures) != 5 || res.PerPod["pod-a"] != 45 {
		t.Errorf("failures %d (want 5), pod-a %d (want 45)", len(res.Failures), res.PerPod["pod-a"])
	}
	if !strings.Contains(res.Summary(), "5 x HTTP 503") {
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
