package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/eksbalance/eksbalance/internal/traffic"
	"github.com/eksbalance/eksbalance/model"
)

// clientsFlag is --clients: the client population as comma-separated
// key=value pairs with the keys of a topology file's clients section, e.g.
// "callers=10,dns=ttl,dnsTTL=30s,connectionsPerCaller=2". callerZones takes
// zone names separated by semicolons.
type clientsFlag struct {
	set bool
	c   model.ClientPopulation
}

const clientsUsage = "client population for the long-lived-callers view, as key=value pairs: callers, dns (perRequest, ttl, process), " +
	"dnsTTL, connectionsPerCaller, requestsPerSecond, requestsPerConnection, connectionLifetime, callerZones (a;b;c). " +
	"Unset keys take the defaults: 10 callers caching DNS for their life, 5 connections each, 100 req/s each"

func (f *clientsFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return f.c.Describe()
}

// Set parses the pairs, reporting every bad one at once, each naming its key.
func (f *clientsFlag) Set(s string) error {
	var c model.ClientPopulation
	var problems []string
	bad := func(k, v, rule string) { problems = append(problems, fmt.Sprintf("%s=%s: %s", k, v, rule)) }
	integer := func(k, v string, dst *int) {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad(k, v, "must be a whole number")
		}
		*dst = n
	}
	duration := func(k, v string, dst *model.Duration) {
		if err := dst.UnmarshalText([]byte(v)); err != nil {
			bad(k, v, `must be a duration such as "30s" or "5m"`)
		}
	}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			bad(kv, "", "must be key=value")
			continue
		}
		switch k {
		case "callers":
			integer(k, v, &c.Callers)
		case "dns":
			c.DNS = model.DNSCaching(v)
		case "dnsTTL":
			duration(k, v, &c.DNSTTL)
		case "connectionsPerCaller":
			integer(k, v, &c.ConnectionsPerCaller)
		case "requestsPerSecond":
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				bad(k, v, "must be a number")
			}
			c.RequestsPerSecond = x
		case "requestsPerConnection":
			integer(k, v, &c.RequestsPerConnection)
		case "connectionLifetime":
			duration(k, v, &c.ConnectionLifetime)
		case "callerZones":
			c.CallerZones = strings.Split(v, ";")
		default:
			bad(k, v, "unknown key; known: callers, dns, dnsTTL, connectionsPerCaller, requestsPerSecond, requestsPerConnection, connectionLifetime, callerZones")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	f.c, f.set = c, true
	return nil
}

// population returns the flag's population, or nil when it was not given.
func (f *clientsFlag) population() *model.ClientPopulation {
	if !f.set {
		return nil
	}
	c := f.c
	return &c
}

// writeClientsAndZoneLoss is plan's section for one workload: the placement
// with each zone out, and the long-lived callers' view. It has its own
// function so plan's text layout can place it wherever it fits.
func writeClientsAndZoneLoss(w io.Writer, p traffic.Prediction) {
	if len(p.ZoneLost) > 0 {
		fmt.Fprintln(w)
		_ = model.WriteZoneLost(w, p.Result, p.ZoneLost)
	}
	if len(p.Population) > 0 {
		fmt.Fprintln(w, "\nLong-lived callers (DNS caching, keepalive, recycling) on this placement:")
		_ = model.WritePopulation(w, p.Population)
	}
}
