package model

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/internal/validation"
)

func seedTopology() Topology {
	return Topology{
		LoadBalancer:          LoadBalancer{Kind: KindNLB, TargetType: TargetTypeInstance, CrossZone: false},
		ExternalTrafficPolicy: PolicyLocal,
		Zones: []Zone{
			{Name: "us-east-1a", Nodes: []Node{{Name: "a1", Pods: 2}, {Name: "a2", Pods: 1}}},
			{Name: "us-east-1b", Nodes: []Node{{Name: "b1", Pods: 3}}},
		},
	}
}

func TestReadTopologyFileSeed(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"testdata/seed.yaml", "testdata/seed.json"} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			got, err := ReadTopologyFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, seedTopology()) {
				t.Errorf("read %+v\nwant %+v", got, seedTopology())
			}
		})
	}
}

func TestReadTopologyCrossZoneDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc  string
		want bool
	}{
		{"loadBalancer: {kind: nlb, targetType: ip}\nzones: [{name: a, nodes: [{name: n, pods: 1}]}]\n", false},
		{"loadBalancer: {kind: alb, targetType: ip}\nzones: [{name: a, nodes: [{name: n, pods: 1}]}]\n", true},
		{"loadBalancer: {kind: alb, targetType: ip, crossZone: false}\nzones: [{name: a, nodes: [{name: n, pods: 1}]}]\n", false},
		{"loadBalancer: {kind: nlb, targetType: ip, crossZone: true}\nzones: [{name: a, nodes: [{name: n, pods: 1}]}]\n", true},
	}
	for _, tc := range tests {
		got, err := ReadTopology(strings.NewReader(tc.doc))
		if err != nil {
			t.Fatalf("%q: %v", tc.doc, err)
		}
		if got.LoadBalancer.CrossZone != tc.want {
			t.Errorf("%q: crossZone = %v, want %v", tc.doc, got.LoadBalancer.CrossZone, tc.want)
		}
	}
}

func TestReadTopologyErrors(t *testing.T) {
	t.Parallel()
	const good = `loadBalancer: {kind: nlb, targetType: instance, crossZone: false}
externalTrafficPolicy: Local
zones:
  - name: a
    nodes: [{name: a1, pods: 2}]
`
	if _, err := ReadTopology(strings.NewReader(good)); err != nil {
		t.Fatalf("valid default: %v", err)
	}
	tests := []struct {
		name   string
		doc    string
		fields []string // for *validation.Errors
		text   string   // substring of the message otherwise (and always, if set)
	}{
		{name: "unknown top-level field", doc: good + "replicas: 3\n", fields: []string{"replicas"}, text: "unknown field"},
		{name: "unknown nested field", doc: strings.Replace(good, "pods: 2", "pod: 2", 1), fields: []string{"zones[0].nodes[0].pod"}, text: "line 5"},
		{name: "unknown loadBalancer field", doc: strings.Replace(good, "crossZone: false", "crossZone: false, scheme: internal", 1), fields: []string{"loadBalancer.scheme"}},
		{name: "field given twice", doc: good + "externalTrafficPolicy: Cluster\n", fields: []string{"externalTrafficPolicy"}, text: "twice"},
		{name: "pods not a number", doc: strings.Replace(good, "pods: 2", "pods: two", 1), fields: []string{"zones[0].nodes[0].pods"}, text: "whole number"},
		{name: "pods a fraction", doc: strings.Replace(good, "pods: 2", "pods: 1.5", 1), fields: []string{"zones[0].nodes[0].pods"}},
		{name: "crossZone not a bool", doc: strings.Replace(good, "crossZone: false", "crossZone: nope", 1), fields: []string{"loadBalancer.crossZone"}, text: "true or false"},
		{name: "kind not a string", doc: strings.Replace(good, "kind: nlb", "kind: [nlb]", 1), fields: []string{"loadBalancer.kind"}, text: "string"},
		{name: "zones not a list", doc: strings.Replace(good, "zones:\n  - name: a\n    nodes: [{name: a1, pods: 2}]\n", "zones: 3\n", 1), fields: []string{"zones"}, text: "list"},
		{name: "zone not a mapping", doc: strings.Replace(good, "  - name: a\n    nodes: [{name: a1, pods: 2}]\n", "  - a\n", 1), fields: []string{"zones[0]"}, text: "mapping"},
		{name: "negative pods", doc: strings.Replace(good, "pods: 2}", "pods: -2}, {name: a2, pods: 1}", 1), fields: []string{"zones[0].nodes[0].pods"}, text: "negative"},
		{name: "no pods at all", doc: strings.Replace(good, "pods: 2", "pods: 0", 1), fields: []string{"zones"}, text: "at least one pod"},
		{name: "no zones", doc: "loadBalancer: {kind: nlb, targetType: ip}\nzones: []\n", fields: []string{"zones"}},
		{name: "unknown kind", doc: strings.Replace(good, "kind: nlb", "kind: clb", 1), fields: []string{"loadBalancer.kind"}, text: `"clb"`},
		{name: "policy with ip targets", doc: strings.Replace(good, "targetType: instance", "targetType: ip", 1), fields: []string{"externalTrafficPolicy"}},
		{name: "not a mapping", doc: "- just\n- a list\n", fields: []string{"(document)"}},
		{name: "empty file", doc: "", text: "empty"},
		{name: "comment only", doc: "# nothing\n", text: "empty"},
		{name: "two documents", doc: good + "---\n" + good, text: "second YAML document"},
		{name: "broken YAML", doc: "loadBalancer: {kind: nlb\n", text: "not YAML"},
		{name: "broken JSON", doc: `{"loadBalancer": {"kind": "nlb",}`, text: "not YAML"},
		{name: "several problems at once", doc: "loadBalancer: {kind: nlb, targetType: ip, extra: 1}\nzones: [{name: a, nodes: [{name: n, pods: x}]}]\nfoo: 1\n",
			fields: []string{"loadBalancer.extra", "zones[0].nodes[0].pods", "foo"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadTopology(strings.NewReader(tc.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.text != "" && !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not mention %q", err, tc.text)
			}
			if tc.fields == nil {
				return
			}
			var ve *validation.Errors
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not *validation.Errors", err)
			}
			if !reflect.DeepEqual(ve.Fields(), tc.fields) {
				t.Errorf("fields %v, want %v\n%v", ve.Fields(), tc.fields, err)
			}
		})
	}
}

func TestReadTopologyFileErrors(t *testing.T) {
	t.Parallel()
	if _, err := ReadTopologyFile("testdata/does-not-exist.yaml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
	_, err := ReadTopologyFile("testdata/invalid.yaml")
	var ve *validation.Errors
	if !errors.As(err, &ve) {
		t.Fatalf("invalid file: %v", err)
	}
	if !strings.Contains(err.Error(), "testdata/invalid.yaml") {
		t.Errorf("error %q does not name the file", err)
	}
	for _, f := range []string{"loadBalancer.kind", "externalTrafficPolicy", "zones[0].nodes[0].pods"} {
		if !ve.Has(f) {
			t.Errorf("no problem on %s: %v", f, err)
		}
	}
}
