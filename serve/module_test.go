package serve

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStandardLibraryOnly: serve and everything it imports is the standard
// library or serve itself, and its go.mod requires nothing.
func TestStandardLibraryOnly(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/eksbalance/eksbalance/serve" && !strings.HasPrefix(p, "github.com/eksbalance/eksbalance/serve/") {
			t.Errorf("serve depends on %s, outside the standard library", p)
		}
	}
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains("\n"+string(mod), "\nrequire") {
		t.Errorf("serve's go.mod requires modules:\n%s", mod)
	}
}

// TestAppGainsOneModule builds an application the way the README shows it and
// lets go mod tidy settle its go.mod: it requires serve and nothing else, and
// go.sum stays empty (a replace stands in for the published version).
func TestAppGainsOneModule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy and go build: skipped with -short")
	}
	t.Parallel()
	here, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	app := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/checkout\n\ngo 1.26\n\nrequire github.com/eksbalance/eksbalance/serve v0.0.0\n\nreplace github.com/eksbalance/eksbalance/serve => " + here + "\n",
		"main.go": `package main

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/eksbalance/eksbalance/serve"
)

func main() {
	opts, err := serve.OptionsFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	opts.Handler = http.NotFoundHandler()
	log.Fatal(serve.Run(context.Background(), opts))
}
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(app, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", os.DevNull, "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = app
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	mod, err := os.ReadFile(filepath.Join(app, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var requires []string
	for _, l := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && (f[0] == "require" || strings.HasPrefix(l, "\t")) && strings.Contains(f[len(f)-2], ".") {
			requires = append(requires, strings.TrimPrefix(strings.TrimSpace(l), "require "))
		}
	}
	if len(requires) != 1 || !strings.HasPrefix(requires[0], "github.com/eksbalance/eksbalance/serve ") {
		t.Errorf("the app's go.mod requires %v, want only serve:\n%s", requires, mod)
	}
	if sum, err := os.ReadFile(filepath.Join(app, "go.sum")); err == nil && len(strings.TrimSpace(string(sum))) > 0 {
		t.Errorf("go.sum gained entries:\n%s", sum)
	}
}
