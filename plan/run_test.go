package plan

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// userProgram is an ordinary Pulumi Go program, written as a user would, with
// nothing in it for the offline plan: a config read, an invoke, a component and
// a custom resource with a secret input.
const userProgram = `package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

type Bucket struct{ pulumi.CustomResourceState }

type Site struct{ pulumi.ResourceState }

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		greeting := config.Require(ctx, "greeting")
		var region struct{ Name string ` + "`pulumi:\"name\"`" + ` }
		if err := ctx.Invoke("aws:index/getRegion:getRegion", nil, &region); err != nil {
			return err
		}
		site := &Site{}
		if err := ctx.RegisterComponentResource("acme:web:Site", "site", site); err != nil {
			return err
		}
		var b Bucket
		err := ctx.RegisterResource("aws:s3/bucket:Bucket", "assets", pulumi.Map{
			"bucket":   pulumi.String(greeting + "-" + region.Name),
			"password": pulumi.ToSecret(pulumi.String("hunter2")),
			"sizes":    pulumi.ToStringArray([]string{"s", "m"}),
		}, &b, pulumi.Parent(site))
		if err != nil {
			return err
		}
		ctx.Export("id", b.ID())
		return nil
	})
}
`

// writeUserProgram writes the program as its own Go module in dir, pinned to
// the versions this repository resolves (so the build reuses the build cache).
func writeUserProgram(t *testing.T, dir string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	requires := regexp.MustCompile(`(?s)require \(.*?\n\)`).FindAllString(string(gomod), -1)
	// The toolkit's own modules (serve) resolve through its replace
	// directives, which a user program does not have; it does not need them.
	own := regexp.MustCompile(`(?m)^\s*github\.com/eksbalance/eksbalance/\S+ \S+.*\n`)
	for i := range requires {
		requires[i] = own.ReplaceAllString(requires[i], "")
	}
	mod := "module example.com/userprogram\n\ngo 1.26\n\n" + strings.Join(requires, "\n\n") + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod":            mod,
		"go.sum":            string(sum),
		"main.go":           userProgram,
		"Pulumi.yaml":       "name: userprogram\nruntime: go\ndescription: a user's program\n",
		"Pulumi.alpha.yaml": "config:\n  userprogram:greeting: hello\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRunPlansAnUnchangedUserProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program: skipped with -short")
	}
	dir := t.TempDir()
	writeUserProgram(t, dir)
	t.Setenv("GOFLAGS", "-mod=mod")
	p, err := Run(context.Background(), Options{Dir: dir, Stack: "alpha"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Project != "userprogram" || p.Stack != "alpha" {
		t.Errorf("project/stack = %s/%s", p.Project, p.Stack)
	}
	bucket, ok := p.Find("aws:s3/bucket:Bucket", "assets")
	if !ok {
		t.Fatalf("bucket not planned; got %+v", p.Resources)
	}
	if got := bucket.String("bucket"); got != "hello-us-east-1" {
		t.Errorf("bucket name = %q: config or invoke not answered", got)
	}
	if got := bucket.String("password"); got != Redacted {
		t.Errorf("secret input shown as %q", got)
	}
	if got := bucket.String("sizes[1]"); got != "m" {
		t.Errorf("sizes[1] = %q", got)
	}
	site, ok := p.Find("acme:web:Site", "site")
	if !ok || site.Custom || bucket.Parent != site.URN {
		t.Errorf("component/parent wrong: site %+v, bucket parent %q", site, bucket.Parent)
	}
	if want := "urn:pulumi:alpha::userprogram::acme:web:Site$aws:s3/bucket:Bucket::assets"; bucket.URN != want {
		t.Errorf("urn = %q, want %q", bucket.URN, want)
	}
	// A failing program's error comes back with the program's message.
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.beta.yaml"), []byte("config: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Dir: dir, Stack: "beta"}); err == nil || !strings.Contains(err.Error(), "greeting") {
		t.Errorf("missing required config: err = %v, want it to name the key", err)
	}
}

func TestLoadProjectErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"name: x\nruntime: nodejs\n": "only Go programs",
		"runtime: go\n":              "name: is required",
		"name: [\n":                  "Pulumi.yaml",
	}
	for body, want := range cases {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadProject(dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", body, err, want)
		}
	}
	if _, err := LoadProject(t.TempDir()); err == nil {
		t.Error("no Pulumi.yaml: want an error")
	}
}

func TestStackConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Pulumi.yaml", "name: demo\nruntime: {name: go}\nconfig:\n  size: {type: integer, default: 3}\n  color: blue\n")
	write("Pulumi.s.yaml", "config:\n  demo:color: red\n  aws:region: eu-west-1\n  demo:nodes: {min: 1}\n  demo:token:\n    secure: AAAB\n")
	proj, err := LoadProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, secrets, err := proj.StackConfig(dir, "s")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"demo:size": "3", "demo:color": "red", "aws:region": "eu-west-1", "demo:nodes": `{"min":1}`, "demo:token": Redacted}
	for k, v := range want {
		if cfg[k] != v {
			t.Errorf("%s = %q, want %q", k, cfg[k], v)
		}
	}
	if len(secrets) != 1 || secrets[0] != "demo:token" {
		t.Errorf("secret keys = %v", secrets)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	r := Resource{Inputs: map[string]any{"metadata": map[string]any{"annotations": map[string]any{"a.b/c": "x"}},
		"spec": map[string]any{"list": []any{map[string]any{"n": 1.0}}}}}
	if got := r.String("metadata.annotations[a.b/c]"); got != "x" {
		t.Errorf("bracket key: %q", got)
	}
	if v, ok := r.Get("spec.list[0].n"); !ok || v != 1.0 {
		t.Errorf("index: %v %v", v, ok)
	}
	if _, ok := r.Get("spec.list[3]"); ok {
		t.Error("out of range index found")
	}
	if got := ChildURN("s", "p", "urn:pulumi:s::p::a:b:C::parent", "x:y:Z", "n"); got != "urn:pulumi:s::p::a:b:C$x:y:Z::n" {
		t.Errorf("ChildURN = %s", got)
	}
}
