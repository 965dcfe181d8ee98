package serve

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/eksbalance/eksbalance/serve/internal/problems"
)

// Environment variables the workload template sets on containers. All hold a
// whole number of seconds, except EnvMaxConnRequests, a request count.
const (
	// EnvLBIdleTimeout is the load balancer's idle timeout.
	EnvLBIdleTimeout = "EKSBALANCE_LB_IDLE_TIMEOUT"
	// EnvIdleTimeout is the backend keepalive idle timeout; it must exceed
	// the load balancer's.
	EnvIdleTimeout = "EKSBALANCE_IDLE_TIMEOUT"
	// EnvMaxConnAge recycles a connection after this age; 0 turns it off.
	EnvMaxConnAge = "EKSBALANCE_MAX_CONN_AGE"
	// EnvMaxConnRequests recycles a connection after this many requests; 0
	// turns it off.
	EnvMaxConnRequests = "EKSBALANCE_MAX_CONN_REQUESTS"
	// EnvShutdownDelay is how long to keep serving, readiness failing, after
	// SIGTERM.
	EnvShutdownDelay = "EKSBALANCE_SHUTDOWN_DELAY"
	// EnvDrainTimeout is how long in-flight requests may take after the delay.
	EnvDrainTimeout = "EKSBALANCE_DRAIN_TIMEOUT"
)

// Options configure a Server. Zero values take the defaults stated on each
// field.
type Options struct {
	// Addr is the TCP address to listen on. Default ":8080", the port the
	// workload template and agnhost netexec use.
	Addr string
	// Handler serves every path other than the probe paths. Required.
	Handler http.Handler
	// ReadinessPath answers 200 while serving and 503 from the moment a
	// shutdown starts, so the load balancer and the endpoints controller stop
	// sending new work. Default "/readyz".
	ReadinessPath string
	// LivenessPath answers 200 until the process exits: a draining server is
	// alive, and failing liveness would get it killed before it drained.
	// Default "/livez".
	LivenessPath string
	// LBIdleTimeout is the load balancer's idle timeout, known so that
	// IdleTimeout can be checked against it. Default 0 (unknown: no check).
	LBIdleTimeout time.Duration
	// IdleTimeout closes keepalive connections idle this long. It must exceed
	// LBIdleTimeout: a backend that closes an idle connection the load
	// balancer still considers open races the next request, which the client
	// sees as a reset. Default LBIdleTimeout+10s when LBIdleTimeout is set,
	// else 360s, just above the NLB's 350s default (and the ALB's 60s).
	IdleTimeout time.Duration
	// MaxConnAge, when non-zero, ends a connection after the first response
	// once it is this old (by sending Connection: close), so long-lived
	// keepalive connections behind an L4 balancer are re-balanced. Default 0
	// (off).
	MaxConnAge time.Duration
	// MaxConnRequests, when non-zero, ends a connection after the response to
	// its MaxConnRequests-th request, for the same reason. Default 0 (off).
	MaxConnRequests int
	// ShutdownDelay is how long to keep accepting and serving after the
	// shutdown signal, readiness failing, while the load balancer notices.
	// Default 0: in Kubernetes the preStop hook already waited. Set it where
	// nothing else waits (the local lab, a VM).
	ShutdownDelay time.Duration
	// DrainTimeout bounds how long in-flight requests may take after the
	// listeners close. Default 20s, inside Kubernetes' default 30s grace
	// period with room for a short preStop.
	DrainTimeout time.Duration
	// TCPKeepAlive is the idle time before the first TCP keepalive probe and
	// the interval between probes on accepted connections; keepalives keep
	// connection-tracking entries along the path alive. Default 15s, well
	// under any load balancer's idle timeout (60s minimum). Negative turns
	// keepalive probes off.
	TCPKeepAlive time.Duration
	// ReadHeaderTimeout bounds reading a request's headers. Default 10s, a
	// guard against clients that open connections and trickle bytes.
	ReadHeaderTimeout time.Duration
	// Signals delivers the shutdown signal. Default: SIGTERM and SIGINT from
	// the operating system. Only the first signal counts: a second one during
	// ShutdownDelay does not cut it short (a caller that also cancels ctx on
	// SIGTERM would otherwise skip the delay it exists for); the kubelet's
	// SIGKILL at the end of the grace period is the hard stop. Tests pass their
	// own channel.
	Signals <-chan os.Signal
	// OnPhase, when set, is called as the server enters each Phase, for
	// logging, metrics or tests. It must not block for long.
	OnPhase func(Phase)
	// Logf, when set, receives one line per shutdown step. Default: silent.
	Logf func(format string, args ...any)
}

// IdleMargin is the gap kept between neighbouring idle timeouts (client < load
// balancer < backend), so the side that should close an idle connection first
// does so before the other side's timer can fire. components/loadbalancer
// derives the recommended keepalive with the same margin.
const IdleMargin = 5 * time.Second

const (
	defaultAddr          = ":8080"
	defaultReadinessPath = "/readyz"
	defaultLivenessPath  = "/livez"
	// defaultIdleTimeout is above the longest idle timeout an AWS load balancer
	// has by default (the NLB's 350 s) by IdleMargin.
	defaultIdleTimeout       = 350*time.Second + IdleMargin
	defaultDrainTimeout      = 20 * time.Second
	defaultTCPKeepAlive      = 15 * time.Second
	defaultReadHeaderTimeout = 10 * time.Second
)

// withDefaults fills only the empty fields.
func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = defaultAddr
	}
	if o.ReadinessPath == "" {
		o.ReadinessPath = defaultReadinessPath
	}
	if o.LivenessPath == "" {
		o.LivenessPath = defaultLivenessPath
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = defaultIdleTimeout
		if o.LBIdleTimeout > 0 {
			o.IdleTimeout = o.LBIdleTimeout + IdleMargin
		}
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = defaultDrainTimeout
	}
	if o.TCPKeepAlive == 0 {
		o.TCPKeepAlive = defaultTCPKeepAlive
	}
	if o.ReadHeaderTimeout == 0 {
		o.ReadHeaderTimeout = defaultReadHeaderTimeout
	}
	return o
}

// Validate reports every problem with o, after defaults, at once.
func (o Options) Validate() error {
	o = o.withDefaults()
	v := problems.New("serve options")
	if o.Handler == nil {
		v.Add("Handler", "nil", "must be set")
	}
	for _, p := range []struct{ field, path string }{{"ReadinessPath", o.ReadinessPath}, {"LivenessPath", o.LivenessPath}} {
		if !strings.HasPrefix(p.path, "/") {
			v.Add(p.field, p.path, "must start with /")
		}
	}
	if o.ReadinessPath == o.LivenessPath {
		v.Add("LivenessPath", o.LivenessPath, "must differ from ReadinessPath: a draining server fails one and passes the other")
	}
	nonNegative := func(field string, d time.Duration) {
		if d < 0 {
			v.Add(field, d, "must be >= 0")
		}
	}
	nonNegative("LBIdleTimeout", o.LBIdleTimeout)
	nonNegative("IdleTimeout", o.IdleTimeout)
	nonNegative("MaxConnAge", o.MaxConnAge)
	nonNegative("ShutdownDelay", o.ShutdownDelay)
	nonNegative("DrainTimeout", o.DrainTimeout)
	nonNegative("ReadHeaderTimeout", o.ReadHeaderTimeout)
	if o.MaxConnRequests < 0 {
		v.Add("MaxConnRequests", o.MaxConnRequests, "must be >= 0 (0 turns it off)")
	}
	if o.LBIdleTimeout > 0 && o.IdleTimeout <= o.LBIdleTimeout {
		v.Add("IdleTimeout", o.IdleTimeout, "must exceed the load balancer's idle timeout %v, or the backend closes connections the load balancer still uses", o.LBIdleTimeout)
	}
	return v.Err()
}

// OptionsFromEnv reads the EKSBALANCE_* variables through getenv (os.Getenv
// in a program, a map lookup in a test). Unset or empty variables leave their
// field zero, so the defaults apply. Every bad value is reported at once,
// naming the variable, the value and the rule. Handler and Addr are the
// caller's to set.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	v := problems.New("serve environment")
	var o Options
	seconds := func(name string) time.Duration {
		s := strings.TrimSpace(getenv(name))
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			v.Add(name, strconv.Quote(s), "must be a whole number of seconds >= 0")
			return 0
		}
		return time.Duration(n) * time.Second
	}
	o.LBIdleTimeout = seconds(EnvLBIdleTimeout)
	o.IdleTimeout = seconds(EnvIdleTimeout)
	o.MaxConnAge = seconds(EnvMaxConnAge)
	o.ShutdownDelay = seconds(EnvShutdownDelay)
	o.DrainTimeout = seconds(EnvDrainTimeout)
	if s := strings.TrimSpace(getenv(EnvMaxConnRequests)); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			v.Add(EnvMaxConnRequests, strconv.Quote(s), "must be a whole number of requests >= 0 (0 turns it off)")
		} else {
			o.MaxConnRequests = n
		}
	}
	if o.LBIdleTimeout > 0 && o.IdleTimeout > 0 && o.IdleTimeout <= o.LBIdleTimeout {
		v.Add(EnvIdleTimeout, fmt.Sprint(int(o.IdleTimeout/time.Second)),
			"must exceed %s (%d): the backend keepalive must outlast the load balancer's idle timeout",
			EnvLBIdleTimeout, int(o.LBIdleTimeout/time.Second))
	}
	return o, v.Err()
}
