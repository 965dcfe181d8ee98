package model

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// NamedPopulation is one load-balancer setting's SimulatePopulation result.
type NamedPopulation struct {
	// Name is a short stable identifier, e.g. "toolkit-default".
	Name string `json:"name"`
	// Label is the table's row label.
	Label string `json:"label"`
	// Topology is the layout with the setting applied.
	Topology Topology `json:"topology"`
	// Result is SimulatePopulation's answer.
	Result PopulationResult `json:"result"`
}

// PopulationContrast runs SimulatePopulation for the topology as given and
// for the toolkit's default and the usual alternatives on the same layout
// and callers: an NLB with ip targets, cross-zone on and the toolkit's
// connection recycling (toolkitAge, the workload's DefaultNLBMaxConnAge);
// the same with cross-zone off; the same without recycling; an ALB with ip
// targets (least outstanding requests, every request balanced). With
// o.ScaleOut nil, the scale-out is ScaleOutOnePerZone. cache, when not nil,
// shares rows between calls (the variants do not depend on the given
// topology's front, so workloads with the same layout and callers share them).
func PopulationContrast(t Topology, toolkitAge Duration, o PopulationOptions, cache *PopulationCache) ([]NamedPopulation, error) {
	if o.ScaleOut == nil {
		o.ScaleOut = ScaleOutOnePerZone(t.Zones)
	}
	nlb := func(cross bool, age Duration) Topology {
		v := Topology{LoadBalancer: LoadBalancer{Kind: KindNLB, TargetType: TargetTypeIP, CrossZone: cross},
			Zones: t.Zones, Clients: t.Clients, Recycling: Recycling{MaxConnAge: age}}
		return v
	}
	alb := Topology{LoadBalancer: LoadBalancer{Kind: KindALB, TargetType: TargetTypeIP, CrossZone: true}, Zones: t.Zones, Clients: t.Clients}
	set := []NamedPopulation{
		{Name: "as-given", Label: "as planned", Topology: t},
		{Name: "toolkit-default", Label: "toolkit default", Topology: nlb(true, toolkitAge)},
		{Name: "crosszone-off", Label: "cross-zone off", Topology: nlb(false, toolkitAge)},
		{Name: "nlb-no-recycling", Label: "NLB, no recycling", Topology: nlb(true, 0)},
		{Name: "alb-least-outstanding", Label: "ALB, least outst.", Topology: alb},
	}
	// The rows are independent: run them side by side. A variant with the
	// given topology's settings (the usual case in a plan) reuses its row.
	same := func(a, b Topology) bool {
		return a.LoadBalancer == b.LoadBalancer && a.EffectivePolicy() == b.EffectivePolicy() && a.Recycling == b.Recycling
	}
	errs := make([]error, len(set))
	var wg sync.WaitGroup
	for i := range set {
		if i > 0 && same(set[0].Topology, set[i].Topology) {
			continue
		}
		wg.Go(func() {
			res, err := cache.Simulate(set[i].Topology, o)
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", set[i].Name, err)
			}
			set[i].Result = res
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i := 1; i < len(set); i++ {
		if same(set[0].Topology, set[i].Topology) {
			set[i].Result = set[0].Result
		}
	}
	return set, nil
}

// PopulationCache remembers SimulatePopulation results by their inputs. The
// zero value is ready; a nil cache computes every time. Safe for concurrent
// use; results are shared, so callers must not modify them.
type PopulationCache struct {
	mu sync.Mutex
	m  map[string]*cached
}

type cached struct {
	once sync.Once
	res  PopulationResult
	err  error
}

// Simulate is SimulatePopulation, once per distinct input.
func (c *PopulationCache) Simulate(t Topology, o PopulationOptions) (PopulationResult, error) {
	if c == nil {
		return SimulatePopulation(t, o)
	}
	key, err := json.Marshal(struct {
		T Topology
		O PopulationOptions
	}{t, o})
	if err != nil {
		return SimulatePopulation(t, o)
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*cached{}
	}
	e, ok := c.m[string(key)]
	if !ok {
		e = &cached{}
		c.m[string(key)] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.res, e.err = SimulatePopulation(t, o) })
	return e.res, e.err
}

// Setting says in one line what a topology's load balancer and recycling
// are, e.g. "nlb, ip targets, cross-zone on, recycle 5m".
func Setting(t Topology) string {
	s := Describe(t)
	if t.LoadBalancer.Kind == KindALB {
		return s + ", least outstanding requests (every request balanced)"
	}
	return s + ", " + t.Recycling.String()
}

// WritePopulation writes the set as a table of at most 80 columns: per row,
// the pods' max/mean per window (mean, median, 95th percentile with its 95%
// confidence interval), the zones' 95th percentile, and the time until the
// pods added by a scale-out carry their fair share (median over runs and the
// range that holds Coverage of runs); then what each row is.
func WritePopulation(w io.Writer, set []NamedPopulation) error {
	if len(set) == 0 {
		return nil
	}
	bw := bufio.NewWriter(w)
	first := set[0].Result
	o := first.Options
	head := fmt.Sprintf("Callers: %s. Shares per %s window over %d windows", first.Clients.Describe(), o.Window, o.Windows)
	if first.ScaleOut != nil {
		head += fmt.Sprintf("; then a scale-out adds %d pod(s), watched for %s", first.ScaleOut.NewPods, first.ScaleOut.Horizon)
	}
	wrap(bw, head+".", 0)
	methods := map[Method]bool{}
	for _, np := range set {
		methods[np.Result.Method] = true
	}
	if methods[MethodSimulated] {
		fmt.Fprintf(bw, "Simulated rows: %d runs, seed %d, 95%% bootstrap CI.", o.Runs, o.Seed)
		if methods[MethodExact] {
			fmt.Fprint(bw, " Exact rows: computed.")
		}
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "%-18s %-31s %5s  %s\n", "", "pods: max/mean per window", "zones", "new pods at fair share")
	fmt.Fprintf(bw, "%-18s %5s %5s %5s %-13s %5s  %-7s %s\n", "LOAD BALANCER", "mean", "p50", "p95", " (95% CI)", "p95", "median",
		fmt.Sprintf("(%g%% of runs)", 100*o.Coverage))
	for _, np := range set {
		r := np.Result
		s := r.PodMaxOverMean
		ci := "exact"
		if r.Method == MethodSimulated {
			ci = fmt.Sprintf("%.2f-%.2f", s.P95.Low, s.P95.High)
		}
		fair, band := "-", ""
		if r.ScaleOut != nil {
			fair = r.ScaleOut.Median.String()
			band = r.ScaleOut.Low.String() + "-" + r.ScaleOut.High.String()
			if r.ScaleOut.Low == r.ScaleOut.High {
				band = "(every run)"
			}
		}
		fmt.Fprintf(bw, "%s\n", strings.TrimRight(fmt.Sprintf("%-18s %5.2f %5.2f %5.2f  %-12s %5.2f  %-7s %s", clip(np.Label, 18),
			s.Mean.Value, s.P50.Value, s.P95.Value, ci, r.ZoneMaxOverMean.P95.Value, fair, band), " "))
	}
	for _, np := range set {
		wrap(bw, "  "+np.Label+": "+Setting(np.Topology), 4)
	}
	wrap(bw, fmt.Sprintf("  many independent callers (the exact shares above): max/mean %.3f", first.ExpectedMaxOverMean), 4)
	return bw.Flush()
}

// WriteZoneLost writes every pod's share with each zone out beside its share
// normally, with the load relative to normal, then per lost zone the
// survivors' max/mean and the busiest survivor over the mean before. As many
// zones go in one table as fit in 80 columns.
func WriteZoneLost(w io.Writer, before Prediction, rows []ZoneLoss) error {
	bw := bufio.NewWriter(w)
	type key struct {
		zone, node string
		index      int
	}
	zw, nw, cw := len("ZONE"), len("NODE"), len("33.3% 1.50x")
	for _, p := range before.Pods {
		zw = max(zw, min(len(p.Zone), 16))
		nw = max(nw, min(len(p.Node), 20))
	}
	for _, r := range rows {
		cw = max(cw, min(len(r.Zone), 16))
	}
	lead := max(zw+1+nw+1+3+1+6, len("busiest vs mean before"))
	per := max(1, (TextWidth-lead)/(cw+2))
	var b strings.Builder
	flush := func() {
		fmt.Fprintln(bw, strings.TrimRight(b.String(), " "))
		b.Reset()
	}
	fmt.Fprintln(bw, "One zone out (shifted away or down): each pod's share with the zone heading")
	fmt.Fprintln(bw, "the column out, and its load relative to normal:")
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		after := make([]map[key][2]float64, len(chunk))
		for i, r := range chunk {
			after[i] = map[key][2]float64{}
			for j, p := range r.Prediction.Pods {
				after[i][key{p.Zone, p.Node, p.Index}] = [2]float64{p.Share, r.Load[j]}
			}
		}
		fmt.Fprintf(&b, "%-*s %-*s %3s %6s", zw, "ZONE", nw, "NODE", "POD", "normal")
		fmt.Fprintf(&b, "%*s", lead-(zw+1+nw+1+3+1+6), "")
		for _, r := range chunk {
			fmt.Fprintf(&b, "  %-*s", cw, clipTail(r.Zone, 16))
		}
		flush()
		for _, p := range before.Pods {
			fmt.Fprintf(&b, "%-*s %-*s %3d %6s", zw, clipTail(p.Zone, 16), nw, clipTail(p.Node, 20), p.Index, shortPercent(p.Share))
			fmt.Fprintf(&b, "%*s", lead-(zw+1+nw+1+3+1+6), "")
			for i := range chunk {
				if v, ok := after[i][key{p.Zone, p.Node, p.Index}]; ok {
					fmt.Fprintf(&b, "  %-*s", cw, fmt.Sprintf("%5s %4.2fx", shortPercent(v[0]), v[1]))
				} else {
					fmt.Fprintf(&b, "  %-*s", cw, "-")
				}
			}
			flush()
		}
		line := func(label string, f func(ZoneLoss) string) {
			fmt.Fprintf(&b, "%-*s", lead, label)
			for _, r := range chunk {
				v := "no pod left"
				if r.Survivors > 0 {
					v = f(r)
				}
				fmt.Fprintf(&b, "  %-*s", cw, v)
			}
			flush()
		}
		line("survivors' max/mean", func(r ZoneLoss) string { return fmt.Sprintf("%.3f", r.Prediction.MaxOverMean) })
		line("load vs normal", func(r ZoneLoss) string {
			if fmt.Sprintf("%.2f", r.MinLoad) == fmt.Sprintf("%.2f", r.MaxLoad) {
				return fmt.Sprintf("%.2fx", r.MaxLoad)
			}
			return fmt.Sprintf("%.2f-%.2fx", r.MinLoad, r.MaxLoad)
		})
		line("busiest vs mean before", func(r ZoneLoss) string { return fmt.Sprintf("%.2fx", r.PeakOverMean) })
	}
	return bw.Flush()
}

// clipTail shortens s to at most n bytes keeping its end, which is what
// tells zones (us-east-1a, us-east-1b) and numbered nodes apart.
func clipTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "~" + s[len(s)-n+1:]
}

// wrap writes text in lines of at most TextWidth columns, continuation lines
// indented by indent spaces.
func wrap(w io.Writer, text string, indent int) {
	lead := text[:len(text)-len(strings.TrimLeft(text, " "))]
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > TextWidth {
			fmt.Fprintln(w, line)
			line = strings.Repeat(" ", indent) + word
			continue
		}
		if line == "" {
			line = lead + word
		} else {
			line += " " + word
		}
	}
	if line != "" {
		fmt.Fprintln(w, line)
	}
}
