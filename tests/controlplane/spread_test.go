package controlplane

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var testZones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

func testTemplate() corev1.PodTemplateSpec {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{TopologySpreadConstraints: []corev1.TopologySpreadConstraint{
			{MaxSkew: 1, TopologyKey: LabelZone, WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: sel, MatchLabelKeys: []string{"pod-template-hash"}},
			{MaxSkew: 1, TopologyKey: LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: sel, MatchLabelKeys: []string{"pod-template-hash"}},
		}},
	}
}

func testNodes(t *testing.T, perZone map[string]int) []corev1.Node {
	t.Helper()
	var groups []NodeGroup
	for _, z := range testZones {
		if perZone[z] > 0 {
			groups = append(groups, NodeGroup{Name: "ng-" + z, Zone: z, InstanceType: "m6i.large", Nodes: perZone[z]})
		}
	}
	nodes, err := NodeObjects(groups)
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

// testPods puts pods on the named nodes (one entry per pod), all of ReplicaSet hash h1.
func testPods(nodeNames ...string) []corev1.Pod {
	pods := make([]corev1.Pod, 0, len(nodeNames))
	for i, n := range nodeNames {
		pods = append(pods, corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%d", i), Namespace: "app",
				Labels: map[string]string{"app": "web", "pod-template-hash": "h1"}},
			Spec: corev1.PodSpec{NodeName: n},
		})
	}
	return pods
}

func TestSpreadCheck(t *testing.T) {
	t.Parallel()
	even := []string{"ng-us-east-1a-0", "ng-us-east-1a-1", "ng-us-east-1b-0", "ng-us-east-1b-1", "ng-us-east-1c-0", "ng-us-east-1c-1"}
	cases := []struct {
		name    string
		nodes   map[string]int
		pods    func() []corev1.Pod
		change  func(*SpreadCheck)
		wantErr []string // substrings; none means the placement must pass
	}{
		{name: "one pod per node passes", pods: func() []corev1.Pod { return testPods(even...) }},
		{
			name: "zone skew 2 fails on the zone constraint",
			pods: func() []corev1.Pod {
				return testPods("ng-us-east-1a-0", "ng-us-east-1a-1", "ng-us-east-1a-0", "ng-us-east-1b-0", "ng-us-east-1b-1", "ng-us-east-1c-0")
			},
			wantErr: []string{"topologyKey=topology.kubernetes.io/zone", "skew 2", "us-east-1a=3", "us-east-1c=1"},
		},
		{
			name:  "a zone without nodes passes for the scheduler's view",
			nodes: map[string]int{"us-east-1a": 2, "us-east-1b": 2},
			pods: func() []corev1.Pod {
				return testPods("ng-us-east-1a-0", "ng-us-east-1a-1", "ng-us-east-1a-0", "ng-us-east-1b-0", "ng-us-east-1b-1", "ng-us-east-1b-0")
			},
			change:  func(s *SpreadCheck) { s.DeclaredDomains = nil; s.SkipScheduleAnyway = true },
			wantErr: nil,
		},
		{
			name:  "a declared zone without nodes fails",
			nodes: map[string]int{"us-east-1a": 2, "us-east-1b": 2},
			pods: func() []corev1.Pod {
				return testPods("ng-us-east-1a-0", "ng-us-east-1a-1", "ng-us-east-1a-0", "ng-us-east-1b-0", "ng-us-east-1b-1", "ng-us-east-1b-0")
			},
			wantErr: []string{"skew 3", "us-east-1c=0"},
		},
		{
			name: "two pods on one node fails the hostname constraint",
			pods: func() []corev1.Pod {
				return testPods("ng-us-east-1a-0", "ng-us-east-1a-0", "ng-us-east-1b-0", "ng-us-east-1b-1", "ng-us-east-1c-0", "ng-us-east-1c-1")
			},
			wantErr: []string{"topologyKey=kubernetes.io/hostname", "whenUnsatisfiable=ScheduleAnyway", "ng-us-east-1a-0=2", "ng-us-east-1a-1=0"},
		},
		{
			name: "two pods on one node passes when soft constraints are skipped",
			pods: func() []corev1.Pod {
				return testPods("ng-us-east-1a-0", "ng-us-east-1a-0", "ng-us-east-1b-0", "ng-us-east-1b-1", "ng-us-east-1c-0", "ng-us-east-1c-1")
			},
			change: func(s *SpreadCheck) { s.SkipScheduleAnyway = true },
		},
		{
			name: "an unscheduled pod fails",
			pods: func() []corev1.Pod {
				p := testPods(append(even, "")...)
				return p
			},
			wantErr: []string{"1 pods not scheduled", "web-6"},
		},
		{
			name: "terminating and foreign pods are not counted",
			pods: func() []corev1.Pod {
				p := testPods(append(even, "ng-us-east-1a-0", "ng-us-east-1a-0")...)
				now := metav1.NewTime(time.Now())
				p[6].DeletionTimestamp = &now
				p[7].Namespace = "other"
				return p
			},
		},
		{
			name: "matchLabelKeys checks each ReplicaSet on its own",
			pods: func() []corev1.Pod {
				p := testPods(append(even, "ng-us-east-1a-0", "ng-us-east-1a-1")...)
				p[6].Labels["pod-template-hash"] = "h2"
				p[7].Labels["pod-template-hash"] = "h2"
				return p
			},
			wantErr: []string{"for pods with pod-template-hash=h2", "us-east-1a=2", "us-east-1b=0"},
		},
		{
			name: "required node affinity narrows the domains",
			pods: func() []corev1.Pod {
				return testPods("ng-us-east-1a-0", "ng-us-east-1a-1", "ng-us-east-1a-0", "ng-us-east-1b-0", "ng-us-east-1b-1", "ng-us-east-1b-0")
			},
			change: func(s *SpreadCheck) {
				s.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
						MatchExpressions: []corev1.NodeSelectorRequirement{{Key: LabelZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"us-east-1a", "us-east-1b"}}},
					}}},
				}}
				s.SkipScheduleAnyway = true
				s.DeclaredDomains = nil
			},
		},
		{
			name: "fewer domains than minDomains count the minimum as zero",
			pods: func() []corev1.Pod { return testPods(even...) },
			change: func(s *SpreadCheck) {
				four := int32(4)
				s.Template.Spec.TopologySpreadConstraints[0].MinDomains = &four
			},
			wantErr: []string{"topologyKey=topology.kubernetes.io/zone", "skew 2"},
		},
		{
			name:    "no constraints at all fails",
			pods:    func() []corev1.Pod { return testPods(even...) },
			change:  func(s *SpreadCheck) { s.Template.Spec.TopologySpreadConstraints = nil },
			wantErr: []string{"no topologySpreadConstraints"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			perZone := tc.nodes
			if perZone == nil {
				perZone = map[string]int{"us-east-1a": 2, "us-east-1b": 2, "us-east-1c": 2}
			}
			check := SpreadCheck{Template: testTemplate(), Namespace: "app", DeclaredDomains: map[string][]string{LabelZone: testZones}}
			if tc.change != nil {
				tc.change(&check)
			}
			err := check.Check(testNodes(t, perZone), tc.pods())
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("want no violation, got:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want a violation mentioning %q, got none", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestPlacementOf(t *testing.T) {
	t.Parallel()
	nodes := testNodes(t, map[string]int{"us-east-1a": 2, "us-east-1b": 1})
	pods := testPods("ng-us-east-1a-0", "ng-us-east-1a-0", "ng-us-east-1b-0", "")
	p, err := PlacementOf(nodes, pods, testZones)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.PodsPerZone(), map[string]int{"us-east-1a": 2, "us-east-1b": 1, "us-east-1c": 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pods per zone %v, want %v", got, want)
	}
	if got, want := p.PodsPerNode(), map[string]int{"ng-us-east-1a-0": 2, "ng-us-east-1a-1": 0, "ng-us-east-1b-0": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pods per node %v, want %v", got, want)
	}
	if p.Total() != 3 {
		t.Errorf("total %d, want 3 (the unscheduled pod is not placed)", p.Total())
	}
	topo := p.Topology(TopologyLB{Kind: KindNLB, TargetType: TargetTypeIP}, "")
	if len(topo.Zones) != 3 || len(topo.Zones[2].Nodes) != 0 || topo.Zones[0].Nodes[0].Pods != 2 {
		t.Errorf("topology does not mirror the placement: %+v", topo)
	}

	if _, err := PlacementOf(nodes, testPods("elsewhere"), nil); err == nil || !strings.Contains(err.Error(), "elsewhere") {
		t.Errorf("a pod on an unknown node must be an error naming the node, got %v", err)
	}
}
