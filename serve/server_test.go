package serve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// generous bounds a wait for something that happens in microseconds on an idle
// machine; it only turns a hang into a failure, it measures nothing.
const generous = 20 * time.Second

// harness runs a Server on a loopback port with an injected signal channel
// and an injected shutdown-delay timer, so each test decides when the delay
// ends instead of waiting on the clock.
type harness struct {
	t        *testing.T
	s        *Server
	addr     string
	sig      chan os.Signal
	endDelay chan time.Time
	endOnce  sync.Once
	phases   chan Phase
	done     chan struct{} // closed when Serve returns; err is then set
	err      error
	cancel   context.CancelFunc
}

// start runs a server with opts; configure, if given, adjusts the Server
// before it starts serving.
func start(t *testing.T, opts Options, configure ...func(*Server)) *harness {
	t.Helper()
	h := &harness{t: t, sig: make(chan os.Signal, 2), endDelay: make(chan time.Time),
		phases: make(chan Phase, 16), done: make(chan struct{})}
	if opts.Handler == nil {
		opts.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "pod-0") })
	}
	if opts.ShutdownDelay == 0 {
		// Never waited on: the injected timer below decides.
		opts.ShutdownDelay = time.Hour
	}
	opts.Signals = h.sig
	opts.OnPhase = func(p Phase) { h.phases <- p }
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.after = func(time.Duration) <-chan time.Time { return h.endDelay }
	for _, f := range configure {
		f(s)
	}
	h.s = s
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		h.err = s.Serve(ctx, ln)
		close(h.done)
	}()
	h.waitPhase(PhaseServing)
	t.Cleanup(func() {
		cancel()
		h.finishDelay()
		select {
		case <-h.done:
		case <-time.After(generous):
			t.Error("server did not stop")
		}
	})
	return h
}

func (h *harness) finishDelay() { h.endOnce.Do(func() { close(h.endDelay) }) }

func (h *harness) waitPhase(want Phase) {
	h.t.Helper()
	for {
		select {
		case p := <-h.phases:
			if p == want {
				return
			}
		case <-time.After(generous):
			h.t.Fatalf("phase %s never came", want)
		}
	}
}

func (h *harness) terminate() {
	h.sig <- syscall.SIGTERM
	h.waitPhase(PhaseDelay)
}

// returned waits for Serve to return and gives its error.
func (h *harness) returned() error {
	h.t.Helper()
	select {
	case <-h.done:
		return h.err
	case <-time.After(generous):
		h.t.Fatal("server did not return")
		return nil
	}
}

// running reports that Serve has not returned yet.
func (h *harness) running() bool {
	select {
	case <-h.done:
		return false
	default:
		return true
	}
}

// waitRefused dials until the connection is refused, proof that the listener
// is closed.
func (h *harness) waitRefused() {
	h.t.Helper()
	deadline := time.Now().Add(generous)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", h.addr, time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		// A reset is a connection that reached the accept queue just as the
		// listener closed: the close is underway, keep looking.
		if err != nil && !errors.Is(err, syscall.ECONNRESET) {
			h.t.Fatalf("dial failed but not refused: %v", err)
		}
		if err != nil {
			continue
		}
		c.Close()
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatal("listener still accepting")
}

// rawConn is a keepalive HTTP/1.1 client on one connection, so a test sees
// exactly what the server says on that connection.
type rawConn struct {
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, generous)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(generous))
	return &rawConn{c: c, br: bufio.NewReader(c)}
}

func (r *rawConn) get(path string) (*http.Response, string, error) {
	if _, err := fmt.Fprintf(r.c, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path); err != nil {
		return nil, "", err
	}
	resp, err := http.ReadResponse(r.br, nil)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), err
}

func (r *rawConn) mustGet(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, body, err := r.get(path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp, body
}

// expectClosedByServer reads until the server's FIN.
func (r *rawConn) expectClosedByServer(t *testing.T) {
	t.Helper()
	if n, err := r.br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("connection still open after Connection: close (read %v, %v)", n, err)
	}
}

func TestReadinessFailsAtOnceAndNewConnectionsAreServedDuringDelay(t *testing.T) {
	t.Parallel()
	h := start(t, Options{})
	if resp, _ := dial(t, h.addr).mustGet(t, "/readyz"); resp.StatusCode != 200 {
		t.Fatalf("readiness before SIGTERM: %d", resp.StatusCode)
	}
	if h.s.Draining() {
		t.Fatal("draining before any signal")
	}

	h.terminate()
	if !h.s.Draining() {
		t.Fatal("not draining after SIGTERM")
	}
	// The first readiness probe after the signal fails.
	if resp, _ := dial(t, h.addr).mustGet(t, "/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readiness after SIGTERM: %d, want 503", resp.StatusCode)
	}
	// Liveness keeps passing: a draining server must not be killed.
	if resp, _ := dial(t, h.addr).mustGet(t, "/livez"); resp.StatusCode != 200 {
		t.Errorf("liveness during delay: %d, want 200", resp.StatusCode)
	}
	// New connections are still accepted and served, each told to close.
	c := dial(t, h.addr)
	resp, body := c.mustGet(t, "/hostname")
	if resp.StatusCode != 200 || body != "pod-0\n" || !resp.Close {
		t.Errorf("new connection during delay: %d %q close=%v, want 200, the pod name and Connection: close", resp.StatusCode, body, resp.Close)
	}
	c.expectClosedByServer(t)
	if !h.running() {
		t.Fatalf("server returned during the delay: %v", h.err)
	}

	// After the delay the listener closes: new connections are refused.
	h.finishDelay()
	h.waitPhase(PhaseDrain)
	h.waitRefused()
	if err := h.returned(); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestRequestInFlightAtSIGTERMCompletes(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	h := start(t, Options{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		fmt.Fprintln(w, "slow-pod")
	})})

	type answer struct {
		resp *http.Response
		body string
		err  error
	}
	got := make(chan answer, 1)
	c := dial(t, h.addr)
	go func() {
		resp, body, err := c.get("/work")
		got <- answer{resp, body, err}
	}()
	<-entered

	h.terminate()
	h.finishDelay()
	h.waitPhase(PhaseDrain)
	// The listener is closed and the request is still running: the server
	// must wait for it.
	h.waitRefused()
	if !h.running() {
		t.Fatalf("server returned with a request in flight: %v", h.err)
	}

	close(release)
	a := <-got
	if a.err != nil {
		t.Fatalf("in-flight request failed: %v", a.err)
	}
	if a.resp.StatusCode != 200 || a.body != "slow-pod\n" {
		t.Errorf("in-flight request: %d %q", a.resp.StatusCode, a.body)
	}
	if !a.resp.Close {
		t.Error("response during drain lacks Connection: close")
	}
	if err := h.returned(); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestKeepAliveConnectionGetsConnectionCloseDuringDelay(t *testing.T) {
	t.Parallel()
	h := start(t, Options{})
	c := dial(t, h.addr)
	for i := range 3 {
		if resp, _ := c.mustGet(t, "/hostname"); resp.Close {
			t.Fatalf("request %d before SIGTERM told to close", i)
		}
	}
	h.terminate()
	resp, body := c.mustGet(t, "/hostname")
	if resp.StatusCode != 200 || body != "pod-0\n" {
		t.Errorf("keepalive request during delay: %d %q", resp.StatusCode, body)
	}
	// ReadResponse turns the Connection: close header into resp.Close.
	if !resp.Close {
		t.Error("keepalive response during the delay lacks Connection: close")
	}
	c.expectClosedByServer(t)
}

func TestMaxConnRequestsRecyclesAfterN(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			h := start(t, Options{MaxConnRequests: n})
			c := dial(t, h.addr)
			for i := 1; i <= n; i++ {
				resp, _ := c.mustGet(t, "/hostname")
				if last := i == n; resp.Close != last {
					t.Fatalf("request %d of %d: close=%v, want %v", i, n, resp.Close, last)
				}
			}
			c.expectClosedByServer(t)
			// A fresh connection gets its own budget.
			if resp, _ := dial(t, h.addr).mustGet(t, "/hostname"); resp.Close != (n == 1) {
				t.Errorf("fresh connection: close=%v", resp.Close)
			}
		})
	}
}

func TestMaxConnAgeRecyclesOldConnections(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }

	h := start(t, Options{MaxConnAge: time.Minute}, func(s *Server) { s.now = now })
	c := dial(t, h.addr)
	if resp, _ := c.mustGet(t, "/hostname"); resp.Close {
		t.Fatal("young connection told to close")
	}
	advance(59 * time.Second)
	if resp, _ := c.mustGet(t, "/hostname"); resp.Close {
		t.Fatal("connection told to close before its max age")
	}
	advance(time.Second)
	if resp, _ := c.mustGet(t, "/hostname"); !resp.Close {
		t.Fatal("connection at its max age not told to close")
	}
	c.expectClosedByServer(t)
}

func TestDrainTimeoutCutsOffStuckRequests(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	h := start(t, Options{DrainTimeout: 50 * time.Millisecond, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})})
	failed := make(chan error, 1)
	go func() {
		_, _, err := dial(t, h.addr).get("/stuck")
		failed <- err
	}()
	<-entered
	h.terminate()
	h.finishDelay()
	if err := h.returned(); !errors.Is(err, ErrDrainTimeout) {
		t.Errorf("Serve returned %v, want ErrDrainTimeout", err)
	}
	if err := <-failed; err == nil {
		t.Error("stuck request got an answer after the drain timeout")
	}
}

func TestContextCancelStartsShutdown(t *testing.T) {
	t.Parallel()
	h := start(t, Options{})
	h.cancel()
	h.waitPhase(PhaseDelay)
	if resp, _ := dial(t, h.addr).mustGet(t, "/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readiness after cancel: %d", resp.StatusCode)
	}
	h.finishDelay()
	h.waitPhase(PhaseDone)
	if err := h.returned(); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestZeroShutdownDelayClosesListenerAtOnce(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Handler: http.NotFoundHandler(), ShutdownDelay: 0})
	if err != nil {
		t.Fatal(err)
	}
	s.after = func(time.Duration) <-chan time.Time {
		t.Error("a zero delay must not wait")
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sig := make(chan os.Signal, 1)
	s.opts.Signals = sig
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background(), ln) }()
	sig <- syscall.SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(generous):
		t.Fatal("server did not stop")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after shutdown: %v, want refused", err)
	}
}

func TestListenAndServeReportsTheAddress(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Run(context.Background(), Options{Addr: ln.Addr().String(), Handler: http.NotFoundHandler()})
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Run on a taken port: %v, want EADDRINUSE", err)
	}
}
