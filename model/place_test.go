package model

import (
	"errors"
	"reflect"
	"testing"

	"github.com/eksbalance/eksbalance/internal/validation"
)

func capacity(nodesPerZone ...int) []ZoneCapacity {
	out := make([]ZoneCapacity, len(nodesPerZone))
	for i, n := range nodesPerZone {
		name := string(rune('a' + i))
		out[i] = ZoneCapacity{Name: name, Nodes: []string{}}
		for j := range n {
			out[i].Nodes = append(out[i].Nodes, name+string(rune('1'+j)))
		}
	}
	return out
}

// podsOf flattens a layout to pods per node, zone by zone.
func podsOf(zones []Zone) [][]int {
	out := make([][]int, len(zones))
	for i, z := range zones {
		out[i] = []int{}
		for _, n := range z.Nodes {
			out[i] = append(out[i], n.Pods)
		}
	}
	return out
}

var (
	both     = Spread{ZoneMaxSkew: 1, HostMaxSkew: 1}
	zoneOnly = Spread{ZoneMaxSkew: 1}
	hostOnly = Spread{HostMaxSkew: 1}
	none     = Spread{}
)

func TestPlace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		zones    []ZoneCapacity
		replicas int
		spread   Spread
		want     [][]int
		pending  int
	}{
		{"one per node", capacity(2, 2, 2), 6, both, [][]int{{1, 1}, {1, 1}, {1, 1}}, 0},
		{"zones first, then nodes", capacity(2, 2, 2), 4, both, [][]int{{1, 1}, {1, 0}, {1, 0}}, 0},
		{"two rounds", capacity(2, 2, 2), 12, both, [][]int{{2, 2}, {2, 2}, {2, 2}}, 0},
		{"default soft spread on fresh nodes", capacity(2, 2, 2), 6, none, [][]int{{1, 1}, {1, 1}, {1, 1}}, 0},
		// Soft scoring weighs node counts by ln(nodes+2) = ln 6 and zone counts
		// by ln(zones+2) = ln 4: the 4th pod prefers the empty b3 (zone b has
		// 2 pods: 2*ln4 = 2.77) over a1 (ln4 + ln6 = 3.18).
		{"default prefers an empty node in a fuller zone", capacity(1, 3), 4, none, [][]int{{1}, {1, 1, 1}}, 0},
		// Zone constraint only: the 2nd pod cannot go to a (skew 2); the 3rd
		// goes to an empty node (least allocated); the 4th cannot go to b
		// (3 - 1 = 2 > 1), so a1 takes a second pod.
		{"zone constraint only", capacity(1, 3), 4, zoneOnly, [][]int{{2}, {1, 1, 0}}, 0},
		// Both constraints over 1 + 3 nodes: the 4th pod has no node that
		// keeps both skews within 1. The scheduler leaves it Pending.
		{"constraints conflict", capacity(1, 3), 4, both, [][]int{{1}, {1, 1, 0}}, 1},
		{"hostname only", capacity(2), 5, hostOnly, [][]int{{3, 2}}, 0},
		{"looser zone skew still spreads", capacity(2, 2), 4, Spread{ZoneMaxSkew: 3}, [][]int{{1, 1}, {1, 1}}, 0},
		{"zone without nodes is no domain", capacity(2, 0, 2), 4, both, [][]int{{1, 1}, {}, {1, 1}}, 0},
		{"zero replicas", capacity(2, 2), 0, both, [][]int{{0, 0}, {0, 0}}, 0},
		{"no node anywhere", capacity(0, 0), 2, both, [][]int{{}, {}}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Place(tc.zones, tc.replicas, tc.spread)
			if tc.pending > 0 {
				var ue *UnschedulableError
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want *UnschedulableError", err)
				}
				if ue.Replicas-ue.Placed != tc.pending {
					t.Errorf("pending %d, want %d (%v)", ue.Replicas-ue.Placed, tc.pending, err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(podsOf(got), tc.want) {
				t.Errorf("layout %v, want %v", podsOf(got), tc.want)
			}
			for i, z := range got {
				if z.Name != tc.zones[i].Name {
					t.Errorf("zone %d named %q, want %q", i, z.Name, tc.zones[i].Name)
				}
				for j, n := range z.Nodes {
					if n.Name != tc.zones[i].Nodes[j] {
						t.Errorf("zone %d node %d named %q, want %q", i, j, n.Name, tc.zones[i].Nodes[j])
					}
				}
			}
		})
	}
}

// TestPlaceRespectsSkew checks the hard constraints hold after every
// successful placement over many sizes.
func TestPlaceRespectsSkew(t *testing.T) {
	t.Parallel()
	for _, nodes := range [][]int{{1, 2, 3}, {3, 3, 3}, {2, 5}, {4}} {
		for replicas := 0; replicas <= 20; replicas++ {
			for _, sp := range []Spread{both, zoneOnly, hostOnly, {ZoneMaxSkew: 2, HostMaxSkew: 2}} {
				zones, err := Place(capacity(nodes...), replicas, sp)
				var ue *UnschedulableError
				if err != nil && !errors.As(err, &ue) {
					t.Fatal(err)
				}
				placed := replicas
				if ue != nil {
					placed = ue.Placed
				}
				zmin, zmax, hmin, hmax, total := 1<<30, 0, 1<<30, 0, 0
				for _, z := range zones {
					zc := 0
					for _, n := range z.Nodes {
						zc += n.Pods
						hmin, hmax = min(hmin, n.Pods), max(hmax, n.Pods)
					}
					total += zc
					if len(z.Nodes) > 0 {
						zmin, zmax = min(zmin, zc), max(zmax, zc)
					}
				}
				if total != placed {
					t.Fatalf("%v %d %+v: %d pods in layout, %d placed", nodes, replicas, sp, total, placed)
				}
				if sp.ZoneMaxSkew > 0 && zmax-zmin > sp.ZoneMaxSkew {
					t.Errorf("%v %d %+v: zone skew %d", nodes, replicas, sp, zmax-zmin)
				}
				if sp.HostMaxSkew > 0 && hmax-hmin > sp.HostMaxSkew {
					t.Errorf("%v %d %+v: host skew %d", nodes, replicas, sp, hmax-hmin)
				}
			}
		}
	}
}

func TestPlaceValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*[]ZoneCapacity, *int, *Spread)
		field  string
	}{
		{"negative replicas", func(_ *[]ZoneCapacity, r *int, _ *Spread) { *r = -1 }, "replicas"},
		{"negative zone skew", func(_ *[]ZoneCapacity, _ *int, s *Spread) { s.ZoneMaxSkew = -1 }, "spread.zoneMaxSkew"},
		{"negative host skew", func(_ *[]ZoneCapacity, _ *int, s *Spread) { s.HostMaxSkew = -1 }, "spread.hostMaxSkew"},
		{"no zones", func(z *[]ZoneCapacity, _ *int, _ *Spread) { *z = nil }, "zones"},
		{"empty zone name", func(z *[]ZoneCapacity, _ *int, _ *Spread) { (*z)[1].Name = "" }, "zones[1].name"},
		{"duplicate zone", func(z *[]ZoneCapacity, _ *int, _ *Spread) { (*z)[1].Name = "a" }, "zones[1].name"},
		{"empty node name", func(z *[]ZoneCapacity, _ *int, _ *Spread) { (*z)[0].Nodes[1] = "" }, "zones[0].nodes[1]"},
		{"duplicate node", func(z *[]ZoneCapacity, _ *int, _ *Spread) { (*z)[1].Nodes[0] = "a1" }, "zones[1].nodes[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			zones, replicas, spread := capacity(2, 2), 3, both
			tc.mutate(&zones, &replicas, &spread)
			_, err := Place(zones, replicas, spread)
			var ve *validation.Errors
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *validation.Errors", err)
			}
			if !reflect.DeepEqual(ve.Fields(), []string{tc.field}) {
				t.Errorf("fields %v, want [%s]", ve.Fields(), tc.field)
			}
		})
	}
}

func TestContrast(t *testing.T) {
	t.Parallel()
	// 4 replicas over 3 zones x 2 nodes with the toolkit's spread: 2/1/1 per zone.
	zones, err := Place(capacity(2, 2, 2), 4, both)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Contrast(KindNLB, zones)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, np := range set {
		names = append(names, np.Variant.Name)
		direct, err := Predict(np.Topology)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(direct, np.Prediction) {
			t.Errorf("%s: prediction differs from Predict on its topology", np.Variant.Name)
		}
		if np.Topology.LoadBalancer.Kind != KindNLB || !reflect.DeepEqual(np.Topology.Zones, zones) {
			t.Errorf("%s: topology does not carry the kind and zones given", np.Variant.Name)
		}
	}
	want := []string{"ip-crosszone-on", "ip-crosszone-off", "instance-cluster", "instance-local"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("variants %v, want %v", names, want)
	}
	// Toolkit default: exactly even. ip without cross-zone: zone a's 2 pods
	// get 1/6, the others 1/3: max/mean 4/3. Cluster: even but 2/3 cross-zone.
	checks := []struct{ max, cross, hop float64 }{
		{1, 2.0 / 3, 0},
		{4.0 / 3, 0, 0},
		{1, 1 - (1.0/3)*(2.0/4) - (2.0/3)*(1.0/4), 0},
		{4.0 / 3, 0, 0},
	}
	for i, c := range checks {
		p := set[i].Prediction
		if !near(p.MaxOverMean, c.max) || !near(p.CrossZoneFraction, c.cross) {
			t.Errorf("%s: max/mean %v cross %v, want %v %v", want[i], p.MaxOverMean, p.CrossZoneFraction, c.max, c.cross)
		}
	}
	if set[2].Prediction.ExtraHopFraction <= 0 {
		t.Errorf("instance-cluster: extra hop %v, want > 0", set[2].Prediction.ExtraHopFraction)
	}
	if _, err := Contrast("clb", zones); err == nil {
		t.Error("Contrast accepted an unknown kind")
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-12 && d > -1e-12 }
