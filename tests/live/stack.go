//go:build live

package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/testing"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// helper marks the caller as a test helper when t supports it (testing.T
// does; terratest's TestingT interface does not require it).
func helper(t testing.TestingT) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
}

// StackOptions says which Pulumi program to deploy as which stack.
type StackOptions struct {
	// Dir is the program's directory (the one holding Pulumi.yaml).
	Dir string
	// Name is the stack name.
	Name string
	// Config are plain (not secret) config values by full key, e.g.
	// "aws:region" or "nlb-service:public".
	Config map[string]string
	// Log receives the engine's progress; nil discards it.
	Log io.Writer

	// Program, when set, is deployed as an Automation API inline program
	// under the project name Project instead of the program in Dir: no
	// language host is needed, only the pulumi CLI (the local target of
	// tests/engine runs this way). Dir is then unused.
	Program pulumi.RunFunc
	Project string
	// Workspace are extra workspace options (backend, secrets provider,
	// PULUMI_HOME, the CLI to run, environment), e.g. for a self-contained
	// run with a file backend in a temporary directory.
	Workspace []auto.LocalWorkspaceOption
}

// ProjectNameE reads the project name from dir/Pulumi.yaml: it prefixes the
// program's own config keys ("<project>:replicas").
func ProjectNameE(t testing.TestingT, dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return "", err
	}
	var p struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal(b, &p); err != nil {
		return "", fmt.Errorf("%s/Pulumi.yaml: %w", dir, err)
	}
	if p.Name == "" {
		return "", fmt.Errorf("%s/Pulumi.yaml has no name", dir)
	}
	return p.Name, nil
}

// ProjectName is ProjectNameE, failing the test on error.
func ProjectName(t testing.TestingT, dir string) string {
	helper(t)
	name, err := ProjectNameE(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// NewStackE creates (or selects) the stack for the program in o.Dir through
// the Automation API and sets its config. It deploys nothing: the caller
// registers the destroy before calling Up, so a failed or interrupted Up is
// cleaned up too. The stack's settings file (Pulumi.<stack>.yaml) is written
// into o.Dir and removed with the stack by DestroyE.
func NewStackE(t testing.TestingT, ctx context.Context, o StackOptions) (*auto.Stack, error) {
	opts := append([]auto.LocalWorkspaceOption{auto.EnvVars(map[string]string{"PULUMI_SKIP_UPDATE_CHECK": "true"})}, o.Workspace...)
	var st auto.Stack
	var err error
	where := o.Dir
	if o.Program != nil {
		where = "inline program of project " + o.Project
		st, err = auto.UpsertStackInlineSource(ctx, o.Name, o.Project, o.Program, opts...)
	} else {
		st, err = auto.UpsertStackLocalSource(ctx, o.Name, o.Dir, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("stack %s in %s: %w", o.Name, where, err)
	}
	keys := make([]string, 0, len(o.Config))
	for k := range o.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := st.SetConfig(ctx, k, auto.ConfigValue{Value: o.Config[k]}); err != nil {
			return &st, fmt.Errorf("stack %s: config %s: %w", o.Name, k, err)
		}
	}
	return &st, nil
}

// NewStack is NewStackE, failing the test on error.
func NewStack(t testing.TestingT, ctx context.Context, o StackOptions) *auto.Stack {
	helper(t)
	st, err := NewStackE(t, ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// UpE deploys the stack and returns its outputs, secrets in clear text (the
// kubeconfig is one).
func UpE(t testing.TestingT, ctx context.Context, st *auto.Stack, log io.Writer) (auto.OutputMap, error) {
	logger.Default.Logf(t, "pulumi up: stack %s (EKS, node groups and the load balancer: about 20-25 min)", st.Name())
	res, err := UpResultE(t, ctx, st, log)
	if err != nil {
		return nil, err
	}
	return res.Outputs, nil
}

// UpResultE runs `pulumi up` and returns the whole result: outputs and the
// engine's summary of what it changed (see Changes).
func UpResultE(t testing.TestingT, ctx context.Context, st *auto.Stack, log io.Writer) (auto.UpResult, error) {
	if log == nil {
		log = io.Discard
	}
	res, err := st.Up(ctx, optup.ProgressStreams(log), optup.ErrorProgressStreams(log))
	if err != nil {
		return res, fmt.Errorf("pulumi up of stack %s: %w", st.Name(), err)
	}
	return res, nil
}

// PreviewE runs `pulumi preview` and returns the engine's count of steps by
// operation ("same", "create", "update", "replace", "delete", ...).
func PreviewE(t testing.TestingT, ctx context.Context, st *auto.Stack, log io.Writer) (map[string]int, error) {
	if log == nil {
		log = io.Discard
	}
	res, err := st.Preview(ctx, optpreview.ProgressStreams(log), optpreview.ErrorProgressStreams(log))
	if err != nil {
		return nil, fmt.Errorf("pulumi preview of stack %s: %w", st.Name(), err)
	}
	ops := make(map[string]int, len(res.ChangeSummary))
	for op, n := range res.ChangeSummary {
		ops[string(op)] = n
	}
	return ops, nil
}

// UpChanges is the engine's count of steps by operation for a finished up.
func UpChanges(res auto.UpResult) map[string]int {
	if res.Summary.ResourceChanges == nil {
		return map[string]int{}
	}
	return *res.Summary.ResourceChanges
}

// Up is UpE, failing the test on error.
func Up(t testing.TestingT, ctx context.Context, st *auto.Stack, log io.Writer) auto.OutputMap {
	helper(t)
	out, err := UpE(t, ctx, st, log)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// DestroyE destroys every resource of the stack and removes the stack and
// its settings file.
func DestroyE(t testing.TestingT, ctx context.Context, st *auto.Stack, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	logger.Default.Logf(t, "pulumi destroy: stack %s (about 10-15 min)", st.Name())
	if _, err := st.Destroy(ctx, optdestroy.ProgressStreams(log), optdestroy.ErrorProgressStreams(log), optdestroy.Remove()); err != nil {
		return fmt.Errorf("pulumi destroy of stack %s: %w", st.Name(), err)
	}
	return nil
}

// OutputStringE returns a string output.
func OutputStringE(outputs auto.OutputMap, key string) (string, error) {
	v, ok := outputs[key]
	if !ok {
		return "", fmt.Errorf("stack output %q is missing", key)
	}
	s, ok := v.Value.(string)
	if !ok || s == "" {
		return "", fmt.Errorf("stack output %q is %T %v, want a non-empty string", key, v.Value, v.Value)
	}
	return s, nil
}

// OutputString is OutputStringE, failing the test on error.
func OutputString(t testing.TestingT, outputs auto.OutputMap, key string) string {
	helper(t)
	s, err := OutputStringE(outputs, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// WriteKubeconfigE writes the stack's kubeconfig output into dir (mode 0600:
// it names the cluster endpoint and the identity used) for Terratest's k8s
// helpers and kubectl, and returns its path. The output is JSON, which
// kubectl reads as YAML; an object output is marshalled to JSON first.
func WriteKubeconfigE(t testing.TestingT, outputs auto.OutputMap, key, dir string) (string, error) {
	v, ok := outputs[key]
	if !ok {
		return "", fmt.Errorf("stack output %q is missing", key)
	}
	var b []byte
	switch c := v.Value.(type) {
	case string:
		b = []byte(c)
	default:
		var err error
		if b, err = json.Marshal(c); err != nil {
			return "", fmt.Errorf("stack output %q: %w", key, err)
		}
	}
	path := filepath.Join(dir, "kubeconfig.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// WriteKubeconfig is WriteKubeconfigE, failing the test on error.
func WriteKubeconfig(t testing.TestingT, outputs auto.OutputMap, key, dir string) string {
	helper(t)
	p, err := WriteKubeconfigE(t, outputs, key, dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// LogWriter turns a stream (Pulumi's progress, the load generator's status
// lines) into Terratest log lines, each with prefix, as soon as a line is
// complete: a half-hour run must show signs of life (CI systems kill jobs
// that print nothing for ten minutes), which t.Log does not guarantee.
func LogWriter(t testing.TestingT, prefix string) io.Writer {
	return &lineLogger{t: t, prefix: prefix}
}

type lineLogger struct {
	t      testing.TestingT
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(l.buf[:i]), "\r")
		l.buf = l.buf[i+1:]
		if strings.TrimSpace(line) != "" {
			logger.Default.Logf(l.t, "%s%s", l.prefix, line)
		}
	}
	return len(p), nil
}
