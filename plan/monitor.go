package plan

import (
	"context"
	"fmt"
	"sort"
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
	// cloud answers invokes and outputs; rejections are what pulumi-eks and
	// pulumi-aws would refuse (see mockcloud.Check).
	cloud mockcloud.Cloud
	// stackOutputs answer pulumi.NewStackReference (see stackReference).
	stackOutputs map[string]map[string]any

	mu        sync.Mutex
	resources []Resource
	root      string
	errors    []string
	warnings  []string
	logs      []string
	// transforms counts the transforms each registration carried, by URN.
	transforms map[string]int
	// inputs and states hold each registration's raw inputs and the state the
	// engine would answer for it (including remote components' children), by URN.
	inputs map[string]resource.PropertyMap
	states map[string]mockState
}

// mockState is what pulumi:pulumi:getResource answers for a URN.
type mockState struct {
	id    string
	state resource.PropertyMap
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
	if n := len(req.GetTransforms()); n > 0 {
		if m.transforms == nil {
			m.transforms = map[string]int{}
		}
		m.transforms[urn] = n
	}
	if m.inputs == nil {
		m.inputs, m.states = map[string]resource.PropertyMap{}, map[string]mockState{}
	}
	m.inputs[urn] = inputs
	m.mu.Unlock()

	// Refuse what the providers would refuse, the way pulumi up fails: the
	// registration errors and the program stops.
	if err := mockcloud.Check(req.GetType(), req.GetName(), inputs, m.lookup); err != nil {
		return nil, err
	}
	if !req.GetCustom() && !req.GetRemote() {
		return &pulumirpc.RegisterResourceResponse{Urn: urn}, nil
	}
	id, outs := mockcloud.Outputs(req.GetType(), req.GetName(), inputs)
	if strings.HasPrefix(req.GetType(), "pulumi:providers:") {
		outs = inputs
	}
	m.mu.Lock()
	for _, c := range mockcloud.Children(req.GetType(), req.GetName(), inputs) {
		curn := ChildURN(m.stack, m.project, urn, c.Type, c.Name)
		m.states[curn] = mockState{id: c.ID, state: c.State}
		outs[resource.PropertyKey(c.Output)] = resource.MakeCustomResourceReference(resource.URN(curn), resource.ID(c.ID), "")
	}
	m.states[urn] = mockState{id: id, state: outs}
	m.mu.Unlock()
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
	result := m.cloud.Invoke(req.GetTok(), args)
	if req.GetTok() == "pulumi:pulumi:getResource" {
		if result, err = m.getResource(args); err != nil {
			return nil, err
		}
	}
	ret, err := plugin.MarshalProperties(result, marshalOut)
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
	if req.GetType() == stackReferenceType {
		outs = m.stackReference(req.GetId(), inputs)
	}
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

// lookup finds another registration's type and inputs by URN, for the mocked
// cloud's rules that look across resources.
func (m *monitor) lookup(urn string) (string, resource.PropertyMap, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	in, ok := m.inputs[urn]
	if !ok {
		return "", nil, false
	}
	return resource.URN(urn).Type().String(), in, true
}

// getResource answers the engine's pulumi:pulumi:getResource, which the SDK
// calls to read a resource it got as a reference (a remote component's child).
func (m *monitor) getResource(args resource.PropertyMap) (resource.PropertyMap, error) {
	urn := ""
	if v, ok := args["urn"]; ok && v.IsString() {
		urn = v.StringValue()
	}
	m.mu.Lock()
	st, ok := m.states[urn]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("getResource: the mocked cloud knows no resource %s", urn)
	}
	return resource.PropertyMap{
		"urn":   resource.NewPropertyValue(urn),
		"id":    resource.NewPropertyValue(st.id),
		"state": resource.NewObjectProperty(st.state),
	}, nil
}

// addWarning records a warning of the planner's own (the program's come
// from its logs, see programWarnings) once, keeping the list sorted. The
// caller holds m.mu.
func (m *monitor) addWarning(w string) {
	i := sort.SearchStrings(m.warnings, w)
	if i < len(m.warnings) && m.warnings[i] == w {
		return
	}
	m.warnings = append(m.warnings, "")
	copy(m.warnings[i+1:], m.warnings[i:])
	m.warnings[i] = w
}
