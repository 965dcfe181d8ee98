package measure

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCheckRolloutReportsFailuresInTheRestartWindow restarts a bare server the
// careless way (close, then listen again) and expects the check to see the
// refused connections in between, with the restart's marks around them.
func TestCheckRolloutReportsFailuresInTheRestartWindow(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "pod") })
	srv := &http.Server{Handler: handler}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	restart := func(ctx context.Context, mark func(string)) error {
		mark("stop")
		srv.Close()
		// Stay down long enough for the paced load (one request every
		// 2.5ms) to hit the closed port many times over.
		select {
		case <-time.After(250 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		ln2, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		srv2 := &http.Server{Handler: handler}
		go srv2.Serve(ln2)
		t.Cleanup(func() { srv2.Close() })
		mark("started")
		return nil
	}
	res, err := CheckRollout(t.Context(), Rollout{
		Load:    Load{Targets: []string{addr}, Requests: 200, Rate: 400, Concurrency: 2, Duration: time.Minute},
		Warmup:  100 * time.Millisecond,
		Tail:    100 * time.Millisecond,
		Restart: restart,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Load.Attempted < 200 {
		t.Errorf("attempted %d, want at least the 200 asked for", res.Load.Attempted)
	}
	if len(res.Events) != 2 || res.Events[0].Name != "stop" || res.Events[1].Name != "started" {
		t.Fatalf("events %+v", res.Events)
	}
	if !(res.RestartStarted <= res.Events[0].At && res.Events[1].At <= res.RestartEnded) {
		t.Errorf("events outside the restart window: %+v, %v..%v", res.Events, res.RestartStarted, res.RestartEnded)
	}
	fails := res.Load.Failures
	if len(fails) == 0 {
		t.Fatalf("no failures seen across a hard restart; timeline:\n%s", res.Timeline())
	}
	for _, f := range fails {
		// Everything failing must have started inside the restart window
		// (allowing requests in flight when it began).
		if f.At < res.Events[0].At-time.Second || f.At > res.RestartEnded {
			t.Errorf("failure outside the restart window: %v", f)
		}
	}
	// Only the (at most 2, the concurrency) requests already in flight when
	// the restart began may have started before it.
	if got := len(res.DuringRestart(0)); got < len(fails)-2 || got > len(fails) {
		t.Errorf("DuringRestart counted %d of %d", got, len(fails))
	}
	if tl := res.Timeline(); !strings.Contains(tl, "event   stop") || !strings.Contains(tl, "refused") {
		t.Errorf("timeline lacks the event or the failures:\n%s", tl)
	}
}

func TestCheckRolloutCleanRestartLosesNothing(t *testing.T) {
	t.Parallel()
	a := startPod(t, "a", nil)
	res, err := CheckRollout(t.Context(), Rollout{
		Load:   Load{Targets: []string{a.addr}, Requests: 100, Rate: 500, Duration: time.Minute},
		Warmup: 50 * time.Millisecond, Tail: 50 * time.Millisecond,
		Restart: func(ctx context.Context, mark func(string)) error { mark("noop"); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Load.Failures) != 0 || res.Load.Attempted < 100 {
		t.Errorf("attempted %d failures %v", res.Load.Attempted, res.Load.Failures)
	}
}

func TestCheckRolloutCapsARestartThatNeverEnds(t *testing.T) {
	t.Parallel()
	a := startPod(t, "a", nil)
	_, err := CheckRollout(t.Context(), Rollout{
		Load:   Load{Targets: []string{a.addr}, Rate: 100, Duration: 300 * time.Millisecond},
		Warmup: 10 * time.Millisecond,
		Restart: func(ctx context.Context, mark func(string)) error {
			<-ctx.Done()
			return ctx.Err()
		},
	})
	if err == nil || !strings.Contains(err.Error(), "restart still running") {
		t.Errorf("err %v, want the restart reported as still running", err)
	}
}

func TestCheckRolloutValidates(t *testing.T) {
	t.Parallel()
	_, err := CheckRollout(t.Context(), Rollout{Load: Load{}})
	if err == nil || !strings.Contains(err.Error(), "Restart") || !strings.Contains(err.Error(), "Load.Targets") {
		t.Errorf("err %v, want problems on Restart and Load.Targets", err)
	}
}
