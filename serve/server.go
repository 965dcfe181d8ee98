package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// Phase is a step of a server's life.
type Phase string

const (
	// PhaseServing: accepting and serving, readiness passing.
	PhaseServing Phase = "serving"
	// PhaseDelay: the shutdown signal arrived; readiness fails, every
	// response carries Connection: close, new connections are still
	// accepted and served for ShutdownDelay.
	PhaseDelay Phase = "delay"
	// PhaseDrain: listeners are closed (new connections are refused), idle
	// connections closed, in-flight requests finish within DrainTimeout.
	PhaseDrain Phase = "drain"
	// PhaseDone: every connection is closed; Serve is about to return.
	PhaseDone Phase = "done"
)

// ErrDrainTimeout is returned (wrapped) when requests were still in flight at
// the end of DrainTimeout and had to be cut off.
var ErrDrainTimeout = errors.New("serve: drain timeout: in-flight requests cut off")

// Server is an HTTP server that holds up the application's half of a
// lossless rollout. Create it with New; run it with Serve or ListenAndServe,
// once.
type Server struct {
	opts     Options
	draining atomic.Bool

	// now and after are the clock, replaceable by tests so that max-age and
	// shutdown-delay behaviour can be checked without waiting on wall time.
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
}

// New validates opts and returns a Server.
func New(opts Options) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return &Server{
		opts:  opts.withDefaults(),
		now:   time.Now,
		after: time.After,
	}, nil
}

// Run is New followed by ListenAndServe: what a service's main calls.
func Run(ctx context.Context, opts Options) error {
	s, err := New(opts)
	if err != nil {
		return err
	}
	return s.ListenAndServe(ctx)
}

// Draining reports whether a shutdown has started (readiness failing).
func (s *Server) Draining() bool { return s.draining.Load() }

// ListenAndServe listens on Options.Addr and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	// Keepalive is set per accepted connection by Serve; turn off the
	// listener's own default so there is one source for the setting.
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", s.opts.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until the shutdown signal (Options.Signals, by default
// SIGTERM or SIGINT) or ctx's cancellation, then shuts down in order:
//
//  1. readiness fails at once and every response carries Connection: close,
//     while new connections are still accepted and served for ShutdownDelay
//     (the load balancer needs its health-check interval x threshold to
//     notice; until then it keeps sending);
//  2. the listener closes, so new connections are refused, and idle
//     keepalive connections are closed;
//  3. in-flight requests finish within DrainTimeout; then Serve returns nil,
//     or an error wrapping ErrDrainTimeout if some had to be cut off.
//
// Serve closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	o := s.opts
	srv := &http.Server{
		Handler:           s,
		IdleTimeout:       o.IdleTimeout,
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, &connInfo{opened: s.now()})
		},
	}
	sigs := o.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
		defer signal.Stop(ch)
		sigs = ch
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(keepAliveListener{ln, o.TCPKeepAlive}) }()
	s.phase(PhaseServing)

	var reason string
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		reason = "context cancelled"
	case sig := <-sigs:
		reason = "signal " + sig.String()
	}

	s.draining.Store(true)
	s.phase(PhaseDelay)
	s.logf("serve: %s: readiness failing, serving with Connection: close for %v", reason, o.ShutdownDelay)
	if o.ShutdownDelay > 0 {
		select {
		case <-s.after(o.ShutdownDelay):
		case err := <-serveErr:
			return fmt.Errorf("serve: during shutdown delay: %w", err)
		}
	}

	s.phase(PhaseDrain)
	s.logf("serve: listener closed; draining in-flight requests for up to %v", o.DrainTimeout)
	dctx, cancel := context.WithTimeout(context.Background(), o.DrainTimeout)
	defer cancel()
	err := srv.Shutdown(dctx)
	if err != nil {
		srv.Close()
		err = fmt.Errorf("%w after %v: %v", ErrDrainTimeout, o.DrainTimeout, err)
		s.logf("%v", err)
	}
	<-serveErr
	s.phase(PhaseDone)
	s.logf("serve: done")
	return err
}

// ServeHTTP answers the probe paths itself and passes everything else to the
// handler, marking responses Connection: close when the connection should end.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o := s.opts
	closeConn := s.draining.Load()
	if ci, ok := r.Context().Value(connKey{}).(*connInfo); ok {
		n := ci.requests.Add(1)
		if o.MaxConnRequests > 0 && n >= int64(o.MaxConnRequests) {
			closeConn = true
		}
		if o.MaxConnAge > 0 && s.now().Sub(ci.opened) >= o.MaxConnAge {
			closeConn = true
		}
	}
	if closeConn {
		// net/http closes the connection after a response whose handler set
		// this header; the client sees it and opens a fresh connection, which
		// the load balancer sends to a target that is not going away.
		w.Header().Set("Connection", "close")
	}
	switch r.URL.Path {
	case o.ReadinessPath:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if s.draining.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "draining\n")
			return
		}
		io.WriteString(w, "ok\n")
	case o.LivenessPath:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	default:
		o.Handler.ServeHTTP(w, r)
	}
}

func (s *Server) phase(p Phase) {
	if s.opts.OnPhase != nil {
		s.opts.OnPhase(p)
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

type connKey struct{}

// connInfo is what the server tracks per connection to recycle it.
type connInfo struct {
	opened   time.Time
	requests atomic.Int64
}

// keepAliveListener sets TCP keepalive on every accepted connection, so
// connection-tracking entries along the path (NAT, the load balancer) see
// traffic on connections that are idle at the HTTP level.
type keepAliveListener struct {
	net.Listener
	period time.Duration
}

// keepAliveProbes is how many unanswered probes declare the peer dead: with
// the 15s default, a vanished client is noticed within a minute.
const keepAliveProbes = 3

func (l keepAliveListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		if l.period < 0 {
			tc.SetKeepAlive(false)
		} else {
			tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: l.period, Interval: l.period, Count: keepAliveProbes})
		}
	}
	return c, nil
}
