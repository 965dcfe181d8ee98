package rules_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/eksbalance/eksbalance/policies/manifests"
	"github.com/eksbalance/eksbalance/policies/rules"
)

var (
	evalOnce sync.Once
	shared   *rules.Evaluator
	evalErr  error
)

// evaluator compiles the rules once for every test in the package.
func evaluator(t testing.TB) *rules.Evaluator {
	t.Helper()
	evalOnce.Do(func() { shared, evalErr = rules.NewEvaluator(context.Background()) })
	if evalErr != nil {
		t.Fatal(evalErr)
	}
	return shared
}

// fixture is one testdata file: the resources it holds and the rule IDs it must
// fire (its "# want:" line; else the directory's rule for bad*, none for good*).
type fixture struct {
	path      string
	resources []rules.Resource
	want      []string
}

var wantLine = regexp.MustCompile(`(?m)^# want:(.*)$`)

// ruleOfDir maps a testdata directory to its rule: ip-targets-aws tests
// ip-targets on AWS resources.
func ruleOfDir(dir string) string { return strings.TrimSuffix(dir, "-aws") }

func loadFixture(t *testing.T, path string) fixture {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{path: path}
	var doc struct {
		Resources []rules.Resource `yaml:"resources"`
	}
	if err := yaml.Unmarshal(b, &doc); err == nil && len(doc.Resources) > 0 {
		f.resources = doc.Resources
	} else {
		rs, _, err := manifests.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		f.resources = rs
	}
	if len(f.resources) == 0 {
		t.Fatalf("%s: no resources", path)
	}
	base := filepath.Base(path)
	switch m := wantLine.FindSubmatch(b); {
	case m != nil:
		for _, id := range strings.Split(string(m[1]), ",") {
			if id = strings.TrimSpace(id); id != "" {
				f.want = append(f.want, id)
			}
		}
	case strings.HasPrefix(base, "bad"):
		f.want = []string{ruleOfDir(filepath.Base(filepath.Dir(path)))}
	}
	sort.Strings(f.want)
	return f
}

func fixtures(t *testing.T) []fixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	var out []fixture
	for _, p := range paths {
		out = append(out, loadFixture(t, p))
	}
	return out
}

func ruleIDs(vs []rules.Violation) []string {
	seen := map[string]bool{}
	var ids []string
	for _, v := range vs {
		if !seen[v.Rule] {
			seen[v.Rule] = true
			ids = append(ids, v.Rule)
		}
	}
	sort.Strings(ids)
	return ids
}

// TestRules evaluates every fixture: a bad file fires exactly its rule (or its
// "# want:" list), a good file fires nothing.
func TestRules(t *testing.T) {
	t.Parallel()
	e := evaluator(t)
	catalog := map[string]rules.Rule{}
	for _, r := range rules.Catalog() {
		catalog[r.ID] = r
	}
	for _, f := range fixtures(t) {
		t.Run(f.path, func(t *testing.T) {
			t.Parallel()
			vs, err := e.Evaluate(context.Background(), f.resources)
			if err != nil {
				t.Fatal(err)
			}
			if got := ruleIDs(vs); !reflect.DeepEqual(got, f.want) {
				for _, v := range vs {
					t.Logf("%s: %s", v.Rule, v.Message)
				}
				t.Fatalf("rules fired = %v, want %v", got, f.want)
			}
			for _, v := range vs {
				r, ok := catalog[v.Rule]
				if !ok {
					t.Errorf("violation of unknown rule %q", v.Rule)
				}
				if v.Severity != r.Severity {
					t.Errorf("%s: severity %q, catalog says %q", v.Rule, v.Severity, r.Severity)
				}
				prefix := v.Resource.Kind + " "
				if v.Resource.Namespace != "" {
					prefix += v.Resource.Namespace + "/"
				}
				prefix += v.Resource.Name + ": "
				if !strings.HasPrefix(v.Message, prefix) || len(v.Message) < len(prefix)+40 {
					t.Errorf("message %q does not start by naming the resource (%q) and say what to do", v.Message, prefix)
				}
			}
		})
	}
}

// TestEveryRuleHasFixtures keeps the catalog and the testdata in step.
func TestEveryRuleHasFixtures(t *testing.T) {
	t.Parallel()
	bad, good := map[string]bool{}, map[string]bool{}
	for _, f := range fixtures(t) {
		rule := ruleOfDir(filepath.Base(filepath.Dir(f.path)))
		if strings.HasPrefix(filepath.Base(f.path), "bad") {
			bad[rule] = true
		} else {
			good[rule] = true
		}
	}
	for _, r := range rules.Catalog() {
		if !bad[r.ID] || !good[r.ID] {
			t.Errorf("rule %s: bad fixture %v, good fixture %v; want both under testdata/%s", r.ID, bad[r.ID], good[r.ID], r.ID)
		}
	}
}

func TestCatalog(t *testing.T) {
	t.Parallel()
	id := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	cat := rules.Catalog()
	if len(cat) < 10 {
		t.Fatalf("catalog has %d rules, want the issue's 10 at least", len(cat))
	}
	for i, r := range cat {
		if !id.MatchString(r.ID) {
			t.Errorf("rule ID %q is not kebab-case", r.ID)
		}
		if i > 0 && cat[i-1].ID >= r.ID {
			t.Errorf("catalog not sorted or duplicate at %q", r.ID)
		}
		if r.Severity != rules.SeverityMandatory && r.Severity != rules.SeverityAdvisory {
			t.Errorf("%s: severity %q", r.ID, r.Severity)
		}
		if r.Scope != rules.ScopeResource && r.Scope != rules.ScopeSet {
			t.Errorf("%s: scope %q", r.ID, r.Scope)
		}
		if len(r.Title) < 10 || len(r.Doc) < 80 {
			t.Errorf("%s: title %q or doc too short", r.ID, r.Title)
		}
	}
	for _, want := range []string{"lb-controller-required", "ip-targets", "cross-zone-enabled", "readiness-probe",
		"rollout-timing", "zone-spread", "pdb-present", "nlb-idle-timeout", "readiness-gate", "node-groups-balanced"} {
		found := false
		for _, r := range cat {
			if r.ID == want {
				found = true
			}
		}
		if !found {
			t.Errorf("issue rule %s missing from the catalog", want)
		}
	}
	if !rules.ReadsKind("Deployment") || rules.ReadsKind("ConfigMap") {
		t.Error("ReadsKind: want Deployment read and ConfigMap not")
	}
}

func TestFromKubernetes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		apiVersion, kind, want string
	}{
		{"v1", "Service", "kubernetes:core/v1:Service"},
		{"apps/v1", "Deployment", "kubernetes:apps/v1:Deployment"},
		{"networking.k8s.io/v1", "Ingress", "kubernetes:networking.k8s.io/v1:Ingress"},
		{"policy/v1", "PodDisruptionBudget", "kubernetes:policy/v1:PodDisruptionBudget"},
		{"elbv2.k8s.aws/v1beta1", "TargetGroupBinding", "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"},
	}
	for _, tt := range tests {
		r := rules.FromKubernetes(map[string]any{"apiVersion": tt.apiVersion, "kind": tt.kind, "metadata": map[string]any{"name": "x"}})
		if r.Type != tt.want || r.Name != "x" {
			t.Errorf("FromKubernetes(%s %s) = %q %q, want %q x", tt.apiVersion, tt.kind, r.Type, r.Name, tt.want)
		}
	}
}

// TestTimeToUnhealthy pins the Rego arithmetic that components/loadbalancer
// must agree with.
func TestTimeToUnhealthy(t *testing.T) {
	t.Parallel()
	e := evaluator(t)
	tests := []struct {
		interval, timeout float64
		unhealthy         int
		want              float64
	}{
		{10, 10, 3, 40}, // NLB controller defaults
		{15, 5, 2, 35},  // ALB controller defaults
		{5, 2, 2, 12},
		{30, 10, 10, 310},
	}
	for _, tt := range tests {
		got, err := e.TimeToUnhealthy(context.Background(), tt.interval, tt.timeout, tt.unhealthy)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("TimeToUnhealthy(%v, %v, %d) = %v, want %v", tt.interval, tt.timeout, tt.unhealthy, got, tt.want)
		}
	}
}

// TestEvaluateResource runs what the policy pack runs: one resource, only
// resource-scope rules, no verdict that needs a missing neighbour.
func TestEvaluateResource(t *testing.T) {
	t.Parallel()
	e := evaluator(t)
	load := func(path string) []rules.Resource { return loadFixture(t, path).resources }
	tests := []struct {
		name string
		r    rules.Resource
		want []string
	}{
		{"in-tree Service", load("testdata/lb-controller-required/bad.yaml")[0], []string{"lb-controller-required"}},
		{"controller Service", load("testdata/lb-controller-required/good.yaml")[0], nil},
		{"instance target group", load("testdata/ip-targets-aws/bad.yaml")[0], []string{"ip-targets"}},
		// The Deployment alone: set rules (readiness-probe) do not run.
		{"Deployment without probe", load("testdata/readiness-probe/bad.yaml")[1], nil},
		// The Ingress alone without target-type: its Service may carry it.
		{"Ingress without target-type", load("testdata/ip-targets/bad.yaml")[1], nil},
		{"Ingress with instance target-type", withAnnotation(load("testdata/ip-targets/bad.yaml")[1], "alb.ingress.kubernetes.io/target-type", "instance"), []string{"ip-targets"}},
	}
	for _, tt := range tests {
		vs, err := e.EvaluateResource(context.Background(), tt.r)
		if err != nil {
			t.Fatal(err)
		}
		if got := ruleIDs(vs); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: fired %v, want %v", tt.name, got, tt.want)
		}
	}
}

func withAnnotation(r rules.Resource, key, value string) rules.Resource {
	md := r.Properties["metadata"].(map[string]any)
	ann := md["annotations"].(map[string]any)
	ann[key] = value
	return r
}

// TestSortedAndStable: two evaluations give the same, sorted list.
func TestSortedAndStable(t *testing.T) {
	t.Parallel()
	e := evaluator(t)
	var all []rules.Resource
	for _, f := range fixtures(t) {
		if strings.HasPrefix(filepath.Base(f.path), "bad") {
			all = append(all, f.resources...)
		}
	}
	a, err := e.Evaluate(context.Background(), all)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Evaluate(context.Background(), all)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) || len(a) < 20 {
		t.Fatalf("unstable or too few violations: %d vs %d", len(a), len(b))
	}
	sorted := append([]rules.Violation(nil), a...)
	rules.Sort(sorted)
	if !reflect.DeepEqual(a, sorted) {
		t.Error("Evaluate did not sort")
	}
	if !rules.HasMandatory(a) || rules.HasMandatory([]rules.Violation{{Severity: rules.SeverityAdvisory}}) {
		t.Error("HasMandatory wrong")
	}
}

// TestReadmeCatalog keeps the README's rule table in step with the rules.
func TestReadmeCatalog(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules.Catalog() {
		row := "| `" + r.ID + "` | " + string(r.Severity) + " | " + string(r.Scope) + " | "
		if !strings.Contains(string(b), row) {
			t.Errorf("README.md lacks the row %q", row)
		}
	}
}
