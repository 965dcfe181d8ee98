// Package pulumitest runs a component's real constructor against the offline
// plan's in-process engine and captures every registration as a plan.Resource,
// so tests assert on the inputs a component sends, by type token and name,
// without a mock per test. The engine stands in for pulumi.WithMocks because it
// can do what WithMocks cannot: answer for a remote component's children
// (pulumi-eks' ManagedNodeGroup returns its node group as a resource
// reference, which the SDK reads back through the engine), and it is the same
// mocked cloud the plan runs against.
package pulumitest

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/mockcloud"
	"github.com/eksbalance/eksbalance/plan"
)

// Capture holds what a run registered.
type Capture struct {
	mu        sync.Mutex
	resources []plan.Resource
	logs      []string
	// transforms counts the pulumi.Transforms each registration carried, by URN
	// (the offline engine records them; a test calls the transform itself).
	transforms map[string]int
}

// Warnings returns what the program logged as warnings (ctx.Log.Warn).
func (c *Capture) Warnings() []string {
	var out []string
	for _, l := range c.logs {
		if w, ok := strings.CutPrefix(l, "warning: "); ok {
			out = append(out, w)
		}
	}
	return out
}

// Option changes how Run starts the program.
type Option func(*run)

// run is one program run: what pulumi.Run sees and the mocked cloud.
type run struct {
	info  pulumi.RunInfo
	cloud *mockcloud.Cloud
}

// WithConfig sets stack configuration, keys in "project:key" form. The mocked
// cloud follows aws:region (zones, partition).
func WithConfig(cfg map[string]string) Option {
	return func(r *run) { r.info.Config = cfg }
}

// WithStack sets the stack name (default "test").
func WithStack(stack string) Option {
	return func(r *run) { r.info.Stack = stack }
}

// WithDryRun runs the program as a preview (or `eksbalance plan`) would:
// ctx.DryRun() is true.
func WithDryRun() Option {
	return func(r *run) { r.info.DryRun = true }
}

// WithCaller makes getCallerIdentity answer arn: the principal deploying the
// stack (default mockcloud.DefaultCaller).
func WithCaller(arn string) Option {
	return func(r *run) { r.cloud = &mockcloud.Cloud{Caller: arn} }
}

// Run runs body against the offline plan's in-process engine (plan.Engine),
// which answers from the mocked cloud exactly as `eksbalance plan` does,
// including the children of remote components and the rejections pulumi-eks
// and pulumi-aws would make, and returns what it registered and the program's
// error. Capture is usable even when err is not nil (to show nothing was
// created).
func Run(t testing.TB, body pulumi.RunFunc, opts ...Option) (*Capture, error) {
	t.Helper()
	r := run{info: pulumi.RunInfo{Project: "eksbalance", Stack: "test"}}
	for _, o := range opts {
		o(&r)
	}
	cloud := mockcloud.CloudFromConfig(r.info.Config)
	if r.cloud != nil {
		cloud.Caller = r.cloud.Caller
	}
	eng, err := plan.StartEngine(plan.EngineOptions{Project: r.info.Project, Stack: r.info.Stack, Reveal: true, Cloud: cloud})
	if err != nil {
		t.Fatalf("starting the in-process engine: %v", err)
	}
	defer eng.Stop()
	err = pulumi.RunErr(body, func(ri *pulumi.RunInfo) {
		ri.Project, ri.Stack, ri.Config, ri.DryRun = r.info.Project, r.info.Stack, r.info.Config, r.info.DryRun
		ri.MonitorAddr, ri.EngineAddr = eng.Addr(), eng.Addr()
		ri.Parallel = 16
	})
	if err == nil {
		if errs := eng.Errors(); len(errs) > 0 {
			err = errors.New(strings.Join(errs, "\n"))
		}
	}
	// The root stack is the engine's, not the program's: leave it out, as
	// pulumi.WithMocks did.
	var got []plan.Resource
	for _, res := range eng.Resources() {
		if !(res.Type == "pulumi:pulumi:Stack" && res.Parent == "") {
			got = append(got, res)
		}
	}
	return &Capture{resources: got, logs: eng.Logs(), transforms: eng.Transforms()}, err
}

// MustRun is Run that fails the test on a program error.
func MustRun(t testing.TB, body pulumi.RunFunc, opts ...Option) *Capture {
	t.Helper()
	c, err := Run(t, body, opts...)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return c
}

// All returns every registration in the order the mocks saw them.
func (c *Capture) All() []plan.Resource {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]plan.Resource(nil), c.resources...)
}

// Transforms is how many pulumi.Transforms the registration with this URN
// carried.
func (c *Capture) Transforms(urn string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transforms[urn]
}

// Plan returns the registrations as a plan.Plan.
func (c *Capture) Plan() *plan.Plan {
	return &plan.Plan{Project: "eksbalance", Stack: "test", Resources: c.All()}
}

// ByType returns the registrations of one type token.
func (c *Capture) ByType(token string) []plan.Resource { return c.Plan().ByType(token) }

// One returns the registration with this type token and name, failing the test
// when there is none.
func (c *Capture) One(t testing.TB, token, name string) plan.Resource {
	t.Helper()
	r, ok := c.Plan().Find(token, name)
	if !ok {
		var names []string
		for _, x := range c.ByType(token) {
			names = append(names, x.Name)
		}
		t.Fatalf("no %s named %q registered (have %v)", token, name, names)
	}
	return r
}
