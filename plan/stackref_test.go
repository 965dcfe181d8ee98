package plan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// refProgram reads two outputs of another stack, as an application stack on
// an existing cluster does, and puts them into a resource's inputs.
const refProgram = `package main

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

type Bucket struct{ pulumi.CustomResourceState }

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		platform, err := pulumi.NewStackReference(ctx, "acme/platform/prod", nil)
		if err != nil {
			return err
		}
		var b Bucket
		return ctx.RegisterResource("aws:s3/bucket:Bucket", "assets", pulumi.Map{
			"bucket": platform.GetStringOutput(pulumi.String("clusterName")),
			"zones":  platform.GetOutput(pulumi.String("zones")),
		}, &b)
	})
}
`

// TestRunStackReference: with mocked outputs a stack reference's values reach
// the program (offline they used to fail with "failed to convert stack output
// resource.PropertyMap to object"); without them the outputs are unknown, the
// plan still completes and says why.
func TestRunStackReference(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program: skipped with -short")
	}
	dir := t.TempDir()
	writeUserProgram(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(refProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOFLAGS", "-mod=mod")
	p, err := Run(context.Background(), Options{Dir: dir, Stack: "alpha", StackOutputs: map[string]map[string]any{
		"acme/platform/prod": {"clusterName": "shop-prod", "zones": []any{"us-east-1a", "us-east-1b"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	b, ok := p.Find("aws:s3/bucket:Bucket", "assets")
	if !ok {
		t.Fatal("bucket not planned")
	}
	if got := b.String("bucket"); got != "shop-prod" {
		t.Errorf("bucket = %q, want the mocked clusterName", got)
	}
	if got := b.String("zones[1]"); got != "us-east-1b" {
		t.Errorf("zones[1] = %q", got)
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings %v", p.Warnings)
	}

	p, err = Run(context.Background(), Options{Dir: dir, Stack: "alpha"})
	if err != nil {
		t.Fatalf("without mocked outputs: %v", err)
	}
	b, _ = p.Find("aws:s3/bucket:Bucket", "assets")
	if v, ok := b.Get("bucket"); ok && v != nil {
		t.Errorf("bucket = %v, want unknown", v)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], `stack reference "acme/platform/prod": no mocked outputs`) || !strings.Contains(p.Warnings[0], "--stack-outputs") {
		t.Errorf("warnings %v", p.Warnings)
	}
}

// TestFindProject walks up from a program directory to its Pulumi.yaml, as
// pulumi does (`eksbalance plan stacks` finds the root project).
func TestFindProject(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	sub := filepath.Join(root, "stacks", "deep")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "Pulumi.yaml"), []byte("name: p\nruntime: go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{root, filepath.Join(root, "stacks"), sub} {
		got, err := FindProject(d)
		if err != nil || got != root {
			t.Errorf("FindProject(%s) = %q, %v; want %s", d, got, err, root)
		}
	}
	if _, err := FindProject(filepath.Join(root, "missing")); err == nil {
		t.Error("missing dir: want an error")
	}
}
