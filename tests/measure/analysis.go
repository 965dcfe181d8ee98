package measure

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// PodStat is one pod's (or zone's) line of an Analysis.
type PodStat struct {
	// Name is the pod (or group) name.
	Name string
	// Count is the number of responses it served.
	Count int
	// Share is Count over the total.
	Share float64
	// Expected is the share it should get (0 when no expectation was given).
	Expected float64
	// Diff is Share - Expected.
	Diff float64
}

// Analysis summarises how requests spread over pods.
type Analysis struct {
	// Total is the number of responses counted.
	Total int
	// Pods has one line per pod, sorted by name. With expectations, every pod
	// named in either the counts or the expectations appears.
	Pods []PodStat
	// MaxOverMean and MinOverMean compare the busiest and idlest pod with the
	// mean count per pod (1 and 1 for a perfectly even spread).
	MaxOverMean, MinOverMean float64
	// MaxAbsDiff is the largest |Share - Expected| over the pods, 0 without
	// expectations.
	MaxAbsDiff float64
	// ChiSquare, DF and PValue are the goodness-of-fit test of the counts
	// against the expected shares; PValue is the probability of a statistic
	// at least this large if the traffic really followed the expectation.
	// All zero when no expectation was given. A pod that served traffic but
	// was expected to get none makes ChiSquare +Inf and PValue 0.
	ChiSquare float64
	DF        int
	PValue    float64
}

// Pod returns the line for name and whether it exists.
func (a *Analysis) Pod(name string) (PodStat, bool) {
	for _, p := range a.Pods {
		if p.Name == name {
			return p, true
		}
	}
	return PodStat{}, false
}

// shareTolerance is how far expected shares may sum from 1: model output is
// rounded floating point, never an exact 1.
const shareTolerance = 1e-6

// Analyze computes shares and max/mean of counts and, when expected is not
// nil, compares them with the expected shares (pod -> share, summing to 1)
// with a chi-square goodness-of-fit test.
func Analyze(counts map[string]int, expected map[string]float64) (*Analysis, error) {
	v := validation.New("analysis")
	names := map[string]bool{}
	total := 0
	for name, c := range counts {
		if c < 0 {
			v.Add("counts["+name+"]", c, "must be >= 0")
		}
		total += c
		names[name] = true
	}
	if total == 0 {
		v.Add("counts", total, "must hold at least one response")
	}
	if expected != nil {
		sum := 0.0
		for name, p := range expected {
			if p < 0 || p > 1 || math.IsNaN(p) {
				v.Add("expected["+name+"]", p, "must be a share between 0 and 1")
			}
			sum += p
			names[name] = true
		}
		if math.Abs(sum-1) > shareTolerance {
			v.Add("expected", sum, "shares must sum to 1 (within %g)", shareTolerance)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}

	a := &Analysis{Total: total}
	for name := range names {
		c := counts[name]
		st := PodStat{Name: name, Count: c, Share: float64(c) / float64(total)}
		if expected != nil {
			st.Expected = expected[name]
			st.Diff = st.Share - st.Expected
			a.MaxAbsDiff = math.Max(a.MaxAbsDiff, math.Abs(st.Diff))
		}
		a.Pods = append(a.Pods, st)
	}
	sort.Slice(a.Pods, func(i, j int) bool { return a.Pods[i].Name < a.Pods[j].Name })

	// Max/mean is over the pods that should serve traffic: a pod the model
	// expects to idle (e.g. a node's pod behind a failed health check) would
	// otherwise drag the mean down and flatter the spread.
	serving, maxC, minC := 0, 0, math.MaxInt
	for _, p := range a.Pods {
		if expected != nil && p.Expected == 0 && p.Count == 0 {
			continue
		}
		serving++
		maxC = max(maxC, p.Count)
		minC = min(minC, p.Count)
	}
	mean := float64(total) / float64(serving)
	a.MaxOverMean, a.MinOverMean = float64(maxC)/mean, float64(minC)/mean

	if expected != nil {
		obs := make([]int, len(a.Pods))
		exp := make([]float64, len(a.Pods))
		for i, p := range a.Pods {
			obs[i], exp[i] = p.Count, p.Expected
		}
		a.ChiSquare, a.DF, a.PValue = chiSquareGoodnessOfFit(obs, exp)
	}
	return a, nil
}

// chiSquareGoodnessOfFit is Pearson's test of observed counts against
// expected shares. Categories expected to get nothing and getting nothing
// carry no information and do not count towards the degrees of freedom.
func chiSquareGoodnessOfFit(obs []int, shares []float64) (chi2 float64, df int, p float64) {
	n := 0
	for _, o := range obs {
		n += o
	}
	k := 0
	for i, o := range obs {
		e := shares[i] * float64(n)
		if e == 0 {
			if o > 0 {
				return math.Inf(1), max(k, 1), 0
			}
			continue
		}
		k++
		d := float64(o) - e
		chi2 += d * d / e
	}
	df = k - 1
	if df < 1 {
		// One category: every response had to land there; nothing to test.
		return chi2, 0, 1
	}
	return chi2, df, ChiSquarePValue(chi2, df)
}

// GroupCounts sums counts by group(name), e.g. pod -> zone.
func GroupCounts(counts map[string]int, group func(name string) string) map[string]int {
	out := map[string]int{}
	for name, c := range counts {
		out[group(name)] += c
	}
	return out
}

// GroupShares sums shares by group(name), e.g. pod -> zone.
func GroupShares(shares map[string]float64, group func(name string) string) map[string]float64 {
	out := map[string]float64{}
	for name, s := range shares {
		out[group(name)] += s
	}
	return out
}

// ChiSquarePValue is the upper tail P(X >= chi2) of a chi-square distribution
// with df degrees of freedom: the regularized upper incomplete gamma function
// Q(df/2, chi2/2).
func ChiSquarePValue(chi2 float64, df int) float64 {
	switch {
	case df < 1 || math.IsNaN(chi2):
		return math.NaN()
	case chi2 <= 0:
		return 1
	case math.IsInf(chi2, 1):
		return 0
	}
	return gammaQ(float64(df)/2, chi2/2)
}

// ChiSquareCritical is the value the statistic must exceed for a test at
// significance alpha with df degrees of freedom (the 1-alpha quantile).
func ChiSquareCritical(alpha float64, df int) float64 {
	if df < 1 || alpha <= 0 || alpha >= 1 {
		return math.NaN()
	}
	// ChiSquarePValue falls monotonically in x; bisect on it.
	lo, hi := 0.0, float64(df)+10
	for ChiSquarePValue(hi, df) > alpha {
		hi *= 2
	}
	for range 200 {
		mid := (lo + hi) / 2
		if ChiSquarePValue(mid, df) > alpha {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// gammaP and gammaQ are the regularized lower and upper incomplete gamma
// functions, P(a,x) = γ(a,x)/Γ(a) and Q = 1-P. The series converges fast for
// x < a+1 and the continued fraction (modified Lentz) for x >= a+1, so each
// side is computed where it is accurate and the other is its complement.
func gammaP(a, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x < a+1 {
		return gammaSeries(a, x)
	}
	return 1 - gammaContinuedFraction(a, x)
}

func gammaQ(a, x float64) float64 {
	if x <= 0 {
		return 1
	}
	if x < a+1 {
		return 1 - gammaSeries(a, x)
	}
	return gammaContinuedFraction(a, x)
}

const (
	gammaEps     = 1e-15
	gammaMaxIter = 10000
	gammaTiny    = 1e-300
)

// gammaPrefactor is x^a e^-x / Γ(a), computed in logs to survive large a.
func gammaPrefactor(a, x float64) float64 {
	lg, _ := math.Lgamma(a)
	return math.Exp(a*math.Log(x) - x - lg)
}

// gammaSeries: P(a,x) = x^a e^-x / Γ(a+1) * Σ x^n / ((a+1)...(a+n)).
func gammaSeries(a, x float64) float64 {
	term := 1 / a
	sum := term
	for n := 1; n < gammaMaxIter; n++ {
		term *= x / (a + float64(n))
		sum += term
		if math.Abs(term) < math.Abs(sum)*gammaEps {
			break
		}
	}
	return sum * gammaPrefactor(a, x)
}

// gammaContinuedFraction: Q(a,x) = x^a e^-x / Γ(a) * 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...))).
func gammaContinuedFraction(a, x float64) float64 {
	b := x + 1 - a
	c := 1 / gammaTiny
	d := 1 / b
	h := d
	for i := 1; i < gammaMaxIter; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < gammaTiny {
			d = gammaTiny
		}
		c = b + an/c
		if math.Abs(c) < gammaTiny {
			c = gammaTiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < gammaEps {
			break
		}
	}
	return h * gammaPrefactor(a, x)
}

// noncentralChiSquareCDF is P(X <= x) for a noncentral chi-square with df
// degrees of freedom and noncentrality lambda: a Poisson(lambda/2) mixture of
// central chi-squares with df+2j degrees of freedom. The weights are summed
// outwards from the Poisson mode, in logs, so large lambda does not underflow.
func noncentralChiSquareCDF(x float64, df int, lambda float64) float64 {
	if lambda == 0 {
		return gammaP(float64(df)/2, x/2)
	}
	m := lambda / 2
	mode := int(math.Floor(m))
	weight := func(j int) float64 {
		lg, _ := math.Lgamma(float64(j) + 1)
		return math.Exp(-m + float64(j)*math.Log(m) - lg)
	}
	term := func(j int) float64 { return weight(j) * gammaP(float64(df)/2+float64(j), x/2) }
	sum := term(mode)
	for j := mode + 1; ; j++ {
		t := term(j)
		sum += t
		if weight(j) < 1e-16 {
			break
		}
	}
	for j := mode - 1; j >= 0; j-- {
		sum += term(j)
		if weight(j) < 1e-16 {
			break
		}
	}
	return math.Min(sum, 1)
}

// SampleSize is the number of requests a chi-square goodness-of-fit test at
// significance alpha needs to detect an effect of size w (Cohen's w, see
// EffectSize) with probability power, when the spread has df+1 categories.
//
// Under the alternative the statistic is noncentral chi-square with df degrees
// of freedom and noncentrality λ = N·w². The test detects the effect when the
// statistic exceeds the critical value c = ChiSquareCritical(alpha, df), so
// the needed λ solves P(χ²(df, λ) > c) = power, and N = ceil(λ / w²).
// Example: w = 0.1, df = 1, alpha 0.05, power 0.8 gives λ ≈ 7.85 and N = 785,
// Cohen's tabled value.
func SampleSize(w float64, df int, alpha, power float64) (int, error) {
	v := validation.New("sample size")
	if !(w > 0) || math.IsInf(w, 0) {
		v.Add("w", w, "must be > 0")
	}
	if df < 1 {
		v.Add("df", df, "must be >= 1")
	}
	if !(alpha > 0 && alpha < 1) {
		v.Add("alpha", alpha, "must be between 0 and 1")
	}
	if !(power > alpha && power < 1) {
		v.Add("power", power, "must be between alpha and 1")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	crit := ChiSquareCritical(alpha, df)
	powerAt := func(lambda float64) float64 { return 1 - noncentralChiSquareCDF(crit, df, lambda) }
	lo, hi := 0.0, 1.0
	for powerAt(hi) < power {
		hi *= 2
		if hi > 1e7 {
			return 0, errors.New("sample size: noncentrality search did not converge")
		}
	}
	for range 100 {
		mid := (lo + hi) / 2
		if powerAt(mid) < power {
			lo = mid
		} else {
			hi = mid
		}
	}
	return int(math.Ceil(hi / (w * w))), nil
}

// EffectSize is Cohen's w between the expected shares and an alternative:
// sqrt(Σ (alt - exp)² / exp) over the pods. Both must sum to 1.
func EffectSize(expected, alternative map[string]float64) (float64, error) {
	v := validation.New("effect size")
	var se, sa float64
	for _, p := range expected {
		se += p
	}
	for _, p := range alternative {
		sa += p
	}
	if math.Abs(se-1) > shareTolerance {
		v.Add("expected", se, "shares must sum to 1")
	}
	if math.Abs(sa-1) > shareTolerance {
		v.Add("alternative", sa, "shares must sum to 1")
	}
	for name, p := range alternative {
		if expected[name] == 0 && p > 0 {
			v.Add("alternative["+name+"]", p, "must be 0 where the expected share is 0")
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	w2 := 0.0
	for name, e := range expected {
		if e == 0 {
			continue
		}
		d := alternative[name] - e
		w2 += d * d / e
	}
	return math.Sqrt(w2), nil
}

// SampleSizeForImbalance is the number of requests needed to detect that one
// pod gets (1+imbalance) times its expected share, the others giving up the
// difference in proportion to their shares, at significance alpha with the
// given power. For a pod with expected share p that alternative has
// w = imbalance·sqrt(p/(1-p)); the pod with the smallest share gives the
// smallest w, so the answer holds for whichever pod is the one off.
// Example: 3 even pods, 10% imbalance, alpha 0.05, power 0.8: w = 0.0707,
// N ≈ 1927.
func SampleSizeForImbalance(expected map[string]float64, imbalance, alpha, power float64) (int, error) {
	v := validation.New("sample size")
	minP, k, sum := math.Inf(1), 0, 0.0
	for _, p := range expected {
		sum += p
		if p > 0 {
			k++
			minP = math.Min(minP, p)
		}
	}
	if k < 2 {
		v.Add("expected", k, "must give a share to at least 2 pods")
	}
	if math.Abs(sum-1) > shareTolerance {
		v.Add("expected", sum, "shares must sum to 1")
	}
	if !(imbalance > 0) || (k >= 2 && minP*(1+imbalance) >= 1) {
		v.Add("imbalance", imbalance, "must be > 0 and leave the pod's share below 1")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	w := imbalance * math.Sqrt(minP/(1-minP))
	return SampleSize(w, k-1, alpha, power)
}

// ShareStandardError is the standard error of a measured share whose true
// value is p, over n independent requests: sqrt(p(1-p)/n).
func ShareStandardError(p float64, n int) float64 {
	if n <= 0 {
		return math.Inf(1)
	}
	return math.Sqrt(p * (1 - p) / float64(n))
}

// SampleSizeForMargin is the number of requests that keeps a share's
// sampling noise within margin at z standard errors: N = z²·p(1-p)/margin².
// p = 0.5 is the worst case. Example: margin 0.02 at z = 4 (a 6e-5 chance per
// share of noise alone exceeding it) with p = 0.5 needs 10,000.
func SampleSizeForMargin(p, margin, z float64) (int, error) {
	v := validation.New("sample size")
	if !(p >= 0 && p <= 1) {
		v.Add("p", p, "must be a share between 0 and 1")
	}
	if !(margin > 0 && margin < 1) {
		v.Add("margin", margin, "must be between 0 and 1")
	}
	if !(z > 0) {
		v.Add("z", z, "must be > 0")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	return int(math.Ceil(z * z * p * (1 - p) / (margin * margin))), nil
}

// String renders the analysis as a small table.
func (a *Analysis) String() string {
	s := fmt.Sprintf("%-28s %8s %8s %8s %8s\n", "pod", "count", "share", "expected", "diff")
	for _, p := range a.Pods {
		s += fmt.Sprintf("%-28s %8d %7.2f%% %7.2f%% %+7.2f%%\n", p.Name, p.Count, 100*p.Share, 100*p.Expected, 100*p.Diff)
	}
	s += fmt.Sprintf("total %d  max/mean %.3f  min/mean %.3f", a.Total, a.MaxOverMean, a.MinOverMean)
	if a.DF > 0 || a.ChiSquare != 0 {
		s += fmt.Sprintf("  chi2 %.2f df %d p %.4f", a.ChiSquare, a.DF, a.PValue)
	}
	return s
}
