package model

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// Distribution is the law of the number of requests one client connection
// carries before the client closes it.
type Distribution string

const (
	// DistributionFixed: every connection carries exactly MeanRequests.
	DistributionFixed Distribution = "fixed"
	// DistributionExponential: the discrete memoryless law, geometric on
	// 1, 2, 3, ... with mean MeanRequests (every request is the last with the
	// same probability 1/MeanRequests).
	DistributionExponential Distribution = "exponential"
	// DistributionPareto: heavy-tailed, Pareto type I with shape Shape (alpha)
	// and scale MeanRequests*(alpha-1)/alpha so its mean is MeanRequests,
	// rounded to the nearest whole request, at least 1. With alpha <= 2 the
	// variance is infinite: a few connections carry most requests, the case
	// that makes L4 balancing of keepalive traffic uneven.
	DistributionPareto Distribution = "pareto"
	// DistributionLognormal: heavy-tailed with all moments finite; log-normal
	// with sigma Shape and mu = ln(MeanRequests) - sigma^2/2 so its mean is
	// MeanRequests, rounded, at least 1.
	DistributionLognormal Distribution = "lognormal"
)

// Balancing says what the load balancer balances.
type Balancing string

const (
	// BalancingConnection is L4 (NLB, kube-proxy): a connection's pod is chosen
	// once, with the exact model's shares, and every request on it goes there.
	BalancingConnection Balancing = "connection"
	// BalancingRequest is L7 (ALB): every request is balanced on its own, with
	// the same shares.
	BalancingRequest Balancing = "request"
)

// Bounds on a simulation, so one run stays in the seconds.
const (
	// MaxDrawnRequests truncates a single draw: heavy tails can draw connections
	// with billions of requests, which no measurement window sees, and which
	// would make per-request (L7) simulation unbounded. At the default mean
	// and shape the chance of reaching it is about 2e-7 per connection.
	MaxDrawnRequests = 1_000_000
	// MaxSimDecisions bounds repetitions x expected balancing decisions per
	// repetition (connections opened under L4, requests under L7).
	MaxSimDecisions = 200_000_000
)

// SimConfig sets up the stochastic mode. The zero value, after SetDefaults, is
// 100 connections of exponentially many requests (mean 100), balanced per
// connection, without recycling, over 30 repetitions, seed 0.
type SimConfig struct {
	// Connections is the number of client connections per repetition (C).
	// Default 100: a typical client pool fleet in front of a small service,
	// enough that per-pod counts are not trivially lumpy and few enough that
	// long-lived connections show their effect.
	Connections int `json:"connections"`
	// Distribution is the law of requests per client connection. Default
	// exponential: the memoryless baseline between fixed and heavy-tailed.
	Distribution Distribution `json:"distribution"`
	// MeanRequests is the mean number of requests per client connection.
	// Default 100 (keepalive clients reuse a connection many times). Must be a
	// whole number with the fixed distribution.
	MeanRequests float64 `json:"meanRequests"`
	// Shape is pareto's alpha (default 1.5: finite mean, infinite variance;
	// must be > 1) or lognormal's sigma (default 1; must be > 0). Must be 0
	// for the other distributions.
	Shape float64 `json:"shape,omitempty"`
	// MaxRequestsPerConnection is the server's cap on requests per connection
	// (connection recycling): after that many the server closes it and the
	// client opens a new one, which is balanced again. 0 (the default) is no
	// cap, the behaviour of most servers. Irrelevant with request balancing,
	// where every request is balanced anyway.
	MaxRequestsPerConnection int `json:"maxRequestsPerConnection,omitempty"`
	// Balancing is connection (L4) or request (L7). Default connection: the
	// NLB's behaviour, the one that needs the remedies.
	Balancing Balancing `json:"balancing"`
	// Repetitions is R, the number of independent runs the confidence interval
	// is computed over. Default 30; at least 2.
	Repetitions int `json:"repetitions"`
	// Seed seeds the random streams (PCG, one stream per repetition: seed and
	// repetition index), so the same config gives the same result. Default 0.
	Seed uint64 `json:"seed"`
}

// SetDefaults fills the zero fields with the defaults documented on each.
func (c *SimConfig) SetDefaults() {
	if c.Connections == 0 {
		c.Connections = 100
	}
	if c.Distribution == "" {
		c.Distribution = DistributionExponential
	}
	if c.MeanRequests == 0 {
		c.MeanRequests = 100
	}
	if c.Shape == 0 {
		switch c.Distribution {
		case DistributionPareto:
			c.Shape = 1.5
		case DistributionLognormal:
			c.Shape = 1
		}
	}
	if c.Balancing == "" {
		c.Balancing = BalancingConnection
	}
	if c.Repetitions == 0 {
		c.Repetitions = 30
	}
}

// Validate returns every problem with the (defaulted) config at once.
func (c SimConfig) Validate() error {
	v := validation.New("simulation")
	if c.Connections < 1 || c.Connections > 1_000_000 {
		v.Add("connections", c.Connections, "must be between 1 and 1000000")
	}
	if c.MeanRequests < 1 || c.MeanRequests > MaxDrawnRequests || math.IsNaN(c.MeanRequests) {
		v.Add("meanRequests", c.MeanRequests, "must be between 1 and %d", MaxDrawnRequests)
	}
	switch c.Distribution {
	case DistributionFixed, DistributionExponential:
		if c.Distribution == DistributionFixed && c.MeanRequests != math.Trunc(c.MeanRequests) {
			v.Add("meanRequests", c.MeanRequests, "must be a whole number with the fixed distribution")
		}
		if c.Shape != 0 {
			v.Add("shape", c.Shape, "must be 0: only pareto and lognormal take a shape")
		}
	case DistributionPareto:
		if !(c.Shape > 1 && c.Shape <= 100) {
			v.Add("shape", c.Shape, "must be above 1 and at most 100 for pareto (alpha <= 1 has no finite mean)")
		}
	case DistributionLognormal:
		if !(c.Shape > 0 && c.Shape <= 5) {
			v.Add("shape", c.Shape, "must be above 0 and at most 5 for lognormal (sigma)")
		}
	default:
		v.Add("distribution", quote(c.Distribution), "must be one of %q, %q, %q, %q",
			DistributionFixed, DistributionExponential, DistributionPareto, DistributionLognormal)
	}
	if c.MaxRequestsPerConnection < 0 {
		v.Add("maxRequestsPerConnection", c.MaxRequestsPerConnection, "must be 0 (no cap) or positive")
	}
	switch c.Balancing {
	case BalancingConnection, BalancingRequest:
	default:
		v.Add("balancing", quote(c.Balancing), "must be one of %q, %q", BalancingConnection, BalancingRequest)
	}
	if c.Repetitions < 2 || c.Repetitions > 10_000 {
		v.Add("repetitions", c.Repetitions, "must be between 2 and 10000 (a confidence interval needs at least 2)")
	}
	if len(v.Problems) == 0 {
		if work := float64(c.Repetitions) * float64(c.Connections) * c.decisionsPerConnection(); work > MaxSimDecisions {
			v.Add("repetitions", c.Repetitions,
				"repetitions x connections x balancing decisions per connection is about %.3g, above the bound %d; lower one of them", work, MaxSimDecisions)
		}
	}
	return v.Err()
}

// decisionsPerConnection is the expected number of balancing decisions one
// client connection costs.
func (c SimConfig) decisionsPerConnection() float64 {
	switch {
	case c.Balancing == BalancingRequest:
		return c.MeanRequests
	case c.MaxRequestsPerConnection > 0:
		return math.Ceil(c.MeanRequests/float64(c.MaxRequestsPerConnection)) + 1
	default:
		return 1
	}
}

// SimResult is what Simulate measured.
type SimResult struct {
	// Config is the config after defaults.
	Config SimConfig `json:"config"`
	// Pods is the number of pods balanced over.
	Pods int `json:"pods"`
	// ExpectedMaxOverMean is the exact model's max/mean: where per-pod request
	// counts converge when each balancing decision carries few requests.
	ExpectedMaxOverMean float64 `json:"expectedMaxOverMean"`
	// MaxOverMean is the busiest pod's requests over the mean per pod, per
	// repetition.
	MaxOverMean Estimate `json:"maxOverMean"`
	// MinOverMean is the idlest pod's requests over the mean per pod.
	MinOverMean Estimate `json:"minOverMean"`
	// Requests is the total number of requests per repetition.
	Requests Estimate `json:"requests"`
	// Decisions is the number of balancing decisions per repetition:
	// connections opened (including recycled ones) under L4, requests under L7.
	Decisions Estimate `json:"decisions"`
}

// Simulate runs the stochastic mode over the pods of a prediction, each
// chosen with its predicted share. Defaults are applied to a copy of cfg.
func Simulate(pred Prediction, cfg SimConfig) (SimResult, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return SimResult{}, err
	}
	if len(pred.Pods) == 0 {
		return SimResult{}, errors.New("simulation: the prediction has no pods")
	}
	weights := make([]float64, len(pred.Pods))
	for i, p := range pred.Pods {
		if !(p.Share >= 0) || math.IsInf(p.Share, 0) {
			return SimResult{}, fmt.Errorf("simulation: pods[%d].share is %v: must be a finite, non-negative number", i, p.Share)
		}
		weights[i] = p.Share
	}
	table := newAliasTable(weights)
	draw := drawer(cfg)
	counts := make([]int64, len(pred.Pods))
	maxes := make([]float64, cfg.Repetitions)
	mins := make([]float64, cfg.Repetitions)
	totals := make([]float64, cfg.Repetitions)
	decisions := make([]float64, cfg.Repetitions)
	capPerConn := int64(cfg.MaxRequestsPerConnection)

	for rep := range cfg.Repetitions {
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(rep)))
		clear(counts)
		var total, decided int64
		for range cfg.Connections {
			k := draw(rng)
			total += k
			switch {
			case cfg.Balancing == BalancingRequest:
				for range k {
					counts[table.pick(rng)]++
				}
				decided += k
			case capPerConn > 0:
				for k > 0 {
					n := min(k, capPerConn)
					counts[table.pick(rng)] += n
					k -= n
					decided++
				}
			default:
				counts[table.pick(rng)] += k
				decided++
			}
		}
		hi, lo := counts[0], counts[0]
		for _, c := range counts[1:] {
			hi = max(hi, c)
			lo = min(lo, c)
		}
		mean := float64(total) / float64(len(counts))
		maxes[rep] = float64(hi) / mean
		mins[rep] = float64(lo) / mean
		totals[rep] = float64(total)
		decisions[rep] = float64(decided)
	}
	return SimResult{
		Config:              cfg,
		Pods:                len(pred.Pods),
		ExpectedMaxOverMean: pred.MaxOverMean,
		MaxOverMean:         estimate(maxes),
		MinOverMean:         estimate(mins),
		Requests:            estimate(totals),
		Decisions:           estimate(decisions),
	}, nil
}

// drawer returns the sampler of requests per client connection.
func drawer(c SimConfig) func(*rand.Rand) int64 {
	clamp := func(x float64) int64 {
		k := math.Round(x)
		if !(k >= 1) { // also catches NaN
			return 1
		}
		return int64(min(k, MaxDrawnRequests))
	}
	mean := c.MeanRequests
	switch c.Distribution {
	case DistributionFixed:
		k := int64(mean)
		return func(*rand.Rand) int64 { return k }
	case DistributionExponential:
		if mean == 1 {
			return func(*rand.Rand) int64 { return 1 }
		}
		// Inverse transform of the geometric law: 1 + floor(ln U / ln(1-p)).
		lq := math.Log1p(-1 / mean)
		return func(r *rand.Rand) int64 {
			u := 1 - r.Float64() // (0, 1]
			return int64(min(1+math.Floor(math.Log(u)/lq), MaxDrawnRequests))
		}
	case DistributionPareto:
		alpha := c.Shape
		scale := mean * (alpha - 1) / alpha
		return func(r *rand.Rand) int64 {
			u := 1 - r.Float64()
			return clamp(scale * math.Pow(u, -1/alpha))
		}
	default: // lognormal
		sigma := c.Shape
		mu := math.Log(mean) - sigma*sigma/2
		return func(r *rand.Rand) int64 { return clamp(math.Exp(mu + sigma*r.NormFloat64())) }
	}
}

// mode names the balancing in a few words.
func (s SimResult) mode() string {
	switch {
	case s.Config.Balancing == BalancingRequest:
		return "L7 (per request)"
	case s.Config.MaxRequestsPerConnection > 0:
		return fmt.Sprintf("L4, recycled every %d requests", s.Config.MaxRequestsPerConnection)
	default:
		return "L4 (per connection)"
	}
}

// Summary is the simulation in one line, for the plan output and logs.
func (s SimResult) Summary() string {
	return fmt.Sprintf("%s: requests max/mean %.3f ± %.3f, min/mean %.3f ± %.3f (95%% CI, %d runs)",
		s.mode(), s.MaxOverMean.Mean, s.MaxOverMean.HalfWidth, s.MinOverMean.Mean, s.MinOverMean.HalfWidth, s.Config.Repetitions)
}

// WriteSimText writes the simulation's setup and result in a few lines of
// at most 80 columns.
func WriteSimText(w io.Writer, s SimResult) error {
	c := s.Config
	law := string(c.Distribution)
	switch c.Distribution {
	case DistributionPareto:
		law = fmt.Sprintf("pareto alpha %g", c.Shape)
	case DistributionLognormal:
		law = fmt.Sprintf("lognormal sigma %g", c.Shape)
	}
	_, err := fmt.Fprintf(w, `simulation: %d connections, requests per connection %s (mean %g)
  balancing %s; %d runs, seed %d
  requests max/mean %.3f ± %.3f   min/mean %.3f ± %.3f   (95%% CI)
  exact model max/mean %.3f: the limit with many short connections
`, c.Connections, law, c.MeanRequests, s.mode(), c.Repetitions, c.Seed,
		s.MaxOverMean.Mean, s.MaxOverMean.HalfWidth, s.MinOverMean.Mean, s.MinOverMean.HalfWidth, s.ExpectedMaxOverMean)
	return err
}
