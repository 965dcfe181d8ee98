package model

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/internal/validation"
)

func mustPopulation(t *testing.T, tp Topology, o PopulationOptions) PopulationResult {
	t.Helper()
	res, err := SimulatePopulation(tp, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sixPods is 3 zones x 2 pods behind the given load balancer, with callers.
func sixPods(kind Kind, crossZone bool, c *ClientPopulation) Topology {
	tp := topo(TargetTypeIP, crossZone, "", zs("a", 1, 1), zs("b", 1, 1), zs("c", 1, 1))
	tp.LoadBalancer.Kind = kind
	tp.Clients = c
	return tp
}

func within(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestPopulationPinnedHandComputed: 3 zones of 2 pods, cross-zone off. Three
// callers pinned one to each zone give every zone 1/3 and every pod 1/6;
// all three pinned to zone a give a's two pods 1/2 each and the rest nothing:
// pods' max/mean (1/2)/(1/6) = 3, zones' (1)/(1/3) = 3. With cross-zone on
// the pins change nothing. Exact behind an ALB; behind an NLB with many short
// connections per caller the simulation lands on the same numbers.
func TestPopulationPinnedHandComputed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cross     bool
		zones     []string
		podShares []float64
		maxOver   float64
	}{
		{"one caller per zone", false, []string{"a", "b", "c"}, []float64{1. / 6, 1. / 6, 1. / 6, 1. / 6, 1. / 6, 1. / 6}, 1},
		{"all callers in zone a", false, []string{"a", "a", "a"}, []float64{.5, .5, 0, 0, 0, 0}, 3},
		{"all in zone a, cross-zone on", true, []string{"a", "a", "a"}, []float64{1. / 6, 1. / 6, 1. / 6, 1. / 6, 1. / 6, 1. / 6}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			alb := mustPopulation(t, sixPods(KindALB, tc.cross, &ClientPopulation{CallerZones: tc.zones}), PopulationOptions{})
			if alb.Method != MethodExact {
				t.Fatalf("ALB with pinned callers: method %s, want exact", alb.Method)
			}
			for i, p := range alb.Pods {
				if !within(p.Mean, tc.podShares[i], 1e-12) || p.P5 != p.Mean || p.P95 != p.Mean {
					t.Errorf("ALB pod %s/%s: %+v, want share %v in every window", p.Zone, p.Node, p, tc.podShares[i])
				}
			}
			for _, s := range []WindowStats{alb.PodMaxOverMean, alb.ZoneMaxOverMean} {
				if !within(s.Mean.Value, tc.maxOver, 1e-12) || !within(s.P95.Value, tc.maxOver, 1e-12) || s.P95.Low != s.P95.High {
					t.Errorf("ALB max/mean %+v, want exactly %v", s, tc.maxOver)
				}
			}

			// The NLB with 500 connections per caller recycled 5 times a
			// window: each pod's share is its zone's callers over the zone's
			// pods, up to sampling noise of a fraction of a point.
			nlb := sixPods(KindNLB, tc.cross, &ClientPopulation{CallerZones: tc.zones, ConnectionsPerCaller: 500, RequestsPerSecond: 5000})
			nlb.Recycling.MaxConnAge = Duration(2 * time.Second)
			sim := mustPopulation(t, nlb, PopulationOptions{Window: Duration(10 * time.Second), Windows: 10, Runs: 5, Seed: 1})
			if sim.Method != MethodSimulated {
				t.Fatalf("NLB: method %s, want simulated", sim.Method)
			}
			for i, p := range sim.Pods {
				if !within(p.Mean, tc.podShares[i], 0.005) {
					t.Errorf("NLB pod %s/%s: mean share %.4f, want %.4f", p.Zone, p.Node, p.Mean, tc.podShares[i])
				}
			}
			if !within(sim.PodMaxOverMean.P50.Value, tc.maxOver, 0.05) || !within(sim.ZoneMaxOverMean.P50.Value, tc.maxOver, 0.05) {
				t.Errorf("NLB: pods p50 max/mean %.3f, zones %.3f, want about %v", sim.PodMaxOverMean.P50.Value, sim.ZoneMaxOverMean.P50.Value, tc.maxOver)
			}
		})
	}
}

// TestPopulationRandomDNSExactLaw: three callers that each cache one of 3
// zones at random (cross-zone off, 2 pods per zone). Of the 27 equally likely
// draws, 6 put one caller in each zone (max/mean 1), 3 put all in one zone
// (3), and 18 split 2-1-0 (the zone with two callers has 2/3 of the traffic on
// 2 pods: 1/3 per pod over the mean 1/6 = 2). So max/mean is 1, 2, 3 with
// probabilities 2/9, 2/3, 1/9: mean 17/9, median 2, 95th percentile 3. Each
// pod's mean share is still exactly 1/6, the many-callers share. The NLB
// simulation with many connections per caller has the same law.
func TestPopulationRandomDNSExactLaw(t *testing.T) {
	t.Parallel()
	callers := &ClientPopulation{Callers: 3}
	res := mustPopulation(t, sixPods(KindALB, false, callers), PopulationOptions{})
	if res.Method != MethodExact {
		t.Fatalf("method %s, want exact", res.Method)
	}
	s := res.PodMaxOverMean
	if !within(s.Mean.Value, 17./9, 1e-12) || s.P50.Value != 2 || !within(s.P95.Value, 3, 1e-12) {
		t.Errorf("max/mean mean %v p50 %v p95 %v, want 17/9, 2, 3", s.Mean.Value, s.P50.Value, s.P95.Value)
	}
	if !within(s.RunP95.Low, 1, 1e-12) || !within(s.RunP95.High, 3, 1e-12) {
		t.Errorf("one run's p95 band %+v, want [1, 3]", s.RunP95)
	}
	if z := res.ZoneMaxOverMean; !within(z.Mean.Value, 17./9, 1e-12) {
		t.Errorf("zones' max/mean mean %v, want 17/9 (2 pods per zone: same law)", z.Mean.Value)
	}
	for _, p := range res.Pods {
		if !within(p.Mean, 1./6, 1e-12) {
			t.Errorf("pod %s/%s mean share %v, want exactly 1/6", p.Zone, p.Node, p.Mean)
		}
	}

	// 1000 connections per caller, recycled twice a window: the pods of a
	// zone split its callers' connections within a few percent, which adds
	// a little to max/mean; 0.03 allows for it.
	nlb := sixPods(KindNLB, false, &ClientPopulation{Callers: 3, ConnectionsPerCaller: 1000, RequestsPerSecond: 10000})
	nlb.Recycling.MaxConnAge = Duration(30 * time.Second)
	sim := mustPopulation(t, nlb, PopulationOptions{Windows: 1, Runs: 400, Seed: 3})
	if m := sim.PodMaxOverMean.Mean; !(m.Low-0.03 <= 17./9 && 17./9 <= m.High+0.03) || m.High-m.Low > 0.15 {
		t.Errorf("simulated mean max/mean %+v, want an interval narrower than 0.15 with 17/9 = 1.889 inside (plus 0.03 for the finite connections)", m)
	}
}

// TestPopulationManyCallersLimit: many callers that look the name up for
// every connection and reconnect often reproduce the exact shares of every
// hand-computed layout, per pod and in max/mean.
func TestPopulationManyCallersLimit(t *testing.T) {
	t.Parallel()
	layouts := []Topology{
		topo(TargetTypeInstance, false, PolicyCluster, zs("a", 2, 1)),
		topo(TargetTypeInstance, false, PolicyLocal, zs("a", 2, 1)),
		topo(TargetTypeInstance, false, PolicyLocal, zs("a", 2, 1), zs("b", 3)),
		topo(TargetTypeIP, false, "", zs("a", 2, 1), zs("b", 1)),
		topo(TargetTypeIP, true, "", zs("a", 2, 1), zs("b", 1)),
		topo(TargetTypeIP, false, "", zs("a", 1, 1), zs("b", 1), zs("c", 0)),
		topo(TargetTypeInstance, true, PolicyLocal, zs("a", 1, 1), zs("b", 1), zs("c", 0)),
		topo(TargetTypeInstance, false, PolicyCluster, zs("a", 1), zs("b", 1), zs("c")),
	}
	for _, tp := range layouts {
		t.Run(Describe(tp)+" "+fmtZones(tp), func(t *testing.T) {
			t.Parallel()
			pred := mustPredict(t, tp)
			tp.Clients = &ClientPopulation{Callers: 4000, DNS: DNSPerRequest, ConnectionsPerCaller: 1, RequestsPerSecond: 1}
			tp.Recycling.MaxConnAge = Duration(3 * time.Second)
			res := mustPopulation(t, tp, PopulationOptions{Windows: 4, Runs: 5, Seed: 5})
			for i, p := range res.Pods {
				if !within(p.Mean, pred.Pods[i].Share, 0.006) {
					t.Errorf("pod %s/%s/%d: mean share %.4f, exact model %.4f", p.Zone, p.Node, p.Index, p.Mean, pred.Pods[i].Share)
				}
			}
			if m := res.PodMaxOverMean.Mean.Value; !within(m, pred.MaxOverMean, 0.08) {
				t.Errorf("max/mean %.3f, exact model %.3f", m, pred.MaxOverMean)
			}
		})
	}
}

func fmtZones(t Topology) string {
	var b strings.Builder
	for _, z := range t.Zones {
		b.WriteString(z.Name)
		for _, n := range z.Nodes {
			b.WriteString(string(rune('0' + n.Pods)))
		}
	}
	return b.String()
}

// TestEntryRowsAverageToPredict: the per-zone rows the simulation draws from,
// averaged over the DNS zones, are the exact model's shares.
func TestEntryRowsAverageToPredict(t *testing.T) {
	t.Parallel()
	for _, tt := range []TargetType{TargetTypeIP, TargetTypeInstance} {
		for _, pol := range []Policy{"", PolicyCluster, PolicyLocal} {
			if tt == TargetTypeIP && pol != "" {
				continue
			}
			for _, cross := range []bool{false, true} {
				tp := topo(tt, cross, pol, zs("a", 3, 0, 1), zs("b", 1), zs("c", 0), zs("d", 2, 2))
				e, err := newEntry(tp)
				if err != nil {
					t.Fatal(err)
				}
				for p := range e.pods {
					avg := 0.0
					for _, z := range e.dns {
						avg += e.cond[z][p] / float64(len(e.dns))
					}
					if !within(avg, e.share[p], 1e-12) {
						t.Errorf("%s: pod %d: rows average %.6f, Predict %.6f", Describe(tp), p, avg, e.share[p])
					}
				}
			}
		}
	}
}

// TestPopulationTwoConnectionsHandComputed: one caller with two connections
// that never end, two pods, cross-zone on: both connections land on the same
// pod with probability 1/2 (max/mean 2), else one each (1). Mean 1.5.
func TestPopulationTwoConnectionsHandComputed(t *testing.T) {
	t.Parallel()
	tp := topo(TargetTypeIP, true, "", zs("a", 1), zs("b", 1))
	tp.Clients = &ClientPopulation{Callers: 1, ConnectionsPerCaller: 2, RequestsPerSecond: 200}
	res := mustPopulation(t, tp, PopulationOptions{Windows: 3, Runs: 4000, Seed: 9})
	m := res.PodMaxOverMean.Mean
	if !(m.Low <= 1.5 && 1.5 <= m.High) || m.High-m.Low > 0.05 {
		t.Errorf("mean max/mean %+v, want an interval of at most 0.05 holding 1.5", m)
	}
	// Windows of 200 requests: one request more or less on a pod moves
	// max/mean by 0.01, so the two values the law allows are 1 and 2 give or
	// take that.
	if b := res.PodMaxOverMean.RunP95; !within(b.Low, 1, 0.02) || !within(b.High, 2, 0.02) {
		t.Errorf("one run's p95 band %+v, want about [1, 2]", b)
	}
}

// TestScaleOutHandComputed: one caller with 5000 connections on one pod; a
// second pod is added; connections are recycled every 10 windows. With
// stationary ages, by the middle of window k after the scale-out (k-1/2)/10
// of the connections have reconnected, half of them to the new pod: its share
// over its fair share 1/2 is (k-1/2)/10 in window k, first at least 0.9 in
// window 10. So the time to fair share is the recycling age, 10 windows. No
// recycling: never. An ALB balances every request: the first window.
func TestScaleOutHandComputed(t *testing.T) {
	t.Parallel()
	one := topo(TargetTypeIP, true, "", zs("a", 1))
	one.Clients = &ClientPopulation{Callers: 1, ConnectionsPerCaller: 5000, RequestsPerSecond: 50000}
	o := PopulationOptions{Window: Duration(time.Minute), Windows: 2, ScaleOut: layout(zs("a", 2)), AfterWindows: 15, Runs: 20, Seed: 2}

	recycled := one
	recycled.Recycling.MaxConnAge = Duration(10 * time.Minute)
	so := mustPopulation(t, recycled, o).ScaleOut
	want := Delay{After: Duration(10 * time.Minute)}
	if so == nil || so.Median != want || so.Low != want || so.High != want || so.Reached != 1 {
		t.Fatalf("recycled every 10m: %+v, want every run at 10m", so)
	}
	for k, got := range so.Curve[:10] {
		if w := (float64(k) + 0.5) / 10; !within(got, w, 0.02) {
			t.Errorf("window %d after: new pod at %.3f of its fair share, want %.3f", k+1, got, w)
		}
	}

	never := mustPopulation(t, one, o).ScaleOut
	if !never.Median.Never || never.Reached != 0 || never.Curve[14] != 0 {
		t.Errorf("no recycling: %+v, want never, and no traffic on the new pod", never)
	}

	alb := one
	alb.LoadBalancer.Kind = KindALB
	l7 := mustPopulation(t, alb, o)
	if first := (Delay{After: Duration(time.Minute)}); l7.Method != MethodExact || l7.ScaleOut.Median != first || l7.ScaleOut.High != first {
		t.Errorf("ALB: %s %+v, want exact, the first window", l7.Method, l7.ScaleOut)
	}
}

func TestConnectionLifetime(t *testing.T) {
	t.Parallel()
	c := ClientPopulation{Callers: 1, ConnectionsPerCaller: 4, RequestsPerSecond: 40} // 10 req/s per connection
	tests := []struct {
		name string
		mod  func(*ClientPopulation, *Recycling)
		bal  Balancing
		want float64
	}{
		{"nothing ends it", func(*ClientPopulation, *Recycling) {}, BalancingConnection, math.Inf(1)},
		{"server max age", func(_ *ClientPopulation, r *Recycling) { r.MaxConnAge = Duration(time.Minute) }, BalancingConnection, 60},
		{"server max requests", func(_ *ClientPopulation, r *Recycling) { r.MaxConnRequests = 100 }, BalancingConnection, 10},
		{"the first of age and requests", func(_ *ClientPopulation, r *Recycling) {
			r.MaxConnAge, r.MaxConnRequests = Duration(5*time.Second), 100
		}, BalancingConnection, 5},
		{"client requests per connection", func(c *ClientPopulation, _ *Recycling) { c.RequestsPerConnection = 30 }, BalancingConnection, 3},
		{"client lifetime", func(c *ClientPopulation, _ *Recycling) { c.ConnectionLifetime = Duration(2 * time.Second) }, BalancingConnection, 2},
		{"ALB: server recycling ends the ALB's connection, not the client's", func(_ *ClientPopulation, r *Recycling) {
			r.MaxConnAge = Duration(time.Minute)
		}, BalancingRequest, math.Inf(1)},
		{"ALB: the client's own limit still holds", func(c *ClientPopulation, _ *Recycling) { c.ConnectionLifetime = Duration(time.Minute) }, BalancingRequest, 60},
	}
	for _, tc := range tests {
		cc, r := c, Recycling{}
		tc.mod(&cc, &r)
		if got := connectionLifetime(cc, r, tc.bal); got != tc.want {
			t.Errorf("%s: %v s, want %v s", tc.name, got, tc.want)
		}
	}
}

func TestPopulationValidation(t *testing.T) {
	t.Parallel()
	tp := sixPods(KindNLB, false, &ClientPopulation{
		Callers: -1, DNS: "sometimes", ConnectionsPerCaller: -2,
		RequestsPerSecond: -5, RequestsPerConnection: -1, ConnectionLifetime: Duration(-time.Second),
		CallerZones: []string{"a", "z"},
	})
	tp.Recycling = Recycling{MaxConnAge: Duration(-time.Second), MaxConnRequests: -3}
	err := tp.Validate()
	var ve *validation.Errors
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want *validation.Errors", err)
	}
	got := map[string]bool{}
	for _, p := range ve.Problems {
		got[p.Field] = true
	}
	for _, f := range []string{"clients.callers", "clients.dns", "clients.connectionsPerCaller", "clients.requestsPerSecond",
		"clients.requestsPerConnection", "clients.connectionLifetime", "clients.callerZones", "clients.callerZones[1]",
		"recycling.maxConnAge", "recycling.maxConnRequests"} {
		if !got[f] {
			t.Errorf("no problem reported for %s; got %v", f, err)
		}
	}

	for _, c := range []ClientPopulation{{DNS: DNSProcess, DNSTTL: Duration(time.Second)}, {DNS: DNSTTL, DNSTTL: Duration(-time.Second)}} {
		if err := sixPods(KindNLB, false, &c).Validate(); !errors.As(err, &ve) || !hasField(ve, "clients.dnsTTL") {
			t.Errorf("dns %s, dnsTTL %v: err = %v, want a problem on clients.dnsTTL", c.DNS, c.DNSTTL, err)
		}
	}

	ok := sixPods(KindNLB, false, nil)
	bad := []struct {
		name  string
		o     PopulationOptions
		field string
	}{
		{"scale-out removes a pod", PopulationOptions{ScaleOut: layout(zs("a", 1, 0), zs("b", 1, 1), zs("c", 1, 1))}, "scaleOut[0].nodes[1].pods"},
		{"scale-out renames a zone", PopulationOptions{ScaleOut: layout(zs("a", 1, 1), zs("x", 1, 1), zs("c", 1, 1))}, "scaleOut[1].name"},
		{"scale-out adds nothing", PopulationOptions{ScaleOut: layout(zs("a", 1, 1), zs("b", 1, 1), zs("c", 1, 1))}, "scaleOut"},
		{"one run", PopulationOptions{Runs: 1}, "runs"},
		{"tolerance 1", PopulationOptions{FairShareTolerance: 1}, "fairShareTolerance"},
		{"after windows without a scale-out", PopulationOptions{AfterWindows: 3}, "afterWindows"},
		{"too much work", PopulationOptions{Runs: 100_000, Windows: 10_000}, "runs"},
	}
	for _, tc := range bad {
		_, err := SimulatePopulation(ok, tc.o)
		if !errors.As(err, &ve) || !hasField(ve, tc.field) {
			t.Errorf("%s: err = %v, want a problem on %s", tc.name, err, tc.field)
		}
	}
	// A caller pinned to a zone DNS never hands out (no pod there, cross-zone off).
	empty := topo(TargetTypeIP, false, "", zs("a", 1), zs("b", 0))
	empty.Clients = &ClientPopulation{CallerZones: []string{"b"}}
	if _, err := SimulatePopulation(empty, PopulationOptions{}); !errors.As(err, &ve) || !hasField(ve, "clients.callerZones[0]") {
		t.Errorf("pinned to a zone without targets: err = %v", err)
	}
}

func hasField(ve *validation.Errors, f string) bool {
	for _, p := range ve.Problems {
		if p.Field == f {
			return true
		}
	}
	return false
}

func TestPopulationRepeatsWithItsSeed(t *testing.T) {
	t.Parallel()
	tp := sixPods(KindNLB, true, nil)
	tp.Recycling.MaxConnAge = Duration(5 * time.Minute)
	o := PopulationOptions{Windows: 20, Runs: 20, Seed: 4, ScaleOut: ScaleOutOnePerZone(tp.Zones), AfterWindows: 10}
	a, b := mustPopulation(t, tp, o), mustPopulation(t, tp, o)
	if a.PodMaxOverMean != b.PodMaxOverMean || !reflect.DeepEqual(a.ScaleOut, b.ScaleOut) {
		t.Errorf("same seed, different results: %+v vs %+v", a.PodMaxOverMean, b.PodMaxOverMean)
	}
	o.Seed = 5
	if c := mustPopulation(t, tp, o); c.PodMaxOverMean == a.PodMaxOverMean {
		t.Errorf("another seed gave the very same result %+v", c.PodMaxOverMean)
	}
}

// TestRecyclingShortensTimeToFairShare: for the default callers, shorter
// recycling brings new pods to their share sooner and lowers the per-window
// skew; the intervals must not overlap, or the model could not tell them apart.
func TestRecyclingShortensTimeToFairShare(t *testing.T) {
	t.Parallel()
	base := sixPods(KindNLB, true, nil)
	var prev PopulationResult
	for i, age := range []time.Duration{10 * time.Minute, 2 * time.Minute, 30 * time.Second} {
		tp := base
		tp.Recycling.MaxConnAge = Duration(age)
		res := mustPopulation(t, tp, PopulationOptions{ScaleOut: ScaleOutOnePerZone(tp.Zones), Seed: 1})
		if i > 0 {
			if !(res.PodMaxOverMean.P95.High < prev.PodMaxOverMean.P95.Low) {
				t.Errorf("recycle %v: p95 max/mean %+v, not clearly below %+v", age, res.PodMaxOverMean.P95, prev.PodMaxOverMean.P95)
			}
			if !(res.ScaleOut.Median.After < prev.ScaleOut.Median.After) {
				t.Errorf("recycle %v: time to fair share %v, not below %v", age, res.ScaleOut.Median, prev.ScaleOut.Median)
			}
		}
		prev = res
	}
}

// TestPopulationCacheSharesRows: the cache answers what SimulatePopulation
// answers, computes each distinct input once (the second answer shares the
// first's slices), and keeps distinct inputs apart.
func TestPopulationCacheSharesRows(t *testing.T) {
	t.Parallel()
	tp := sixPods(KindNLB, true, nil)
	o := PopulationOptions{Windows: 5, Runs: 10, Seed: 1}
	var c PopulationCache
	a, err := c.Simulate(tp, o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Simulate(tp, o)
	direct := mustPopulation(t, tp, o)
	if !reflect.DeepEqual(a, direct) || &a.Pods[0] != &b.Pods[0] {
		t.Errorf("cache: %+v vs direct %+v, or computed twice", a.PodMaxOverMean, direct.PodMaxOverMean)
	}
	o.Seed = 2
	if other, _ := c.Simulate(tp, o); reflect.DeepEqual(other.PodMaxOverMean, a.PodMaxOverMean) {
		t.Error("another seed got the cached row")
	}
}

func TestQuantileNearestRank(t *testing.T) {
	t.Parallel()
	xs := []float64{5, 1, math.NaN(), 4, 2, 3}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {0.2, 1}, {0.5, 3}, {0.95, 5}, {1, 5}} {
		if got := Quantile(xs, c.q); got != c.want {
			t.Errorf("Quantile(%v) = %v, want %v (NaN ignored, rank ceil(q*5))", c.q, got, c.want)
		}
	}
	if !math.IsNaN(Quantile([]float64{math.NaN()}, 0.5)) {
		t.Error("Quantile of nothing is not NaN")
	}
}
