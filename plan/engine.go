package plan

import (
	"net"

	"google.golang.org/grpc"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/eksbalance/eksbalance/internal/mockcloud"
)

// Engine is the in-process stand-in for the Pulumi engine: a resource monitor
// and engine service on a loopback port that records every registration and
// answers from the mocked cloud (internal/mockcloud): outputs, invokes, the
// children of remote components (pulumi:pulumi:getResource) and the rejections
// pulumi-eks and pulumi-aws would make. Run plans a built program against one;
// the component tests (internal/pulumitest) run their constructors against one
// too, so a test and a plan see the same cloud.
type Engine struct {
	m   *monitor
	srv *grpc.Server
	lis net.Listener
}

// EngineOptions configures an Engine.
type EngineOptions struct {
	// Project and Stack name the run (URNs are built from them).
	Project, Stack string
	// Reveal records secret inputs in clear instead of Redacted.
	Reveal bool
	// Cloud is the mocked account, region and caller.
	Cloud mockcloud.Cloud
	// StackOutputs answer pulumi.NewStackReference (Options.StackOutputs).
	StackOutputs map[string]map[string]any
}

// StartEngine serves an Engine on 127.0.0.1; Stop it when the program is done.
func StartEngine(o EngineOptions) (*Engine, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &monitor{project: o.Project, stack: o.Stack, reveal: o.Reveal, cloud: o.Cloud, stackOutputs: o.StackOutputs}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))
	pulumirpc.RegisterResourceMonitorServer(srv, m)
	pulumirpc.RegisterEngineServer(srv, m)
	go func() { _ = srv.Serve(lis) }()
	return &Engine{m: m, srv: srv, lis: lis}, nil
}

// Addr is the address a program dials as both PULUMI_MONITOR and PULUMI_ENGINE.
func (e *Engine) Addr() string { return e.lis.Addr().String() }

// Stop shuts the servers down.
func (e *Engine) Stop() { e.srv.Stop() }

// Resources returns the registrations so far, in the order they arrived.
func (e *Engine) Resources() []Resource {
	e.m.mu.Lock()
	defer e.m.mu.Unlock()
	return append([]Resource(nil), e.m.resources...)
}

// Errors returns the error messages the program logged.
func (e *Engine) Errors() []string {
	e.m.mu.Lock()
	defer e.m.mu.Unlock()
	return append([]string(nil), e.m.errors...)
}

// Transforms returns, by URN, how many pulumi.Transforms each registration
// carried. The engine records them but does not apply them (see
// monitor.SupportsFeature).
func (e *Engine) Transforms() map[string]int {
	e.m.mu.Lock()
	defer e.m.mu.Unlock()
	out := make(map[string]int, len(e.m.transforms))
	for k, v := range e.m.transforms {
		out[k] = v
	}
	return out
}

// Logs returns the program's other log messages ("warning: ...", "info: ...").
func (e *Engine) Logs() []string {
	e.m.mu.Lock()
	defer e.m.mu.Unlock()
	return append([]string(nil), e.m.logs...)
}
