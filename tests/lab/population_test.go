package lab

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/tests/measure"
)

// The long-lived-callers lab runs in scaled time: 1 s windows instead of a
// dashboard's minute, 2 s connection recycling instead of minutes. The model
// is unit-free, so it is given the same numbers.
const (
	popWindow = time.Second
	// popSteady windows measure max/mean; popAfter windows follow the
	// scale-out.
	popSteady, popAfter = 10, 20
	// popConnRate is every connection's pace: one request per 100 ms.
	popConnRate = 10.0
	// popRecycle is the backend's EKSBALANCE_MAX_CONN_AGE stand-in.
	popRecycle = 2 * time.Second
	// popRuns is the model's runs behind each band, and popCoverage the
	// probability a band holds one run's value. The table holds about ten
	// measurements that vary from run to run against their bands: at 95%
	// each, one would miss in a third of the runs of a correct lab; at 99.9%
	// one in a hundred. 4,000 runs put the band's ends on the 2nd and
	// 3,998th values.
	popRuns     = 4000
	popCoverage = 0.999
)

// popCase is one client population in front of one load balancer.
type popCase struct {
	name    string
	kind    model.Kind
	cross   bool
	balance Balance
	before  []zoneSpec
	callers int
	conns   int
	// pins are the zones the callers' cached answers point at; "?" draws
	// each at random (seeded), as DNS would. nil: callers look the name up
	// for every new connection.
	pins []string
	// clientRequests makes the client close a connection after that many.
	clientRequests int
	recycle        bool
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// populationCases are the client populations the lab measures and compares
// with the model. Every one runs a scale-out from one to two pods per zone in
// the middle of the run.
var populationCases = []popCase{
	{name: "10 JVM callers, NLB, recycling", kind: nlb, cross: true, balance: BalanceRandom, before: []zoneSpec{zs("a", 1), zs("b", 1), zs("c", 1)},
		callers: 10, conns: 4, pins: repeat("?", 10), recycle: true},
	{name: "10 JVM callers, NLB, no recycling", kind: nlb, cross: true, balance: BalanceRandom, before: []zoneSpec{zs("a", 1), zs("b", 1), zs("c", 1)},
		callers: 10, conns: 4, pins: repeat("?", 10)},
	{name: "3 callers 1 per zone, x-zone off, rec.", kind: nlb, balance: BalanceRandom, before: []zoneSpec{zs("a", 1), zs("b", 1), zs("c", 1)},
		callers: 3, conns: 4, pins: []string{"a", "b", "c"}, recycle: true},
	{name: "3 callers all in a, x-zone off, rec.", kind: nlb, balance: BalanceRandom, before: []zoneSpec{zs("a", 1), zs("b", 1), zs("c", 1)},
		callers: 3, conns: 4, pins: []string{"a", "a", "a"}, recycle: true},
	{name: "3 callers all in a, x-zone on, rec.", kind: nlb, cross: true, balance: BalanceRandom, before: []zoneSpec{zs("a", 1), zs("b", 1), zs("c", 1)},
		callers: 3, conns: 4, pins: []string{"a", "a", "a"}, recycle: true},
	{name: "10 JVM callers, ALB least outstanding", kind: alb, cross: true, balance: BalanceLeastConn, before: []zoneSpec{zs("a", 1), zs("b", 1), zs("c", 1)},
		callers: 10, conns: 2, pins: repeat("?", 10)},
	{name: "30 callers, DNS per conn., 5 req/conn", kind: nlb, balance: BalanceRandom, before: []zoneSpec{zs("a", 2), zs("b", 1)},
		callers: 30, conns: 1, clientRequests: 5},
}

// popRun is one population's model answer and measurement.
type popRun struct {
	c          popCase
	seed       uint64
	after      model.Topology
	lab        *Lab
	dns        []string
	pinned     []string
	isNew      map[string]bool
	added      []*Pod
	beforePods map[string]bool
	warm, upAt time.Duration
	res        *measure.CallersResult
	pins       []string
	model      model.PopulationResult
	podMax     []float64 // measured max/mean per steady window
	measP95    float64
	measMean   float64
	fair       model.Delay
	failures   int
	requests   int
	chart      ShareChart
	bandOK     bool
	fairOK     bool
	resolution float64
}

// effectiveAge is how long a connection lasts under serve's recycling: it is
// closed after the first response once it is popRecycle old, and the next
// request, one pace later, opens the next.
func effectiveAge(recycle time.Duration, rate float64) time.Duration {
	pace := time.Duration(float64(time.Second) / rate)
	return (recycle + pace - 1).Truncate(pace) + pace
}

// TestClientPopulationsMatchModel runs every population through haproxy with
// real serve backends, a scale-out in the middle, and compares the measured
// p95 of per-window max/mean and the time until the new pods carry their
// share with the model's band for one run.
func TestClientPopulationsMatchModel(t *testing.T) {
	requireTool(t, "haproxy")
	t.Parallel()
	bin := backendBinary(t)
	started := time.Now()
	// Labs start one after the other (Start stops the test on a problem, so
	// it runs here); then every population's load runs at once, each in its
	// own lab, so the whole table costs about one run's time.
	runs := make([]*popRun, len(populationCases))
	for i, c := range populationCases {
		runs[i] = preparePopulation(t, bin, c, uint64(i+1))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Go(func() { errs[i] = r.run(ctx) })
	}
	wg.Wait()
	for i, r := range runs {
		if errs[i] != nil {
			t.Fatalf("%s: %v", r.c.name, errs[i])
		}
		r.analyze()
	}
	t.Logf("long-lived callers, model vs lab (%d populations, %s windows, %d steady + %d after a scale-out from 1 to 2 pods per zone; model: %d runs, band = where one run falls with %g%% probability), %s wall:\n%s",
		len(runs), popWindow, popSteady, popAfter, popRuns, 100*popCoverage, time.Since(started).Round(time.Second), populationTable(runs))

	// The comparison must be able to fail: a measurement held against the
	// band of the population it contrasts with falls outside. (Not the
	// other way round for recycling: a recycled run may, rarely, leave a new
	// pod short within the horizon, so its band reaches "never".)
	for _, x := range []struct{ meas, band int }{{0, 1}, {3, 2}} {
		m, b := runs[x.meas], runs[x.band]
		fairIn := delayIn(m.fair, b.model.ScaleOut.Low, b.model.ScaleOut.High)
		p95In := m.measP95 >= b.model.PodMaxOverMean.RunP95.Low-b.resolution && m.measP95 <= b.model.PodMaxOverMean.RunP95.High+b.resolution
		t.Logf("failing side: %q measured (p95 %.2f, fair %s) against %q's band (p95 %.2f-%.2f, fair %s-%s): p95 inside %v, fair inside %v",
			m.c.name, m.measP95, m.fair, b.c.name, b.model.PodMaxOverMean.RunP95.Low, b.model.PodMaxOverMean.RunP95.High,
			b.model.ScaleOut.Low, b.model.ScaleOut.High, p95In, fairIn)
		if p95In && fairIn {
			t.Errorf("%q's measurement also fits %q's model: the lab cannot tell the two apart", m.c.name, b.c.name)
		}
	}
	for _, r := range runs {
		if !r.bandOK || !r.fairOK || r.failures > 0 {
			t.Errorf("%s: p95 max/mean %.3f (band %.3f-%.3f, resolution %.3f), fair share %s (band %s-%s), %d failed requests",
				r.c.name, r.measP95, r.model.PodMaxOverMean.RunP95.Low, r.model.PodMaxOverMean.RunP95.High, r.resolution,
				r.fair, r.model.ScaleOut.Low, r.model.ScaleOut.High, r.failures)
		}
	}
	if dir := os.Getenv("EKSBALANCE_LAB_CHARTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, r := range runs {
			path := filepath.Join(dir, fmt.Sprintf("population-%d.svg", i+1))
			if err := r.chart.WriteFile(path); err != nil {
				t.Fatal(err)
			}
			t.Logf("chart: %s (%s)", path, r.c.name)
		}
	}
}

func delayIn(d, lo, hi model.Delay) bool {
	key := func(d model.Delay) float64 {
		if d.Never {
			return math.Inf(1)
		}
		return d.After.Seconds()
	}
	return key(d) >= key(lo) && key(d) <= key(hi)
}

func populationTable(runs []*popRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-38s %-9s %11s %6s %11s %8s %5s %s\n", "population", "model", "p95 band", "lab", "fair band", "lab", "ok", "requests")
	for _, r := range runs {
		s := r.model.PodMaxOverMean
		so := r.model.ScaleOut
		ok := "yes"
		if !r.bandOK || !r.fairOK || r.failures > 0 {
			ok = "NO"
		}
		fmt.Fprintf(&b, "%-38s %-9s %5.2f-%5.2f %6.2f %11s %8s %5s %d (%d failed)\n", clip(r.c.name, 38), r.model.Method,
			s.RunP95.Low, s.RunP95.High, r.measP95, so.Low.String()+"-"+so.High.String(), r.fair, ok, r.requests, r.failures)
		extra := ""
		if r.resolution > 0 {
			extra = fmt.Sprintf("; whole-request allowance +-%.2f", r.resolution)
		}
		fmt.Fprintf(&b, "%-38s %-9s mean max/mean model %.2f lab %.2f; fair share model median %s; callers' zones %s%s\n", "", "",
			s.Mean.Value, r.measMean, so.Median, strings.Join(r.pins, ""), extra)
	}
	return b.String()
}

// preparePopulation computes the model's answer, starts the lab with the
// scaled-out layout and stops the pods the scale-out will add.
func preparePopulation(t *testing.T, bin string, c popCase, seed uint64) *popRun {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	before := topo(c.kind, model.TargetTypeIP, c.cross, "", c.before...)
	after := before
	after.Zones = model.ScaleOutOnePerZone(before.Zones)
	r := &popRun{c: c, seed: seed, after: after}

	// The callers' zones: given, or drawn as DNS would for a cached answer.
	rng := rand.New(rand.NewPCG(seed, 77))
	for _, p := range c.pins {
		if p == "?" {
			p = before.Zones[rng.IntN(len(before.Zones))].Name
		}
		r.pins = append(r.pins, p)
	}
	rate := popConnRate * float64(c.conns)
	clients := &model.ClientPopulation{Callers: c.callers, ConnectionsPerCaller: c.conns, RequestsPerSecond: rate,
		RequestsPerConnection: c.clientRequests}
	if r.pins != nil {
		clients.DNS, clients.CallerZones = model.DNSProcess, r.pins
	} else {
		clients.DNS = model.DNSPerRequest
	}
	mt := before
	mt.Clients = clients
	backend := Backend{}
	if c.recycle {
		backend.MaxConnAge = popRecycle
		mt.Recycling.MaxConnAge = model.Duration(effectiveAge(popRecycle, popConnRate))
	}
	var err error
	r.model, err = model.SimulatePopulation(mt, model.PopulationOptions{
		Window: model.Duration(popWindow), Windows: popSteady, ScaleOut: after.Zones, AfterWindows: popAfter, Runs: popRuns, Seed: seed,
		Coverage: popCoverage,
	})
	if err != nil {
		t.Fatal(err)
	}

	lab := Start(t, bin, Spec{Name: "population " + c.name, Topology: after, Balance: c.balance, Backend: backend})
	r.lab = lab
	isNew := map[string]bool{}
	var added []*Pod
	beforePods := map[string]bool{}
	for _, z := range before.Zones {
		for _, n := range z.Nodes {
			for i := range n.Pods {
				beforePods[PodName(z.Name, n.Name, i)] = true
			}
		}
	}
	for _, p := range lab.Pods {
		if !beforePods[p.Name] {
			added = append(added, p)
			isNew[p.Name] = true
		}
	}
	if err := lab.StopPods(ctx, added, nil); err != nil {
		t.Fatal(err)
	}
	r.isNew, r.added, r.beforePods = isNew, added, beforePods
	// Resolve runs on the callers' goroutines: answer from a snapshot (the
	// zones in DNS do not change here) rather than lab.DNS, which may stop
	// the test.
	dns := lab.DNS()
	fronts := lab.Frontends()
	for _, z := range r.pins {
		r.pinned = append(r.pinned, fronts[z])
	}
	r.dns = dns
	return r
}

// run sends the population's load through the lab, starts the new pods in
// the middle and records when they are all up. It only returns errors: it
// runs beside the other populations, off the test's goroutine.
func (r *popRun) run(ctx context.Context) error {
	c := r.c
	rate := popConnRate * float64(c.conns)

	// Warm-up: one connection lifetime with the first requests spread over
	// it, so recycling ages are uniform when the windows start.
	warm := 500 * time.Millisecond
	if c.recycle {
		warm = effectiveAge(popRecycle, popConnRate)
	} else if c.clientRequests > 0 {
		warm = time.Duration(float64(c.clientRequests) / popConnRate * float64(time.Second))
	}
	scaleAt := warm + popSteady*popWindow
	const slack = 3 * time.Second // for the new pods to come up
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var runErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		r.res, runErr = measure.RunCallers(ctx, measure.Callers{
			Resolve: func() []string { return r.dns }, Callers: c.callers, Connections: c.conns, Rate: rate, Pinned: r.pinned,
			RequestsPerConnection: c.clientRequests, StartSpread: warm,
			Duration: scaleAt + slack + popAfter*popWindow, Timeout: 5 * time.Second, Seed: r.seed, Start: start,
		})
	})
	time.Sleep(time.Until(start.Add(scaleAt)))
	if err := r.lab.StartPods(ctx, r.added); err != nil {
		cancel()
		wg.Wait()
		return err
	}
	r.upAt = time.Since(start)
	wg.Wait()
	if runErr != nil {
		return runErr
	}
	if r.upAt > scaleAt+slack {
		return fmt.Errorf("the new pods took %v to come up, more than the %v slack", r.upAt-scaleAt, slack)
	}
	r.warm = warm
	return nil
}

// analyze turns the run's hits into the steady windows' max/mean, the time
// to fair share after the scale-out and the chart.
func (r *popRun) analyze() {
	c, res, lab, upAt, warm, isNew, added, beforePods := r.c, r.res, r.lab, r.upAt, r.warm, r.isNew, r.added, r.beforePods
	after := r.after
	r.failures, r.requests = len(res.Failures), res.Attempted

	// Steady windows: max/mean over the pods before the scale-out.
	var names []string
	for _, p := range lab.Pods {
		names = append(names, p.Name)
	}
	steady := res.Windows(warm, popWindow, popSteady)
	beforeNames := names[:0:0]
	for _, n := range names {
		if beforePods[n] {
			beforeNames = append(beforeNames, n)
		}
	}
	sum := 0.0
	minCount := math.MaxInt
	for _, w := range steady {
		total, hi := 0, 0
		for _, n := range beforeNames {
			total += w[n]
			hi = max(hi, w[n])
		}
		minCount = min(minCount, total)
		m := float64(hi) * float64(len(beforeNames)) / float64(max(total, 1))
		r.podMax = append(r.podMax, m)
		sum += m
	}
	r.measP95 = model.Quantile(r.podMax, 0.95)
	r.measMean = sum / float64(len(r.podMax))
	if r.model.Method == model.MethodExact {
		// The exact model counts fluid shares; a measured window holds M
		// whole requests, and how the balancer deals them out adds noise of
		// its own. Allow one binomial standard error of a pod's count in
		// max/mean terms, sqrt((P-1)/M) for the smallest window.
		r.resolution = math.Sqrt(float64(len(beforeNames)-1) / float64(max(minCount, 1)))
	}
	band := r.model.PodMaxOverMean.RunP95
	r.bandOK = r.measP95 >= band.Low-r.resolution && r.measP95 <= band.High+r.resolution

	// After the scale-out: the first window by whose end every new pod has
	// had at least 90% of its fair share in some window.
	fairShare := map[string]float64{}
	pred, _ := model.Predict(after)
	for _, p := range pred.Pods {
		fairShare[PodName(p.Zone, p.Node, p.Index)] = p.Share
	}
	reached := map[string]bool{}
	r.fair = model.Delay{Never: true}
	for k, w := range res.Windows(upAt, popWindow, popAfter) {
		total := 0
		for _, n := range names {
			total += w[n]
		}
		for _, p := range added {
			if total > 0 && float64(w[p.Name])/float64(total) >= (1-r.model.ScaleOut.Tolerance)*fairShare[p.Name] {
				reached[p.Name] = true
			}
		}
		if len(reached) == len(added) {
			r.fair = model.Delay{After: model.Duration(time.Duration(k+1) * popWindow)}
			break
		}
	}
	r.fairOK = delayIn(r.fair, r.model.ScaleOut.Low, r.model.ScaleOut.High)

	// The chart: every window of the run, from the end of the warm-up.
	total := int((res.Elapsed - warm) / popWindow)
	all := res.Windows(warm, popWindow, total)
	r.chart = ShareChart{Title: c.name + " (lab: haproxy + serve)", Window: popWindow, Pods: names, New: isNew, ScaleOutAt: float64(upAt-warm) / float64(popWindow)}
	for k, w := range all {
		tot := 0
		for _, n := range names {
			tot += w[n]
		}
		row := make([]float64, len(names))
		running := 0
		for i, n := range names {
			row[i] = math.NaN()
			if tot > 0 && (!isNew[n] || float64(k) >= r.chart.ScaleOutAt-1) {
				row[i] = float64(w[n]) / float64(tot)
				running++
			}
		}
		r.chart.Shares = append(r.chart.Shares, row)
		r.chart.Fair = append(r.chart.Fair, 1/float64(max(running, 1)))
		mv := math.NaN()
		if j := k - int(math.Ceil(r.chart.ScaleOutAt)); j >= 0 && j < len(r.model.ScaleOut.Curve) {
			mv = r.model.ScaleOut.Curve[j] / float64(len(names))
		}
		r.chart.Model = append(r.chart.Model, mv)
	}
}
