package main

import (
	"context"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"gopkg.in/yaml.v3"

	"github.com/eksbalance/eksbalance/policies/rules"
)

// recorder is the policy manager the engine would hand in: it keeps what each
// policy reports.
type recorder struct{ messages []string }

func (r *recorder) ReportViolation(message, _ string) { r.messages = append(r.messages, message) }

// service builds a Service's properties as the engine sends them; secret
// annotation values are wrapped as secrets.
func service(annotations map[string]any, secret ...string) policyx.AnalyzerResource {
	ann := resource.NewPropertyMapFromMap(annotations)
	for _, k := range secret {
		ann[resource.PropertyKey(k)] = resource.MakeSecret(ann[resource.PropertyKey(k)])
	}
	props := resource.NewPropertyMapFromMap(map[string]any{
		"apiVersion": "v1",
		"kind":       "Service",
		"metadata":   map[string]any{"name": "web", "namespace": "shop"},
		"spec": map[string]any{
			"type":     "LoadBalancer",
			"selector": map[string]any{"app": "web"},
			"ports":    []any{map[string]any{"port": 80, "targetPort": 8080}},
		},
	})
	props["metadata"].ObjectValue()["annotations"] = resource.NewObjectProperty(ann)
	return policyx.AnalyzerResource{
		Type:       "kubernetes:core/v1:Service",
		Name:       "web",
		URN:        "urn:pulumi:dev::shop::kubernetes:core/v1:Service::web",
		Properties: resource.FromResourcePropertyMap(props),
	}
}

var controllerNLB = map[string]any{
	"service.beta.kubernetes.io/aws-load-balancer-type":            "external",
	"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
	"service.beta.kubernetes.io/aws-load-balancer-attributes":      "load_balancing.cross_zone.enabled=true",
}

// analyze runs every policy of the pack on one resource, as the engine's
// Analyze call does, and returns the reports by policy name.
func analyze(t *testing.T, pack policyx.PolicyPack, res policyx.AnalyzerResource) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, p := range pack.Policies() {
		rv, ok := p.(policyx.ResourceValidationPolicy)
		if !ok {
			t.Fatalf("policy %s is not a resource validation policy", p.Name())
		}
		rec := &recorder{}
		if err := rv.Validate(context.Background(), policyx.ResourceValidationArgs{Manager: rec, Resource: res}); err != nil {
			t.Fatalf("%s: %v", p.Name(), err)
		}
		if len(rec.messages) > 0 {
			out[p.Name()] = rec.messages
		}
	}
	return out
}

func newTestPack(t *testing.T) policyx.PolicyPack {
	t.Helper()
	pack, err := newPack(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pack
}

// TestPackPolicies: one policy per resource-scope rule, with the rule's ID and
// enforcement level; set-scope rules are not in the pack.
func TestPackPolicies(t *testing.T) {
	t.Parallel()
	pack := newTestPack(t)
	if pack.Name() != packName || pack.Version().String() != packVersion {
		t.Errorf("pack %s %s", pack.Name(), pack.Version())
	}
	got := map[string]policyx.EnforcementLevel{}
	for _, p := range pack.Policies() {
		got[p.Name()] = p.EnforcementLevel()
	}
	var want []string
	for _, r := range rules.Catalog() {
		level, ok := got[r.ID]
		switch {
		case r.Scope == rules.ScopeSet && ok:
			t.Errorf("set-scope rule %s is in the pack", r.ID)
		case r.Scope == rules.ScopeResource && !ok:
			t.Errorf("resource-scope rule %s is missing from the pack", r.ID)
		case ok && (level == policyx.EnforcementLevelMandatory) != (r.Severity == rules.SeverityMandatory):
			t.Errorf("%s: enforcement %v for severity %s", r.ID, level, r.Severity)
		}
		if r.Scope == rules.ScopeResource {
			want = append(want, r.ID)
		}
	}
	if len(got) != len(want) || len(want) < 5 {
		t.Errorf("pack has %d policies, want the %d resource-scope rules", len(got), len(want))
	}
}

// TestPackAnalysis drives the per-resource analysis in-process: an in-tree
// Service is rejected by lb-controller-required, a controller NLB with IP
// targets and cross-zone passes, and one with instance targets is rejected by
// ip-targets and, advisory, local-traffic-policy.
func TestPackAnalysis(t *testing.T) {
	t.Parallel()
	pack := newTestPack(t)
	instance := map[string]any{}
	for k, v := range controllerNLB {
		instance[k] = v
	}
	instance["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] = "instance"
	local := service(instance)
	local.Properties = resource.FromResourcePropertyMap(func() resource.PropertyMap {
		pm := resource.ToResourcePropertyMap(local.Properties)
		pm["spec"].ObjectValue()["externalTrafficPolicy"] = resource.NewStringProperty("Local")
		return pm
	}())
	tests := []struct {
		name string
		res  policyx.AnalyzerResource
		want []string
	}{
		{"in-tree Service", service(map[string]any{}), []string{"lb-controller-required"}},
		{"controller NLB with IP targets", service(controllerNLB), nil},
		{"instance targets with Local", local, []string{"ip-targets", "local-traffic-policy"}},
	}
	for _, tt := range tests {
		got := analyze(t, pack, tt.res)
		var names []string
		for n := range got {
			names = append(names, n)
		}
		sort.Strings(names)
		if strings.Join(names, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: policies reported %v, want %v", tt.name, got, tt.want)
		}
		for n, msgs := range got {
			if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "Service shop/web: ") {
				t.Errorf("%s: %s reported %q", tt.name, n, msgs)
			}
		}
	}
}

// TestPackRedactsSecrets: a secret annotation value never reaches the rules or
// a message; the rules see "[secret]" (and so judge the Service in-tree).
func TestPackRedactsSecrets(t *testing.T) {
	t.Parallel()
	pack := newTestPack(t)
	ann := map[string]any{}
	for k, v := range controllerNLB {
		ann[k] = v
	}
	ann["service.beta.kubernetes.io/aws-load-balancer-type"] = "external-SECRET-VALUE"
	res := service(ann, "service.beta.kubernetes.io/aws-load-balancer-type")
	if r := toResource(res); !strings.Contains(mustJSON(t, r), `"[secret]"`) || strings.Contains(mustJSON(t, r), "SECRET-VALUE") {
		t.Fatalf("toResource did not redact: %s", mustJSON(t, r))
	}
	got := analyze(t, pack, res)
	msgs := got["lb-controller-required"]
	if len(msgs) != 1 || !strings.Contains(msgs[0], `"[secret]"`) {
		t.Fatalf("want lb-controller-required naming the redacted value, got %v", got)
	}
	for _, ms := range got {
		for _, m := range ms {
			if strings.Contains(m, "SECRET-VALUE") {
				t.Errorf("secret leaked into %q", m)
			}
		}
	}
}

// TestPolicyPackYAML: PulumiPolicy.yaml loads as Pulumi loads it, says runtime
// go, and names the version and name the program reports.
func TestPolicyPackYAML(t *testing.T) {
	t.Parallel()
	proj, err := workspace.LoadPolicyPack("PulumiPolicy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if proj.Runtime.Name() != "go" || proj.Version != packVersion || proj.Description == nil || *proj.Description == "" {
		t.Errorf("PulumiPolicy.yaml: runtime %q version %q", proj.Runtime.Name(), proj.Version)
	}
	b, err := os.ReadFile("PulumiPolicy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Name string }
	if err := yaml.Unmarshal(b, &doc); err != nil || doc.Name != packName {
		t.Errorf("PulumiPolicy.yaml name %q, want %q (%v)", doc.Name, packName, err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
