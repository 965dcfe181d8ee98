package lbcontroller

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"

	"github.com/eksbalance/eksbalance/internal/upstream"
)

// The component is held to the chart and controller release it pins, through
// the unmodified copies under testdata/upstream: every value key it sets must
// exist in the chart's values.yaml, every feature gate must be one the chart
// names, and the IAM policy must grant exactly the published statements in
// every partition.

func readUpstream(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(upstream.LBC(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func chartValuesYAML(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.Unmarshal(readUpstream(t, "values.yaml"), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPinsAreTheUpstreamRelease(t *testing.T) {
	t.Parallel()
	var chart struct {
		Version    string `yaml:"version"`
		AppVersion string `yaml:"appVersion"`
	}
	if err := yaml.Unmarshal(readUpstream(t, "Chart.yaml"), &chart); err != nil {
		t.Fatal(err)
	}
	values := chartValuesYAML(t)
	image, _ := values["image"].(map[string]any)
	for what, pair := range map[string][2]any{
		"chart version":    {DefaultChartVersion, chart.Version},
		"image tag":        {DefaultImageTag, chart.AppVersion},
		"values image.tag": {DefaultImageTag, image["tag"]},
		"image repository": {DefaultImageRepository, image["repository"]},
		"upstream copy":    {DefaultImageTag, upstream.LBCVersion},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s: component pins %v, chart %s says %v", what, pair[0], chart.Version, pair[1])
		}
	}
}

// passThrough are values the chart renders as a whole into the pod or
// Deployment spec; below them the keys are Kubernetes API fields, checked
// against the API types instead of values.yaml.
var passThrough = map[string]any{
	"podSecurityContext":        &corev1.PodSecurityContext{},
	"securityContext":           &corev1.SecurityContext{},
	"topologySpreadConstraints": &[]corev1.TopologySpreadConstraint{},
	"podDisruptionBudget":       &policyv1.PodDisruptionBudgetSpec{},
}

// freeForm are maps whose keys are the user's own (annotations, gates).
var freeForm = map[string]bool{
	"serviceAccount.annotations":    true,
	"controllerConfig.featureGates": true,
}

// unknownValueKeys lists every key path in set that the chart's values.yaml
// does not have, each with why.
func unknownValueKeys(chart, set map[string]any) []string {
	var out []string
	var walk func(prefix string, chart, set map[string]any)
	walk = func(prefix string, chart, set map[string]any) {
		for k, v := range set {
			path := prefix + k
			if typ, ok := passThrough[path]; ok {
				b, _ := json.Marshal(v)
				dec := json.NewDecoder(bytes.NewReader(b))
				dec.DisallowUnknownFields()
				if err := dec.Decode(typ); err != nil {
					out = append(out, fmt.Sprintf("%s: not a %T: %v", path, typ, err))
					continue
				}
				// encoding/json matches field names regardless of case; the API
				// server does not. Every key must come back spelt the same.
				back, _ := json.Marshal(typ)
				var round any
				_ = json.Unmarshal(back, &round)
				var orig any
				_ = json.Unmarshal(b, &orig)
				for _, k := range missingKeys(path, orig, round) {
					out = append(out, k+": not a field of "+fmt.Sprintf("%T", typ))
				}
				continue
			}
			if freeForm[path] {
				continue
			}
			cv, ok := chart[k]
			if !ok {
				out = append(out, path+": the chart's values.yaml has no such key")
				continue
			}
			if sub, isMap := v.(map[string]any); isMap {
				csub, _ := cv.(map[string]any)
				walk(path+".", csub, sub)
			}
		}
	}
	walk("", chart, set)
	sort.Strings(out)
	return out
}

// missingKeys lists the key paths of want that got lacks.
func missingKeys(prefix string, want, got any) []string {
	var out []string
	switch w := want.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		for k, v := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, prefix+"."+k)
				continue
			}
			out = append(out, missingKeys(prefix+"."+k, v, gv)...)
		}
	case []any:
		g, _ := got.([]any)
		for i, v := range w {
			if i < len(g) {
				out = append(out, missingKeys(fmt.Sprintf("%s[%d]", prefix, i), v, g[i])...)
			}
		}
	}
	return out
}

// plainValues builds the component's chart values (outputs resolved to
// placeholders) for args, as a plain nested map.
func plainValues(t *testing.T, a *Args) map[string]any {
	t.Helper()
	r := release(t, run(t, a))
	v, ok := r.Get("values")
	if !ok {
		t.Fatal("release has no values")
	}
	m, _ := v.(map[string]any)
	return m
}

func TestEveryValueKeyIsInTheChart(t *testing.T) {
	t.Parallel()
	chart := chartValuesYAML(t)
	cases := map[string]func(*Args){
		"defaults": func(*Args) {},
		"every field changed": func(a *Args) {
			a.Replicas, a.DefaultTargetType, a.ZoneSpread = 3, TargetTypeInstance, ZoneSpreadPreferred
			a.ServiceMutatorWebhook = true
			a.GatewayAPI.Disabled = true
		},
	}
	for name, modify := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			modify(a)
			set := plainValues(t, a)
			if len(set) < 10 {
				t.Fatalf("only %d values captured: %v", len(set), set)
			}
			for _, p := range unknownValueKeys(chart, set) {
				t.Error(p)
			}
		})
	}
}

// The check itself can fail: a misspelt flag, a key under a real parent that
// does not exist, and a pod field that is not one are each caught.
func TestUnknownValueKeysCatchesMistakes(t *testing.T) {
	t.Parallel()
	chart := chartValuesYAML(t)
	got := unknownValueKeys(chart, map[string]any{
		"enableEndpointSlice":       true,
		"image":                     map[string]any{"tag": "v3.5.0", "digest": "sha256:0"},
		"securityContext":           map[string]any{"readOnlyRootFileSystem": true},
		"enableEndpointSlices":      true,
		"controllerConfig":          map[string]any{"featureGates": map[string]any{"Anything": true}},
		"topologySpreadConstraints": []any{map[string]any{"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule"}},
	})
	want := []string{"enableEndpointSlice:", "image.digest:", "securityContext.readOnlyRootFileSystem:"}
	if len(got) != len(want) {
		t.Fatalf("unknown keys = %v, want one each for %v", got, want)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("problem %d = %q, want it about %s", i, got[i], w)
		}
	}
}

// chartFeatureGates are the gate names values.yaml lists (commented out) under
// controllerConfig.featureGates.
func chartFeatureGates(t *testing.T) map[string]bool {
	t.Helper()
	text := string(readUpstream(t, "values.yaml"))
	start := strings.Index(text, "featureGates: {}")
	if start < 0 {
		t.Fatal("values.yaml has no controllerConfig.featureGates")
	}
	gates := map[string]bool{}
	line := regexp.MustCompile(`^  # ([A-Za-z]+): (true|false)$`)
	for _, l := range strings.Split(text[start:], "\n")[1:] {
		m := line.FindStringSubmatch(l)
		if m == nil {
			break
		}
		gates[m[1]] = true
	}
	if len(gates) < 15 {
		t.Fatalf("read only %d gate names from values.yaml: %v", len(gates), gates)
	}
	return gates
}

func TestFeatureGatesAreTheChartsAndChosen(t *testing.T) {
	t.Parallel()
	known := chartFeatureGates(t)
	for _, gateway := range []bool{true, false} {
		a := validArgs()
		a.GatewayAPI.Disabled = !gateway
		set := plainValues(t, a)
		gates, _ := set["controllerConfig"].(map[string]any)["featureGates"].(map[string]any)
		want := map[string]any{
			"EnableIPTargetType": true, "NLBHealthCheckAdvancedConfig": true, "EndpointsFailOpen": true,
			"WeightedTargetGroups": true, "ALBGatewayAPI": gateway, "NLBGatewayAPI": gateway,
		}
		if len(gates) != len(want) {
			t.Errorf("gateway %v: gates %v, want exactly %v", gateway, gates, want)
		}
		for k, v := range want {
			if gates[k] != v {
				t.Errorf("gateway %v: gate %s = %v, want %v", gateway, k, gates[k], v)
			}
			// The controller refuses to start on an unknown gate.
			if !known[k] {
				t.Errorf("gate %s is not one the chart %s knows (%v)", k, DefaultChartVersion, known)
			}
		}
		for k, v := range map[string]any{"enableEndpointSlices": true, "enablePodReadinessGateInject": true} {
			if set[k] != v {
				t.Errorf("value %s = %v, want %v", k, set[k], v)
			}
		}
	}
	// NLBHealthCheckAdvancedConfiguration is what the docs' table calls it; the
	// chart and the controller's code say NLBHealthCheckAdvancedConfig.
	if known["NLBHealthCheckAdvancedConfiguration"] || !known["NLBHealthCheckAdvancedConfig"] {
		t.Error("the chart's gate list changed; recheck the gate names")
	}
}

// canonicalStatement is a statement as a set: Sid dropped, single strings and
// lists alike as sorted lists (Action, Resource and condition values are sets
// to IAM), ARNs as given.
func canonicalStatement(s map[string]any) string {
	out := map[string]any{}
	for k, v := range s {
		if k == "Sid" {
			continue
		}
		out[k] = canonicalValue(k, v)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func canonicalValue(key string, v any) any {
	switch x := v.(type) {
	case string:
		if key == "Effect" || key == "Version" {
			return x
		}
		return []string{x}
	case []any:
		list := make([]string, 0, len(x))
		for _, e := range x {
			list = append(list, fmt.Sprint(e))
		}
		sort.Strings(list)
		return list
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = canonicalValue(k, e)
		}
		return m
	}
	return v
}

func statementSet(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	var d struct {
		Version   string           `json:"Version"`
		Statement []map[string]any `json:"Statement"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if d.Version != "2012-10-17" {
		t.Fatalf("Version %q", d.Version)
	}
	set := map[string]int{}
	for _, s := range d.Statement {
		set[canonicalStatement(s)]++
	}
	return set
}

// policyDiff lists the statements only one side grants.
func policyDiff(ours, published map[string]int) []string {
	var out []string
	for s, n := range ours {
		if published[s] < n {
			out = append(out, "only ours:      "+s)
		}
	}
	for s, n := range published {
		if ours[s] < n {
			out = append(out, "only published: "+s)
		}
	}
	sort.Strings(out)
	return out
}

func TestPolicyIsThePublishedOneInEveryPartition(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ region, file, partition string }{
		{"eu-west-1", "iam_policy.json", "aws"},
		{"cn-north-1", "iam_policy_cn.json", "aws-cn"},
		{"us-gov-west-1", "iam_policy_us-gov.json", "aws-us-gov"},
	} {
		t.Run(tt.partition, func(t *testing.T) {
			t.Parallel()
			doc, err := policyDocument(tt.region)
			if err != nil {
				t.Fatal(err)
			}
			ours := statementSet(t, []byte(doc))
			published := statementSet(t, readUpstream(t, tt.file))
			if len(ours) < 10 {
				t.Fatalf("only %d statements rendered", len(ours))
			}
			for _, d := range policyDiff(ours, published) {
				t.Error(d)
			}
			t.Logf("%s (%s): %d statements, identical to %s %s", tt.partition, tt.region, len(ours), tt.file, upstream.LBCVersion)
		})
	}
}

// The comparison sees a change of one action, of one ARN partition and a
// missing statement.
func TestPolicyDiffCatchesChanges(t *testing.T) {
	t.Parallel()
	published := readUpstream(t, "iam_policy.json")
	base := statementSet(t, published)
	for name, edit := range map[string]func(string) string{
		"action dropped": func(s string) string {
			return strings.Replace(s, `"elasticloadbalancing:ModifyListenerAttributes",`, "", 1)
		},
		"wrong partition": func(s string) string { return strings.Replace(s, `"arn:aws:`, `"arn:aws-cn:`, 1) },
		"statement removed": func(s string) string {
			var d map[string]any
			_ = json.Unmarshal([]byte(s), &d)
			st := d["Statement"].([]any)
			d["Statement"] = st[1:]
			b, _ := json.Marshal(d)
			return string(b)
		},
	} {
		changed := edit(string(published))
		if changed == string(published) {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		if diff := policyDiff(statementSet(t, []byte(changed)), base); len(diff) == 0 {
			t.Errorf("%s: no difference found", name)
		}
	}
}
