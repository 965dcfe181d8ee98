package model

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// Duration is a time.Duration that topology files and JSON write as Go
// duration text ("5m", "60s", "1.5s").
type Duration time.Duration

// String writes whole hours, minutes or seconds without the trailing zero
// units time.Duration prints ("5m", not "5m0s").
func (d Duration) String() string {
	td := time.Duration(d)
	switch {
	case td == 0:
		return "0s"
	case td%time.Hour == 0:
		return strconv.FormatInt(int64(td/time.Hour), 10) + "h"
	case td%time.Minute == 0:
		return strconv.FormatInt(int64(td/time.Minute), 10) + "m"
	case td%time.Second == 0:
		return strconv.FormatInt(int64(td/time.Second), 10) + "s"
	}
	return td.String()
}

// MarshalText writes the duration as String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads Go duration text.
func (d *Duration) UnmarshalText(b []byte) error {
	td, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(td)
	return nil
}

// Seconds is the duration in seconds.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

// DNSCaching is how long a caller keeps the address it resolved the load
// balancer's name to. The name has one address per zone's load-balancer node;
// a lookup answers them in shuffled order and the client connects to the
// first, so each lookup picks a zone at random among those in DNS.
type DNSCaching string

const (
	// DNSPerRequest resolves the name again before every new connection (no
	// cache). A reused keepalive connection needs no lookup, so "per request"
	// means per connection the client opens.
	DNSPerRequest DNSCaching = "perRequest"
	// DNSTTL caches the answer for DNSTTL (the record's TTL: 60 s for an
	// ELB's Route 53 alias; OpenJDK without a security manager caches 30 s).
	DNSTTL DNSCaching = "ttl"
	// DNSProcess resolves once and keeps the answer for the life of the
	// process: the JVM with a security manager installed, and any client that
	// builds its connection pool from one lookup at start-up.
	DNSProcess DNSCaching = "process"
)

// Population defaults: ten JVM-like callers, the case the Expedia study
// measured. Each is documented on its ClientPopulation field.
const (
	DefaultCallers              = 10
	DefaultDNS                  = DNSProcess
	DefaultDNSTTL               = Duration(60 * time.Second)
	DefaultConnectionsPerCaller = 5
	DefaultCallerRate           = 100.0
)

// Bounds that keep a population simulation to seconds.
const (
	// MaxCallers bounds ClientPopulation.Callers.
	MaxCallers = 100_000
	// MaxConnections bounds callers x connections per caller.
	MaxConnections = 1_000_000
)

// ClientPopulation is who calls the service and how they hold connections:
// what decides, together with the load balancer, how evenly requests spread
// over pods in any given minute. The zero value of every field takes the
// default stated on it.
type ClientPopulation struct {
	// Callers is the number of client processes, each sending the same rate.
	// Default 10: a handful of large callers, the case where DNS caching and
	// keepalive skew load (many small independent callers average it out).
	Callers int `json:"callers"`
	// DNS is how long a caller keeps its lookup: perRequest, ttl or process.
	// Default process, the JVM's behaviour with a security manager and of
	// pools built at start-up, and the worst case.
	DNS DNSCaching `json:"dns"`
	// DNSTTL is how long a ttl caller keeps an answer. Default 60s (the TTL
	// of an ELB's alias record). Only with DNS ttl.
	DNSTTL Duration `json:"dnsTTL,omitzero"`
	// ConnectionsPerCaller is the size of each caller's keepalive pool; the
	// caller's requests spread evenly over its connections. Default 5
	// (Apache HttpClient 5's default per-route maximum).
	ConnectionsPerCaller int `json:"connectionsPerCaller"`
	// RequestsPerSecond is each caller's request rate. Default 100. It turns
	// request counts (requestsPerConnection, the server's maxConnRequests)
	// into connection lifetimes, and sets how many requests a window holds.
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	// RequestsPerConnection is how many requests the client sends on a
	// connection before it closes it itself. Default 0: never (keepalive
	// clients reuse a healthy connection indefinitely).
	RequestsPerConnection int `json:"requestsPerConnection,omitzero"`
	// ConnectionLifetime is how long the client keeps a connection before it
	// closes it itself (a pool's time to live). Default 0: forever.
	ConnectionLifetime Duration `json:"connectionLifetime,omitzero"`
	// CallerZones, when set, says which zone each caller's cached answer
	// points at (one zone name per caller), e.g. as measured, instead of a
	// random draw. Only with DNS process.
	CallerZones []string `json:"callerZones,omitempty"`
}

// SetDefaults fills the zero fields with the defaults documented on each.
func (c *ClientPopulation) SetDefaults() {
	if c.Callers == 0 {
		c.Callers = DefaultCallers
		if len(c.CallerZones) > 0 {
			c.Callers = len(c.CallerZones)
		}
	}
	if c.DNS == "" {
		c.DNS = DefaultDNS
	}
	if c.DNS == DNSTTL && c.DNSTTL == 0 {
		c.DNSTTL = DefaultDNSTTL
	}
	if c.ConnectionsPerCaller == 0 {
		c.ConnectionsPerCaller = DefaultConnectionsPerCaller
	}
	if c.RequestsPerSecond == 0 {
		c.RequestsPerSecond = DefaultCallerRate
	}
}

// DefaultPopulation is the population the plan and predict show when none is
// given: ten callers that cache DNS for their life, five connections each.
func DefaultPopulation() ClientPopulation {
	var c ClientPopulation
	c.SetDefaults()
	return c
}

// validate adds every problem with the (defaulted) population under path.
// zones are the topology's zone names, for CallerZones.
func (c ClientPopulation) validate(v *validation.Errors, path string, zones map[string]int) {
	p := func(f string) string { return path + "." + f }
	if c.Callers < 1 || c.Callers > MaxCallers {
		v.Add(p("callers"), c.Callers, "must be between 1 and %d", MaxCallers)
	}
	switch c.DNS {
	case DNSPerRequest, DNSProcess:
		if c.DNSTTL != 0 {
			v.Add(p("dnsTTL"), c.DNSTTL, "applies only with dns %q", DNSTTL)
		}
	case DNSTTL:
		if c.DNSTTL <= 0 {
			v.Add(p("dnsTTL"), c.DNSTTL, "must be positive with dns %q", DNSTTL)
		}
	default:
		v.Add(p("dns"), quote(c.DNS), "must be one of %q, %q, %q", DNSPerRequest, DNSTTL, DNSProcess)
	}
	if c.ConnectionsPerCaller < 1 {
		v.Add(p("connectionsPerCaller"), c.ConnectionsPerCaller, "must be at least 1")
	} else if c.Callers >= 1 && int64(c.Callers)*int64(c.ConnectionsPerCaller) > MaxConnections {
		v.Add(p("connectionsPerCaller"), c.ConnectionsPerCaller, "callers x connectionsPerCaller must be at most %d", MaxConnections)
	}
	if !(c.RequestsPerSecond > 0 && c.RequestsPerSecond <= 1e7) {
		v.Add(p("requestsPerSecond"), c.RequestsPerSecond, "must be above 0 and at most 1e7")
	}
	if c.RequestsPerConnection < 0 {
		v.Add(p("requestsPerConnection"), c.RequestsPerConnection, "must be 0 (never) or positive")
	}
	if c.ConnectionLifetime < 0 {
		v.Add(p("connectionLifetime"), c.ConnectionLifetime, "must be 0 (forever) or positive")
	}
	if len(c.CallerZones) > 0 {
		if c.DNS != DNSProcess {
			v.Add(p("callerZones"), strings.Join(c.CallerZones, ","), "applies only with dns %q: other callers look the name up again", DNSProcess)
		}
		if len(c.CallerZones) != c.Callers {
			v.Add(p("callerZones"), fmt.Sprintf("%d zones", len(c.CallerZones)), "must name one zone per caller (%d)", c.Callers)
		}
		for i, z := range c.CallerZones {
			if _, ok := zones[z]; !ok {
				v.Add(fmt.Sprintf("%s[%d]", p("callerZones"), i), quote(z), "must be one of the topology's zones")
			}
		}
	}
}

// Recycling is the server side of connection lifetimes: the workload's
// EKSBALANCE_MAX_CONN_AGE and EKSBALANCE_MAX_CONN_REQUESTS, after which the
// server answers with Connection: close and the client reconnects, to a pod
// the load balancer picks again.
type Recycling struct {
	// MaxConnAge ends a connection once it is this old. 0: never.
	MaxConnAge Duration `json:"maxConnAge,omitzero"`
	// MaxConnRequests ends a connection after this many requests. 0: never.
	MaxConnRequests int `json:"maxConnRequests,omitzero"`
}

func (r Recycling) validate(v *validation.Errors, path string) {
	if r.MaxConnAge < 0 {
		v.Add(path+".maxConnAge", r.MaxConnAge, "must be 0 (never) or positive")
	}
	if r.MaxConnRequests < 0 {
		v.Add(path+".maxConnRequests", r.MaxConnRequests, "must be 0 (never) or positive")
	}
}

// Off reports whether the server never recycles.
func (r Recycling) Off() bool { return r.MaxConnAge == 0 && r.MaxConnRequests == 0 }

// String is e.g. "recycle 5m", "recycle 5m or 1000 requests" or "no recycling".
func (r Recycling) String() string {
	switch {
	case r.Off():
		return "no recycling"
	case r.MaxConnRequests == 0:
		return "recycle " + r.MaxConnAge.String()
	case r.MaxConnAge == 0:
		return fmt.Sprintf("recycle %d requests", r.MaxConnRequests)
	}
	return fmt.Sprintf("recycle %s or %d requests", r.MaxConnAge, r.MaxConnRequests)
}

// balancing is what the load balancer balances: connections for an NLB,
// requests for an ALB.
func (t Topology) balancing() Balancing {
	if t.LoadBalancer.Kind == KindALB {
		return BalancingRequest
	}
	return BalancingConnection
}

// connectionLifetime is how long a client connection lasts, in seconds
// (+Inf: until the caller stops): the first of the client's own limits and,
// when the load balancer passes the connection through to the pod (L4), the
// server's recycling. Behind an L7 load balancer the server's recycling ends
// the balancer's connection to the pod, not the client's.
func connectionLifetime(c ClientPopulation, r Recycling, b Balancing) float64 {
	perConn := c.RequestsPerSecond / float64(c.ConnectionsPerCaller)
	life := math.Inf(1)
	if c.ConnectionLifetime > 0 {
		life = min(life, c.ConnectionLifetime.Seconds())
	}
	if c.RequestsPerConnection > 0 {
		life = min(life, float64(c.RequestsPerConnection)/perConn)
	}
	if b == BalancingConnection {
		if r.MaxConnAge > 0 {
			life = min(life, r.MaxConnAge.Seconds())
		}
		if r.MaxConnRequests > 0 {
			life = min(life, float64(r.MaxConnRequests)/perConn)
		}
	}
	return life
}

// Describe says in one line who the callers are, e.g. "10 callers, DNS
// cached for the process's life, 5 connections each, 100 req/s each".
func (c ClientPopulation) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d caller", c.Callers)
	if c.Callers != 1 {
		b.WriteString("s")
	}
	switch c.DNS {
	case DNSPerRequest:
		b.WriteString(", DNS looked up per connection")
	case DNSTTL:
		fmt.Fprintf(&b, ", DNS cached %s", c.DNSTTL)
	case DNSProcess:
		b.WriteString(", DNS cached for the process's life")
		if len(c.CallerZones) > 0 {
			b.WriteString(" (zones given)")
		}
	}
	fmt.Fprintf(&b, ", %d connection", c.ConnectionsPerCaller)
	if c.ConnectionsPerCaller != 1 {
		b.WriteString("s")
	}
	fmt.Fprintf(&b, " each, %s req/s each", strconv.FormatFloat(c.RequestsPerSecond, 'g', 4, 64))
	if c.RequestsPerConnection > 0 {
		fmt.Fprintf(&b, ", closed after %d requests", c.RequestsPerConnection)
	}
	if c.ConnectionLifetime > 0 {
		fmt.Fprintf(&b, ", closed after %s", c.ConnectionLifetime)
	}
	return b.String()
}
