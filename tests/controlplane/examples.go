package controlplane

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Example is one of the toolkit's examples as Kubernetes objects.
type Example struct {
	// Name is the example's directory under examples/, e.g. nlb-service.
	Name string
	// Source says where the objects came from, for the test log.
	Source string
	Objs   []*unstructured.Unstructured
}

// ModuleDir is this module's directory (tests/controlplane), wherever the test runs.
func ModuleDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// LoadExample returns the rendered objects of examples/<name>, from the first source
// that is available:
//
//  1. the directory named by envVar (EKSBALANCE_RENDERED_NLB, ...); the value
//     "testdata" selects the hand-written set in tests/controlplane/testdata/<name>;
//  2. `$EKSBALANCE_BIN render <repo>/examples/<name> --stack dev -o <tmp>`;
//  3. outside CI only, the hand-written testdata, with the reason in Source. Under CI a
//     missing render fails the test: hand-written YAML must not stand in silently for
//     what the toolkit produces.
func LoadExample(t TestingT, eksbalance, name, envVar string) Example {
	t.Helper()
	testdata := filepath.Join(ModuleDir(), "testdata", name)
	dir, source := os.Getenv(envVar), ""
	switch {
	case dir == "testdata":
		dir, source = testdata, "hand-written testdata ("+envVar+"=testdata)"
	case dir != "":
		source = envVar + "=" + dir
	default:
		var err error
		dir, err = renderExample(t, eksbalance, name)
		if err == nil {
			source = "eksbalance render examples/" + name + " --stack dev"
			break
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and the rendered example is unavailable: %v", err)
		}
		dir, source = testdata, "hand-written testdata, because "+err.Error()
	}
	objs, err := LoadManifestsE(dir)
	if err != nil {
		t.Fatalf("example %s: %v", name, err)
	}
	t.Logf("example %s: %d objects from %s", name, len(objs), source)
	return Example{Name: name, Source: source, Objs: objs}
}

// LoadRenderedExample is LoadExample without the hand-written fallback: the objects
// come from `eksbalance render` (or a directory named by envVar that is not the
// testdata), for tests whose claim is about what the toolkit renders. Without a
// render it skips, or fails when CI is set.
func LoadRenderedExample(t TestingT, eksbalance, name, envVar string) Example {
	t.Helper()
	if dir := os.Getenv(envVar); dir != "" {
		if dir == "testdata" {
			t.Fatalf("%s=testdata: this test runs on the rendered %s only, never on hand-written objects", envVar, name)
		}
		return LoadExample(t, eksbalance, name, envVar)
	}
	dir, err := renderExample(t, eksbalance, name)
	if err != nil {
		SkipOrFail(t, "the rendered %s is unavailable, and this test runs on rendered objects only: %v", name, err)
	}
	objs, err := LoadManifestsE(dir)
	if err != nil {
		t.Fatalf("example %s: %v", name, err)
	}
	source := "eksbalance render examples/" + name + " --stack dev"
	t.Logf("example %s: %d objects from %s", name, len(objs), source)
	return Example{Name: name, Source: source, Objs: objs}
}

func renderExample(t TestingT, eksbalance, name string) (string, error) {
	if eksbalance == "" {
		return "", fmt.Errorf("EKSBALANCE_BIN is not set")
	}
	src := filepath.Join(ModuleDir(), "..", "..", "examples", name)
	if _, err := os.Stat(src); err != nil {
		return "", fmt.Errorf("no example at %s", src)
	}
	out := t.TempDir()
	cmd := exec.Command(eksbalance, "render", src, "--stack", "dev", "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s render %s --stack dev -o %s: %v: %s", eksbalance, src, out, err, strings.TrimSpace(string(b)))
	}
	return out, nil
}

// DeepCopyObjects copies objects so a test can change them without touching the source.
func DeepCopyObjects(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o.DeepCopy()
	}
	return out
}
