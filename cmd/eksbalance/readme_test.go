package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/components/lbcontroller"
	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/components/workload"
)

// readmeRecipes are the README's "your own stack" recipes: the files it shows
// (each fenced block after a "<!-- readme-test: file PATH -->" line) and the
// commands it tells the user to type (each block after "<!-- readme-test: run
// -->"), in order.
type readmeRecipes struct {
	files map[string]string
	runs  []string
}

var (
	readmeFile = regexp.MustCompile("(?s)<!-- readme-test: file (\\S+) -->\n```[a-z]*\n(.*?)```\n")
	readmeRun  = regexp.MustCompile("(?s)<!-- readme-test: run -->\n```sh\n(.*?)```\n")
	goBlock    = regexp.MustCompile("(?s)```go\n(.*?)```")
)

func readRecipes(t *testing.T) (readmeRecipes, string) {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	r := readmeRecipes{files: map[string]string{}}
	for _, m := range readmeFile.FindAllStringSubmatch(string(b), -1) {
		r.files[m[1]] = m[2]
	}
	for _, m := range readmeRun.FindAllStringSubmatch(string(b), -1) {
		r.runs = append(r.runs, m[1])
	}
	return r, string(b)
}

// TestReadmeRecipesStatic: the recipes are all there, and no Go sample in the
// README throws an error away (`x, _ :=` turned a component's clear message
// into a nil-pointer panic).
func TestReadmeRecipesStatic(t *testing.T) {
	t.Parallel()
	r, readme := readRecipes(t)
	for _, f := range []string{"shop-platform/go.mod", "shop-platform/Pulumi.yaml", "shop-platform/Pulumi.dev.yaml", "shop-platform/main.go",
		"checkout/go.mod", "checkout/Pulumi.yaml", "checkout/Pulumi.dev.yaml", "checkout/main.go", "checkout/platform-outputs.yaml"} {
		if r.files[f] == "" {
			t.Errorf("README shows no %s", f)
		}
	}
	if len(r.runs) != 2 {
		t.Errorf("%d command blocks, want 2 (new cluster, existing cluster)", len(r.runs))
	}
	discard := regexp.MustCompile(`(?m)^\s*[A-Za-z_][A-Za-z0-9_]*\s*,\s*_\s*:?=|^\s*_\s*,\s*_\s*:?=`)
	for _, m := range goBlock.FindAllStringSubmatch(readme, -1) {
		if d := discard.FindString(m[1]); d != "" {
			t.Errorf("a Go sample discards an error: %q", strings.TrimSpace(d))
		}
	}
	if !strings.Contains(r.files["checkout/main.go"], "pulumi.NewStackReference") || !strings.Contains(r.files["checkout/main.go"], "kubernetes.NewProvider") {
		t.Error("the existing-cluster recipe lacks the stack reference or the kubeconfig provider")
	}
	// The in-cluster checklist names what the components rely on.
	for _, name := range []string{workload.ReadinessGateLabel, loadbalancer.IngressClassName, "ingress.k8s.aws/alb", lbcontroller.ReleaseName, "minDomains"} {
		if !strings.Contains(readme[strings.Index(readme, "### What must already run"):], name) {
			t.Errorf("the existing-cluster checklist does not mention %s", name)
		}
	}
}

// TestReadmeRecipesPlan writes the README's two programs as a user would, next
// to this repository (a symlink named eksbalance, which their replace lines
// point at), and runs the README's commands as written: go mod tidy and
// eksbalance plan. The new-cluster stack and the existing-cluster stack (with
// the mocked platform outputs and the nodes given) must both pass with an
// even prediction; then the new-cluster program with one bad argument must
// fail with the component's message, not a panic.
func TestReadmeRecipesPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two Pulumi programs: skipped with -short")
	}
	t.Parallel()
	r, readme := readRecipes(t)
	work := t.TempDir()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(root, filepath.Join(work, "eksbalance")); err != nil {
		t.Fatal(err)
	}
	for path, body := range r.files {
		full := filepath.Join(work, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := binaryOnPath(t)
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GOCACHE="+strings.TrimSpace(string(gocache)),
		// The planned programs' binaries go here, not into the user's cache.
		"XDG_CACHE_HOME="+filepath.Join(work, ".cache"),
	)
	sh := func(script string) (string, error) {
		cmd := exec.Command("bash", "-e", "-c", script)
		cmd.Dir = work
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	want := []struct {
		verdict string
		also    []string
	}{
		{"PASS shop-platform (stack dev): 0 mandatory, 0 advisory violation(s); 1 load-balanced workload(s), worst max/mean 1.000 (checkout/checkout)",
			[]string{"~ traffic: 6 pods, max/mean 1.000", "note: controller default target type ip, from the planned controller"}},
		{"PASS checkout (stack dev): 0 mandatory, 0 advisory violation(s); 1 load-balanced workload(s), worst max/mean 1.000 (checkout/checkout)",
			[]string{"note: traffic prediction on the existing nodes given: 6 node(s) in 3 zone(s)",
				"note: controller default target type ip, from --controller-default-target-type ip"}},
	}
	for i, script := range r.runs {
		out, err := sh(script)
		if err != nil {
			t.Fatalf("README commands failed: %v\n%s\n%s", err, script, out)
		}
		if i >= len(want) {
			continue
		}
		if !strings.Contains(readme, strings.SplitN(want[i].verdict, ": 0 mandatory", 2)[0]) {
			t.Errorf("README does not quote the verdict %q", want[i].verdict)
		}
		for _, w := range append([]string{want[i].verdict}, want[i].also...) {
			if !strings.Contains(out, w) {
				t.Errorf("%s\nprinted no %q:\n%s", script, w, out)
			}
		}
		if strings.Contains(out, "warning: stack reference") {
			t.Errorf("the mocked platform outputs were not used:\n%s", out)
		}
	}

	// The README's promise about a bad argument: the component's message.
	main := filepath.Join(work, "shop-platform", "main.go")
	src := r.files["shop-platform/main.go"]
	broken := strings.Replace(src, "Min: 2, Desired: 2, Max: 6", "Min: 2, Desired: 8, Max: 6", 1)
	if broken == src {
		t.Fatal("the README's node group scaling changed; update this test")
	}
	if err := os.WriteFile(main, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := sh("cd shop-platform && eksbalance plan . --stack dev")
	if err == nil || !strings.Contains(out, "scaling.desired: 8: must not exceed scaling.max (6)") || strings.Contains(out, "panic") {
		t.Errorf("desired 8 > max 6: err %v, want the component's message and no panic:\n%s", err, out)
	}
	if !strings.Contains(readme, "scaling.desired: 8: must not exceed scaling.max (6)") {
		t.Error("README no longer quotes the component's message")
	}
}

// binaryOnPath returns a directory holding an eksbalance binary of this
// checkout: make test's (EKSBALANCE_BIN), or one built for the test.
func binaryOnPath(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("EKSBALANCE_BIN"); b != "" && filepath.Base(b) == "eksbalance" {
		if _, err := os.Stat(b); err == nil {
			return filepath.Dir(b)
		}
	}
	dir := t.TempDir()
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "eksbalance"), ".").CombinedOutput()
	if err != nil {
		t.Fatalf("building eksbalance: %v\n%s", err, out)
	}
	return dir
}
