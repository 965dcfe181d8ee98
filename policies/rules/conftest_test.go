package rules_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
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
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	bin, msg, fatal := findConftest(exec.LookPath, os.Getenv, strings.TrimSpace(string(gopath)))
	switch {
	case fatal:
		t.Fatal(msg)
	case bin == "":
		t.Skip(msg)
	}
	return bin
}

// findConftest looks for conftest on PATH, then in GOPATH/bin, where
// scripts/install-deps.sh's go install puts it (the Makefile adds that directory
// to PATH; a bare go test does not). Without it, msg says how to install it, and
// fatal is set when CI is: a skip there would let the policy tests pass without
// running.
func findConftest(lookPath func(string) (string, error), getenv func(string) string, gopath string) (bin, msg string, fatal bool) {
	if p, err := lookPath("conftest"); err == nil {
		return p, "", false
	}
	if gopath != "" {
		if p, err := lookPath(filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "bin", "conftest")); err == nil {
			return p, "", false
		}
	}
	msg = "conftest not on PATH nor in GOPATH/bin (scripts/install-deps.sh runs go install github.com/open-policy-agent/conftest@v0.71.1)"
	if getenv("CI") != "" {
		return "", msg + "; CI is set, so this is a failure, not a skip", true
	}
	return "", msg, false
}

// Without conftest the policy tests skip on a laptop and fail under CI; with it,
// or with it only in GOPATH/bin, they run.
func TestFindConftest(t *testing.T) {
	t.Parallel()
	none := func(string) (string, error) { return "", exec.ErrNotFound }
	env := func(ci string) func(string) string {
		return func(k string) string {
			if k == "CI" {
				return ci
			}
			return ""
		}
	}
	if bin, msg, fatal := findConftest(none, env(""), "/home/u/go"); bin != "" || fatal || !strings.Contains(msg, "install-deps.sh") {
		t.Errorf("missing, not CI: %q %q %v, want a skip naming the install script", bin, msg, fatal)
	}
	if _, msg, fatal := findConftest(none, env("true"), "/home/u/go"); !fatal || !strings.Contains(msg, "CI is set") {
		t.Errorf("missing under CI: %q %v, want a failure", msg, fatal)
	}
	inGopath := func(p string) (string, error) {
		if p == filepath.Join("/home/u/go", "bin", "conftest") {
			return p, nil
		}
		return "", exec.ErrNotFound
	}
	if bin, _, fatal := findConftest(inGopath, env("true"), "/home/u/go"); bin != "/home/u/go/bin/conftest" || fatal {
		t.Errorf("in GOPATH/bin only: %q %v, want it found", bin, fatal)
	}
	onPath := func(p string) (string, error) {
		if p == "conftest" {
			return "/usr/local/bin/conftest", nil
		}
		return "", exec.ErrNotFound
	}
	if bin, _, _ := findConftest(onPath, env("true"), ""); bin != "/usr/local/bin/conftest" {
		t.Errorf("on PATH: %q", bin)
	}
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
