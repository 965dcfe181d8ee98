package model

import (
	"fmt"
	"math"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// ZoneCapacity is one zone's nodes, before any pod of the workload is placed.
type ZoneCapacity struct {
	// Name is the zone's name. Required, unique.
	Name string `json:"name"`
	// Nodes are the zone's node names, in the order ties are broken. May be
	// empty (a zone the load balancer is enabled in but no node group covers).
	Nodes []string `json:"nodes"`
}

// Spread is the workload's topology spread constraints, all of them hard
// (whenUnsatisfiable: DoNotSchedule), as the toolkit's workload template
// sets them.
type Spread struct {
	// ZoneMaxSkew is the maxSkew of a constraint on topology.kubernetes.io/zone.
	// 0 (the default) means no such constraint.
	ZoneMaxSkew int `json:"zoneMaxSkew,omitempty"`
	// HostMaxSkew is the maxSkew of a constraint on kubernetes.io/hostname.
	// 0 (the default) means no such constraint.
	HostMaxSkew int `json:"hostMaxSkew,omitempty"`
}

// UnschedulableError reports replicas the constraints leave Pending. Place
// returns it together with the layout of the replicas that were placed.
type UnschedulableError struct {
	// Replicas is how many were asked for; Placed how many found a node.
	Replicas, Placed int
	// Reason says which constraint blocked the first pending replica.
	Reason string
}

func (e *UnschedulableError) Error() string {
	return fmt.Sprintf("%d of %d replicas cannot be scheduled (they stay Pending): %s", e.Replicas-e.Placed, e.Replicas, e.Reason)
}

// Place lays replicas out over the nodes the way the Kubernetes scheduler
// does on fresh, identical nodes that run nothing else of the workload,
// placing one replica at a time:
//
//  1. Filter: a node passes when placing the pod there keeps each given
//     constraint's skew (pods in the node's domain + 1 - the fewest pods in any
//     domain) within its maxSkew. Zone domains are the zones with at least one
//     node, as in the scheduler.
//  2. Score: when the Spread has no constraint at all, the scheduler applies
//     its system default soft constraints (zone maxSkew 5 and hostname maxSkew
//     3, ScheduleAnyway); its PodTopologySpread score is then
//     pods-in-zone*ln(zones+2) + pods-on-node*ln(nodes+2), lower preferred.
//     When the Spread has constraints, the defaults do not apply and hard
//     constraints are not scored. Then, ranked next, fewer pods on the node
//     (NodeResourcesFit's LeastAllocated on identical pods and nodes).
//  3. The real scheduler breaks remaining ties at random; Place takes the
//     first node in the given order, so results repeat.
//
// The result is "as even as the constraints allow" for a fresh rollout. It
// does not model later drift (node loss, scale-in, AZ recovery), which the
// scheduler never rebalances. Zones and nodes come back in the given order,
// nodes without pods included (they matter under externalTrafficPolicy
// Cluster). When the constraints leave replicas Pending, Place returns the
// layout of those placed and an *UnschedulableError.
func Place(zones []ZoneCapacity, replicas int, spread Spread) ([]Zone, error) {
	if err := validatePlacement(zones, replicas, spread); err != nil {
		return nil, err
	}
	type slot struct{ zone, node int }
	var nodes []slot
	zoneDomains := 0
	for zi, z := range zones {
		if len(z.Nodes) > 0 {
			zoneDomains++
		}
		for ni := range z.Nodes {
			nodes = append(nodes, slot{zi, ni})
		}
	}
	out := make([]Zone, len(zones))
	for zi, z := range zones {
		out[zi] = Zone{Name: z.Name, Nodes: make([]Node, len(z.Nodes))}
		for ni, n := range z.Nodes {
			out[zi].Nodes[ni] = Node{Name: n}
		}
	}
	if replicas == 0 {
		return out, nil
	}
	if len(nodes) == 0 {
		return out, &UnschedulableError{Replicas: replicas, Reason: "no zone has a node"}
	}

	zoneCount := make([]int, len(zones))
	soft := spread.ZoneMaxSkew == 0 && spread.HostMaxSkew == 0
	zoneWeight := math.Log(float64(zoneDomains + 2))
	hostWeight := math.Log(float64(len(nodes) + 2))

	for placed := range replicas {
		minZone, minHost := math.MaxInt, math.MaxInt
		for zi, z := range zones {
			if len(z.Nodes) > 0 {
				minZone = min(minZone, zoneCount[zi])
			}
		}
		for _, s := range nodes {
			minHost = min(minHost, out[s.zone].Nodes[s.node].Pods)
		}
		best := -1
		var bestScore float64
		var bestPods int
		zoneBlocked, hostBlocked := 0, 0
		for i, s := range nodes {
			pods := out[s.zone].Nodes[s.node].Pods
			if spread.ZoneMaxSkew > 0 && zoneCount[s.zone]+1-minZone > spread.ZoneMaxSkew {
				zoneBlocked++
				continue
			}
			if spread.HostMaxSkew > 0 && pods+1-minHost > spread.HostMaxSkew {
				hostBlocked++
				continue
			}
			score := 0.0
			if soft {
				score = float64(zoneCount[s.zone])*zoneWeight + float64(pods)*hostWeight
			}
			if best < 0 || score < bestScore || (score == bestScore && pods < bestPods) {
				best, bestScore, bestPods = i, score, pods
			}
		}
		if best < 0 {
			return out, &UnschedulableError{Replicas: replicas, Placed: placed, Reason: fmt.Sprintf(
				"no node passes the filter: %d of %d nodes would break the zone constraint (maxSkew %d), %d the hostname constraint (maxSkew %d)",
				zoneBlocked, len(nodes), spread.ZoneMaxSkew, hostBlocked, spread.HostMaxSkew)}
		}
		s := nodes[best]
		out[s.zone].Nodes[s.node].Pods++
		zoneCount[s.zone]++
	}
	return out, nil
}

func validatePlacement(zones []ZoneCapacity, replicas int, spread Spread) error {
	v := validation.New("placement")
	if replicas < 0 || replicas > MaxPods {
		v.Add("replicas", replicas, "must be between 0 and %d", MaxPods)
	}
	if spread.ZoneMaxSkew < 0 {
		v.Add("spread.zoneMaxSkew", spread.ZoneMaxSkew, "must be 0 (no constraint) or at least 1")
	}
	if spread.HostMaxSkew < 0 {
		v.Add("spread.hostMaxSkew", spread.HostMaxSkew, "must be 0 (no constraint) or at least 1")
	}
	if len(zones) == 0 {
		v.Add("zones", "[]", "must list at least one zone")
	}
	zoneAt := map[string]int{}
	nodeAt := map[string]string{}
	for i, z := range zones {
		zp := fmt.Sprintf("zones[%d]", i)
		checkZoneName(v, zp, z.Name, i, zoneAt)
		for k, n := range z.Nodes {
			np := fmt.Sprintf("%s.nodes[%d]", zp, k)
			if n == "" {
				v.Add(np, quote(n), "must not be empty")
			} else if first, dup := nodeAt[n]; dup {
				v.Add(np, quote(n), "must be unique across zones; %s has the same name", first)
			} else {
				nodeAt[n] = np
			}
		}
	}
	return v.Err()
}
