package rules_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
	"gopkg.in/yaml.v3"

	"github.com/eksbalance/eksbalance/policies/rules"
)

// rawDocs reads a fixture's YAML documents as conftest's parser would hand them
// over: each document a plain value.
func rawDocs(t *testing.T, path string) []any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []any
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			break
		}
		docs = append(docs, v)
	}
	return docs
}

// TestInputShapes feeds the Rego report the shapes conftest produces (one
// document, an array of documents, --combine's [{path, contents}], a List) and
// expects exactly the violations the Go evaluator finds.
func TestInputShapes(t *testing.T) {
	t.Parallel()
	opts := []func(*rego.Rego){rego.Query("data.eksbalance.report.violations")}
	for name, src := range rules.Modules() {
		opts = append(opts, rego.Module(name, src))
	}
	q, err := rego.New(opts...).PrepareForEval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	eval := func(input any) []rules.Violation {
		rs, err := q.Eval(context.Background(), rego.EvalInput(input))
		if err != nil {
			t.Fatal(err)
		}
		var vs []rules.Violation
		b, _ := json.Marshal(rs[0].Expressions[0].Value)
		if err := json.Unmarshal(b, &vs); err != nil {
			t.Fatal(err)
		}
		rules.Sort(vs)
		return vs
	}
	for _, path := range []string{
		"testdata/lb-controller-required/bad.yaml",
		"testdata/ip-targets/bad.yaml",
		"testdata/rollout-timing/bad-alb.yaml",
		"testdata/zone-spread/bad.yaml",
		"testdata/idle-timeout-order/bad.yaml",
	} {
		f := loadFixture(t, path)
		want, err := evaluator(t).Evaluate(context.Background(), f.resources)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatalf("%s: no violations to compare", path)
		}
		docs := rawDocs(t, path)
		shapes := map[string]any{
			"array":   docs,
			"combine": []any{map[string]any{"path": path, "contents": docs}, map[string]any{"path": "empty.yaml", "contents": nil}},
			"list":    map[string]any{"apiVersion": "v1", "kind": "List", "items": docs},
		}
		if len(docs) == 1 {
			shapes["document"] = docs[0]
		}
		for shape, input := range shapes {
			if got := eval(input); !reflect.DeepEqual(got, want) {
				t.Errorf("%s as %s: got %d violations %v, want %d", path, shape, len(got), got, len(want))
			}
		}
	}
}

var ruleTag = regexp.MustCompile(`^\[([a-z-]+)\] `)

// requireConftest returns conftest's path, or skips without it, or fails when CI is
// set: scripts/install-deps.sh installs it, so under CI its absence is a broken
// pipeline, not a reason to pass.
func requireConftest(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("conftest")
	if err == nil {
		return bin
	}
	msg := "conftest not on PATH (scripts/install-deps.sh runs go install github.com/open-policy-agent/conftest@v0.71.1)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI is set, so this is a failure, not a skip")
	}
	t.Skip(msg)
	return ""
}

// TestConftest runs the real conftest on every fixture with the rules directory
// as its policy: deny must carry exactly the mandatory rules expected, warn the
// advisory ones.
func TestConftest(t *testing.T) {
	bin := requireConftest(t)
	t.Parallel()
	severity := map[string]rules.Severity{}
	for _, r := range rules.Catalog() {
		severity[r.ID] = r.Severity
	}
	for _, f := range fixtures(t) {
		t.Run(f.path, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, "test", "--combine", "--no-color", "-o", "json", "--policy", ".", f.path)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var out []struct {
				Failures []struct{ Msg string } `json:"failures"`
				Warnings []struct{ Msg string } `json:"warnings"`
			}
			if jerr := json.Unmarshal(stdout.Bytes(), &out); jerr != nil {
				t.Fatalf("conftest: %v %s %s", err, stdout.String(), stderr.String())
			}
			seen := map[string]bool{}
			mandatory := false
			for _, r := range out {
				for _, m := range r.Failures {
					id := ruleTag.FindStringSubmatch(m.Msg)
					if id == nil || severity[id[1]] != rules.SeverityMandatory {
						t.Errorf("deny message %q is not a mandatory rule's", m.Msg)
						continue
					}
					seen[id[1]], mandatory = true, true
				}
				for _, m := range r.Warnings {
					id := ruleTag.FindStringSubmatch(m.Msg)
					if id == nil || severity[id[1]] != rules.SeverityAdvisory {
						t.Errorf("warn message %q is not an advisory rule's", m.Msg)
						continue
					}
					seen[id[1]] = true
				}
			}
			var got []string
			for id := range seen {
				got = append(got, id)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(f.want, ",") {
				t.Errorf("conftest fired %v, want %v", got, f.want)
			}
			// conftest exits 1 exactly when something is denied.
			if failed := err != nil; failed != mandatory {
				t.Errorf("conftest exit error %v, mandatory violations %v", err, mandatory)
			}
		})
	}
}
