package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// runOut is what one simulated run contributes.
type runOut struct {
	podMax, zoneMax []float64 // per steady window (NaN: no traffic)
	fairAt          int       // window (1-based) after the scale-out; 0: never
	curve           []float64
}

// simulate fills res from Options.Runs seeded runs.
func (s *popSim) simulate(res *PopulationResult) {
	res.Method = MethodSimulated
	R := s.o.Runs
	Pb := len(s.before.pods)
	keepRuns := R
	if per := Pb * s.S; per > 0 && R*per > maxPooledShares {
		keepRuns = max(1, maxPooledShares/per)
	}
	var podPool, zonePool pool
	podShares := make([][]float64, Pb)
	for p := range podShares {
		podShares[p] = make([]float64, 0, keepRuns*s.S)
	}
	zoneShares := make([][]float64, len(s.t.Zones))
	fair := make([]int, 0, R)
	curve := make([]float64, s.H)
	ws := newWorkspace(s)
	for r := range R {
		rng := rand.New(rand.NewPCG(s.o.Seed, uint64(r)))
		var keep [][]float64
		var keepZones [][]float64
		if r < keepRuns {
			keep, keepZones = podShares, zoneShares
		}
		out := s.run(rng, ws, keep, keepZones)
		podPool.add(out.podMax, r)
		zonePool.add(out.zoneMax, r)
		fair = append(fair, out.fairAt)
		for i, x := range out.curve {
			curve[i] += x / float64(R)
		}
	}
	brng := rand.New(rand.NewPCG(s.o.Seed, 1<<40))
	lo, hi := s.band()
	res.PodMaxOverMean = podPool.stats(R, brng, lo, hi)
	res.ZoneMaxOverMean = zonePool.stats(R, brng, lo, hi)
	summary := func(xs []float64) (float64, float64, float64) {
		sum := 0.0
		for _, x := range xs {
			sum += x
		}
		slices.Sort(xs)
		return sum / float64(len(xs)), nearestRank(xs, 0.05), nearestRank(xs, 0.95)
	}
	res.Pods, res.Zones = s.shareStats(func(p int) (float64, float64, float64) { return summary(podShares[p]) },
		func(z int) (float64, float64, float64) { return summary(zoneShares[z]) })
	if s.scaled {
		never := s.H + 1
		ts := make([]float64, R)
		reached := 0
		for i, f := range fair {
			if f == 0 {
				ts[i] = float64(never)
			} else {
				ts[i] = float64(f)
				reached++
			}
		}
		delay := func(q float64) Delay {
			k := int(Quantile(ts, q))
			if k >= never {
				return Delay{Never: true}
			}
			return Delay{After: Duration(float64(k) * s.W * float64(time.Second))}
		}
		res.ScaleOut = &ScaleOutResult{
			NewPods: len(s.after.pods) - Pb, Tolerance: s.o.FairShareTolerance,
			Horizon: Duration(float64(s.H) * s.W * float64(time.Second)),
			Reached: float64(reached) / float64(R),
			Median:  delay(0.5), Low: delay(lo), High: delay(hi), Curve: curve,
		}
	}
}

// workspace is the per-run scratch memory, reused across runs.
type workspace struct {
	heap      []conn
	counts    [][]float64 // [window][after pod]
	zoneFluid [][]float64 // [window][zone], L7 only
	tables    [2][]aliasTable
	dnsZones  [2][]int
}

func newWorkspace(s *popSim) *workspace {
	ws := &workspace{counts: make([][]float64, s.S+s.H), heap: make([]conn, s.c.ConnectionsPerCaller)}
	for w := range ws.counts {
		ws.counts[w] = make([]float64, len(s.after.pods))
	}
	if s.bal == BalancingRequest {
		ws.zoneFluid = make([][]float64, s.S+s.H)
		for w := range ws.zoneFluid {
			ws.zoneFluid[w] = make([]float64, len(s.t.Zones))
		}
	}
	for phase, e := range []entry{s.before, s.after} {
		ws.tables[phase] = make([]aliasTable, len(e.cond))
		for zi, row := range e.cond {
			if row != nil {
				ws.tables[phase][zi] = newAliasTable(row)
			}
		}
		ws.dnsZones[phase] = e.dns
	}
	return ws
}

// conn is one slot of a caller's pool in a run: the connection it holds now
// and the phase of its pace, which carries over to the next connection.
type conn struct {
	zone, pod  int
	start, end float64
	phase      float64
}

// heapDown restores the min-heap order on end times below index i (a typed
// binary heap: container/heap's interface calls cost more than the rest of a
// reconnection).
func heapDown(h []conn, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].end < h[l].end {
			m = r
		}
		if h[i].end <= h[m].end {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// run simulates one run: every caller's connections from the warm-up to the
// last window, then the windows' statistics.
func (s *popSim) run(rng *rand.Rand, ws *workspace, podShares, zoneShares [][]float64) runOut {
	for w := range ws.counts {
		clear(ws.counts[w])
		if ws.zoneFluid != nil {
			clear(ws.zoneFluid[w])
		}
	}
	K := s.c.ConnectionsPerCaller
	rate := s.c.RequestsPerSecond / float64(K)
	pace := 1 / rate
	tScale := float64(s.S) * s.W
	tEnd := float64(s.S+s.H) * s.W
	t0 := -s.warmup()
	phase := func(t float64) int {
		if s.scaled && t >= tScale {
			return 1
		}
		return 0
	}
	ttl := s.c.DNSTTL.Seconds()
	// ticks counts the slot's requests in [a, b): it sends at phase +
	// k*pace whatever connection it holds, so counts add up exactly across
	// windows and reconnections.
	ticks := func(c *conn, a, b float64) float64 {
		return math.Ceil((b-c.phase)/pace) - math.Ceil((a-c.phase)/pace)
	}
	accumulate := func(c *conn, a, b float64) {
		a, b = max(a, 0), min(b, tEnd)
		for w := int(a / s.W); a < b && w < s.S+s.H; w++ {
			hi := min(b, float64(w+1)*s.W)
			x := ticks(c, a, hi)
			if s.bal == BalancingRequest {
				ws.zoneFluid[w][c.zone] += x
			} else {
				ws.counts[w][c.pod] += x
			}
			a = hi
		}
	}
	pickPod := func(zone int, t float64) int {
		if s.bal == BalancingRequest {
			return -1
		}
		ph := phase(t)
		p := ws.tables[ph][zone].pick(rng)
		if ph == 0 {
			return s.beforeIdx[p]
		}
		return p
	}
	h := ws.heap
	for caller := range s.c.Callers {
		zone, expires := -1, math.Inf(-1)
		if len(s.pinned) > 0 {
			zone = s.pinned[caller]
		}
		resolve := func(t float64) int {
			dns := ws.dnsZones[phase(t)]
			switch s.c.DNS {
			case DNSProcess:
				if zone < 0 {
					zone = dns[rng.IntN(len(dns))]
				}
				return zone
			case DNSTTL:
				if zone < 0 || t >= expires {
					zone = dns[rng.IntN(len(dns))]
					if math.IsInf(expires, -1) {
						expires = t + rng.Float64()*ttl // stationary phase
					} else {
						expires = t + ttl
					}
				}
				return zone
			}
			return dns[rng.IntN(len(dns))]
		}
		for i := range h {
			c := &h[i]
			c.phase = rng.Float64() * pace
			c.zone = resolve(t0)
			c.pod = pickPod(c.zone, t0)
			c.start = t0
			c.end = t0 + (1-rng.Float64())*s.life // stationary residual life; +Inf stays +Inf
		}
		for i := len(h)/2 - 1; i >= 0; i-- {
			heapDown(h, i)
		}
		for h[0].end < tEnd {
			c := &h[0]
			accumulate(c, c.start, c.end)
			c.start = c.end
			c.zone = resolve(c.start)
			c.pod = pickPod(c.zone, c.start)
			c.end = c.start + s.life
			heapDown(h, 0)
		}
		for i := range h {
			accumulate(&h[i], h[i].start, tEnd)
		}
	}
	if s.bal == BalancingRequest {
		for w := range ws.counts {
			ph := 0
			if w >= s.S {
				ph = 1
			}
			e := s.before
			if ph == 1 {
				e = s.after
			}
			for zi, x := range ws.zoneFluid[w] {
				if x == 0 {
					continue
				}
				for p, q := range e.cond[zi] {
					ap := p
					if ph == 0 {
						ap = s.beforeIdx[p]
					}
					ws.counts[w][ap] += x * q
				}
			}
			for p, x := range ws.counts[w] {
				ws.counts[w][p] = math.Floor(x + rng.Float64())
			}
		}
	}
	return s.stats(ws.counts, podShares, zoneShares)
}

// stats turns one run's per-window counts into its statistics, appending
// each steady window's pod and zone shares to podShares and zoneShares when
// they are given.
func (s *popSim) stats(counts [][]float64, podShares, zoneShares [][]float64) runOut {
	out := runOut{podMax: make([]float64, s.S), zoneMax: make([]float64, s.S)}
	before := make([]float64, len(s.before.pods))
	for w := range s.S {
		for p, ap := range s.beforeIdx {
			before[p] = counts[w][ap]
		}
		var zs []float64
		out.podMax[w], out.zoneMax[w], zs = maxOverMeans(before, s.before)
		if podShares == nil {
			continue
		}
		total := 0.0
		for _, x := range before {
			total += x
		}
		for p, x := range before {
			podShares[p] = append(podShares[p], x/max(total, 1))
		}
		for z, x := range zs {
			zoneShares[z] = append(zoneShares[z], x)
		}
	}
	if !s.scaled {
		return out
	}
	out.curve = make([]float64, s.H)
	reached := make([]bool, len(s.after.pods))
	left := 0
	for p := range s.isNew {
		if s.isNew[p] {
			left++
		}
	}
	for k := range s.H {
		row := counts[s.S+k]
		total := 0.0
		for _, x := range row {
			total += x
		}
		if total <= 0 {
			continue
		}
		_, out.curve[k] = s.newPodsFair(row)
		for p, x := range row {
			if s.isNew[p] && !reached[p] && x/total >= (1-s.o.FairShareTolerance)*s.after.share[p] {
				reached[p] = true
				left--
			}
		}
		if left == 0 && out.fairAt == 0 {
			out.fairAt = k + 1
		}
	}
	return out
}

// pool collects one statistic over every window of every run, labelled by
// run, for quantiles over all windows and bootstrap intervals over runs.
type pool struct {
	vals []float64
	runs []int32
}

func (p *pool) add(xs []float64, run int) {
	for _, x := range xs {
		if !math.IsNaN(x) {
			p.vals = append(p.vals, x)
			p.runs = append(p.runs, int32(run))
		}
	}
}

// stats are the pooled mean, p50 and p95 with percentile-bootstrap 95%
// intervals (resampling whole runs, since windows of one run are
// correlated), and the band of one run's own p95.
func (p *pool) stats(R int, rng *rand.Rand, lo, hi float64) WindowStats {
	if len(p.vals) == 0 {
		nan := Interval{math.NaN(), math.NaN(), math.NaN()}
		return WindowStats{Mean: nan, P50: nan, P95: nan, RunP95: Band{math.NaN(), math.NaN()}}
	}
	order := make([]int, len(p.vals))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmpFloat(p.vals[a], p.vals[b]) })
	sorted := make([]float64, len(order))
	runOf := make([]int32, len(order))
	for i, j := range order {
		sorted[i], runOf[i] = p.vals[j], p.runs[j]
	}
	n := make([]float64, R)
	sum := make([]float64, R)
	perRun := make([][]float64, R)
	for i, x := range sorted {
		r := runOf[i]
		n[r]++
		sum[r] += x
		perRun[r] = append(perRun[r], x) // already sorted
	}
	estimate := func(m []float64) (mean, p50, p95 float64) {
		tn, ts := 0.0, 0.0
		for r := range R {
			tn += m[r] * n[r]
			ts += m[r] * sum[r]
		}
		acc := 0.0
		p50, p95 = math.NaN(), math.NaN()
		for i, x := range sorted {
			acc += m[runOf[i]]
			if math.IsNaN(p50) && acc >= 0.5*tn*(1-1e-12) {
				p50 = x
			}
			if acc >= 0.95*tn*(1-1e-12) {
				p95 = x
				break
			}
		}
		return ts / tn, p50, p95
	}
	ones := make([]float64, R)
	for i := range ones {
		ones[i] = 1
	}
	mean, p50, p95 := estimate(ones)
	bm, b50, b95 := make([]float64, bootstrapResamples), make([]float64, bootstrapResamples), make([]float64, bootstrapResamples)
	m := make([]float64, R)
	for b := range bootstrapResamples {
		clear(m)
		for range R {
			m[rng.IntN(R)]++
		}
		bm[b], b50[b], b95[b] = estimate(m)
	}
	ci := func(v float64, bs []float64) Interval {
		return Interval{v, Quantile(bs, 0.025), Quantile(bs, 0.975)}
	}
	runP95 := make([]float64, 0, R)
	for _, xs := range perRun {
		if len(xs) > 0 {
			runP95 = append(runP95, Quantile(xs, 0.95))
		}
	}
	return WindowStats{
		Mean: ci(mean, bm), P50: ci(p50, b50), P95: ci(p95, b95),
		RunP95: Band{Quantile(runP95, lo), Quantile(runP95, hi)},
	}
}
