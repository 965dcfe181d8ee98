package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func checkStdin(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = checkWith(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// helmOutput is what `helm template` prints: documents separated by ---, each
// after a "# Source:" comment naming its template.
func helmOutput(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, f := range []struct{ fixture, source string }{
		{"zone-spread/bad.yaml", "shop/templates/web.yaml"},
		{"alb-algorithm/bad.yaml", "shop/templates/ingress.yaml"},
	} {
		body, err := os.ReadFile(filepath.Join(fixtures, f.fixture))
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(body), "\n---\n") {
			b.WriteString("---\n# Source: " + f.source + "\n" + doc + "\n")
		}
	}
	return b.String()
}

// TestCheckStdin: `helm template ... | eksbalance check -` finds the same
// violations as the files, located at the line in the stream and the
// template helm names.
func TestCheckStdin(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := checkStdin(helmOutput(t), "-")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (zone-spread is mandatory)\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"<stdin>:",
		"(shop/templates/web.yaml): mandatory zone-spread: Deployment shop/web:",
		"(shop/templates/ingress.yaml): advisory alb-algorithm: Ingress shop/web:",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = checkStdin(helmOutput(t), "-", "-o", "json")
	var doc checkJSON
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != 1 {
		t.Fatalf("exit %d, %v", code, err)
	}
	for _, v := range doc.Violations {
		if v.File != "<stdin>" || v.Line < 3 || v.Source == "" {
			t.Errorf("%s located at %s:%d source %q", v.Rule, v.File, v.Line, v.Source)
		}
	}
	// A JSON stream on stdin works too; empty stdin is bad input (exit 2): it is
	// what a failed `helm template` leaves in a pipe without pipefail.
	if code, stdout, stderr := checkStdin(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"type":"LoadBalancer"}}`, "-"); code != 1 || !strings.Contains(stdout, "<stdin>:1: mandatory lb-controller-required") {
		t.Errorf("JSON on stdin: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := checkStdin("", "-"); code != 2 || !strings.Contains(stderr, "<stdin>: no YAML or JSON document") ||
		!strings.Contains(stdout, "1 input(s) could not be read") {
		t.Errorf("empty stdin: exit %d, want 2\n%s%s", code, stdout, stderr)
	}
}

// TestCheckContinuesPastBadFiles: one unparsable file in a directory no
// longer hides the findings of the others; it is reported with its line and
// the exit code is 2 (bad input), in every output format.
func TestCheckContinuesPastBadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(fixtures, "zone-spread/bad.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	broken, err := os.ReadFile(filepath.Join(badDir, "broken.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"a-broken.yaml": broken, "b-app.yaml": good, "c-broken.json": []byte("{\n  \"kind\": \n}\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := check(dir)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(stdout, "b-app.yaml:") || !strings.Contains(stdout, "mandatory zone-spread") {
		t.Errorf("the readable file's findings are missing:\n%s", stdout)
	}
	if !strings.Contains(stdout, "; 2 input(s) could not be read") {
		t.Errorf("summary does not count the unreadable files:\n%s", stdout)
	}
	for _, want := range []string{"a-broken.yaml:5: not valid YAML", "c-broken.json:3: not valid JSON"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	code, stdout, _ = check(dir, "-o", "json")
	var doc checkJSON
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if code != 2 || doc.Counts.Unreadable != 2 || len(doc.Unreadable) != 2 || doc.Unreadable[0].Line != 5 || doc.Counts.Mandatory == 0 {
		t.Errorf("json: exit %d, counts %+v, unreadable %+v", code, doc.Counts, doc.Unreadable)
	}
	// A missing path among good ones: the good ones are still checked.
	code, stdout, stderr = check(filepath.Join(fixtures, "zone-spread/bad.yaml"), filepath.Join(dir, "missing.yaml"))
	if code != 2 || !strings.Contains(stdout, "mandatory zone-spread") || !strings.Contains(stderr, "missing.yaml: no such file") {
		t.Errorf("missing path: exit %d\n%s%s", code, stdout, stderr)
	}
}
