package model

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// PopulationOptions sets up SimulatePopulation: how time is cut into
// windows, the scale-out to follow, and the simulation's size. Zero fields
// take the defaults stated on each.
type PopulationOptions struct {
	// Window is the length of one measurement window: per-pod shares are
	// taken per window, as a dashboard or an autoscaler sees them. Default
	// 1m (the usual metrics resolution).
	Window Duration `json:"window"`
	// Windows is the number of steady-state windows per run over which the
	// max/mean statistics are taken. Default 60 (an hour of 1m windows).
	Windows int `json:"windows"`
	// ScaleOut, when set, is the layout after a scale-out: the same zones in
	// the same order, every node of the topology still there with at least its
	// pods, new pods and nodes added. It happens at the end of the steady
	// windows; the result then says how long the new pods take to reach their
	// fair share. Default none (see ScaleOutOnePerZone).
	ScaleOut []Zone `json:"scaleOut,omitempty"`
	// AfterWindows is how many windows are watched after the scale-out.
	// Default 30.
	AfterWindows int `json:"afterWindows,omitempty"`
	// FairShareTolerance is how close to its fair share (the exact model's
	// share in the scaled-out layout) a new pod must come: within 10% by
	// default, i.e. at least 90% of it in one window.
	FairShareTolerance float64 `json:"fairShareTolerance"`
	// Runs is the number of independent runs (each a fresh draw of the
	// callers' DNS answers and of the pods their connections land on).
	// Default 200. At least 2.
	Runs int `json:"runs"`
	// Coverage is the probability with which the ranges for one run
	// (WindowStats.RunP95, ScaleOutResult.Low and High) hold that run's
	// value: they are its (1-Coverage)/2 and (1+Coverage)/2 quantiles over
	// the runs. Default 0.95. A check of one measurement against many such
	// ranges wants more (and more runs to estimate the tails).
	Coverage float64 `json:"coverage"`
	// Seed seeds the runs (PCG, one stream per run), so a result repeats.
	Seed uint64 `json:"seed"`
}

// SetDefaults fills the zero fields with the defaults documented on each.
func (o *PopulationOptions) SetDefaults() {
	if o.Window == 0 {
		o.Window = Duration(time.Minute)
	}
	if o.Windows == 0 {
		o.Windows = 60
	}
	if o.ScaleOut != nil && o.AfterWindows == 0 {
		o.AfterWindows = 30
	}
	if o.FairShareTolerance == 0 {
		o.FairShareTolerance = 0.1
	}
	if o.Runs == 0 {
		o.Runs = 200
	}
	if o.Coverage == 0 {
		o.Coverage = 0.95
	}
}

// Method says how a PopulationResult was obtained.
type Method string

const (
	// MethodExact: computed, not sampled. Shares are the expected request
	// rates in each window (the fluid limit: a window of M requests adds a
	// counting error of about one request per pod, which is left out).
	MethodExact Method = "exact"
	// MethodSimulated: a seeded simulation; intervals are 95% bootstrap
	// confidence intervals over runs.
	MethodSimulated Method = "simulated"
)

// Interval is an estimate with its 95% confidence interval; Low = High =
// Value for an exact result.
type Interval struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// Band is a range a single run's statistic falls in with 95% probability
// (its 2.5th and 97.5th percentiles over runs): what one measurement is
// compared with.
type Band struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// WindowStats summarises max/mean (the busiest pod's or zone's share over
// the mean share) over every window of every run.
type WindowStats struct {
	// Mean, P50 and P95 are the mean, median and 95th percentile of max/mean
	// over all windows of all runs.
	Mean Interval `json:"mean"`
	P50  Interval `json:"p50"`
	P95  Interval `json:"p95"`
	// RunP95 is where one run's own 95th percentile over its Windows windows
	// (nearest rank, as Quantile computes it) falls with probability
	// PopulationOptions.Coverage.
	RunP95 Band `json:"runP95"`
}

// ShareStats is one pod's or zone's share over all windows of all runs.
type ShareStats struct {
	Zone  string `json:"zone"`
	Node  string `json:"node,omitempty"`
	Index int    `json:"index"`
	// Expected is the exact model's share (many independent callers).
	Expected float64 `json:"expected"`
	// Mean, P5 and P95 of the share per window.
	Mean float64 `json:"mean"`
	P5   float64 `json:"p5"`
	P95  float64 `json:"p95"`
}

// Delay is a time after the scale-out, or never (not within the horizon).
type Delay struct {
	Never bool     `json:"never,omitempty"`
	After Duration `json:"after,omitzero"`
}

func (d Delay) String() string {
	if d.Never {
		return "never"
	}
	return d.After.String()
}

// ScaleOutResult says how fast the pods added by a scale-out come to carry
// their share.
type ScaleOutResult struct {
	// NewPods is the number of pods added.
	NewPods int `json:"newPods"`
	// Tolerance is PopulationOptions.FairShareTolerance.
	Tolerance float64 `json:"tolerance"`
	// Horizon is how long after the scale-out was watched.
	Horizon Duration `json:"horizon"`
	// Reached is the fraction of runs in which every new pod reached its fair
	// share within the horizon.
	Reached float64 `json:"reached"`
	// Median is the median over runs of the time to fair share: the end of
	// the first window in which the last of the new pods to get there carried
	// at least (1 - Tolerance) of its fair share. Low and High bound one
	// run's time with 95% probability.
	Median Delay `json:"median"`
	Low    Delay `json:"low"`
	High   Delay `json:"high"`
	// Curve is, per window after the scale-out, the new pods' share over
	// their fair share, averaged over runs (1 = fair).
	Curve []float64 `json:"curve"`
}

// PopulationResult is SimulatePopulation's answer.
type PopulationResult struct {
	// Clients, Recycling and Options as used, after defaults.
	Clients   ClientPopulation  `json:"clients"`
	Recycling Recycling         `json:"recycling"`
	Options   PopulationOptions `json:"options"`
	// Balancing is connection (NLB) or request (ALB).
	Balancing Balancing `json:"balancing"`
	// Method is exact or simulated.
	Method Method `json:"method"`
	// ConnectionLifetime is how long a client connection lasts, the first of
	// the client's limits and the server's recycling (L4 only); zero when
	// connections last as long as the callers.
	ConnectionLifetime Duration `json:"connectionLifetime,omitzero"`
	// ExpectedMaxOverMean is the exact model's max/mean: the limit of many
	// independent callers.
	ExpectedMaxOverMean float64 `json:"expectedMaxOverMean"`
	// PodMaxOverMean and ZoneMaxOverMean are the steady-state windows'
	// max/mean over pods and over the zones that have pods.
	PodMaxOverMean  WindowStats `json:"podMaxOverMean"`
	ZoneMaxOverMean WindowStats `json:"zoneMaxOverMean"`
	// Pods and Zones are each pod's and zone's share per window.
	Pods  []ShareStats `json:"pods"`
	Zones []ShareStats `json:"zones"`
	// ScaleOut is set when Options.ScaleOut was.
	ScaleOut *ScaleOutResult `json:"scaleOut,omitempty"`
}

// Bounds on one population simulation.
const (
	// maxCompositions bounds the exact enumeration of callers over zones;
	// beyond it the result is simulated.
	maxCompositions = 200_000
	// maxPooledShares bounds the per-pod share samples kept for the P5/P95
	// of each pod: beyond it they come from the first runs only.
	maxPooledShares = 2_000_000
	// bootstrapResamples is the number of resamples behind each interval.
	bootstrapResamples = 200
)

// SimulatePopulation gives, for the topology's client population
// (DefaultPopulation when t.Clients is nil) and server recycling, the
// distribution of each pod's and each zone's share over time windows, and
// with Options.ScaleOut the time new pods take to reach their fair share.
//
// The model: each caller sends RequestsPerSecond, spread evenly over the
// ConnectionsPerCaller slots of its pool, each slot paced at a random phase
// that carries over when it reconnects (so a window's requests are whole and
// add up across reconnections; behind an ALB a window's requests are then
// shared out to pods as evenly as whole requests allow). A connection enters through the zone its caller's DNS answer
// points at (a uniform draw among the zones in DNS, as in Predict, kept as
// DNS says) and, behind an NLB, stays on the pod the load balancer drew for it
// (the flow hash: independent, with the entry zone's probabilities) until it
// ends; it then reopens at once, looks the name up if its cache has expired,
// and is balanced again. Behind an ALB every request is balanced on its own
// over the entry zone's targets. Connection phases are stationary (the run
// starts one lifetime before the first window).
//
// Exact where an exact answer exists (an ALB, whose shares are the expected
// ones for a given assignment of callers to zones: the zones do not matter
// with cross-zone on; given zones are one assignment; otherwise the callers'
// lookups are enumerated as a multinomial over the DNS zones), simulated
// otherwise, with 95% bootstrap intervals over runs.
func SimulatePopulation(t Topology, o PopulationOptions) (PopulationResult, error) {
	s, err := newPopSim(t, o)
	if err != nil {
		return PopulationResult{}, err
	}
	res := PopulationResult{
		Clients: s.c, Recycling: t.Recycling, Options: s.o, Balancing: s.bal,
		ExpectedMaxOverMean: s.expectedMaxOverMean,
	}
	if !math.IsInf(s.life, 1) {
		res.ConnectionLifetime = Duration(s.life * float64(time.Second))
	}
	if s.exactPossible() {
		s.exact(&res)
	} else {
		s.simulate(&res)
	}
	return res, nil
}

// ScaleOutOnePerZone is the layout after the scale-out the plan and predict
// assume: one more pod in every zone that has one, on its node with the
// fewest pods (the first such), as a zone spread constraint with maxSkew 1
// places an HPA's new replicas.
func ScaleOutOnePerZone(zones []Zone) []Zone {
	out := make([]Zone, len(zones))
	for i, z := range zones {
		out[i] = Zone{Name: z.Name, Nodes: slices.Clone(z.Nodes)}
		best, pods := -1, 0
		for j, n := range z.Nodes {
			pods += n.Pods
			if best < 0 || n.Pods < z.Nodes[best].Pods {
				best = j
			}
		}
		if pods > 0 {
			out[i].Nodes[best].Pods++
		}
	}
	return out
}

// popSim is one SimulatePopulation call's fixed inputs.
type popSim struct {
	t                   Topology
	c                   ClientPopulation
	o                   PopulationOptions
	bal                 Balancing
	before, after       entry
	beforeIdx           []int  // before pod -> after pod
	isNew               []bool // after pods added by the scale-out
	pinned              []int  // caller -> zone index, with CallerZones
	life                float64
	W                   float64
	S, H                int
	expectedMaxOverMean float64
	scaled              bool
}

func newPopSim(t Topology, o PopulationOptions) (*popSim, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	c := DefaultPopulation()
	if t.Clients != nil {
		c = *t.Clients
		c.SetDefaults()
	}
	o.SetDefaults()
	s := &popSim{t: t, c: c, o: o, bal: t.balancing(), W: o.Window.Seconds(), S: o.Windows, H: o.AfterWindows, scaled: o.ScaleOut != nil}
	v := validation.New("population simulation")
	if o.Window <= 0 {
		v.Add("window", o.Window, "must be positive")
	}
	if o.Windows < 1 || o.Windows > 10_000 {
		v.Add("windows", o.Windows, "must be between 1 and 10000")
	}
	if s.scaled && (o.AfterWindows < 1 || o.AfterWindows > 10_000) {
		v.Add("afterWindows", o.AfterWindows, "must be between 1 and 10000")
	}
	if !s.scaled && o.AfterWindows != 0 {
		v.Add("afterWindows", o.AfterWindows, "applies only with a scaleOut layout")
	}
	if !(o.FairShareTolerance > 0 && o.FairShareTolerance < 1) {
		v.Add("fairShareTolerance", o.FairShareTolerance, "must be above 0 and below 1")
	}
	if o.Runs < 2 || o.Runs > 100_000 {
		v.Add("runs", o.Runs, "must be between 2 and 100000")
	}
	if !(o.Coverage > 0 && o.Coverage < 1) {
		v.Add("coverage", o.Coverage, "must be above 0 and below 1")
	}
	var err error
	if s.before, err = newEntry(t); err != nil {
		return nil, err
	}
	pred, _ := Predict(t)
	s.expectedMaxOverMean = pred.MaxOverMean
	s.after = s.before
	if s.scaled {
		s.checkScaleOut(v)
	} else {
		s.beforeIdx = make([]int, len(s.before.pods))
		for i := range s.beforeIdx {
			s.beforeIdx[i] = i
		}
		s.isNew = make([]bool, len(s.before.pods))
	}
	if len(c.CallerZones) > 0 {
		for i, name := range c.CallerZones {
			for zi, z := range t.Zones {
				if z.Name == name {
					if s.before.cond[zi] == nil {
						v.Add(fmt.Sprintf("clients.callerZones[%d]", i), quote(name), "has no eligible target, so DNS never answers with it (cross-zone off)")
					}
					s.pinned = append(s.pinned, zi)
				}
			}
		}
	}
	s.life = connectionLifetime(c, t.Recycling, s.bal)
	if len(v.Problems) == 0 && !s.exactPossible() {
		conns := float64(c.Callers * c.ConnectionsPerCaller)
		span := float64(s.S+s.H) * s.W
		perConn := 2 + float64(s.S+s.H)
		if !math.IsInf(s.life, 1) {
			perConn += (span + s.warmup()) / s.life * 2
		}
		work := float64(o.Runs) * conns * perConn
		if s.bal == BalancingRequest {
			work += float64(o.Runs) * float64(s.S+s.H) * float64(len(s.after.pods)*len(t.Zones))
		}
		if work > MaxSimDecisions {
			v.Add("runs", o.Runs, "runs x connections x (reconnections + windows) is about %.3g, above the bound %d; lower the runs, the windows, the connections, or lengthen the connection lifetime", work, MaxSimDecisions)
		}
		if cells := float64(s.S+s.H) * float64(len(s.after.pods)); cells > 1e7 {
			v.Add("windows", s.S+s.H, "windows x pods is %.3g, above 1e7", cells)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// checkScaleOut validates the scaled-out layout against the topology and
// maps the pods of the one onto the other.
func (s *popSim) checkScaleOut(v *validation.Errors) {
	at := s.t
	at.Zones = s.o.ScaleOut
	if len(at.Zones) != len(s.t.Zones) {
		v.Add("scaleOut", fmt.Sprintf("%d zones", len(at.Zones)), "must list the topology's %d zones, in order", len(s.t.Zones))
		return
	}
	for zi, z := range s.t.Zones {
		if at.Zones[zi].Name != z.Name {
			v.Add(fmt.Sprintf("scaleOut[%d].name", zi), quote(at.Zones[zi].Name), "must be %q, the topology's zone at that place", z.Name)
			continue
		}
		for ni, n := range z.Nodes {
			if ni >= len(at.Zones[zi].Nodes) || at.Zones[zi].Nodes[ni].Name != n.Name {
				v.Add(fmt.Sprintf("scaleOut[%d].nodes[%d]", zi, ni), quote(n.Name), "must keep the topology's node at that place (new nodes go after it)")
			} else if at.Zones[zi].Nodes[ni].Pods < n.Pods {
				v.Add(fmt.Sprintf("scaleOut[%d].nodes[%d].pods", zi, ni), at.Zones[zi].Nodes[ni].Pods, "must be at least the topology's %d: a scale-out only adds pods", n.Pods)
			}
		}
	}
	if len(v.Problems) > 0 {
		return
	}
	after, err := newEntry(at)
	if err != nil {
		v.Merge("scaleOut", err)
		return
	}
	if len(after.pods) == len(s.before.pods) {
		v.Add("scaleOut", fmt.Sprintf("%d pods", len(after.pods)), "must add at least one pod")
		return
	}
	s.after = after
	s.isNew = make([]bool, len(after.pods))
	s.beforeIdx = make([]int, 0, len(s.before.pods))
	j := 0
	for ai, p := range after.pods {
		if j < len(s.before.pods) {
			b := s.before.pods[j]
			if b.zone == p.zone && b.node == p.node && b.index == p.index {
				s.beforeIdx = append(s.beforeIdx, ai)
				j++
				continue
			}
		}
		s.isNew[ai] = true
	}
}

// exactPossible reports whether the answer can be computed rather than
// sampled: an ALB (every request balanced on its own) whose callers' zones
// either do not matter, are given, or are fixed for their life (process).
func (s *popSim) exactPossible() bool {
	if s.bal != BalancingRequest {
		return false
	}
	switch {
	case s.before.uniform && s.after.uniform, len(s.pinned) > 0:
		return true
	case s.c.DNS == DNSProcess:
		return compositions(s.c.Callers, len(s.before.dns)) <= maxCompositions
	}
	return false
}

// warmup is how long before the first window a run starts, so that
// connection ages and DNS caches are stationary when the windows begin.
func (s *popSim) warmup() float64 {
	w := 0.0
	if !math.IsInf(s.life, 1) {
		w = s.life
	}
	if s.c.DNS == DNSTTL {
		w = max(w, s.c.DNSTTL.Seconds())
	}
	return w
}

// compositions is the number of ways n callers fall into k zones, C(n+k-1, k-1),
// saturating above maxCompositions.
func compositions(n, k int) int {
	c := 1.0
	for i := 1; i < k; i++ {
		c = c * float64(n+i) / float64(i)
		if c > maxCompositions {
			return maxCompositions + 1
		}
	}
	return int(math.Round(c))
}

// exact fills res by enumerating the assignments of callers to DNS zones.
func (s *popSim) exact(res *PopulationResult) {
	res.Method = MethodExact
	D := len(s.before.dns)
	N := s.c.Callers
	type comp struct {
		n []int // callers per DNS zone (index into before.dns)
		w float64
	}
	var comps []comp
	switch {
	case len(s.pinned) > 0:
		n := make([]int, D)
		for _, zi := range s.pinned {
			n[s.before.dnsAt(zi)]++
		}
		comps = []comp{{n, 1}}
	case s.before.uniform && s.after.uniform:
		n := make([]int, D)
		n[0] = N
		comps = []comp{{n, 1}}
	default:
		lgN, _ := math.Lgamma(float64(N + 1))
		cur := make([]int, D)
		var walk func(i, left int)
		walk = func(i, left int) {
			if i == D-1 {
				cur[i] = left
				lw := lgN - float64(N)*math.Log(float64(D))
				for _, k := range cur {
					lg, _ := math.Lgamma(float64(k + 1))
					lw -= lg
				}
				comps = append(comps, comp{slices.Clone(cur), math.Exp(lw)})
				return
			}
			for k := left; k >= 0; k-- {
				cur[i] = k
				walk(i+1, left-k)
			}
		}
		walk(0, N)
	}
	Pb := len(s.before.pods)
	podVals := make([][]float64, Pb)
	zoneVals := make([][]float64, len(s.t.Zones))
	var podMax, zoneMax, weights []float64
	reachedW := 0.0
	curveVal := 0.0
	shares := make([]float64, Pb)
	for _, cp := range comps {
		for p := range shares {
			shares[p] = 0
		}
		for di, k := range cp.n {
			if k == 0 {
				continue
			}
			row := s.before.cond[s.before.dns[di]]
			f := float64(k) / float64(N)
			for p := range shares {
				shares[p] += f * row[p]
			}
		}
		pm, zm, zs := maxOverMeans(shares, s.before)
		podMax = append(podMax, pm)
		zoneMax = append(zoneMax, zm)
		weights = append(weights, cp.w)
		for p, x := range shares {
			podVals[p] = append(podVals[p], x)
		}
		for z, x := range zs {
			zoneVals[z] = append(zoneVals[z], x)
		}
		if s.scaled {
			after := make([]float64, len(s.after.pods))
			for di, k := range cp.n {
				row := s.after.cond[s.before.dns[di]]
				for p := range after {
					after[p] += float64(k) / float64(N) * row[p]
				}
			}
			all, ratio := s.newPodsFair(after)
			if all {
				reachedW += cp.w
			}
			curveVal += cp.w * ratio
		}
	}
	lo, hi := s.band()
	res.PodMaxOverMean = exactStats(podMax, weights, lo, hi)
	res.ZoneMaxOverMean = exactStats(zoneMax, weights, lo, hi)
	res.Pods, res.Zones = s.shareStats(func(p int) (float64, float64, float64) {
		return weightedMean(podVals[p], weights), weightedQuantile(podVals[p], weights, 0.05), weightedQuantile(podVals[p], weights, 0.95)
	}, func(z int) (float64, float64, float64) {
		return weightedMean(zoneVals[z], weights), weightedQuantile(zoneVals[z], weights, 0.05), weightedQuantile(zoneVals[z], weights, 0.95)
	})
	if s.scaled {
		first := Delay{After: Duration(s.W * float64(time.Second))}
		at := func(q float64) Delay {
			// One window when reached, never otherwise: the q-quantile of
			// that two-point law.
			if reachedW >= q*(1-1e-12) {
				return first
			}
			return Delay{Never: true}
		}
		curve := make([]float64, s.H)
		for i := range curve {
			curve[i] = curveVal
		}
		res.ScaleOut = &ScaleOutResult{
			NewPods: len(s.after.pods) - Pb, Tolerance: s.o.FairShareTolerance,
			Horizon: Duration(float64(s.H) * s.W * float64(time.Second)),
			Reached: reachedW, Median: at(0.5), Low: at(lo), High: at(hi), Curve: curve,
		}
	}
}

// maxOverMeans returns the pods' max/mean, the zones' max/mean (over zones
// with pods) and each zone's share, for shares over e's pods summing to 1
// (or to the window's total, which cancels).
func maxOverMeans(shares []float64, e entry) (pod, zone float64, zones []float64) {
	zones = make([]float64, len(e.zonePods))
	total, hi := 0.0, 0.0
	for p, x := range shares {
		total += x
		hi = max(hi, x)
		zones[e.pods[p].zone] += x
	}
	if total <= 0 {
		return math.NaN(), math.NaN(), zones
	}
	withPods, zhi := 0, 0.0
	for z, x := range zones {
		zones[z] = x / total
		if e.zonePods[z] > 0 {
			withPods++
			zhi = max(zhi, zones[z])
		}
	}
	return hi / total * float64(len(shares)), zhi * float64(withPods), zones
}

// newPodsFair says, for the shares of every pod after the scale-out, whether
// every new pod carries at least (1 - tolerance) of its fair share, and the
// new pods' share over their fair share together.
func (s *popSim) newPodsFair(shares []float64) (all bool, ratio float64) {
	total := 0.0
	for _, x := range shares {
		total += x
	}
	if total <= 0 {
		return false, 0
	}
	all = true
	got, fair := 0.0, 0.0
	for p, x := range shares {
		if !s.isNew[p] {
			continue
		}
		got += x / total
		fair += s.after.share[p]
		if x/total < (1-s.o.FairShareTolerance)*s.after.share[p] {
			all = false
		}
	}
	return all, got / fair
}

// shareStats builds the per-pod and per-zone listings from summaries.
func (s *popSim) shareStats(pod, zone func(int) (mean, p5, p95 float64)) ([]ShareStats, []ShareStats) {
	pods := make([]ShareStats, len(s.before.pods))
	zoneExp := make([]float64, len(s.t.Zones))
	for i, p := range s.before.pods {
		m, lo, hi := pod(i)
		z := s.t.Zones[p.zone]
		pods[i] = ShareStats{Zone: z.Name, Node: z.Nodes[p.node].Name, Index: p.index, Expected: s.before.share[i], Mean: m, P5: lo, P95: hi}
		zoneExp[p.zone] += s.before.share[i]
	}
	var zones []ShareStats
	for zi, z := range s.t.Zones {
		if s.before.zonePods[zi] == 0 {
			continue
		}
		m, lo, hi := zone(zi)
		zones = append(zones, ShareStats{Zone: z.Name, Index: zi, Expected: zoneExp[zi], Mean: m, P5: lo, P95: hi})
	}
	return pods, zones
}

// band is the pair of quantiles the ranges for one run are taken at.
func (s *popSim) band() (lo, hi float64) {
	return (1 - s.o.Coverage) / 2, (1 + s.o.Coverage) / 2
}

func exactStats(vals, w []float64, lo, hi float64) WindowStats {
	pt := func(x float64) Interval { return Interval{x, x, x} }
	return WindowStats{
		Mean:   pt(weightedMean(vals, w)),
		P50:    pt(weightedQuantile(vals, w, 0.5)),
		P95:    pt(weightedQuantile(vals, w, 0.95)),
		RunP95: Band{weightedQuantile(vals, w, lo), weightedQuantile(vals, w, hi)},
	}
}

func weightedMean(vals, w []float64) float64 {
	sum, tw := 0.0, 0.0
	for i, x := range vals {
		sum += w[i] * x
		tw += w[i]
	}
	return sum / tw
}

// weightedQuantile is the smallest value whose cumulative weight reaches q of
// the total (the nearest-rank quantile, weighted).
func weightedQuantile(vals, w []float64, q float64) float64 {
	idx := make([]int, len(vals))
	tw := 0.0
	for i := range idx {
		idx[i] = i
		tw += w[i]
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpFloat(vals[a], vals[b]) })
	acc := 0.0
	for _, i := range idx {
		acc += w[i]
		if acc >= q*tw*(1-1e-12) {
			return vals[i]
		}
	}
	return vals[idx[len(idx)-1]]
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Quantile is the nearest-rank q-quantile of xs (NaNs ignored): the value at
// rank ceil(q*n) in sorted order. It is how a run's (and the lab's) p50 and
// p95 over windows are taken.
func Quantile(xs []float64, q float64) float64 {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return math.NaN()
	}
	slices.Sort(s)
	return nearestRank(s, q)
}

// nearestRank is the q-quantile of sorted xs (not empty).
func nearestRank(xs []float64, q float64) float64 {
	k := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[min(max(k, 0), len(xs)-1)]
}
