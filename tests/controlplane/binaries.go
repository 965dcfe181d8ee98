package controlplane

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	terratesting "github.com/gruntwork-io/terratest/modules/testing"
)

// TestingT is what the harness needs from a test: Terratest's TestingT (so every
// Terratest helper accepts it) plus the parts of *testing.T used for cleanup, temporary
// directories, skipping and logging. *testing.T satisfies it.
type TestingT interface {
	terratesting.TestingT
	Helper()
	Cleanup(func())
	TempDir() string
	Failed() bool
	Logf(format string, args ...any)
	Skipf(format string, args ...any)
}

// KubernetesVersion is the k8s.io/kubernetes release this module pins in go.mod. build.sh
// names its output directory after it; a unit test keeps the two in step.
const KubernetesVersion = "v1.36.3"

// BinDirEnv names the environment variable that points at a directory holding the
// control-plane binaries, overriding the cache directory build.sh writes to.
const BinDirEnv = "EKSBALANCE_CONTROLPLANE_BIN"

// EksbalanceBinEnv names the environment variable holding the path of the eksbalance
// CLI, used for `render` and `predict`.
const EksbalanceBinEnv = "EKSBALANCE_BIN"

// Binaries lists the programs a cluster runs, in start order.
var Binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// CacheDir is where the project's build scripts cache heavy builds:
// EKSBALANCE_CACHE, else ~/.cache/eksbalance.
func CacheDir() string {
	if root := os.Getenv("EKSBALANCE_CACHE"); root != "" {
		return root
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "eksbalance")
}

// DefaultBinDir is where build.sh puts the binaries when EKSBALANCE_CONTROLPLANE_BIN
// is unset.
func DefaultBinDir() string {
	return filepath.Join(CacheDir(), "controlplane", KubernetesVersion, "bin")
}

// FindBinariesE returns the directory holding every program in Binaries: the one named
// by EKSBALANCE_CONTROLPLANE_BIN, else DefaultBinDir. The error names what is missing
// and how to build it.
func FindBinariesE() (string, error) {
	dir := os.Getenv(BinDirEnv)
	if dir == "" {
		dir = DefaultBinDir()
	}
	if missing := MissingExecutables(dir, Binaries); len(missing) > 0 {
		return "", fmt.Errorf("control-plane binaries %s not built in %s (run `make -C tests/controlplane build`; the first build takes 6-11 min on 2 cores, much longer on busy ones)",
			strings.Join(missing, ", "), dir)
	}
	return dir, nil
}

// MissingExecutables returns the names in names that are not executable files in dir.
func MissingExecutables(dir string, names []string) []string {
	var missing []string
	for _, name := range names {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	return missing
}

// RequireBinaries returns the binary directory, or skips the test with a one-line reason
// when the binaries are missing; under CI it fails instead, so a pipeline that forgot
// to build them cannot pass silently.
func RequireBinaries(t TestingT) string {
	t.Helper()
	dir, err := FindBinariesE()
	if err != nil {
		SkipOrFail(t, "%v", err)
	}
	return dir
}

// RequireEksbalance returns the path of the eksbalance CLI from EKSBALANCE_BIN, skipping
// (or failing under CI) when it is unset or not executable.
func RequireEksbalance(t TestingT) string {
	t.Helper()
	path, err := FindEksbalanceE()
	if err != nil {
		SkipOrFail(t, "%v", err)
	}
	return path
}

// FindEksbalanceE resolves EKSBALANCE_BIN to an executable path.
func FindEksbalanceE() (string, error) {
	path := os.Getenv(EksbalanceBinEnv)
	if path == "" {
		return "", errors.New("EKSBALANCE_BIN is not set (the Makefile's test target builds cmd/eksbalance and sets it)")
	}
	resolved, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("EKSBALANCE_BIN=%s is not an executable: %w", path, err)
	}
	return resolved, nil
}

// SkipOrFail skips the test with the message, or fails it when CI is set: in a pipeline
// a missing prerequisite is a broken pipeline, not a reason to pass.
func SkipOrFail(t TestingT, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set, so not skipping: "+format, args...)
	}
	t.Skipf(format, args...)
}
