package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/eksbalance/eksbalance/internal/ci"
)

// TestAnalyzerServer builds the pack's program, starts it as the Pulumi engine
// would, and speaks the Analyzer gRPC protocol to it on loopback: the policies
// are listed, an in-tree Service is rejected and a controller NLB passes.
func TestAnalyzerServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the policy pack binary; skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		ci.SkipOrFail(t, "go toolchain not on PATH: cannot build the pack")
	}
	bin := filepath.Join(t.TempDir(), "pack")
	build := exec.Command(gobin, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./policies: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the analyzer's port: %v", err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("analyzer printed %q, want a port", line)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pulumirpc.NewAnalyzerClient(conn)

	if _, err := client.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{}); err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if _, err := client.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "dev", Project: "shop"}); err != nil {
		t.Fatalf("ConfigureStack: %v", err)
	}
	info, err := client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatalf("GetAnalyzerInfo: %v", err)
	}
	if info.GetName() != packName || info.GetVersion() != packVersion || len(info.GetPolicies()) < 5 {
		t.Fatalf("analyzer info %s %s with %d policies", info.GetName(), info.GetVersion(), len(info.GetPolicies()))
	}

	analyze := func(res func() (string, resource.PropertyMap)) []*pulumirpc.AnalyzeDiagnostic {
		t.Helper()
		typ, props := res()
		st, err := plugin.MarshalProperties(props, plugin.MarshalOptions{KeepSecrets: true})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Analyze(ctx, &pulumirpc.AnalyzeRequest{
			Type: typ, Name: "web", Urn: "urn:pulumi:dev::shop::" + typ + "::web", Properties: st,
		})
		if err != nil {
			t.Fatalf("Analyze: %v", err)
		}
		return resp.GetDiagnostics()
	}
	svc := func(ann map[string]any) func() (string, resource.PropertyMap) {
		return func() (string, resource.PropertyMap) {
			a := service(ann)
			return a.Type, resource.ToResourcePropertyMap(a.Properties)
		}
	}

	bad := analyze(svc(map[string]any{}))
	if len(bad) != 1 || bad[0].GetPolicyName() != "lb-controller-required" ||
		bad[0].GetEnforcementLevel() != pulumirpc.EnforcementLevel_MANDATORY ||
		!strings.Contains(bad[0].GetMessage(), "Service shop/web: ") {
		t.Errorf("in-tree Service: diagnostics %v, want one mandatory lb-controller-required", bad)
	}
	if good := analyze(svc(controllerNLB)); len(good) != 0 {
		t.Errorf("controller NLB: diagnostics %v, want none", good)
	}

	// An NLB Service without a target type: instance on a stock controller,
	// ip once the pack is told the cluster's controller default.
	noType := map[string]any{}
	for k, v := range controllerNLB {
		noType[k] = v
	}
	delete(noType, "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type")
	if d := analyze(svc(noType)); len(d) != 1 || d[0].GetPolicyName() != "ip-targets" || !strings.Contains(d[0].GetMessage(), "a stock controller") {
		t.Errorf("no target type, stock controller: diagnostics %v, want ip-targets naming the assumed default", d)
	}
	props, err := structpb.NewStruct(map[string]any{"controllerDefaultTargetType": "ip"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"ip-targets": {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY, Properties: props},
	}}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if d := analyze(svc(noType)); len(d) != 0 {
		t.Errorf("no target type, pack configured with controllerDefaultTargetType ip: diagnostics %v, want none", d)
	}
}
