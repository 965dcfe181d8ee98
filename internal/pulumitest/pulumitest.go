// Package pulumitest runs a component's real constructor under pulumi.WithMocks
// and captures every registration as a plan.Resource, so tests assert on the
// inputs a component sends, by type token and name, without a mock per test.
package pulumitest

import (
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/mockcloud"
	"github.com/eksbalance/eksbalance/plan"
)

// Capture holds what a run registered.
type Capture struct {
	mu        sync.Mutex
	resources []plan.Resource
	// transforms counts the pulumi.Transforms each registration carried, by URN
	// (mocks do not apply them; a test calls the transform itself).
	transforms map[string]int
}

type mocks struct {
	c              *Capture
	project, stack string
}

func (m mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outs := mockcloud.Outputs(args.TypeToken, args.Name, args.Inputs)
	r := plan.Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: plan.Plain(args.Inputs, true),
	}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Remote = rpc.GetRemote()
		r.DependsOn = rpc.GetDependencies()
		r.Provider = rpc.GetProvider()
	}
	r.URN = plan.ChildURN(m.stack, m.project, r.Parent, r.Type, r.Name)
	m.c.mu.Lock()
	m.c.resources = append(m.c.resources, r)
	if rpc := args.RegisterRPC; rpc != nil && len(rpc.GetTransforms()) > 0 {
		if m.c.transforms == nil {
			m.c.transforms = map[string]int{}
		}
		m.c.transforms[r.URN] = len(rpc.GetTransforms())
	}
	m.c.mu.Unlock()
	if !args.Custom && !r.Remote {
		return "", resource.PropertyMap{}, nil
	}
	return id, outs, nil
}

func (m mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return mockcloud.Invoke(args.Token, args.Args), nil
}

// Option changes how Run starts the program.
type Option func(*pulumi.RunInfo)

// WithConfig sets stack configuration, keys in "project:key" form.
func WithConfig(cfg map[string]string) Option {
	return func(info *pulumi.RunInfo) { info.Config = cfg }
}

// WithStack sets the stack name (default "test").
func WithStack(stack string) Option {
	return func(info *pulumi.RunInfo) { info.Stack = stack }
}

// Run runs body under mocks and returns what it registered and the program's
// error. Capture is usable even when err is not nil (to show nothing was created).
func Run(t testing.TB, body pulumi.RunFunc, opts ...Option) (*Capture, error) {
	t.Helper()
	c := &Capture{}
	info := pulumi.RunInfo{Project: "eksbalance", Stack: "test"}
	for _, o := range opts {
		o(&info)
	}
	runOpts := []pulumi.RunOption{
		pulumi.WithMocks(info.Project, info.Stack, mocks{c: c, project: info.Project, stack: info.Stack}),
		func(ri *pulumi.RunInfo) { ri.Config = info.Config },
	}
	err := pulumi.RunErr(body, runOpts...)
	return c, err
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
