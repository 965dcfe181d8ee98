package measure

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/internal/validation"
)

func TestChiSquarePValueKnownValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		chi2 float64
		df   int
		want float64
		tol  float64
	}{
		// Textbook critical values at 5% and 1%.
		{3.841458820694124, 1, 0.05, 1e-9},
		{11.070497693516351, 5, 0.05, 1e-9},
		{6.634896601021214, 1, 0.01, 1e-9},
		{18.307038053275146, 10, 0.05, 1e-9},
		{5.991464547107979, 2, 0.05, 1e-9},
		// Rounded table entries.
		{3.84, 1, 0.05, 2e-4},
		{11.07, 5, 0.05, 2e-4},
		// df=2 is exactly exp(-x/2).
		{1, 2, math.Exp(-0.5), 1e-12},
		{40, 2, math.Exp(-20), 1e-20},
		// Mean of the distribution, large df: about 0.49 for df=100.
		{100, 100, 0.48119168619, 1e-6},
		{0, 3, 1, 0},
		{math.Inf(1), 3, 0, 0},
	}
	for _, c := range cases {
		got := ChiSquarePValue(c.chi2, c.df)
		if math.Abs(got-c.want) > c.tol {
			t.Errorf("ChiSquarePValue(%v, %d) = %.12g, want %.12g (tol %g)", c.chi2, c.df, got, c.want, c.tol)
		}
	}
}

// df=1 is erfc(sqrt(x/2)), which the standard library computes independently.
func TestChiSquarePValueMatchesErfcForOneDegree(t *testing.T) {
	t.Parallel()
	for _, x := range []float64{0.01, 0.5, 1, 2, 3.84, 7, 15, 30, 80} {
		want := math.Erfc(math.Sqrt(x / 2))
		got := ChiSquarePValue(x, 1)
		if math.Abs(got-want) > 1e-12*math.Max(1, want) && math.Abs(got-want)/want > 1e-9 {
			t.Errorf("x=%v: got %.15g, want %.15g", x, got, want)
		}
	}
}

func TestGammaPAndQAreComplements(t *testing.T) {
	t.Parallel()
	for _, a := range []float64{0.5, 1, 2.5, 10, 50} {
		for _, x := range []float64{0.1, 1, a, a + 1, 3 * a, 100} {
			if s := gammaP(a, x) + gammaQ(a, x); math.Abs(s-1) > 1e-12 {
				t.Errorf("P+Q(%v,%v) = %v", a, x, s)
			}
		}
	}
	// P(1,x) = 1 - e^-x.
	if got, want := gammaP(1, 2), 1-math.Exp(-2); math.Abs(got-want) > 1e-14 {
		t.Errorf("P(1,2) = %v, want %v", got, want)
	}
}

func TestChiSquareCritical(t *testing.T) {
	t.Parallel()
	if got := ChiSquareCritical(0.05, 1); math.Abs(got-3.841458820694124) > 1e-9 {
		t.Errorf("critical(0.05, 1) = %v", got)
	}
	if got := ChiSquareCritical(0.05, 5); math.Abs(got-11.070497693516351) > 1e-9 {
		t.Errorf("critical(0.05, 5) = %v", got)
	}
}

func TestAnalyzeFairSamplePasses(t *testing.T) {
	t.Parallel()
	counts := map[string]int{"a": 3340, "b": 3290, "c": 3370}
	exp := map[string]float64{"a": 1.0 / 3, "b": 1.0 / 3, "c": 1.0 / 3}
	a, err := Analyze(counts, exp)
	if err != nil {
		t.Fatal(err)
	}
	// chi2 = ((3340-3333.33)^2 + (3290-3333.33)^2 + (3370-3333.33)^2) / 3333.33 = 0.98
	if math.Abs(a.ChiSquare-0.98) > 1e-9 || a.DF != 2 {
		t.Errorf("chi2 %v df %d, want 0.98 and 2", a.ChiSquare, a.DF)
	}
	if want := math.Exp(-0.49); math.Abs(a.PValue-want) > 1e-12 {
		t.Errorf("p = %v, want exp(-0.49) = %v", a.PValue, want)
	}
	if a.PValue < 0.05 {
		t.Errorf("a fair sample failed the test: p = %v", a.PValue)
	}
	if got, want := a.MaxOverMean, 3370/(10000.0/3); math.Abs(got-want) > 1e-12 {
		t.Errorf("max/mean = %v, want %v", got, want)
	}
	if got, want := a.MinOverMean, 3290/(10000.0/3); math.Abs(got-want) > 1e-12 {
		t.Errorf("min/mean = %v, want %v", got, want)
	}
	if p, _ := a.Pod("c"); math.Abs(p.Diff-(0.337-1.0/3)) > 1e-12 {
		t.Errorf("diff of c = %v", p.Diff)
	}
}

func TestAnalyzeSkewedSampleFails(t *testing.T) {
	t.Parallel()
	// eTP Local, 2 pods on node 1 and 1 on node 2: truth is 25/25/50; a
	// model that wrongly predicted an even third each must be rejected.
	counts := map[string]int{"n1/p0": 2500, "n1/p1": 2500, "n2/p0": 5000}
	even := map[string]float64{"n1/p0": 1.0 / 3, "n1/p1": 1.0 / 3, "n2/p0": 1.0 / 3}
	a, err := Analyze(counts, even)
	if err != nil {
		t.Fatal(err)
	}
	if a.PValue > 1e-6 {
		t.Errorf("skewed sample passed: chi2 %v p %v", a.ChiSquare, a.PValue)
	}
	if math.Abs(a.MaxAbsDiff-(0.5-1.0/3)) > 1e-12 {
		t.Errorf("max |diff| = %v", a.MaxAbsDiff)
	}
	right := map[string]float64{"n1/p0": 0.25, "n1/p1": 0.25, "n2/p0": 0.5}
	a, err = Analyze(counts, right)
	if err != nil {
		t.Fatal(err)
	}
	if a.ChiSquare != 0 || a.PValue != 1 {
		t.Errorf("exact match: chi2 %v p %v, want 0 and 1", a.ChiSquare, a.PValue)
	}
}

func TestAnalyzeUnexpectedPodFails(t *testing.T) {
	t.Parallel()
	a, err := Analyze(map[string]int{"a": 50, "b": 50, "ghost": 1}, map[string]float64{"a": 0.5, "b": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(a.ChiSquare, 1) || a.PValue != 0 {
		t.Errorf("traffic to an unexpected pod: chi2 %v p %v, want +Inf and 0", a.ChiSquare, a.PValue)
	}
	if _, ok := a.Pod("ghost"); !ok {
		t.Error("ghost pod missing from the table")
	}
}

func TestAnalyzeIdlePodExpectedIdle(t *testing.T) {
	t.Parallel()
	// A pod expected to idle that does idle counts in neither df nor max/mean.
	a, err := Analyze(map[string]int{"a": 60, "b": 40}, map[string]float64{"a": 0.5, "b": 0.5, "idle": 0})
	if err != nil {
		t.Fatal(err)
	}
	if a.DF != 1 || math.Abs(a.ChiSquare-4) > 1e-12 {
		t.Errorf("chi2 %v df %d, want 4 and 1", a.ChiSquare, a.DF)
	}
	if math.Abs(a.MaxOverMean-1.2) > 1e-12 || math.Abs(a.MinOverMean-0.8) > 1e-12 {
		t.Errorf("max/mean %v min/mean %v, want 1.2 and 0.8", a.MaxOverMean, a.MinOverMean)
	}
}

func TestAnalyzeWithoutExpectation(t *testing.T) {
	t.Parallel()
	a, err := Analyze(map[string]int{"a": 30, "b": 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.ChiSquare != 0 || a.DF != 0 || a.MaxAbsDiff != 0 {
		t.Errorf("no expectation but a test ran: %+v", a)
	}
	if math.Abs(a.MaxOverMean-1.5) > 1e-12 {
		t.Errorf("max/mean %v, want 1.5", a.MaxOverMean)
	}
}

func TestAnalyzeRejectsBadInput(t *testing.T) {
	t.Parallel()
	valid := func() (map[string]int, map[string]float64) {
		return map[string]int{"a": 1, "b": 1}, map[string]float64{"a": 0.5, "b": 0.5}
	}
	cases := []struct {
		name   string
		break_ func(map[string]int, map[string]float64)
		field  string
	}{
		{"negative count", func(c map[string]int, _ map[string]float64) { c["a"] = -1 }, "counts[a]"},
		{"no responses", func(c map[string]int, _ map[string]float64) { c["a"], c["b"] = 0, 0 }, "counts"},
		{"share above 1", func(_ map[string]int, e map[string]float64) { e["a"] = 1.5 }, "expected[a]"},
		{"shares not summing to 1", func(_ map[string]int, e map[string]float64) { e["b"] = 0.4 }, "expected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			counts, exp := valid()
			if _, err := Analyze(counts, exp); err != nil {
				t.Fatalf("valid input rejected: %v", err)
			}
			c.break_(counts, exp)
			_, err := Analyze(counts, exp)
			var ve *validation.Errors
			if !errors.As(err, &ve) || !ve.Has(c.field) {
				t.Fatalf("want a problem on %q, got %v", c.field, err)
			}
		})
	}
}

func TestGroupCountsAndShares(t *testing.T) {
	t.Parallel()
	zone := func(pod string) string { return strings.SplitN(pod, "/", 2)[0] }
	got := GroupCounts(map[string]int{"a/n1/p0": 3, "a/n2/p0": 4, "b/n3/p0": 5}, zone)
	if got["a"] != 7 || got["b"] != 5 || len(got) != 2 {
		t.Errorf("zone counts %v", got)
	}
	gs := GroupShares(map[string]float64{"a/n1/p0": 0.25, "a/n2/p0": 0.25, "b/n3/p0": 0.5}, zone)
	if gs["a"] != 0.5 || gs["b"] != 0.5 {
		t.Errorf("zone shares %v", gs)
	}
}

func TestSampleSizeMatchesCohensTables(t *testing.T) {
	t.Parallel()
	cases := []struct {
		w      float64
		df     int
		want   int
		within int
	}{
		// Cohen (1988), Table 7.4.6, alpha .05, power .80.
		{0.1, 1, 785, 1},
		{0.3, 1, 88, 1},
		{0.5, 1, 32, 1},
		{0.1, 5, 1283, 2},
		{0.3, 5, 143, 1},
	}
	for _, c := range cases {
		got, err := SampleSize(c.w, c.df, 0.05, 0.8)
		if err != nil {
			t.Fatal(err)
		}
		if d := got - c.want; d < -c.within || d > c.within {
			t.Errorf("SampleSize(w=%v, df=%d) = %d, want %d±%d", c.w, c.df, got, c.want, c.within)
		}
	}
}

func TestSampleSizeForImbalance(t *testing.T) {
	t.Parallel()
	even := map[string]float64{"a": 1.0 / 3, "b": 1.0 / 3, "c": 1.0 / 3}
	n, err := SampleSizeForImbalance(even, 0.1, 0.05, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	// w = 0.1*sqrt((1/3)/(2/3)) = 0.0707; df 2: lambda(.05,.8) = 9.635, N = 1927.
	if n < 1920 || n > 1935 {
		t.Errorf("N = %d, want about 1927", n)
	}
	// A smaller imbalance needs more requests; roughly 1/imbalance^2 more.
	n2, err := SampleSizeForImbalance(even, 0.05, 0.05, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	if r := float64(n2) / float64(n); r < 3.9 || r > 4.1 {
		t.Errorf("halving the imbalance multiplied N by %v, want 4", r)
	}
	// The effect size of that alternative is what the formula says.
	alt := map[string]float64{"a": 1.1 / 3, "b": (1 - 1.1/3) / 2, "c": (1 - 1.1/3) / 2}
	w, err := EffectSize(even, alt)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.1 * math.Sqrt(0.5); math.Abs(w-want) > 1e-12 {
		t.Errorf("w = %v, want %v", w, want)
	}
	if _, err := SampleSizeForImbalance(map[string]float64{"a": 1}, 0.1, 0.05, 0.8); err == nil {
		t.Error("one pod accepted")
	}
}

func TestSampleSizeRejectsBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		w          float64
		df         int
		alpha, pwr float64
		field      string
	}{
		{0, 1, 0.05, 0.8, "w"},
		{0.1, 0, 0.05, 0.8, "df"},
		{0.1, 1, 1.5, 0.8, "alpha"},
		{0.1, 1, 0.05, 1, "power"},
	}
	for _, c := range cases {
		_, err := SampleSize(c.w, c.df, c.alpha, c.pwr)
		var ve *validation.Errors
		if !errors.As(err, &ve) || !ve.Has(c.field) {
			t.Errorf("want a problem on %q, got %v", c.field, err)
		}
	}
}

func TestSampleSizeForMargin(t *testing.T) {
	t.Parallel()
	n, err := SampleSizeForMargin(0.5, 0.02, 4)
	if err != nil {
		t.Fatal(err)
	}
	if n != 10000 {
		t.Errorf("N = %d, want 10000", n)
	}
	if se := ShareStandardError(0.5, n); math.Abs(se-0.005) > 1e-12 {
		t.Errorf("standard error %v, want 0.005", se)
	}
	if _, err := SampleSizeForMargin(0.5, 0, 4); err == nil {
		t.Error("zero margin accepted")
	}
}
