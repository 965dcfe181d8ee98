package measure

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// TestCallersPinKeepAndPace: pinned callers only ever reach their own
// address, over one connection each, and send rate x duration requests.
func TestCallersPinKeepAndPace(t *testing.T) {
	t.Parallel()
	a, b := startPod(t, "pod-a", nil), startPod(t, "pod-b", nil)
	res, err := RunCallers(t.Context(), Callers{
		Resolve: func() []string { return []string{a.addr, b.addr} },
		Callers: 3, Rate: 50, Pinned: []string{a.addr, a.addr, b.addr}, Duration: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 0 {
		t.Fatalf("failures: %v", res.Failures)
	}
	got := res.Between(0, time.Hour)
	// 3 callers x 50/s x 2s = 300, two of them on pod-a: 200 and 100, give
	// or take the last slot of each connection.
	if got["pod-a"] < 198 || got["pod-a"] > 202 || got["pod-b"] < 99 || got["pod-b"] > 101 {
		t.Errorf("counts %v, want about 200 and 100", got)
	}
	if res.Dials != 3 || a.conns.Load() != 2 || b.conns.Load() != 1 {
		t.Errorf("dials %d (pod-a %d, pod-b %d), want one keepalive connection per caller", res.Dials, a.conns.Load(), b.conns.Load())
	}
	// Paced: every 1s window of the run holds 150 requests, give or take one
	// per connection.
	for i, w := range res.Windows(0, time.Second, 2) {
		if n := w["pod-a"] + w["pod-b"]; n < 147 || n > 153 {
			t.Errorf("window %d holds %d requests, want about 150", i, n)
		}
	}
}

// TestCallersRedialOnConnectionClose: a server that recycles after every
// third request makes the caller redial, each time looking the name up again
// when it is not pinned, so both addresses are reached.
func TestCallersRedialOnConnectionClose(t *testing.T) {
	t.Parallel()
	var served atomic.Int64
	recycling := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if served.Add(1)%3 == 0 {
				w.Header().Set("Connection", "close")
			}
			fmt.Fprintln(w, name)
		}
	}
	a, b := startPod(t, "", recycling("pod-a")), startPod(t, "", recycling("pod-b"))
	res, err := RunCallers(t.Context(), Callers{
		Resolve: func() []string { return []string{a.addr, b.addr} },
		Callers: 1, Connections: 2, Rate: 200, Duration: time.Second, Seed: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 0 {
		t.Fatalf("failures: %v", res.Failures)
	}
	got := res.Between(0, time.Hour)
	if got["pod-a"] == 0 || got["pod-b"] == 0 || res.Dials < 40 {
		t.Errorf("counts %v after %d dials: want both pods reached over about 66 connections", got, res.Dials)
	}
}

// TestCallersClientClosesAfterRequests: RequestsPerConnection bounds each
// connection from the client's side.
func TestCallersClientClosesAfterRequests(t *testing.T) {
	t.Parallel()
	a := startPod(t, "pod-a", nil)
	res, err := RunCallers(t.Context(), Callers{
		Resolve: func() []string { return []string{a.addr} }, Callers: 2, Rate: 100, RequestsPerConnection: 10, Duration: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Hits); n < 198 || res.Dials < n/10 || res.Dials > n/10+2 {
		t.Errorf("%d requests over %d connections, want 10 per connection", n, res.Dials)
	}
}

func TestCallersValidate(t *testing.T) {
	t.Parallel()
	err := Callers{Callers: 2, Connections: -1, Rate: 0, Pinned: []string{"a:1"}, RequestsPerConnection: -1, StartSpread: -1}.Validate()
	var ve *validation.Errors
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	want := []string{"Resolve", "Connections", "Rate", "Pinned", "RequestsPerConnection", "StartSpread", "Duration"}
	got := ve.Fields()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("fields %v, want %v", got, want)
	}
}
