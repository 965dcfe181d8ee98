package live

import (
	"math"
	"reflect"
	"testing"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/tests/measure"
)

var ipCrossZone = model.LoadBalancer{Kind: model.KindNLB, TargetType: model.TargetTypeIP, CrossZone: true}

// unevenPlacement: zone a has one pod, b two (on one node), c three (two
// nodes); node c-2 and node a-2 run none.
func unevenPlacement() ([]PodPlacement, map[string]string) {
	pods := []PodPlacement{
		{Pod: "echo-c3", Node: "c-2", Zone: "zone-c", IP: "10.0.3.3"},
		{Pod: "echo-a1", Node: "a-1", Zone: "zone-a", IP: "10.0.1.1"},
		{Pod: "echo-b2", Node: "b-1", Zone: "zone-b", IP: "10.0.2.2"},
		{Pod: "echo-b1", Node: "b-1", Zone: "zone-b", IP: "10.0.2.1"},
		{Pod: "echo-c1", Node: "c-1", Zone: "zone-c", IP: "10.0.3.1"},
		{Pod: "echo-c2", Node: "c-1", Zone: "zone-c", IP: "10.0.3.2"},
	}
	nodes := map[string]string{"a-1": "zone-a", "a-2": "zone-a", "b-1": "zone-b", "c-1": "zone-c", "c-2": "zone-c"}
	return pods, nodes
}

func TestTopologyFor(t *testing.T) {
	t.Parallel()
	pods, nodes := unevenPlacement()
	got := TopologyFor(ipCrossZone, []string{"zone-d", "zone-a"}, nodes, pods)
	want := model.Topology{
		LoadBalancer: ipCrossZone,
		Zones: []model.Zone{
			{Name: "zone-a", Nodes: []model.Node{{Name: "a-1", Pods: 1}, {Name: "a-2", Pods: 0}}},
			{Name: "zone-b", Nodes: []model.Node{{Name: "b-1", Pods: 2}}},
			{Name: "zone-c", Nodes: []model.Node{{Name: "c-1", Pods: 2}, {Name: "c-2", Pods: 1}}},
			// A zone the load balancer is enabled in without any node: with
			// cross-zone on it still takes its share of clients.
			{Name: "zone-d", Nodes: []model.Node{}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TopologyFor:\n got %+v\nwant %+v", got, want)
	}
}

func TestExpectedShares(t *testing.T) {
	t.Parallel()
	pods, nodes := unevenPlacement()
	tests := []struct {
		name string
		lb   model.LoadBalancer
		want map[string]float64
	}{
		{
			// The toolkit's setting: every ready pod gets the same share,
			// whatever the placement.
			name: "ip targets, cross-zone on",
			lb:   ipCrossZone,
			want: map[string]float64{"echo-a1": 1.0 / 6, "echo-b1": 1.0 / 6, "echo-b2": 1.0 / 6, "echo-c1": 1.0 / 6, "echo-c2": 1.0 / 6, "echo-c3": 1.0 / 6},
		},
		{
			// Hand-computed: each zone gets a third of the clients and keeps
			// it, so the lone pod in zone a takes 1/3, zone b's two 1/6
			// each, zone c's three 1/9 each.
			name: "ip targets, cross-zone off",
			lb:   model.LoadBalancer{Kind: model.KindNLB, TargetType: model.TargetTypeIP},
			want: map[string]float64{"echo-a1": 1.0 / 3, "echo-b1": 1.0 / 6, "echo-b2": 1.0 / 6, "echo-c1": 1.0 / 9, "echo-c2": 1.0 / 9, "echo-c3": 1.0 / 9},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			shares, pred, err := ExpectedShares(TopologyFor(tc.lb, nil, nodes, pods), pods)
			if err != nil {
				t.Fatal(err)
			}
			if len(pred.Pods) != len(pods) {
				t.Errorf("prediction has %d pods, want %d", len(pred.Pods), len(pods))
			}
			if len(shares) != len(tc.want) {
				t.Errorf("shares for %d pods, want %d: %v", len(shares), len(tc.want), shares)
			}
			for pod, w := range tc.want {
				if g, ok := shares[pod]; !ok || math.Abs(g-w) > 1e-12 {
					t.Errorf("share of %s = %v (present %v), want %v", pod, g, ok, w)
				}
			}
		})
	}

	t.Run("duplicate pod names", func(t *testing.T) {
		t.Parallel()
		dup := append(append([]PodPlacement(nil), pods...), PodPlacement{Pod: "echo-a1", Node: "c-2", Zone: "zone-c"})
		if _, _, err := ExpectedShares(TopologyFor(ipCrossZone, nil, nodes, dup), dup); err == nil {
			t.Error("no error for two pods with one name")
		}
	})
	t.Run("no pods", func(t *testing.T) {
		t.Parallel()
		if _, _, err := ExpectedShares(TopologyFor(ipCrossZone, nil, nodes, nil), nil); err == nil {
			t.Error("no error for a placement without pods (the model has nothing to share)")
		}
	})
}

func even(n int) map[string]float64 {
	m := map[string]float64{}
	for i := range n {
		m[string(rune('a'+i))] = 1 / float64(n)
	}
	return m
}

func TestSampleSize(t *testing.T) {
	t.Parallel()
	six := even(6)
	n, err := SampleSize(six)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := measure.SampleSizeForImbalance(six, DetectImbalance, Alpha, Power)
	if err != nil {
		t.Fatal(err)
	}
	// Six pods at these thresholds need more than the floor, so the formula,
	// not the floor, decides.
	if raw <= MinRequests || n != raw {
		t.Errorf("SampleSize(6 even) = %d, formula %d, floor %d: want the formula's value above the floor", n, raw, MinRequests)
	}
	// Two pods need fewer than the floor by the formula; the floor applies.
	t.Logf("six even pods: %d requests (pod off by %.0f%% caught with p %.2f at alpha %g)", n, 100*DetectImbalance, Power, Alpha)
	if n2, err := SampleSize(even(2)); err != nil || n2 != MinRequests {
		t.Errorf("SampleSize(2 even) = %d, %v; want the floor %d", n2, err, MinRequests)
	}
	if _, err := SampleSize(even(1)); err == nil {
		t.Error("no error for one pod: there is no spread to test")
	}
}

func TestMaxOverMeanBound(t *testing.T) {
	t.Parallel()
	six := even(6)
	// Six even pods: 1 + 4 * 6 * sqrt((1/6)(5/6)/n).
	for _, n := range []int{3000, 6700, 100000} {
		want := 1 + NoiseZ*6*math.Sqrt((1.0/6)*(5.0/6)/float64(n))
		if got := MaxOverMeanBound(six, n); math.Abs(got-want) > 1e-12 {
			t.Errorf("bound(6 even, %d) = %v, want %v", n, got, want)
		}
	}
	if n, err := SampleSize(six); err != nil || n != 6491 {
		t.Errorf("SampleSize(6 even) = %d, %v; the package documentation quotes 6,491", n, err)
	} else if b := MaxOverMeanBound(six, n); b < 1.10 || b > 1.12 {
		t.Errorf("bound at %d requests = %.4f, documented as about 1.11", n, b)
	}
	if MaxOverMeanBound(six, 100000) >= MaxOverMeanBound(six, 3000) {
		t.Error("bound does not tighten with a larger sample")
	}

	// Uneven expectation (cross-zone off, 1/2/3 pods per zone): the model's
	// own max/mean is 6 x 1/3 = 2; the bound sits above it by the noise of
	// that pod, and pods expected to get nothing do not count in the mean.
	uneven := map[string]float64{"a1": 1.0 / 3, "b1": 1.0 / 6, "b2": 1.0 / 6, "c1": 1.0 / 9, "c2": 1.0 / 9, "c3": 1.0 / 9, "idle": 0}
	got := MaxOverMeanBound(uneven, 10000)
	want := 6 * (1.0/3 + NoiseZ*math.Sqrt((1.0/3)*(2.0/3)/10000))
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("bound(uneven) = %v, want %v", got, want)
	}

	// Both checks can fail at the suite's sample size: counts exactly as
	// expected pass them, one pod at 1.25x its share fails them.
	n, err := SampleSize(six)
	if err != nil {
		t.Fatal(err)
	}
	exact := map[string]int{}
	for name := range six {
		exact[name] = n / 6
	}
	if a, err := measure.Analyze(exact, six); err != nil || a.MaxOverMean > MaxOverMeanBound(six, a.Total) || !(a.PValue > Alpha) {
		t.Errorf("exactly expected counts fail: %v, %v", a, err)
	}
	hot := map[string]int{}
	for name := range six {
		hot[name] = n / 6
	}
	hot["a"] = int(1.25 * float64(n) / 6)
	a, err := measure.Analyze(hot, six)
	if err != nil {
		t.Fatal(err)
	}
	if a.MaxOverMean <= MaxOverMeanBound(six, a.Total) {
		t.Errorf("a pod at 1.25x the mean (max/mean %.3f) passes the bound %.3f", a.MaxOverMean, MaxOverMeanBound(six, a.Total))
	}
	if a.PValue > Alpha {
		t.Errorf("a pod at 1.25x the mean passes the chi-square test (p = %g)", a.PValue)
	}
}
