package model

import (
	"strings"
	"testing"
)

// TestZoneLostHandComputed works zone losses out by hand. Shares are per
// surviving pod in zone, node, pod order.
func TestZoneLostHandComputed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		topo   Topology
		lost   string
		shares []float64
		load   []float64
		peak   float64
		maxOvr float64
	}{
		{
			// 6 even pods at 1/6; 4 survive at 1/4: 1.5x each.
			name: "3 even zones, cross-zone on", topo: topo(TargetTypeIP, true, "", zs("a", 1, 1), zs("b", 1, 1), zs("c", 1, 1)), lost: "a",
			shares: []float64{.25, .25, .25, .25}, load: []float64{1.5, 1.5, 1.5, 1.5}, peak: 1.5, maxOvr: 1,
		},
		{
			// Cross-zone off, same layout: the two DNS zones left get 1/2 each, 1/4 per pod.
			name: "3 even zones, cross-zone off", topo: topo(TargetTypeIP, false, "", zs("a", 1, 1), zs("b", 1, 1), zs("c", 1, 1)), lost: "b",
			shares: []float64{.25, .25, .25, .25}, load: []float64{1.5, 1.5, 1.5, 1.5}, peak: 1.5, maxOvr: 1,
		},
		{
			// a:2 b:1 c:1, cross-zone on: 1/4 each. Lose a: b and c get 1/2 each
			// (2x); the busiest is 1/2 over the old mean 1/4: 2.
			name: "uneven, cross-zone on, lose the big zone", topo: topo(TargetTypeIP, true, "", zs("a", 2), zs("b", 1), zs("c", 1)), lost: "a",
			shares: []float64{.5, .5}, load: []float64{2, 2}, peak: 2, maxOvr: 1,
		},
		{
			// Lose b: a's two and c's one share evenly, 1/3 each (4/3x).
			name: "uneven, cross-zone on, lose a small zone", topo: topo(TargetTypeIP, true, "", zs("a", 2), zs("b", 1), zs("c", 1)), lost: "b",
			shares: []float64{1. / 3, 1. / 3, 1. / 3}, load: []float64{4. / 3, 4. / 3, 4. / 3}, peak: 4. / 3, maxOvr: 1,
		},
		{
			// Cross-zone off: a's pods 1/6, b 1/3, c 1/3. Lose b: a and c zones
			// 1/2 each: a's pods 1/4 (1.5x), c's 1/2 (1.5x); survivors'
			// max/mean (1/2)/(1/3) = 1.5; busiest 1/2 over 1/4 = 2.
			name: "uneven, cross-zone off, lose a small zone", topo: topo(TargetTypeIP, false, "", zs("a", 2), zs("b", 1), zs("c", 1)), lost: "b",
			shares: []float64{.25, .25, .5}, load: []float64{1.5, 1.5, 1.5}, peak: 2, maxOvr: 1.5,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows, err := ZoneLost(tc.topo)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(tc.topo.Zones) {
				t.Fatalf("%d rows, want one per zone", len(rows))
			}
			var row ZoneLoss
			worst := 0.0
			for _, r := range rows {
				if r.Zone == tc.lost {
					row = r
				}
				worst = max(worst, r.PeakOverMean)
			}
			if row.Survivors != len(tc.shares) {
				t.Fatalf("zone %s out: %d survivors, want %d", tc.lost, row.Survivors, len(tc.shares))
			}
			for i, p := range row.Prediction.Pods {
				if p.Zone == tc.lost {
					t.Errorf("pod %s/%s of the lost zone still listed", p.Zone, p.Node)
				}
				if !within(p.Share, tc.shares[i], 1e-12) || !within(row.Load[i], tc.load[i], 1e-12) {
					t.Errorf("pod %s/%s: share %.4f load %.3f, want %.4f and %.3f", p.Zone, p.Node, p.Share, row.Load[i], tc.shares[i], tc.load[i])
				}
			}
			if !within(row.PeakOverMean, tc.peak, 1e-12) || !within(row.Prediction.MaxOverMean, tc.maxOvr, 1e-12) {
				t.Errorf("peak %.3f max/mean %.3f, want %.3f and %.3f", row.PeakOverMean, row.Prediction.MaxOverMean, tc.peak, tc.maxOvr)
			}
			peak, _, err := WorstZoneLoss(tc.topo)
			if err != nil || !within(peak, worst, 1e-12) {
				t.Errorf("WorstZoneLoss = %v, %v; want the rows' largest peak %v", peak, err, worst)
			}
		})
	}
}

func TestZoneLostEveryPodInOneZone(t *testing.T) {
	t.Parallel()
	tp := topo(TargetTypeIP, true, "", zs("a", 2), zs("b"))
	rows, err := ZoneLost(tp)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Survivors != 0 || rows[1].Survivors != 2 {
		t.Errorf("rows %+v: want no survivor without a, both pods without b", rows)
	}
	if _, _, err := WorstZoneLoss(tp); err == nil || !strings.Contains(err.Error(), "holds every pod") {
		t.Errorf("WorstZoneLoss: err = %v, want one naming the zone that holds every pod", err)
	}
	var b strings.Builder
	if err := WriteZoneLost(&b, mustPredict(t, tp), rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "no pod left") {
		t.Errorf("table does not say the service is gone with zone a:\n%s", b.String())
	}
}
