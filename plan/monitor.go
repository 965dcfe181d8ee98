package plan

import (
	"context"
	"fmt"
	"strings"
	"sync"

	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/eksbalance/eksbalance/internal/mockcloud"
)

// monitor is the in-process stand-in for the Pulumi engine: it serves the
// ResourceMonitor and Engine gRPC services a Go program's pulumi.Run dials,
// records every registration, and answers with mocked outputs so the program runs
// to the end without a cloud.
type monitor struct {
	pulumirpc.UnimplementedResourceMonitorServer
	pulumirpc.UnimplementedEngineServer

	project, stack string
	reveal         bool

	mu        sync.Mutex
	resources []Resource
	root      string
	errors    []string
	logs      []string
}

var marshalIn = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true}
var marshalOut = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true}

func (m *monitor) SupportsFeature(_ context.Context, req *pulumirpc.SupportsFeatureRequest) (*pulumirpc.SupportsFeatureResponse, error) {
	switch req.GetId() {
	case "secrets", "resourceReferences", "deletedWith", "aliasSpecs":
		return &pulumirpc.SupportsFeatureResponse{HasSupport: true}, nil
	case "transforms":
		// Accepted so programs that pass pulumi.Transforms run offline. The
		// engine would apply them to the resource and its children; here the
		// registered inputs are recorded as the program sent them, and a remote
		// component's children (where such transforms usually act) are not
		// visible anyway.
		return &pulumirpc.SupportsFeatureResponse{HasSupport: true}, nil
	}
	return &pulumirpc.SupportsFeatureResponse{HasSupport: false}, nil
}

func (m *monitor) RegisterResource(_ context.Context, req *pulumirpc.RegisterResourceRequest) (*pulumirpc.RegisterResourceResponse, error) {
	inputs, err := plugin.UnmarshalProperties(req.GetObject(), marshalIn)
	if err != nil {
		return nil, fmt.Errorf("registering %s %s: %w", req.GetType(), req.GetName(), err)
	}
	urn := ChildURN(m.stack, m.project, req.GetParent(), req.GetType(), req.GetName())
	r := Resource{
		URN:       urn,
		Type:      req.GetType(),
		Name:      req.GetName(),
		Parent:    req.GetParent(),
		Custom:    req.GetCustom(),
		Remote:    req.GetRemote(),
		Provider:  req.GetProvider(),
		DependsOn: req.GetDependencies(),
		Inputs:    Plain(inputs, m.reveal),
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()

	if !req.GetCustom() && !req.GetRemote() {
		return &pulumirpc.RegisterResourceResponse{Urn: urn}, nil
	}
	id, outs := mockcloud.Outputs(req.GetType(), req.GetName(), inputs)
	if strings.HasPrefix(req.GetType(), "pulumi:providers:") {
		outs = inputs
	}
	obj, err := plugin.MarshalProperties(outs, marshalOut)
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.RegisterResourceResponse{Urn: urn, Object: obj}
	if req.GetCustom() {
		resp.Id = id
	}
	return resp, nil
}

func (m *monitor) RegisterResourceOutputs(context.Context, *pulumirpc.RegisterResourceOutputsRequest) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}

func (m *monitor) Invoke(_ context.Context, req *pulumirpc.ResourceInvokeRequest) (*pulumirpc.InvokeResponse, error) {
	args, err := plugin.UnmarshalProperties(req.GetArgs(), marshalIn)
	if err != nil {
		return nil, err
	}
	ret, err := plugin.MarshalProperties(mockcloud.Invoke(req.GetTok(), args), marshalOut)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

func (m *monitor) Call(_ context.Context, req *pulumirpc.ResourceCallRequest) (*pulumirpc.CallResponse, error) {
	ret, err := plugin.MarshalProperties(resource.PropertyMap{}, marshalOut)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CallResponse{Return: ret}, nil
}

func (m *monitor) ReadResource(_ context.Context, req *pulumirpc.ReadResourceRequest) (*pulumirpc.ReadResourceResponse, error) {
	inputs, err := plugin.UnmarshalProperties(req.GetProperties(), marshalIn)
	if err != nil {
		return nil, err
	}
	_, outs := mockcloud.Outputs(req.GetType(), req.GetName(), inputs)
	obj, err := plugin.MarshalProperties(outs, marshalOut)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResourceResponse{Urn: ChildURN(m.stack, m.project, req.GetParent(), req.GetType(), req.GetName()), Properties: obj}, nil
}

func (m *monitor) RegisterStackTransform(context.Context, *pulumirpc.Callback) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}

func (m *monitor) SignalAndWaitForShutdown(context.Context, *pbempty.Empty) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}

// Engine service: logging and the root resource.

func (m *monitor) Log(_ context.Context, req *pulumirpc.LogRequest) (*pbempty.Empty, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	line := strings.TrimSpace(req.GetMessage())
	if req.GetSeverity() == pulumirpc.LogSeverity_ERROR {
		m.errors = append(m.errors, line)
	} else {
		m.logs = append(m.logs, fmt.Sprintf("%s: %s", strings.ToLower(req.GetSeverity().String()), line))
	}
	return &pbempty.Empty{}, nil
}

func (m *monitor) GetRootResource(context.Context, *pulumirpc.GetRootResourceRequest) (*pulumirpc.GetRootResourceResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return &pulumirpc.GetRootResourceResponse{Urn: m.root}, nil
}

func (m *monitor) SetRootResource(_ context.Context, req *pulumirpc.SetRootResourceRequest) (*pulumirpc.SetRootResourceResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.root = req.GetUrn()
	return &pulumirpc.SetRootResourceResponse{}, nil
}
