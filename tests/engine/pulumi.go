package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/eksbalance/eksbalance/tests/controlplane"
)

// PulumiBinEnv names the environment variable that points at a directory holding the
// pulumi CLI and pulumi-resource-kubernetes, overriding the cache directory
// tools/build.sh writes to. The directory must be named bin: the Automation API runs
// <dir>/../bin/pulumi.
const PulumiBinEnv = "EKSBALANCE_PULUMI_BIN"

// PulumiBinaries are the programs a run needs: the CLI (the engine) and the one
// provider plugin the workload component uses.
var PulumiBinaries = []string{"pulumi", "pulumi-resource-kubernetes"}

// DefaultPulumiBinDir is where tools/build.sh puts the binaries when EKSBALANCE_CACHE
// is unset.
func DefaultPulumiBinDir() string {
	return filepath.Join(controlplane.CacheDir(), "pulumi", "bin")
}

// FindPulumiE returns the directory holding every program in PulumiBinaries:
// EKSBALANCE_PULUMI_BIN, else DefaultPulumiBinDir. The error names what is missing and
// how to build it.
func FindPulumiE() (string, error) {
	dir := os.Getenv(PulumiBinEnv)
	if dir == "" {
		dir = DefaultPulumiBinDir()
	}
	if filepath.Base(dir) != "bin" {
		return "", fmt.Errorf("%s=%s: the directory must be named bin (the Automation API runs <root>/bin/pulumi)", PulumiBinEnv, dir)
	}
	if missing := controlplane.MissingExecutables(dir, PulumiBinaries); len(missing) > 0 {
		return "", fmt.Errorf("%s not built in %s (run tools/build.sh; cold, the provider alone takes 7-90 min and ~5 GB on 2 cores)",
			strings.Join(missing, " and "), dir)
	}
	return dir, nil
}

// RequirePulumi returns the binary directory, or skips the test with a one-line reason;
// under CI it fails instead.
func RequirePulumi(t controlplane.TestingT) string {
	t.Helper()
	dir, err := FindPulumiE()
	if err != nil {
		controlplane.SkipOrFail(t, "%v", err)
	}
	return dir
}

// Workspace is a self-contained Pulumi setup for one test: the CLI and provider from
// BinDir, a file backend and PULUMI_HOME in temporary directories, secrets encrypted
// with a random passphrase, plugin downloads off. Nothing outside the test's
// temporary directory is read or written, and nothing is fetched.
type Workspace struct {
	BinDir  string
	Home    string
	Backend string
	env     map[string]string
}

// NewWorkspace prepares the directories and environment under t.TempDir().
func NewWorkspace(t controlplane.TestingT, binDir string) (*Workspace, error) {
	t.Helper()
	root := t.TempDir()
	w := &Workspace{BinDir: binDir, Home: filepath.Join(root, "pulumi-home"), Backend: filepath.Join(root, "backend")}
	for _, d := range []string{w.Home, w.Backend} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	w.env = map[string]string{
		"PULUMI_HOME":              w.Home,
		"PULUMI_CONFIG_PASSPHRASE": hex.EncodeToString(secret),
		"PULUMI_SKIP_UPDATE_CHECK": "true",
		// Only the plugins on PATH (BinDir first) may be used: a missing one is an
		// error here, never a download.
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PATH": binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		// No access token may leak in from the environment: the backend is a file.
		"PULUMI_ACCESS_TOKEN": "",
		"PULUMI_BACKEND_URL":  "file://" + w.Backend,
	}
	return w, nil
}

// Options are the Automation API workspace options for a project in this workspace.
func (w *Workspace) Options(project string) ([]auto.LocalWorkspaceOption, error) {
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(w.BinDir)})
	if err != nil {
		return nil, fmt.Errorf("pulumi CLI in %s: %w", w.BinDir, err)
	}
	return []auto.LocalWorkspaceOption{
		auto.Pulumi(cmd),
		auto.PulumiHome(w.Home),
		auto.EnvVars(w.env),
		auto.SecretsProvider("passphrase"),
		auto.Project(workspace.Project{
			Name:    tokens.PackageName(project),
			Runtime: workspace.NewProjectRuntimeInfo("go", nil),
			Backend: &workspace.ProjectBackend{URL: "file://" + w.Backend},
		}),
	}, nil
}
