package main

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/policies/rules"
)

const (
	mixedDir = "../../policies/manifests/testdata/mixed"
	badDir   = "../../policies/manifests/testdata/bad"
	fixtures = "../../policies/rules/testdata"
)

func check(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = runCheck(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestCheckMixedDirectory: a directory of multi-document YAML, a List, JSON and
// comments; the in-tree Service (list.yml) in front of the probe-less
// Deployment (app.yaml) is found across files, and skipped documents are noted.
func TestCheckMixedDirectory(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := check(mixedDir)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (mandatory violations)\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"mixed/list.yml:5: mandatory lb-controller-required: Service shop/web: ",
		"mixed/app.yaml:4: mandatory readiness-probe: Deployment shop/web: container web has no readinessProbe",
		"4 object(s) checked in 4 file(s): 3 mandatory",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{
		"note: " + mixedDir + "/nested/nokind.yaml:2: skipped a document without kind",
		"note: " + mixedDir + "/app.yaml:24: skipped 2 ConfigMap document(s)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestCheckJSON: -o json (here after the path) keeps issue 6's violation
// shape (rule, severity, resource, message), adds the file and line of the
// object each is about, and counts.
func TestCheckJSON(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := check(mixedDir, "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !reflect.DeepEqual(keys, []string{"counts", "notes", "unreadable", "violations"}) {
		t.Fatalf("top-level keys %v", keys)
	}
	var vs []map[string]any
	if err := json.Unmarshal(doc["violations"], &vs); err != nil || len(vs) == 0 {
		t.Fatalf("violations: %v %s", err, doc["violations"])
	}
	for _, v := range vs {
		var keys []string
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !reflect.DeepEqual(keys, []string{"file", "line", "message", "resource", "rule", "severity"}) {
			t.Errorf("violation keys %v", keys)
		}
		res, _ := v["resource"].(map[string]any)
		if len(res) != 3 || res["kind"] == nil || res["namespace"] == nil || res["name"] == nil {
			t.Errorf("resource %v, want kind, namespace, name", v["resource"])
		}
	}
	var typed checkJSON
	if err := json.Unmarshal([]byte(stdout), &typed); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range typed.Violations {
		if v.Rule == "readiness-probe" {
			found = true
			if v.File != mixedDir+"/app.yaml" || v.Line != 4 {
				t.Errorf("readiness-probe located at %s:%d, want %s/app.yaml:4 (the Deployment)", v.File, v.Line, mixedDir)
			}
		}
	}
	if !found {
		t.Error("no readiness-probe violation")
	}
	want := checkCounts{Files: 4, Objects: 4, Mandatory: 3, Advisory: 0, Unreadable: 0}
	if typed.Counts != want {
		t.Errorf("counts %+v, want %+v", typed.Counts, want)
	}
	if len(typed.Notes) != 2 || typed.Notes[0].File == "" || typed.Notes[0].Line == 0 {
		t.Errorf("notes %+v, want the two skipped documents with file and line", typed.Notes)
	}
}

// TestCheckExitCodes: 0 when clean or advisory only, 1 on mandatory, 2 on
// unusable input or usage, with the file and line for unreadable YAML.
func TestCheckExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"clean", []string{fixtures + "/readiness-probe/good.yaml"}, 0, "0 mandatory, 0 advisory", ""},
		{"clean json", []string{"-o", "json", fixtures + "/readiness-probe/good.yaml"}, 0, `"violations": []`, ""},
		{"advisory only", []string{fixtures + "/alb-algorithm/bad.yaml"}, 0, "advisory alb-algorithm: Ingress shop/web:", ""},
		{"mandatory", []string{fixtures + "/zone-spread/bad.yaml"}, 1, "mandatory zone-spread: Deployment shop/web:", ""},
		{"not YAML", []string{badDir + "/broken.yaml"}, 2, "", "broken.yaml:5: not valid YAML"},
		{"not JSON", []string{badDir + "/broken.json"}, 2, "", "broken.json:4: not valid JSON"},
		{"plain text", []string{badDir + "/text.yaml"}, 2, "", "text.yaml:1: document is a YAML scalar"},
		{"missing file", []string{"does-not-exist.yaml"}, 2, "", "does-not-exist.yaml: no such file"},
		{"no path", nil, 2, "", "eksbalance check: a PATH is required: a file, a directory, or - for standard input (see 'eksbalance help check')"},
		{"bad output", []string{"-o", "xml", fixtures}, 2, "", `eksbalance check: -o is "xml": want text, json or sarif`},
		{"unknown flag", []string{"--frobnicate", fixtures}, 2, "", "eksbalance check: flag provided but not defined: -frobnicate"},
		{"stdin twice", []string{"-", "-"}, 2, "", "- (standard input) given 2 times"},
	}
	for _, tt := range tests {
		code, stdout, stderr := check(tt.args...)
		if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("%s: exit %d, want %d; stdout %q (want %q); stderr %q (want %q)",
				tt.name, code, tt.code, stdout, tt.stdout, stderr, tt.stderr)
		}
	}
}

// TestCheckUnknownKind: a document of a kind no rule reads is noted, not fatal.
func TestCheckUnknownKind(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/crd.yaml", []byte("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: ClusterIP}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := check(dir)
	if code != 0 || !strings.Contains(stderr, "no rule reads kind Widget") || !strings.Contains(stdout, "1 object(s) checked") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestCheckRules(t *testing.T) {
	t.Parallel()
	code, stdout, _ := check("--rules")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, r := range rules.Catalog() {
		if !strings.Contains(stdout, r.ID+" ("+string(r.Severity)) {
			t.Errorf("--rules lacks %s", r.ID)
		}
	}
	code, stdout, _ = check("--rules", "-o", "json")
	var cat []rules.Rule
	if code != 0 || json.Unmarshal([]byte(stdout), &cat) != nil || len(cat) != len(rules.Catalog()) {
		t.Errorf("--rules -o json: exit %d, %d rules", code, len(cat))
	}
}
