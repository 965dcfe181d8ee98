package plan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/eksbalance/eksbalance/internal/mockcloud"
)

// Options says which program to plan and how.
type Options struct {
	// Dir is the program's directory or any directory below its project: the
	// project is the nearest Pulumi.yaml at or above Dir, as pulumi finds it.
	Dir string
	// Stack names the stack whose Pulumi.<stack>.yaml supplies config. Default "dev".
	Stack string
	// Reveal shows secret inputs instead of Redacted.
	Reveal bool
	// Output receives the program's own stdout and stderr (nil: discarded unless the
	// program fails, when it is part of the error).
	Output io.Writer
	// BuildDir holds the compiled program between runs, so a plan of an unchanged
	// program skips the link (seconds for a program with the cloud SDKs). Default:
	// a directory per program under the user cache dir (eksbalance/plan/), or a
	// temp dir removed after the run when there is no cache dir.
	BuildDir string
	// StackOutputs are the outputs pulumi.NewStackReference sees offline, by
	// stack name as the program writes it ("org/project/stack"). A referenced
	// stack without an entry gets no outputs: each one the program reads is
	// unknown, as in a preview before that stack exists, and the plan warns.
	StackOutputs map[string]map[string]any
}

// Project is what plan reads from Pulumi.yaml.
type Project struct {
	Name           string
	Runtime        string
	Main           string
	StackConfigDir string
	// Config holds project-level defaults, key -> value, keys already namespaced.
	Config map[string]any
}

// FindProject returns the nearest directory at or above dir that holds a
// Pulumi.yaml: the project pulumi itself would use when run in dir.
func FindProject(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("no Pulumi project in %s: %w", dir, err)
	} else if !st.IsDir() {
		return "", fmt.Errorf("no Pulumi project in %s: not a directory", dir)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "Pulumi.yaml")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no Pulumi project in %s: no Pulumi.yaml there or in any directory above it", dir)
		}
	}
}

// LoadProject reads dir/Pulumi.yaml.
func LoadProject(dir string) (*Project, error) {
	path := filepath.Join(dir, "Pulumi.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("no Pulumi project in %s: %w", dir, err)
	}
	var raw struct {
		Name           string         `yaml:"name"`
		Runtime        yaml.Node      `yaml:"runtime"`
		Main           string         `yaml:"main"`
		StackConfigDir string         `yaml:"stackConfigDir"`
		Config         map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &Project{Name: raw.Name, Main: raw.Main, StackConfigDir: raw.StackConfigDir, Config: map[string]any{}}
	switch raw.Runtime.Kind {
	case yaml.ScalarNode:
		p.Runtime = raw.Runtime.Value
	case yaml.MappingNode:
		var rt struct {
			Name string `yaml:"name"`
		}
		if err := raw.Runtime.Decode(&rt); err != nil {
			return nil, fmt.Errorf("%s: runtime: %w", path, err)
		}
		p.Runtime = rt.Name
	}
	if p.Name == "" {
		return nil, fmt.Errorf("%s: name: is required", path)
	}
	if p.Runtime != "go" {
		return nil, fmt.Errorf("%s: runtime: %q: only Go programs can be planned offline", path, p.Runtime)
	}
	for k, v := range raw.Config {
		// Project config is either a plain default or {type, default, ...}.
		if m, ok := v.(map[string]any); ok {
			d, has := m["default"]
			if !has {
				continue
			}
			v = d
		}
		p.Config[namespaced(p.Name, k)] = v
	}
	return p, nil
}

func namespaced(project, key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return project + ":" + key
}

// StackConfig reads Pulumi.<stack>.yaml and merges it over the project defaults,
// returning the config map pulumi.Run expects (values as strings; objects and
// arrays as JSON) and the keys that are secret.
func (p *Project) StackConfig(dir, stack string) (map[string]string, []string, error) {
	cfg := map[string]any{}
	for k, v := range p.Config {
		cfg[k] = v
	}
	path := filepath.Join(dir, p.StackConfigDir, "Pulumi."+stack+".yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("stack %q: %w", stack, err)
	}
	var raw struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var secrets []string
	for k, v := range raw.Config {
		key := namespaced(p.Name, k)
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			if _, secure := m["secure"]; secure {
				// Encrypted values cannot be read without the stack's secrets
				// provider; the program sees a placeholder, marked secret.
				v = Redacted
				secrets = append(secrets, key)
			}
		}
		cfg[key] = v
	}
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		switch x := v.(type) {
		case string:
			out[k] = x
		case bool, int, float64:
			out[k] = fmt.Sprint(x)
		default:
			j, err := json.Marshal(x)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: config %s: %w", path, k, err)
			}
			out[k] = string(j)
		}
	}
	sort.Strings(secrets)
	return out, secrets, nil
}

// Run builds the Go program in opts.Dir, runs it against an in-process resource
// monitor with mocked cloud answers, and returns everything it registered. The
// program is not changed: it is an ordinary `pulumi.Run` main package.
func Run(ctx context.Context, opts Options) (*Plan, error) {
	if opts.Stack == "" {
		opts.Stack = "dev"
	}
	dir, err := FindProject(opts.Dir)
	if err != nil {
		return nil, err
	}
	proj, err := LoadProject(dir)
	if err != nil {
		return nil, err
	}
	cfg, secretKeys, err := proj.StackConfig(dir, opts.Stack)
	if err != nil {
		return nil, err
	}

	buildDir := opts.BuildDir
	if buildDir == "" {
		buildDir = cacheDir(dir)
	}
	if buildDir == "" {
		tmp, err := os.MkdirTemp("", "eksbalance-plan-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		buildDir = tmp
	} else if err := os.MkdirAll(buildDir, 0o755); err != nil {
		return nil, err
	}
	bin := filepath.Join(buildDir, "program")
	mainDir := filepath.Join(dir, proj.Main)
	lockRelease, err := lockDir(buildDir)
	if err != nil {
		return nil, err
	}
	// Released as soon as the program has started (below), and on every early
	// return.
	unlock := sync.OnceFunc(lockRelease)
	defer unlock()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = mainDir
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building %s: %w\n%s", mainDir, err, out)
	}

	eng, err := StartEngine(EngineOptions{Project: proj.Name, Stack: opts.Stack, Reveal: opts.Reveal, Cloud: mockcloud.CloudFromConfig(cfg), StackOutputs: opts.StackOutputs})
	if err != nil {
		return nil, err
	}
	defer eng.Stop()
	m := eng.m

	cfgJSON, _ := json.Marshal(cfg)
	secretJSON, _ := json.Marshal(secretKeys)
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = mainDir
	cmd.Env = append(os.Environ(),
		"PULUMI_MONITOR="+eng.Addr(),
		"PULUMI_ENGINE="+eng.Addr(),
		"PULUMI_PROJECT="+proj.Name,
		"PULUMI_STACK="+opts.Stack,
		"PULUMI_ORGANIZATION=organization",
		"PULUMI_ROOT_DIRECTORY="+dir,
		"PULUMI_CONFIG="+string(cfgJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON),
		"PULUMI_DRY_RUN=true",
		"PULUMI_PARALLEL=16",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if opts.Output != nil {
		cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, opts.Output), io.MultiWriter(&out, opts.Output)
	}
	runErr := cmd.Start()
	// Once started, the program keeps its inode: a later rebuild replaces the
	// file (go build removes it first) instead of rewriting the running binary.
	unlock()
	if runErr == nil {
		runErr = cmd.Wait()
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if runErr != nil || len(m.errors) > 0 {
		keys := make([]string, 0, len(cfg))
		for k := range cfg {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, programError(proj.Name, opts.Stack, runErr, m.errors, out.String(), keys)
	}
	p := &Plan{Project: proj.Name, Stack: opts.Stack, Resources: append([]Resource(nil), m.resources...)}
	p.sort()
	p.Warnings = append(append(programWarnings(m.logs), m.warnings...), p.UnreachableAPIWarnings()...)
	return p, nil
}

// cacheDir is where the program in dir is built between runs: one directory per
// program path, so two programs never share a binary. "" when there is no
// user cache directory.
func cacheDir(dir string) string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(base, "eksbalance", "plan", filepath.Base(dir)+"-"+hex.EncodeToString(sum[:6]))
}

// sort orders resources by URN so the JSON form is stable across runs (the
// program registers concurrently).
func (p *Plan) sort() {
	sort.SliceStable(p.Resources, func(i, j int) bool { return p.Resources[i].URN < p.Resources[j].URN })
	for i := range p.Resources {
		sort.Strings(p.Resources[i].DependsOn)
	}
}
