package measure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// podServer serves /hostname with name on a loopback port and counts
// connections, so tests can tell fresh connections from reused ones.
type podServer struct {
	addr  string
	conns atomic.Int64
	srv   *http.Server
}

func startPod(t *testing.T, name string, h http.HandlerFunc) *podServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &podServer{addr: ln.Addr().String()}
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, name) }
	}
	p.srv = &http.Server{Handler: h, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			p.conns.Add(1)
		}
	}}
	go p.srv.Serve(ln)
	t.Cleanup(func() { p.srv.Close() })
	return p
}

func TestRunCountsPodsOverFreshConnections(t *testing.T) {
	t.Parallel()
	a, b := startPod(t, "pod-a", nil), startPod(t, "pod-b", nil)
	res, err := Run(t.Context(), Load{Targets: []string{a.addr, "http://" + b.addr + "/"}, Requests: 400, Concurrency: 4, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempted != 400 || res.Succeeded != 400 || len(res.Failures) != 0 {
		t.Fatalf("attempted %d ok %d failures %v", res.Attempted, res.Succeeded, res.Failures)
	}
	// Round robin over two targets, one connection per request.
	if res.Pods["pod-a"] != 200 || res.Pods["pod-b"] != 200 {
		t.Errorf("pods %v, want 200 each", res.Pods)
	}
	if a.conns.Load() != 200 || b.conns.Load() != 200 {
		t.Errorf("connections %d and %d, want one per request", a.conns.Load(), b.conns.Load())
	}
}

func TestRunKeepAlivePoolReusesConnections(t *testing.T) {
	t.Parallel()
	a := startPod(t, "pod-a", nil)
	res, err := Run(t.Context(), Load{Targets: []string{a.addr}, Requests: 300, Concurrency: 8, KeepAlive: true, Connections: 3, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != 300 {
		t.Fatalf("ok %d of 300: %v", res.Succeeded, res.Failures)
	}
	if n := a.conns.Load(); n != 3 {
		t.Errorf("%d connections opened, want the pool's 3", n)
	}
}

func TestRunKeepAliveRedialsAfterConnectionClose(t *testing.T) {
	t.Parallel()
	// A server that asks to close after every response, as a draining or
	// recycling server does: the pool must redial, not fail.
	a := startPod(t, "", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		fmt.Fprintln(w, "pod-a")
	})
	res, err := Run(t.Context(), Load{Targets: []string{a.addr}, Requests: 50, Concurrency: 2, KeepAlive: true, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != 50 || a.conns.Load() != 50 {
		t.Errorf("ok %d, connections %d; want 50 and 50", res.Succeeded, a.conns.Load())
	}
}

func TestRunRandomChoiceReachesEveryTarget(t *testing.T) {
	t.Parallel()
	a, b, c := startPod(t, "a", nil), startPod(t, "b", nil), startPod(t, "c", nil)
	res, err := Run(t.Context(), Load{Targets: []string{a.addr, b.addr, c.addr}, Choice: ChoiceRandom, Seed: 7, Requests: 3000, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	an, err := Analyze(res.Pods, map[string]float64{"a": 1.0 / 3, "b": 1.0 / 3, "c": 1.0 / 3})
	if err != nil {
		t.Fatal(err)
	}
	// Random choice is fair: p below 1e-4 would happen by chance once in
	// ten thousand runs.
	if an.PValue < 1e-4 {
		t.Errorf("random choice is not even:\n%s", an)
	}
}

func TestRunClassifiesFailures(t *testing.T) {
	t.Parallel()
	// A port with nothing listening: bind, note the port, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	ln.Close()

	// A server that accepts and closes without answering.
	resetLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resetLn.Close() })
	go func() {
		for {
			c, err := resetLn.Accept()
			if err != nil {
				return
			}
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}()

	// A server that accepts and never answers.
	hang := make(chan struct{})
	hangLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		close(hang)
		hangLn.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := hangLn.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()

	unavailable := startPod(t, "", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no server available", http.StatusServiceUnavailable)
	})
	notFound := startPod(t, "", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	empty := startPod(t, "", func(w http.ResponseWriter, r *http.Request) {})

	cases := []struct {
		name   string
		target string
		want   FailureKind
		status int
	}{
		{"refused", closedAddr, FailureRefused, 0},
		{"reset", resetLn.Addr().String(), FailureReset, 0},
		{"timeout", hangLn.Addr().String(), FailureTimeout, 0},
		{"503", unavailable.addr, Failure5xx, 503},
		{"404", notFound.addr, FailureOther, 404},
		{"empty body", empty.addr, FailureOther, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, err := Run(t.Context(), Load{Targets: []string{c.target}, Requests: 3, Concurrency: 1, Timeout: 300 * time.Millisecond, Duration: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if res.Attempted != 3 || res.Succeeded != 0 || len(res.Failures) != 3 {
				t.Fatalf("attempted %d ok %d failures %d, want 3 0 3", res.Attempted, res.Succeeded, len(res.Failures))
			}
			for _, f := range res.Failures {
				if f.Kind != c.want || f.Status != c.status || f.Target != c.target {
					t.Errorf("failure %+v, want kind %s status %d", f, c.want, c.status)
				}
			}
			if got := res.FailuresByKind()[c.want]; got != 3 {
				t.Errorf("by kind %v", res.FailuresByKind())
			}
		})
	}
}

func TestRunStopsAtDuration(t *testing.T) {
	t.Parallel()
	a := startPod(t, "a", nil)
	// No request bound: the duration alone must end the run, paced so that
	// the count is bounded too.
	res, err := Run(t.Context(), Load{Targets: []string{a.addr}, Duration: 300 * time.Millisecond, Rate: 100, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	// 100/s for 0.3s is ~30 requests; the pacer must never let it run away.
	if res.Attempted < 1 || res.Attempted > 31 {
		t.Errorf("attempted %d, want between 1 and 31", res.Attempted)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	a := startPod(t, "", func(w http.ResponseWriter, r *http.Request) {
		<-release
		fmt.Fprintln(w, "a")
	})
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Load{Targets: []string{a.addr}, Requests: 10, Duration: time.Minute})
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestRunProgress(t *testing.T) {
	t.Parallel()
	a := startPod(t, "a", nil)
	var buf syncBuffer
	res, err := Run(t.Context(), Load{Targets: []string{a.addr}, Duration: 1300 * time.Millisecond, Rate: 50, Progress: &buf})
	if err != nil {
		t.Fatal(err)
	}
	// At most one line per whole second of the run, and at least one since
	// it lasted over a second.
	lines := strings.Count(buf.String(), "\n")
	if most := int(res.Elapsed / time.Second); lines < 1 || lines > most || !strings.Contains(buf.String(), "measure:") {
		t.Errorf("progress output (%d lines, want 1..%d for %v):\n%s", lines, most, res.Elapsed, buf.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLoadValidate(t *testing.T) {
	t.Parallel()
	valid := func() Load { return Load{Targets: []string{"127.0.0.1:8080"}, Requests: 10} }
	if err := valid().Validate(); err != nil {
		t.Fatalf("valid load rejected: %v", err)
	}
	cases := []struct {
		field  string
		break_ func(*Load)
	}{
		{"Targets", func(l *Load) { l.Targets = nil }},
		{"Targets[0]", func(l *Load) { l.Targets = []string{"https://x:443"} }},
		{"Targets[0]", func(l *Load) { l.Targets = []string{"127.0.0.1:80/path"} }},
		{"Choice", func(l *Load) { l.Choice = "hash" }},
		{"Path", func(l *Load) { l.Path = "hostname" }},
		{"Requests", func(l *Load) { l.Requests = -1 }},
		{"Duration", func(l *Load) { l.Duration = -time.Second }},
		{"Concurrency", func(l *Load) { l.Concurrency = -1 }},
		{"Connections", func(l *Load) { l.KeepAlive, l.Connections = true, -2 }},
		{"Rate", func(l *Load) { l.Rate = -1 }},
		{"Timeout", func(l *Load) { l.Timeout = -1 }},
	}
	for _, c := range cases {
		l := valid()
		c.break_(&l)
		err := l.Validate()
		var ve *validation.Errors
		if !errors.As(err, &ve) || !ve.Has(c.field) {
			t.Errorf("want a problem on %s, got %v", c.field, err)
		}
	}
}

func TestNormalizeTarget(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"127.0.0.1:8080":         "127.0.0.1:8080",
		"http://127.0.0.1:8080/": "127.0.0.1:8080",
		"lb.example.com":         "lb.example.com:80",
		"http://[::1]":           "[::1]:80",
	} {
		got, err := normalizeTarget(in)
		if err != nil || got != want {
			t.Errorf("normalizeTarget(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
