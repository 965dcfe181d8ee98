package follow

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/eksbalance/eksbalance/tests/controlplane"
)

// LabBackend returns the backend binary each pod runs (the lab backend, built on the
// serve package): EKSBALANCE_LAB_BACKEND, or one built from the root module's
// tests/lab/backend into the test's temporary directory. A backend that cannot be
// had skips the test, or fails it under CI.
func LabBackend(t controlplane.TestingT) string {
	t.Helper()
	if p := os.Getenv("EKSBALANCE_LAB_BACKEND"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			controlplane.SkipOrFail(t, "EKSBALANCE_LAB_BACKEND=%s: %v", p, err)
		}
		return p
	}
	root := filepath.Join(controlplane.ModuleDir(), "..", "..")
	out := filepath.Join(t.TempDir(), "backend")
	cmd := exec.Command("go", "build", "-o", out, "./tests/lab/backend")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		controlplane.SkipOrFail(t, "cannot build the lab backend from %s: %v: %s", root, err, strings.TrimSpace(string(b)))
	}
	return out
}
