package model

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestWriteTextFitsAndShowsEveryPod(t *testing.T) {
	t.Parallel()
	long := topo(TargetTypeInstance, false, PolicyLocal, zs("ap-southeast-2a", 2, 1), zs("ap-southeast-2b", 3))
	long.Zones[0].Nodes[0].Name = "ip-10-0-123-234.ap-southeast-2.compute.internal"
	long.Zones[0].Nodes[1].Name = "a-node-name-without-any-dots-that-goes-on"
	for _, tp := range []Topology{seedTopology(), long} {
		p := mustPredict(t, tp)
		var buf bytes.Buffer
		if err := WriteText(&buf, tp, p); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
		// description, header, one row per pod, summary
		if len(lines) != len(p.Pods)+3 {
			t.Fatalf("%d lines for %d pods:\n%s", len(lines), len(p.Pods), buf.String())
		}
		for _, l := range lines {
			if len(l) > TextWidth {
				t.Errorf("line of %d columns: %q", len(l), l)
			}
		}
		if lines[0] != Describe(tp) || lines[len(lines)-1] != p.Summary() {
			t.Errorf("first/last line %q / %q", lines[0], lines[len(lines)-1])
		}
		for i, ps := range p.Pods {
			row := lines[2+i]
			if !strings.Contains(row, clip(ps.Node, 24)) || !strings.Contains(row, percent(ps.Share)) {
				t.Errorf("row %q lacks node %s or share %s", row, ps.Node, percent(ps.Share))
			}
		}
	}
}

func TestBar(t *testing.T) {
	t.Parallel()
	tests := []struct {
		share, mean, max float64
		width            int
		want             string
	}{
		{0.5, 0.25, 0.5, 8, "###|####"},   // twice the mean: full, marker halfway
		{0.125, 0.25, 0.5, 8, "## |"},     // half the mean: bar stops short of it
		{0.25, 0.25, 0.25, 8, "#######|"}, // even layout: every bar ends on the marker
		{1.0 / 3, 1.0 / 6, 1.0 / 3, 6, "##|###"},
		{0.1, 0.1, 0, 8, ""},
	}
	for _, tc := range tests {
		if got := bar(tc.share, tc.mean, tc.max, tc.width); got != tc.want {
			t.Errorf("bar(%v, %v, %v, %d) = %q, want %q", tc.share, tc.mean, tc.max, tc.width, got, tc.want)
		}
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a1":                           "a1",
		"ip-10-0-1-23.ec2.internal":    "ip-10-0-1-23",
		"abcdefghijklmnopqrstuvwxyz":   "abcdefghijk~",
		"abcdefghijklmnopqrstuvwxyz.x": "abcdefghijk~",
	} {
		if got := clip(in, 12); got != want {
			t.Errorf("clip(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSummaryAndDescribe(t *testing.T) {
	t.Parallel()
	p := mustPredict(t, seedTopology())
	if got, want := p.Summary(), "6 pods: max/mean 1.500, min/mean 0.750, cross-zone 0.00%, extra hop 0.00%"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	for tp, want := range map[*Topology]string{
		ptr(seedTopology()): "nlb, instance targets, externalTrafficPolicy Local, cross-zone off",
		ptr(topo(TargetTypeInstance, true, "", zs("a", 1))): "nlb, instance targets, externalTrafficPolicy Cluster, cross-zone on",
		ptr(topo(TargetTypeIP, true, "", zs("a", 1))):       "nlb, ip targets, cross-zone on",
	} {
		if got := Describe(*tp); got != want {
			t.Errorf("Describe = %q, want %q", got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestPredictionJSON pins the field names other modules read through
// `eksbalance predict -o json`.
func TestPredictionJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(mustPredict(t, seedTopology()))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(m), []string{"crossZoneFraction", "extraHopFraction", "maxOverMean", "minOverMean", "pods"}; !reflect.DeepEqual(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
	pod := m["pods"].([]any)[2].(map[string]any)
	if got, want := keys(pod), []string{"index", "node", "share", "zone"}; !reflect.DeepEqual(got, want) {
		t.Errorf("pod keys %v, want %v", got, want)
	}
	if pod["node"] != "a2" || pod["share"] != 0.25 || pod["index"] != 0.0 || pod["zone"] != "us-east-1a" {
		t.Errorf("pod 2 = %v", pod)
	}
}

func TestTopologyJSONRoundTrip(t *testing.T) {
	t.Parallel()
	tp := seedTopology()
	b, err := json.Marshal(tp)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadTopology(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if !reflect.DeepEqual(back, tp) {
		t.Errorf("round trip %+v, want %+v", back, tp)
	}
}

func TestWriteContrast(t *testing.T) {
	t.Parallel()
	zones, err := Place(capacity(2, 2, 2), 4, both)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Contrast(KindNLB, zones)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteContrast(&buf, set); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 1+len(set) {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	for i, l := range lines {
		if len(l) > TextWidth {
			t.Errorf("line of %d columns: %q", len(l), l)
		}
		if i > 0 && !strings.HasPrefix(l, set[i-1].Variant.Description) {
			t.Errorf("row %q does not start with %q", l, set[i-1].Variant.Description)
		}
	}
	if !strings.Contains(lines[2], "1.333") || !strings.Contains(lines[1], "1.000") {
		t.Errorf("rows lack the max/mean figures:\n%s", buf.String())
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
