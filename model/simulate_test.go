package model

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/eksbalance/eksbalance/internal/validation"
)

func mustPredict(t testing.TB, tp Topology) Prediction {
	t.Helper()
	p, err := Predict(tp)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustSimulate(t *testing.T, p Prediction, cfg SimConfig) SimResult {
	t.Helper()
	res, err := Simulate(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// evenTen is ten pods with exactly even shares: all imbalance in a
// simulation over it comes from connections, not from the layout.
func evenTen(t testing.TB) Prediction {
	return mustPredict(t, topo(TargetTypeIP, true, "", zs("a", 2, 2), zs("b", 2, 2), zs("c", 2)))
}

func TestSimulateRecyclingAndL7LowerMaxOverMean(t *testing.T) {
	t.Parallel()
	pred := evenTen(t)
	for _, dist := range []Distribution{DistributionFixed, DistributionExponential, DistributionPareto, DistributionLognormal} {
		t.Run(string(dist), func(t *testing.T) {
			t.Parallel()
			base := SimConfig{Connections: 40, Distribution: dist, MeanRequests: 500, Repetitions: 40, Seed: 7}
			pinned := mustSimulate(t, pred, base)
			recycled := base
			recycled.MaxRequestsPerConnection = 25
			rec := mustSimulate(t, pred, recycled)
			l7 := base
			l7.Balancing = BalancingRequest
			req := mustSimulate(t, pred, l7)

			// Non-overlapping 95% intervals, not just ordered means.
			if !(rec.MaxOverMean.High < pinned.MaxOverMean.Low) {
				t.Errorf("recycling: max/mean %+v, pinned %+v; want recycled clearly lower", rec.MaxOverMean, pinned.MaxOverMean)
			}
			if !(req.MaxOverMean.High < rec.MaxOverMean.Low) {
				t.Errorf("L7: max/mean %+v, recycled %+v; want L7 clearly lower", req.MaxOverMean, rec.MaxOverMean)
			}
			if req.MaxOverMean.Mean < 1 || req.MaxOverMean.Mean > 1.2 {
				t.Errorf("L7 over even shares: max/mean %v, want close to 1", req.MaxOverMean.Mean)
			}
			if pinned.MinOverMean.Mean >= rec.MinOverMean.Mean {
				t.Errorf("recycling should raise min/mean: %v vs %v", rec.MinOverMean.Mean, pinned.MinOverMean.Mean)
			}
			// Recycling opens more connections; L7 decides once per request.
			if rec.Decisions.Mean <= float64(base.Connections) || pinned.Decisions.Mean != float64(base.Connections) {
				t.Errorf("decisions: pinned %v, recycled %v", pinned.Decisions.Mean, rec.Decisions.Mean)
			}
			if req.Decisions.Mean != req.Requests.Mean {
				t.Errorf("L7 decisions %v != requests %v", req.Decisions.Mean, req.Requests.Mean)
			}
		})
	}
}

func TestSimulateSeedRepeats(t *testing.T) {
	t.Parallel()
	pred := mustPredict(t, seedTopology())
	cfg := SimConfig{Distribution: DistributionPareto, MaxRequestsPerConnection: 50, Seed: 42}
	a := mustSimulate(t, pred, cfg)
	b := mustSimulate(t, pred, cfg)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same seed, different results:\n%+v\n%+v", a, b)
	}
	cfg.Seed = 43
	c := mustSimulate(t, pred, cfg)
	if reflect.DeepEqual(a.MaxOverMean, c.MaxOverMean) {
		t.Errorf("seeds 42 and 43 gave identical max/mean %+v", a.MaxOverMean)
	}
}

// TestSimulateFollowsShares: with per-request balancing and many requests,
// per-pod counts converge to the exact model's shares, uneven ones included
// (Local with 2 pods and 1 pod: max/mean 1.5, min/mean 0.75).
func TestSimulateFollowsShares(t *testing.T) {
	t.Parallel()
	pred := mustPredict(t, topo(TargetTypeInstance, false, PolicyLocal, zs("a", 2, 1)))
	res := mustSimulate(t, pred, SimConfig{Connections: 200, Distribution: DistributionFixed, MeanRequests: 200, Balancing: BalancingRequest, Repetitions: 10})
	if math.Abs(res.MaxOverMean.Mean-1.5) > 0.03 || math.Abs(res.MinOverMean.Mean-0.75) > 0.03 {
		t.Errorf("max/mean %v min/mean %v, want about 1.5 and 0.75", res.MaxOverMean.Mean, res.MinOverMean.Mean)
	}
	if res.ExpectedMaxOverMean != 1.5 {
		t.Errorf("expected max/mean %v, want 1.5", res.ExpectedMaxOverMean)
	}
	// Fixed draws: every repetition carries exactly C x mean requests.
	if res.Requests.Mean != 200*200 || res.Requests.StdDev != 0 {
		t.Errorf("requests %+v, want exactly 40000 each time", res.Requests)
	}
}

func TestDrawMeans(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg SimConfig
		tol float64 // relative
	}{
		{SimConfig{Distribution: DistributionFixed, MeanRequests: 7}, 0},
		{SimConfig{Distribution: DistributionExponential, MeanRequests: 50}, 0.02},
		{SimConfig{Distribution: DistributionExponential, MeanRequests: 1}, 0},
		{SimConfig{Distribution: DistributionLognormal, MeanRequests: 50, Shape: 1}, 0.03},
		// alpha 3 keeps the variance finite so the sample mean settles.
		{SimConfig{Distribution: DistributionPareto, MeanRequests: 50, Shape: 3}, 0.03},
	}
	for _, tc := range tests {
		draw := drawer(tc.cfg)
		rng := rand.New(rand.NewPCG(1, 2))
		const n = 200_000
		var sum float64
		for range n {
			k := draw(rng)
			if k < 1 || k > MaxDrawnRequests {
				t.Fatalf("%s drew %d", tc.cfg.Distribution, k)
			}
			sum += float64(k)
		}
		if got := sum / n; math.Abs(got-tc.cfg.MeanRequests) > tc.tol*tc.cfg.MeanRequests {
			t.Errorf("%s: sample mean %v, want %v within %v%%", tc.cfg.Distribution, got, tc.cfg.MeanRequests, 100*tc.tol)
		}
	}
}

func TestSimConfigValidate(t *testing.T) {
	t.Parallel()
	valid := func() SimConfig { c := SimConfig{}; c.SetDefaults(); return c }
	if err := valid().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*SimConfig)
		field  string
	}{
		{"no connections", func(c *SimConfig) { c.Connections = -1 }, "connections"},
		{"mean below 1", func(c *SimConfig) { c.MeanRequests = 0.5 }, "meanRequests"},
		{"fixed needs a whole mean", func(c *SimConfig) { c.Distribution = DistributionFixed; c.MeanRequests = 2.5 }, "meanRequests"},
		{"shape on exponential", func(c *SimConfig) { c.Shape = 2 }, "shape"},
		{"pareto alpha 1", func(c *SimConfig) { c.Distribution = DistributionPareto; c.Shape = 1 }, "shape"},
		{"lognormal sigma negative", func(c *SimConfig) { c.Distribution = DistributionLognormal; c.Shape = -1 }, "shape"},
		{"unknown distribution", func(c *SimConfig) { c.Distribution = "zipf" }, "distribution"},
		{"negative cap", func(c *SimConfig) { c.MaxRequestsPerConnection = -1 }, "maxRequestsPerConnection"},
		{"unknown balancing", func(c *SimConfig) { c.Balancing = "l5" }, "balancing"},
		{"one repetition", func(c *SimConfig) { c.Repetitions = 1 }, "repetitions"},
		{"too much work", func(c *SimConfig) {
			c.Balancing = BalancingRequest
			c.Connections = 1_000_000
			c.MeanRequests = 1000
		}, "repetitions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := valid()
			tc.mutate(&c)
			err := c.Validate()
			var ve *validation.Errors
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v", err)
			}
			if !reflect.DeepEqual(ve.Fields(), []string{tc.field}) {
				t.Errorf("fields %v, want [%s]: %v", ve.Fields(), tc.field, err)
			}
			if _, err := Simulate(evenTen(t), c); err == nil {
				t.Error("Simulate accepted the config")
			}
		})
	}
	if _, err := Simulate(Prediction{}, SimConfig{}); err == nil {
		t.Error("Simulate accepted a prediction without pods")
	}
}

func TestStudentT975(t *testing.T) {
	t.Parallel()
	// Published two-sided 95% critical values.
	for df, want := range map[int]float64{1: 12.7062, 2: 4.3027, 5: 2.5706, 9: 2.2622, 29: 2.0452, 100: 1.9840, 10000: 1.9602} {
		if got := studentT975(df); math.Abs(got-want) > 5e-4 {
			t.Errorf("t(0.975, %d) = %.5f, want %.4f", df, got, want)
		}
	}
}

func TestEstimate(t *testing.T) {
	t.Parallel()
	e := estimate([]float64{1, 2, 3, 4})
	// mean 2.5, sd sqrt(5/3), t(3) = 3.1824
	sd := math.Sqrt(5.0 / 3)
	hw := 3.182446 * sd / 2
	if e.Mean != 2.5 || math.Abs(e.StdDev-sd) > 1e-12 || math.Abs(e.HalfWidth-hw) > 1e-5 ||
		math.Abs(e.Low-(2.5-e.HalfWidth)) > 1e-12 || math.Abs(e.High-(2.5+e.HalfWidth)) > 1e-12 {
		t.Errorf("estimate = %+v, want mean 2.5 sd %v half-width %v", e, sd, hw)
	}
}

func TestAliasTable(t *testing.T) {
	t.Parallel()
	w := []float64{0.5, 0.125, 0.25, 0.125, 0}
	table := newAliasTable(w)
	rng := rand.New(rand.NewPCG(3, 4))
	counts := make([]int, len(w))
	const n = 400_000
	for range n {
		counts[table.pick(rng)]++
	}
	for i, x := range w {
		got := float64(counts[i]) / n
		// 4 standard errors of a binomial proportion.
		if tol := 4 * math.Sqrt(x*(1-x)/n); math.Abs(got-x) > tol+1e-12 {
			t.Errorf("index %d drawn %.4f of the time, want %.4f", i, got, x)
		}
	}
}

func TestSimText(t *testing.T) {
	t.Parallel()
	res := mustSimulate(t, mustPredict(t, seedTopology()), SimConfig{Distribution: DistributionPareto, MaxRequestsPerConnection: 10, Repetitions: 5, Seed: 3})
	var buf bytes.Buffer
	if err := WriteSimText(&buf, res); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{
		"100 connections, requests per connection pareto alpha 1.5 (mean 100)",
		"balancing L4, recycled every 10 requests; 5 runs, seed 3",
		fmt.Sprintf("max/mean %.3f ± %.3f", res.MaxOverMean.Mean, res.MaxOverMean.HalfWidth),
		"exact model max/mean 1.500",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if utf8.RuneCountInString(l) > TextWidth {
			t.Errorf("line wider than %d columns: %q", TextWidth, l)
		}
	}
	if s := res.Summary(); !strings.HasPrefix(s, "L4, recycled every 10 requests: requests max/mean ") || !strings.HasSuffix(s, "(95% CI, 5 runs)") {
		t.Errorf("Summary() = %q", s)
	}
}
