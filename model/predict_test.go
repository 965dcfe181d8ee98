package model

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// layout builds zones from a compact description: zone name -> pods per node;
// nodes are named zone+index.
func layout(zs ...zoneSpec) []Zone {
	out := make([]Zone, len(zs))
	for i, z := range zs {
		out[i].Name = z.name
		out[i].Nodes = []Node{}
		for j, p := range z.pods {
			out[i].Nodes = append(out[i].Nodes, Node{Name: z.name + string(rune('1'+j)), Pods: p})
		}
	}
	return out
}

type zoneSpec struct {
	name string
	pods []int
}

func zs(name string, pods ...int) zoneSpec { return zoneSpec{name, pods} }

func topo(tt TargetType, crossZone bool, policy Policy, zones ...zoneSpec) Topology {
	return Topology{
		LoadBalancer:          LoadBalancer{Kind: KindNLB, TargetType: tt, CrossZone: crossZone},
		ExternalTrafficPolicy: policy,
		Zones:                 layout(zones...),
	}
}

func r(a, b int64) *big.Rat { return big.NewRat(a, b) }

// TestPredictHandComputed checks cases worked out by hand in the comments;
// shares are listed per pod in zone, node, pod order.
func TestPredictHandComputed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		topo      Topology
		shares    []*big.Rat
		crossZone *big.Rat
		extraHop  *big.Rat
	}{
		{
			// Seed article: 3 pods behind kube-proxy on 2 nodes. Each node gets
			// 1/2; kube-proxy picks any of the 3 pods. Node 1 keeps 2/3 of its
			// half, node 2 keeps 1/3: extra hop 1/2*1/3 + 1/2*2/3 = 1/2.
			name:      "kube-proxy Cluster 3 pods",
			topo:      topo(TargetTypeInstance, false, PolicyCluster, zs("a", 2, 1)),
			shares:    []*big.Rat{r(1, 3), r(1, 3), r(1, 3)},
			crossZone: r(0, 1),
			extraHop:  r(1, 2),
		},
		{
			name:      "empty policy means Cluster",
			topo:      topo(TargetTypeInstance, false, "", zs("a", 2, 1)),
			shares:    []*big.Rat{r(1, 3), r(1, 3), r(1, 3)},
			crossZone: r(0, 1),
			extraHop:  r(1, 2),
		},
		{
			// Each node 1/2, split over its own pods.
			name:      "Local 2 pods and 1 pod",
			topo:      topo(TargetTypeInstance, false, PolicyLocal, zs("a", 2, 1)),
			shares:    []*big.Rat{r(1, 4), r(1, 4), r(1, 2)},
			crossZone: r(0, 1),
			extraHop:  r(0, 1),
		},
		{
			// Seed example: zones 1/2 each; a1, a2 1/4 each; b1 1/2 over 3 pods.
			name:      "seed example Local cross-zone off",
			topo:      topo(TargetTypeInstance, false, PolicyLocal, zs("a", 2, 1), zs("b", 3)),
			shares:    []*big.Rat{r(1, 8), r(1, 8), r(1, 4), r(1, 6), r(1, 6), r(1, 6)},
			crossZone: r(0, 1),
			extraHop:  r(0, 1),
		},
		{
			// Cross-zone off, 2 targets in a, 1 in b: each zone 1/2.
			name:      "ip cross-zone off 2+1",
			topo:      topo(TargetTypeIP, false, "", zs("a", 1, 1), zs("b", 1)),
			shares:    []*big.Rat{r(1, 4), r(1, 4), r(1, 2)},
			crossZone: r(0, 1),
			extraHop:  r(0, 1),
		},
		{
			// Same with instance targets, Cluster: node shares 1/4, 1/4, 1/2
			// but kube-proxy evens pods out. Cross-zone: a keeps 2/3 of its
			// half, b keeps 1/3 of its half: 1/2*1/3 + 1/2*2/3 = 1/2. Extra
			// hop: each node keeps 1/3 (one pod each): 2/3.
			name:      "instance Cluster cross-zone off 2+1",
			topo:      topo(TargetTypeInstance, false, PolicyCluster, zs("a", 1, 1), zs("b", 1)),
			shares:    []*big.Rat{r(1, 3), r(1, 3), r(1, 3)},
			crossZone: r(1, 2),
			extraHop:  r(2, 3),
		},
		{
			name:      "instance Local cross-zone off 2+1",
			topo:      topo(TargetTypeInstance, false, PolicyLocal, zs("a", 1, 1), zs("b", 1)),
			shares:    []*big.Rat{r(1, 4), r(1, 4), r(1, 2)},
			crossZone: r(0, 1),
			extraHop:  r(0, 1),
		},
		{
			// LB node a (1/2) sends 1/3 of its traffic to b: 1/6; LB node b
			// sends 2/3 to a: 1/3. Total 1/2.
			name:      "ip cross-zone on 2+1",
			topo:      topo(TargetTypeIP, true, "", zs("a", 1, 1), zs("b", 1)),
			shares:    []*big.Rat{r(1, 3), r(1, 3), r(1, 3)},
			crossZone: r(1, 2),
			extraHop:  r(0, 1),
		},
		{
			// Uneven zones, ip: a has 3 pods, b 1. Off: 1/6 each in a, 1/2 in b.
			name:      "ip uneven zones cross-zone off",
			topo:      topo(TargetTypeIP, false, "", zs("a", 2, 1), zs("b", 1)),
			shares:    []*big.Rat{r(1, 6), r(1, 6), r(1, 6), r(1, 2)},
			crossZone: r(0, 1),
			extraHop:  r(0, 1),
		},
		{
			// On: 1/4 each; LB a keeps 3/4 (leaves 1/4 of 1/2), LB b keeps 1/4
			// (leaves 3/4 of 1/2): 1/8 + 3/8 = 1/2.
			name:      "ip uneven zones cross-zone on",
			topo:      topo(TargetTypeIP, true, "", zs("a", 2, 1), zs("b", 1)),
			shares:    []*big.Rat{r(1, 4), r(1, 4), r(1, 4), r(1, 4)},
			crossZone: r(1, 2),
			extraHop:  r(0, 1),
		},
		// Zone c has a node but no pods; a has two one-pod nodes, b one.
		{
			// c has no pod target: dropped from DNS; a and b 1/2 each.
			name:      "empty zone ip cross-zone off",
			topo:      topo(TargetTypeIP, false, "", zs("a", 1, 1), zs("b", 1), zs("c", 0)),
			shares:    []*big.Rat{r(1, 4), r(1, 4), r(1, 2)},
			crossZone: r(0, 1),
			extraHop:  r(0, 1),
		},
		{
			// c's LB node still takes 1/3 and sends it all away. a leaves 1/3
			// of its 1/3, b 2/3 of its 1/3: 1/9 + 2/9 + 3/9 = 2/3.
			name:      "empty zone ip cross-zone on",
			topo:      topo(TargetTypeIP, true, "", zs("a", 1, 1), zs("b", 1), zs("c", 0)),
			shares:    []*big.Rat{r(1, 3), r(1, 3), r(1, 3)},
			crossZone: r(2, 3),
			extraHop:  r(0, 1),
		},
		{
			// c1 is a target under Cluster: c keeps 1/3 of DNS. Nodes a1, a2
			// 1/6, b1 1/3, c1 1/3. Cross-zone: 1/3*1/3 + 1/3*2/3 + 1/3*1 = 2/3.
			// Extra hop: 1/6*2/3*2 + 1/3*2/3 + 1/3*1 = 7/9.
			name:      "empty zone Cluster cross-zone off",
			topo:      topo(TargetTypeInstance, false, PolicyCluster, zs("a", 1, 1), zs("b", 1), zs("c", 0)),
			shares:    []*big.Rat{r(1, 3), r(1, 3), r(1, 3)},
			crossZone: r(2, 3),
			extraHop:  r(7, 9),
		},
		{
			// Four nodes 1/4 each; the three with a pod keep 1/3: 3*1/4*2/3 + 1/4.
			name:      "empty zone Cluster cross-zone on",
			topo:      topo(TargetTypeInstance, true, PolicyCluster, zs("a", 1, 1), zs("b", 1), zs("c", 0)),
			shares:    []*big.Rat{r(1, 3), r(1, 3), r(1, 3)},
			crossZone: r(2, 3),
			extraHop:  r(3, 4),
		},
		{
			// c1 fails the health check: c dropped; as ip with cross-zone off.
			name:      "empty zone Local cross-zone off",
			topo:      topo(TargetTypeInstance, false, PolicyLocal, zs("a", 1, 1), zs("b", 1), zs("c", 0)),
			shares:    []*big.Rat{r(1, 4), r(1, 4), r(1, 2)},
			crossZone: r(0, 1),
			extraHop:  r(0, 1),
		},
		{
			// Three eligible nodes 1/3 each; c's LB node sends everything away.
			name:      "empty zone Local cross-zone on",
			topo:      topo(TargetTypeInstance, true, PolicyLocal, zs("a", 1, 1), zs("b", 1), zs("c", 0)),
			shares:    []*big.Rat{r(1, 3), r(1, 3), r(1, 3)},
			crossZone: r(2, 3),
			extraHop:  r(0, 1),
		},
		{
			// A zone listed without any node: under Cluster it has no target
			// either, so it drops out of DNS with cross-zone off.
			name:      "zone without nodes Cluster cross-zone off",
			topo:      topo(TargetTypeInstance, false, PolicyCluster, zs("a", 1), zs("b", 1), zs("c")),
			shares:    []*big.Rat{r(1, 2), r(1, 2)},
			crossZone: r(1, 2),
			extraHop:  r(1, 2),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkExact(t, tc.topo, tc.shares, tc.crossZone, tc.extraHop)
			// ALB with the same targets behaves the same (documented choice).
			alb := tc.topo
			alb.LoadBalancer.Kind = KindALB
			checkExact(t, alb, tc.shares, tc.crossZone, tc.extraHop)
		})
	}
}

func checkExact(t *testing.T, tp Topology, shares []*big.Rat, crossZone, extraHop *big.Rat) {
	t.Helper()
	p, err := Predict(tp)
	if err != nil {
		t.Fatalf("Predict: %v", err)
	}
	if len(p.Pods) != len(shares) {
		t.Fatalf("got %d pods, want %d", len(p.Pods), len(shares))
	}
	maxS, minS := shares[0], shares[0]
	for i, want := range shares {
		w, _ := want.Float64()
		if math.Abs(p.Pods[i].Share-w) > 1e-12 {
			t.Errorf("pod %d (%s/%s/%d) share = %v, want %v", i, p.Pods[i].Zone, p.Pods[i].Node, p.Pods[i].Index, p.Pods[i].Share, want)
		}
		if want.Cmp(maxS) > 0 {
			maxS = want
		}
		if want.Cmp(minS) < 0 {
			minS = want
		}
	}
	n := big.NewRat(int64(len(shares)), 1)
	wantMax, _ := new(big.Rat).Mul(maxS, n).Float64()
	wantMin, _ := new(big.Rat).Mul(minS, n).Float64()
	cz, _ := crossZone.Float64()
	eh, _ := extraHop.Float64()
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"maxOverMean", p.MaxOverMean, wantMax},
		{"minOverMean", p.MinOverMean, wantMin},
		{"crossZoneFraction", p.CrossZoneFraction, cz},
		{"extraHopFraction", p.ExtraHopFraction, eh},
	} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	// The exact core must match to the last digit, not just 1e-12.
	e := predictExact(tp)
	if e.crossZone.Cmp(crossZone) != 0 || e.extraHop.Cmp(extraHop) != 0 {
		t.Errorf("exact fractions = %v, %v; want %v, %v", e.crossZone, e.extraHop, crossZone, extraHop)
	}
}

func TestPredictPodOrderAndIndex(t *testing.T) {
	t.Parallel()
	p, err := Predict(topo(TargetTypeIP, true, "", zs("a", 2, 0, 1), zs("b", 3)))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		zone, node string
		index      int
	}{{"a", "a1", 0}, {"a", "a1", 1}, {"a", "a3", 0}, {"b", "b1", 0}, {"b", "b1", 1}, {"b", "b1", 2}}
	if len(p.Pods) != len(want) {
		t.Fatalf("got %d pods, want %d", len(p.Pods), len(want))
	}
	for i, w := range want {
		got := p.Pods[i]
		if got.Zone != w.zone || got.Node != w.node || got.Index != w.index {
			t.Errorf("pod %d = %s/%s/%d, want %s/%s/%d", i, got.Zone, got.Node, got.Index, w.zone, w.node, w.index)
		}
	}
}

// reference applies the semantics literally: for every DNS zone, every
// target its LB node can reach, every pod that target forwards to. It is
// slow (zones x targets x pods) and independent of predictExact's closed
// forms, which is the point.
func reference(tp Topology) (shares []*big.Rat, crossZone, extraHop *big.Rat) {
	type pod struct{ zone, node int }
	type target struct {
		zone, node int
		pods       []int // indexes into pods it forwards to
	}
	var pods []pod
	nodePods := map[[2]int][]int{}
	for zi, z := range tp.Zones {
		for ni, n := range z.Nodes {
			for range n.Pods {
				nodePods[[2]int{zi, ni}] = append(nodePods[[2]int{zi, ni}], len(pods))
				pods = append(pods, pod{zi, ni})
			}
		}
	}
	all := make([]int, len(pods))
	for i := range all {
		all[i] = i
	}
	var targets []target
	policy := tp.EffectivePolicy()
	for zi, z := range tp.Zones {
		for ni := range z.Nodes {
			own := nodePods[[2]int{zi, ni}]
			switch {
			case tp.LoadBalancer.TargetType == TargetTypeIP:
				for _, p := range own {
					targets = append(targets, target{zi, ni, []int{p}})
				}
			case policy == PolicyCluster:
				targets = append(targets, target{zi, ni, all})
			case len(own) > 0:
				targets = append(targets, target{zi, ni, own})
			}
		}
	}
	reach := func(lbZone int) []target {
		if tp.LoadBalancer.CrossZone {
			return targets
		}
		var out []target
		for _, tg := range targets {
			if tg.zone == lbZone {
				out = append(out, tg)
			}
		}
		return out
	}
	var dns []int
	for zi := range tp.Zones {
		if len(reach(zi)) > 0 {
			dns = append(dns, zi)
		}
	}
	shares = make([]*big.Rat, len(pods))
	for i := range shares {
		shares[i] = new(big.Rat)
	}
	crossZone, extraHop = new(big.Rat), new(big.Rat)
	for _, d := range dns {
		tgs := reach(d)
		for _, tg := range tgs {
			w := big.NewRat(1, int64(len(dns)*len(tgs)*len(tg.pods)))
			for _, p := range tg.pods {
				shares[p].Add(shares[p], w)
				if pods[p].zone != d {
					crossZone.Add(crossZone, w)
				}
				if pods[p].node != tg.node || pods[p].zone != tg.zone {
					extraHop.Add(extraHop, w)
				}
			}
		}
	}
	return shares, crossZone, extraHop
}

// randomTopology draws a small valid topology: 1-4 zones, 0-4 nodes each,
// 0-4 pods per node, any target type, policy and cross-zone setting.
func randomTopology(rng *rand.Rand) Topology {
	for {
		tp := Topology{LoadBalancer: LoadBalancer{
			Kind:      []Kind{KindNLB, KindALB}[rng.IntN(2)],
			CrossZone: rng.IntN(2) == 0,
		}}
		if rng.IntN(2) == 0 {
			tp.LoadBalancer.TargetType = TargetTypeIP
		} else {
			tp.LoadBalancer.TargetType = TargetTypeInstance
			tp.ExternalTrafficPolicy = []Policy{"", PolicyCluster, PolicyLocal}[rng.IntN(3)]
		}
		specs := make([]zoneSpec, 1+rng.IntN(4))
		for i := range specs {
			specs[i].name = string(rune('a' + i))
			for range rng.IntN(5) {
				specs[i].pods = append(specs[i].pods, rng.IntN(5))
			}
		}
		tp.Zones = layout(specs...)
		if tp.TotalPods() > 0 {
			return tp
		}
	}
}

// TestPredictProperties checks, over many random layouts, that the closed
// forms equal the literal walk exactly, that shares sum to exactly 1, and
// that ip targets with cross-zone on (and kube-proxy's Cluster policy) are
// exactly uniform.
func TestPredictProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 2026))
	one := big.NewRat(1, 1)
	for i := range 3000 {
		tp := randomTopology(rng)
		e := predictExact(tp)
		refShares, refCross, refHop := reference(tp)

		sum := new(big.Rat)
		k := 0
		for zi, z := range tp.Zones {
			for ni, n := range z.Nodes {
				for range n.Pods {
					s := e.nodeShare[zi][ni]
					if s.Cmp(refShares[k]) != 0 {
						t.Fatalf("case %d %+v: pod %d share %v, reference %v", i, tp, k, s, refShares[k])
					}
					if s.Sign() <= 0 {
						t.Fatalf("case %d %+v: pod %d has no traffic", i, tp, k)
					}
					sum.Add(sum, s)
					k++
				}
			}
		}
		if sum.Cmp(one) != 0 {
			t.Fatalf("case %d %+v: shares sum to %v", i, tp, sum)
		}
		if e.crossZone.Cmp(refCross) != 0 || e.extraHop.Cmp(refHop) != 0 {
			t.Fatalf("case %d %+v: fractions %v, %v; reference %v, %v", i, tp, e.crossZone, e.extraHop, refCross, refHop)
		}
		if tp.LoadBalancer.CrossZone {
			// Every LB node spreads the same way and DNS is uniform over all
			// zones, so exactly 1/zones of the traffic stays home.
			want := big.NewRat(int64(len(tp.Zones)-1), int64(len(tp.Zones)))
			if e.crossZone.Cmp(want) != 0 {
				t.Fatalf("case %d %+v: cross-zone on gives fraction %v, want %v", i, tp, e.crossZone, want)
			}
		}

		p, err := Predict(tp)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		var fsum float64
		for _, ps := range p.Pods {
			fsum += ps.Share
		}
		if math.Abs(fsum-1) > 1e-9 {
			t.Fatalf("case %d: float shares sum to %v", i, fsum)
		}
		uniform := (tp.LoadBalancer.TargetType == TargetTypeIP && tp.LoadBalancer.CrossZone) || tp.EffectivePolicy() == PolicyCluster
		if uniform {
			for _, ps := range p.Pods {
				if ps.Share != p.Pods[0].Share {
					t.Fatalf("case %d %+v: share %v != %v", i, tp, ps.Share, p.Pods[0].Share)
				}
			}
			if p.MaxOverMean != 1 || p.MinOverMean != 1 {
				t.Fatalf("case %d %+v: max/mean %v, min/mean %v; want exactly 1", i, tp, p.MaxOverMean, p.MinOverMean)
			}
		}
	}
}

func validTopology() Topology {
	return Topology{
		LoadBalancer:          LoadBalancer{Kind: KindNLB, TargetType: TargetTypeInstance},
		ExternalTrafficPolicy: PolicyLocal,
		Zones: []Zone{
			{Name: "us-east-1a", Nodes: []Node{{Name: "a1", Pods: 2}, {Name: "a2", Pods: 1}}},
			{Name: "us-east-1b", Nodes: []Node{{Name: "b1", Pods: 3}}},
		},
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := validTopology().Validate(); err != nil {
		t.Fatalf("valid default: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*Topology)
		field  string
	}{
		{"no zones", func(tp *Topology) { tp.Zones = nil }, "zones"},
		{"negative pods", func(tp *Topology) { tp.Zones[1].Nodes[0].Pods = -1 }, "zones[1].nodes[0].pods"},
		{"too many pods on a node", func(tp *Topology) { tp.Zones[0].Nodes[0].Pods = MaxPodsPerNode + 1 }, "zones[0].nodes[0].pods"},
		{"unknown kind", func(tp *Topology) { tp.LoadBalancer.Kind = "elb" }, "loadBalancer.kind"},
		{"empty kind", func(tp *Topology) { tp.LoadBalancer.Kind = "" }, "loadBalancer.kind"},
		{"unknown target type", func(tp *Topology) { tp.LoadBalancer.TargetType = "lambda" }, "loadBalancer.targetType"},
		{"unknown policy", func(tp *Topology) { tp.ExternalTrafficPolicy = "local" }, "externalTrafficPolicy"},
		{"policy with ip targets", func(tp *Topology) { tp.LoadBalancer.TargetType = TargetTypeIP }, "externalTrafficPolicy"},
		{"no pods at all", func(tp *Topology) {
			for _, z := range tp.Zones {
				for i := range z.Nodes {
					z.Nodes[i].Pods = 0
				}
			}
		}, "zones"},
		{"empty zone name", func(tp *Topology) { tp.Zones[1].Name = "" }, "zones[1].name"},
		{"duplicate zone name", func(tp *Topology) { tp.Zones[1].Name = "us-east-1a" }, "zones[1].name"},
		{"empty node name", func(tp *Topology) { tp.Zones[0].Nodes[1].Name = "" }, "zones[0].nodes[1].name"},
		{"duplicate node name across zones", func(tp *Topology) { tp.Zones[1].Nodes[0].Name = "a1" }, "zones[1].nodes[0].name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tp := validTopology()
			tc.mutate(&tp)
			err := tp.Validate()
			var ve *validation.Errors
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want *validation.Errors", err)
			}
			if !ve.Has(tc.field) || len(ve.Problems) != 1 {
				t.Errorf("fields %v, want exactly [%s]", ve.Fields(), tc.field)
			}
			if _, err := Predict(tp); err == nil {
				t.Error("Predict accepted an invalid topology")
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	tp := validTopology()
	tp.LoadBalancer.Kind = "elb"
	tp.LoadBalancer.TargetType = "pod"
	tp.ExternalTrafficPolicy = "Both"
	tp.Zones[0].Nodes[0].Pods = -3
	tp.Zones[1].Name = ""
	err := tp.Validate()
	var ve *validation.Errors
	if !errors.As(err, &ve) {
		t.Fatalf("Validate() = %v", err)
	}
	for _, f := range []string{"loadBalancer.kind", "loadBalancer.targetType", "externalTrafficPolicy", "zones[0].nodes[0].pods", "zones[1].name"} {
		if !ve.Has(f) {
			t.Errorf("missing problem on %s; got %v", f, ve.Fields())
		}
	}
}
