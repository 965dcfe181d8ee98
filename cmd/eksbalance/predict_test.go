package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const seedFile = "../../model/testdata/seed.yaml"

func TestPredictJSON(t *testing.T) {
	t.Parallel()
	// Flags before and after the file are both accepted.
	for _, args := range [][]string{
		{"predict", seedFile, "-o", "json"},
		{"predict", "-o", "json", seedFile},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d, stderr %s", args, code, errb.String())
		}
		var doc struct {
			Pods []struct {
				Zone  string   `json:"zone"`
				Node  string   `json:"node"`
				Index *int     `json:"index"`
				Share *float64 `json:"share"`
			} `json:"pods"`
			MaxOverMean       *float64        `json:"maxOverMean"`
			MinOverMean       *float64        `json:"minOverMean"`
			CrossZoneFraction *float64        `json:"crossZoneFraction"`
			ExtraHopFraction  *float64        `json:"extraHopFraction"`
			Simulation        json.RawMessage `json:"simulation"`
			ZoneLost          json.RawMessage `json:"zoneLost"`
			Population        json.RawMessage `json:"population"`
		}
		dec := json.NewDecoder(&out)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if doc.MaxOverMean == nil || doc.MinOverMean == nil || doc.CrossZoneFraction == nil || doc.ExtraHopFraction == nil {
			t.Fatalf("%v: missing top-level fields: %+v", args, doc)
		}
		if *doc.MaxOverMean != 1.5 || *doc.MinOverMean != 0.75 || *doc.CrossZoneFraction != 0 || *doc.ExtraHopFraction != 0 {
			t.Errorf("%v: figures %v %v %v %v, want 1.5 0.75 0 0", args, *doc.MaxOverMean, *doc.MinOverMean, *doc.CrossZoneFraction, *doc.ExtraHopFraction)
		}
		if len(doc.Pods) != 6 {
			t.Fatalf("%v: %d pods, want 6", args, len(doc.Pods))
		}
		want := []struct {
			zone, node string
			index      int
			share      float64
		}{
			{"us-east-1a", "a1", 0, 1.0 / 8}, {"us-east-1a", "a1", 1, 1.0 / 8}, {"us-east-1a", "a2", 0, 1.0 / 4},
			{"us-east-1b", "b1", 0, 1.0 / 6}, {"us-east-1b", "b1", 1, 1.0 / 6}, {"us-east-1b", "b1", 2, 1.0 / 6},
		}
		for i, w := range want {
			p := doc.Pods[i]
			if p.Zone != w.zone || p.Node != w.node || p.Index == nil || *p.Index != w.index || p.Share == nil || math.Abs(*p.Share-w.share) > 1e-12 {
				t.Errorf("%v: pod %d = %+v, want %+v", args, i, p, w)
			}
		}
		if doc.Simulation != nil {
			t.Errorf("%v: simulation present though not asked for", args)
		}
		var zoneLost []struct {
			Zone      string `json:"zone"`
			Survivors int    `json:"survivors"`
		}
		var population []struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(doc.ZoneLost, &zoneLost); err != nil || len(zoneLost) != 2 || zoneLost[0].Zone != "us-east-1a" || zoneLost[0].Survivors != 3 {
			t.Errorf("%v: zoneLost = %+v (%v), want a row per zone, 3 pods left without us-east-1a", args, zoneLost, err)
		}
		if err := json.Unmarshal(doc.Population, &population); err != nil || len(population) != 5 || population[1].Name != "toolkit-default" {
			t.Errorf("%v: population = %+v (%v), want the file's row and 4 variants", args, population, err)
		}
	}
}

func TestPredictText(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := run([]string{"predict", seedFile, "--contrast", "--simulate", "--runs", "5", "--max-requests", "10"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	expectText(t, out.String(),
		"nlb, instance targets, externalTrafficPolicy Local, cross-zone off",
		"6 pods: max/mean 1.500, min/mean 0.750",
		"ip targets, cross-zone on (toolkit default)",
		"balancing L4, recycled every 10 requests; 5 runs, seed 0",
	)
}

func TestPredictSimulateJSONRepeats(t *testing.T) {
	t.Parallel()
	get := func() string {
		var out, errb bytes.Buffer
		if code := run([]string{"predict", seedFile, "-o", "json", "--seed", "9", "--requests", "pareto", "--runs", "4"}, &out, &errb); code != 0 {
			t.Fatalf("exit %d, stderr %s", code, errb.String())
		}
		var doc struct {
			Simulation *struct {
				MaxOverMean struct{ Mean, HalfWidth float64 } `json:"maxOverMean"`
				Config      struct {
					Distribution string `json:"distribution"`
					Repetitions  int    `json:"repetitions"`
				} `json:"config"`
			} `json:"simulation"`
		}
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Simulation == nil || doc.Simulation.Config.Distribution != "pareto" || doc.Simulation.Config.Repetitions != 4 || doc.Simulation.MaxOverMean.Mean < 1 {
			t.Fatalf("simulation = %+v", doc.Simulation)
		}
		return out.String()
	}
	if a, b := get(), get(); a != b {
		t.Error("same seed, different output")
	}
}

func TestPredictBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"no zones", []string{"predict", write("nozones.yaml", "loadBalancer: {kind: nlb, targetType: ip}\nzones: []\n")}, []string{"zones", "at least one zone"}},
		{"negative pods", []string{"predict", write("neg.yaml", "loadBalancer: {kind: nlb, targetType: ip}\nzones: [{name: a, nodes: [{name: n, pods: -1}, {name: m, pods: 1}]}]\n")}, []string{"zones[0].nodes[0].pods", "negative"}},
		{"unknown kind", []string{"predict", write("kind.yaml", "loadBalancer: {kind: elb, targetType: ip}\nzones: [{name: a, nodes: [{name: n, pods: 1}]}]\n")}, []string{"loadBalancer.kind", `"elb"`}},
		{"no pods", []string{"predict", write("nopods.yaml", "loadBalancer: {kind: nlb, targetType: ip}\nzones: [{name: a, nodes: [{name: n, pods: 0}]}]\n")}, []string{"zones", "at least one pod"}},
		{"eTP with ip", []string{"predict", write("etp.yaml", "loadBalancer: {kind: nlb, targetType: ip}\nexternalTrafficPolicy: Local\nzones: [{name: a, nodes: [{name: n, pods: 1}]}]\n")}, []string{"externalTrafficPolicy"}},
		{"unknown field", []string{"predict", write("field.yaml", "loadBalancer: {kind: nlb, targetType: ip}\nreplicas: 2\nzones: [{name: a, nodes: [{name: n, pods: 1}]}]\n")}, []string{"replicas", "unknown field"}},
		{"missing file", []string{"predict", filepath.Join(dir, "nope.yaml")}, []string{"nope.yaml"}},
		{"no file", []string{"predict"}, []string{"a topology FILE is required"}},
		{"two files", []string{"predict", seedFile, seedFile}, []string{"takes one topology FILE, got 2"}},
		{"bad output", []string{"predict", seedFile, "-o", "xml"}, []string{`-o is "xml": want text or json`}},
		{"unknown flag", []string{"predict", seedFile, "--frobnicate"}, []string{"frobnicate"}},
		{"bad simulation", []string{"predict", seedFile, "--requests", "zipf"}, []string{"distribution", "zipf"}},
		{"bad clients flag", []string{"predict", seedFile, "--clients", "callers=ten,pools=2"}, []string{"callers=ten", "whole number", "pools=2", "unknown key"}},
		{"bad clients value", []string{"predict", seedFile, "--clients", "callers=0,dns=sometimes"}, []string{"clients.dns", "sometimes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			if code := run(tc.args, &out, &errb); code != 2 {
				t.Errorf("exit %d, want 2; stdout %s", code, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			if out.Len() != 0 {
				t.Errorf("wrote to stdout on error: %s", out.String())
			}
		})
	}
}

func TestPredictHelp(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := run([]string{"predict", "-h"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "usage: eksbalance predict") {
		t.Errorf("exit %d, stderr %s", code, errb.String())
	}
}
