package model

import (
	"math/big"
)

// Prediction is the model's answer for one topology.
type Prediction struct {
	// Pods lists every pod with its share, in the topology's zone, node and
	// pod order.
	Pods []PodShare `json:"pods"`
	// MaxOverMean is the largest pod share divided by the mean share (1/pods):
	// 1 means perfectly even; 1.5 means the busiest pod gets 50% more than its
	// fair share.
	MaxOverMean float64 `json:"maxOverMean"`
	// MinOverMean is the smallest pod share divided by the mean share.
	MinOverMean float64 `json:"minOverMean"`
	// CrossZoneFraction is the fraction of traffic served by a pod in a zone
	// other than the zone of the load-balancer node that received it.
	CrossZoneFraction float64 `json:"crossZoneFraction"`
	// ExtraHopFraction is the fraction of traffic a node forwards to a pod on
	// another node (instance targets with externalTrafficPolicy Cluster only).
	ExtraHopFraction float64 `json:"extraHopFraction"`
}

// PodShare is one pod's expected share of the load balancer's traffic.
type PodShare struct {
	// Zone is the pod's zone.
	Zone string `json:"zone"`
	// Node is the pod's node.
	Node string `json:"node"`
	// Index is the pod's position on its node, from 0.
	Index int `json:"index"`
	// Share is the fraction of all traffic the pod receives; shares sum to 1.
	Share float64 `json:"share"`
}

// exact holds the model's results as rationals, before conversion: shares are
// kept per node because every pod on a node gets the same share, which keeps
// the work proportional to nodes rather than pods.
type exact struct {
	nodeShare   [][]*big.Rat // [zone][node]; nil for a node without pods
	maxShare    *big.Rat
	minShare    *big.Rat
	crossZone   *big.Rat
	extraHop    *big.Rat
	totalPods   int64
	maxOverMean *big.Rat
	minOverMean *big.Rat
}

// Predict validates the topology and computes each pod's share of traffic
// and the cross-zone and extra-hop fractions. Shares are computed exactly and
// rounded once to float64, so equal shares are equal floats and an even layout
// gives MaxOverMean exactly 1.
func Predict(t Topology) (Prediction, error) {
	if err := t.Validate(); err != nil {
		return Prediction{}, err
	}
	e := predictExact(t)
	p := Prediction{
		Pods:              make([]PodShare, 0, e.totalPods),
		MaxOverMean:       ratFloat(e.maxOverMean),
		MinOverMean:       ratFloat(e.minOverMean),
		CrossZoneFraction: ratFloat(e.crossZone),
		ExtraHopFraction:  ratFloat(e.extraHop),
	}
	// Shares repeat (one rational per zone or per distinct pod count), so
	// convert each distinct one once.
	floats := map[*big.Rat]float64{}
	for zi, z := range t.Zones {
		for ni, n := range z.Nodes {
			if n.Pods == 0 {
				continue
			}
			r := e.nodeShare[zi][ni]
			s, ok := floats[r]
			if !ok {
				s = ratFloat(r)
				floats[r] = s
			}
			for k := range n.Pods {
				p.Pods = append(p.Pods, PodShare{Zone: z.Name, Node: n.Name, Index: k, Share: s})
			}
		}
	}
	return p, nil
}

func ratFloat(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}

// zoneCounts are the per-zone totals the closed forms below need.
type zoneCounts struct {
	pods     int64 // ready pods
	nodes    int64 // all nodes
	podNodes int64 // nodes with at least one pod
	targets  int64 // eligible targets under the topology's target type and policy
}

// predictExact applies the semantics in the package comment in closed form:
// O(zones + nodes) rational operations, never a walk over every (LB node,
// target, pod) triple. The test file checks it against that walk.
func predictExact(t Topology) exact {
	policy := t.EffectivePolicy()
	ip := t.LoadBalancer.TargetType == TargetTypeIP
	cluster := policy == PolicyCluster
	local := policy == PolicyLocal

	zc := make([]zoneCounts, len(t.Zones))
	var totalPods, totalTargets int64
	for i, z := range t.Zones {
		c := &zc[i]
		for _, n := range z.Nodes {
			c.nodes++
			c.pods += int64(n.Pods)
			if n.Pods > 0 {
				c.podNodes++
			}
		}
		switch {
		case ip:
			c.targets = c.pods
		case cluster:
			c.targets = c.nodes
		case local:
			c.targets = c.podNodes
		}
		totalPods += c.pods
		totalTargets += c.targets
	}

	// dnsZones: the zones clients are spread over.
	var dnsZones int64
	for _, c := range zc {
		if t.LoadBalancer.CrossZone || c.targets > 0 {
			dnsZones++
		}
	}

	// targetShare[z]: the share of all traffic one eligible target in zone z
	// receives. Cross-zone on: every LB node spreads over all targets, so each
	// gets 1/targets whatever the zones. Off: zone z's LB node takes 1/dnsZones
	// and splits it over its own targets.
	targetShare := make([]*big.Rat, len(zc))
	var everyTarget *big.Rat // shared, so equal shares are one rational
	for i, c := range zc {
		switch {
		case c.targets == 0:
			targetShare[i] = new(big.Rat)
		case t.LoadBalancer.CrossZone:
			if everyTarget == nil {
				everyTarget = big.NewRat(1, totalTargets)
			}
			targetShare[i] = everyTarget
		default:
			targetShare[i] = fracOf(1, dnsZones, c.targets)
		}
	}

	e := exact{totalPods: totalPods, nodeShare: make([][]*big.Rat, len(t.Zones))}
	uniform := big.NewRat(1, totalPods)
	compared := map[*big.Rat]bool{}
	for zi, z := range t.Zones {
		e.nodeShare[zi] = make([]*big.Rat, len(z.Nodes))
		// Under Local, nodes of a zone with the same pod count share one
		// rational: real layouts have a handful of distinct counts, so the
		// rational work stays per distinct count, not per node.
		var byPods map[int]*big.Rat
		for ni, n := range z.Nodes {
			if n.Pods == 0 {
				continue
			}
			var s *big.Rat
			switch {
			case ip:
				s = targetShare[zi]
			case cluster:
				// Whatever node a request lands on, kube-proxy picks among all
				// pods uniformly, so the node-level spread washes out.
				s = uniform
			default:
				if s = byPods[n.Pods]; s == nil {
					s = new(big.Rat).Quo(targetShare[zi], big.NewRat(int64(n.Pods), 1))
					if byPods == nil {
						byPods = map[int]*big.Rat{}
					}
					byPods[n.Pods] = s
				}
			}
			e.nodeShare[zi][ni] = s
			if compared[s] {
				continue // Rat.Cmp allocates; each distinct rational once is enough
			}
			compared[s] = true
			if e.maxShare == nil || s.Cmp(e.maxShare) > 0 {
				e.maxShare = s
			}
			if e.minShare == nil || s.Cmp(e.minShare) < 0 {
				e.minShare = s
			}
		}
	}
	pods := big.NewRat(totalPods, 1)
	e.maxOverMean = new(big.Rat).Mul(e.maxShare, pods)
	e.minOverMean = new(big.Rat).Mul(e.minShare, pods)

	e.crossZone = crossZoneFraction(t.LoadBalancer.CrossZone, ip, cluster, zc, dnsZones, totalPods, totalTargets)

	e.extraHop = new(big.Rat)
	if cluster {
		// A request on node n stays on n with probability pods(n)/P, so zone z's
		// nodes together send targetShare(z) * sum_n (1 - pods(n)/P)
		// = targetShare(z) * (nodes(z) - pods(z)/P) elsewhere.
		for i, c := range zc {
			if c.targets == 0 {
				continue
			}
			away := new(big.Rat).Sub(big.NewRat(c.nodes, 1), big.NewRat(c.pods, totalPods))
			e.extraHop.Add(e.extraHop, away.Mul(away, targetShare[i]))
		}
	}
	return e
}

// crossZoneFraction sums, over the zones in DNS, 1/dnsZones times the
// probability that a request entering there is served in another zone.
func crossZoneFraction(crossZone, ip, cluster bool, zc []zoneCounts, dnsZones, totalPods, totalTargets int64) *big.Rat {
	out := new(big.Rat)
	if !crossZone && !cluster {
		// ip and Local with cross-zone off never leave the zone: the target is
		// the pod, or the node that serves from its own pods.
		return out
	}
	for _, c := range zc {
		if !crossZone && c.targets == 0 {
			continue // not in DNS
		}
		// stay: probability the serving pod is in this LB node's zone.
		var stay *big.Rat
		switch {
		case !crossZone:
			// Cluster, own-zone nodes: kube-proxy picks any pod in the cluster.
			stay = big.NewRat(c.pods, totalPods)
		case ip || cluster:
			// Every target anywhere, and (for Cluster) any pod behind it:
			// the serving pod is uniform over all pods.
			stay = big.NewRat(c.pods, totalPods)
		default:
			// Local: uniform over nodes with pods; served on that node.
			stay = big.NewRat(c.podNodes, totalTargets)
		}
		leave := new(big.Rat).Sub(big.NewRat(1, 1), stay)
		out.Add(out, leave.Mul(leave, big.NewRat(1, dnsZones)))
	}
	return out
}

// fracOf returns num/(a*b) without int64 overflow.
func fracOf(num, a, b int64) *big.Rat {
	den := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	return new(big.Rat).SetFrac(big.NewInt(num), den)
}
