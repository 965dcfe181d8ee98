package model

import (
	"math"
	"math/rand/v2"
)

// Estimate is a quantity measured once per repetition, summarised over the
// repetitions.
type Estimate struct {
	// Mean is the average over repetitions.
	Mean float64 `json:"mean"`
	// StdDev is the sample standard deviation over repetitions (n-1).
	StdDev float64 `json:"stdDev"`
	// HalfWidth is half the 95% confidence interval for the mean: Student's
	// t(0.975, R-1) * StdDev / sqrt(R). Repetitions are independent and their
	// mean is near normal for the R this package allows, so t is the right
	// quantile; it also stays honest for small R, where the normal 1.96 would
	// be too narrow.
	HalfWidth float64 `json:"halfWidth"`
	// Low and High are Mean -/+ HalfWidth.
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// estimate summarises xs (len >= 2).
func estimate(xs []float64) Estimate {
	n := float64(len(xs))
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / n
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / (n - 1))
	hw := studentT975(len(xs)-1) * sd / math.Sqrt(n)
	return Estimate{Mean: mean, StdDev: sd, HalfWidth: hw, Low: mean - hw, High: mean + hw}
}

// studentT975 is the 0.975 quantile of Student's t with df degrees of
// freedom, found by bisection on the distribution function.
func studentT975(df int) float64 {
	lo, hi := 0.0, 64.0 // t(0.975, 1) = 12.71
	for range 100 {
		mid := (lo + hi) / 2
		if studentTCDF(mid, float64(df)) < 0.975 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// studentTCDF is P(T <= t) for t >= 0: 1 - I_x(df/2, 1/2)/2 with
// x = df/(df+t^2), I the regularized incomplete beta function.
func studentTCDF(t, df float64) float64 {
	return 1 - 0.5*regIncBeta(df/(df+t*t), df/2, 0.5)
}

// regIncBeta is I_x(a, b), evaluated with its continued fraction (modified
// Lentz), on the side of the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) where the
// fraction converges fast.
func regIncBeta(x, a, b float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	if x > (a+1)/(a+b+2) {
		return 1 - regIncBeta(1-x, b, a)
	}
	lga, _ := math.Lgamma(a)
	lgb, _ := math.Lgamma(b)
	lgab, _ := math.Lgamma(a + b)
	front := math.Exp(lgab-lga-lgb+a*math.Log(x)+b*math.Log1p(-x)) / a

	const tiny = 1e-300
	f, c, d := 1.0, 1.0, 0.0
	for i := 0; i <= 400; i++ {
		var num float64
		m := float64(i / 2)
		switch {
		case i == 0:
			num = 1
		case i%2 == 0:
			num = m * (b - m) * x / ((a + 2*m - 1) * (a + 2*m))
		default:
			num = -(a + m) * (a + b + m) * x / ((a + 2*m) * (a + 2*m + 1))
		}
		d = 1 + num*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		d = 1 / d
		c = 1 + num/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		cd := c * d
		f *= cd
		if math.Abs(1-cd) < 1e-15 {
			break
		}
	}
	return front * (f - 1)
}

// aliasTable draws an index with probability proportional to its weight in
// O(1) per draw (Walker/Vose alias method), so a simulation over thousands of
// pods costs the same per request as one over three.
type aliasTable struct {
	prob  []float64
	alias []int32
}

func newAliasTable(w []float64) aliasTable {
	n := len(w)
	var sum float64
	for _, x := range w {
		sum += x
	}
	t := aliasTable{prob: make([]float64, n), alias: make([]int32, n)}
	scaled := make([]float64, n)
	small := make([]int32, 0, n)
	large := make([]int32, 0, n)
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s := small[len(small)-1]
		small = small[:len(small)-1]
		l := large[len(large)-1]
		large = large[:len(large)-1]
		t.prob[s] = scaled[s]
		t.alias[s] = l
		scaled[l] += scaled[s] - 1
		if scaled[l] < 1 {
			small = append(small, l)
		} else {
			large = append(large, l)
		}
	}
	// What is left is 1 up to rounding: those entries always keep their own index.
	for _, i := range large {
		t.prob[i] = 1
	}
	for _, i := range small {
		t.prob[i] = 1
	}
	return t
}

func (t aliasTable) pick(r *rand.Rand) int {
	i := r.IntN(len(t.prob))
	if r.Float64() < t.prob[i] {
		return i
	}
	return int(t.alias[i])
}
