package plan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The platform program with a mistyped stack config, planned for real: every
// problem comes back at once, named by the key as written in the stack file,
// without the Go SDK's wrapper or the exit status.
func TestPlanReportsConfigErrorsByKey(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the platform program: skipped with -short")
	}
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// A project of its own (so the stack file lives in a temp dir) whose
	// program is the platform's, built into the same cache as `plan .`.
	dir := t.TempDir()
	rel, err := filepath.Rel(dir, filepath.Join(root, "stacks"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"Pulumi.yaml": "name: eksbalance\nruntime: go\nmain: " + rel + "\n",
		"Pulumi.typo.yaml": `config:
  eksbalance:apiEndpoint: private
  eksbalance:instanceTypes: t3.large
  eksbalance:nodesPerZon: {min: 1}
  eksbalance:nodesPerZone: {min: 1, desird: 2, max: 3}
  eksbalance:samples: "yes"
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err = Run(context.Background(), Options{Dir: dir, Stack: "typo", BuildDir: cacheDir(root)})
	var perr *ProgramError
	if !errors.As(err, &perr) {
		t.Fatalf("want the program's error, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"invalid stack config (Pulumi.typo.yaml) (4 problems)",
		"\n  - eksbalance:instanceTypes: t3.large:",
		"eksbalance:instanceTypes: t3.large: must be a list of strings, e.g. [t3.large]",
		"eksbalance:nodesPerZon: (set): is not a setting of this stack; did you mean eksbalance:nodesPerZone?",
		`eksbalance:nodesPerZone.desird: 2: is not a field here; did you mean desired?`,
		"eksbalance:samples: yes: must be true or false",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	for _, noise := range []string{"exit status", "an unhandled error occurred", "program failed", "error occurred", "\t*"} {
		if strings.Contains(msg, noise) {
			t.Errorf("wrapper noise %q in:\n%s", noise, msg)
		}
	}
}
