package model

import (
	"errors"
	"fmt"
	"math/big"
)

// ZoneLoss is a layout with one zone out of service: shifted away (an ARC
// zonal shift takes its load-balancer node out of DNS and, with cross-zone
// on, stops the other nodes sending to its targets) or down (its
// load-balancer node, nodes and pods gone). Either way its pods serve
// nothing and the load balancer spreads everything over the other zones with
// the usual rules: Predict on the topology without that zone.
type ZoneLoss struct {
	// Zone is the zone taken out.
	Zone string `json:"zone"`
	// Survivors is the number of pods left; 0 when the zone held every pod
	// (then nothing below is set: the service is down).
	Survivors int `json:"survivors"`
	// Prediction is the survivors' shares.
	Prediction Prediction `json:"prediction"`
	// Load is, per surviving pod (in Prediction.Pods' order), its share with
	// the zone out over its share before: with 3 even zones, 1.5 for every
	// survivor.
	Load []float64 `json:"load"`
	// MaxLoad and MinLoad are the largest and smallest Load.
	MaxLoad float64 `json:"maxLoad"`
	MinLoad float64 `json:"minLoad"`
	// PeakOverMean is the busiest survivor's share over the mean share before
	// the loss (1/pods). An autoscaler that held the average utilization at
	// its target finds that pod at target x PeakOverMean right after the
	// loss, until it adds pods.
	PeakOverMean float64 `json:"peakOverMean"`
}

// ZoneLost evaluates the topology with each of its zones out in turn, in the
// topology's zone order.
func ZoneLost(t Topology) ([]ZoneLoss, error) {
	before, err := Predict(t)
	if err != nil {
		return nil, err
	}
	type key struct {
		zone, node string
		index      int
	}
	was := make(map[key]float64, len(before.Pods))
	for _, p := range before.Pods {
		was[key{p.Zone, p.Node, p.Index}] = p.Share
	}
	out := make([]ZoneLoss, 0, len(t.Zones))
	for zi, z := range t.Zones {
		row := ZoneLoss{Zone: z.Name}
		rest := without(t, zi)
		if rest.TotalPods() == 0 {
			out = append(out, row)
			continue
		}
		p, err := Predict(rest)
		if err != nil {
			return nil, fmt.Errorf("zone %s out: %w", z.Name, err)
		}
		row.Survivors = len(p.Pods)
		row.Prediction = p
		row.Load = make([]float64, len(p.Pods))
		hi := 0.0
		for i, ps := range p.Pods {
			row.Load[i] = ps.Share / was[key{ps.Zone, ps.Node, ps.Index}]
			hi = max(hi, ps.Share)
			if i == 0 || row.Load[i] > row.MaxLoad {
				row.MaxLoad = row.Load[i]
			}
			if i == 0 || row.Load[i] < row.MinLoad {
				row.MinLoad = row.Load[i]
			}
		}
		row.PeakOverMean = hi * float64(len(before.Pods))
		out = append(out, row)
	}
	return out, nil
}

// WorstZoneLoss returns the largest PeakOverMean over the zones and the zone
// it belongs to, in O(zones + nodes): the check an autoscaling target is held
// to. It is an error when some zone holds every pod (losing it loses all).
func WorstZoneLoss(t Topology) (peak float64, zone string, err error) {
	if err := t.Validate(); err != nil {
		return 0, "", err
	}
	total := big.NewRat(int64(t.TotalPods()), 1)
	var worst *big.Rat
	for zi, z := range t.Zones {
		rest := without(t, zi)
		if rest.TotalPods() == 0 {
			return 0, "", fmt.Errorf("zone %s holds every pod: losing it leaves none", z.Name)
		}
		if err := rest.Validate(); err != nil {
			return 0, "", err
		}
		e := predictExact(rest)
		p := new(big.Rat).Mul(e.maxShare, total)
		if worst == nil || p.Cmp(worst) > 0 {
			worst, zone = p, z.Name
		}
	}
	if worst == nil {
		return 0, "", errors.New("no zone")
	}
	return ratFloat(worst), zone, nil
}

// without is t with zone zi removed.
func without(t Topology, zi int) Topology {
	rest := t
	rest.Clients = nil // its callers' zones may name the lost one; shares do not depend on it
	rest.Zones = make([]Zone, 0, len(t.Zones)-1)
	rest.Zones = append(rest.Zones, t.Zones[:zi]...)
	rest.Zones = append(rest.Zones, t.Zones[zi+1:]...)
	return rest
}
