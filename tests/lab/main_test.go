package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// buildDir holds the backend binary for this test run; TestMain removes it.
var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "eksbalance-lab-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	backend   string
	buildErr  error
)

// backendBinary builds ./backend once per test run, the first time a lab
// test needs it, so unit tests alone do not pay for the build.
func backendBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goBin); err != nil {
			goBin = "go"
		}
		out := filepath.Join(buildDir, "backend")
		cmd := exec.Command(goBin, "build", "-o", out, "github.com/eksbalance/eksbalance/tests/lab/backend")
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build backend: %v\n%s", err, b)
			return
		}
		backend = out
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return backend
}

// requireTool skips (or, with CI set, fails) a test when name is not in PATH,
// naming the Debian package that provides it.
func requireTool(t testing.TB, name string) {
	t.Helper()
	if msg, fatal := toolProblem(name, exec.LookPath, os.Getenv); fatal {
		t.Fatal(msg)
	} else if msg != "" {
		t.Skip(msg)
	}
}

// toolProblem says what is wrong when name is missing ("" when it is there),
// and whether that fails the test: in CI a skip would let the lab pass
// without running.
func toolProblem(name string, lookPath func(string) (string, error), getenv func(string) string) (msg string, fatal bool) {
	if _, err := lookPath(name); err == nil {
		return "", false
	}
	msg = fmt.Sprintf("%s not in PATH: install the Debian package %s (the project's install script does)", name, name)
	if getenv("CI") != "" {
		return msg + "; CI is set, so this is a failure, not a skip", true
	}
	return msg, false
}
