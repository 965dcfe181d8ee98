package follow

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"

	"github.com/eksbalance/eksbalance/tests/awslb"
)

func object(apiVersion, kind, name string, spec map[string]any, annotations map[string]any) *unstructured.Unstructured {
	meta := map[string]any{"name": name, "namespace": "shop"}
	if annotations != nil {
		meta["annotations"] = annotations
	}
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": meta, "spec": spec}}
}

func fakeDynamic(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	lists := map[schema.GroupVersionResource]string{TargetGroupConfigurations: "TargetGroupConfigurationList"}
	for gvr := range RouteResources {
		lists[gvr] = map[string]string{"tcproutes": "TCPRouteList", "httproutes": "HTTPRouteList"}[gvr.Resource]
	}
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists, objs...)
}

func tcpRoute(service string) *unstructured.Unstructured {
	return object("gateway.networking.k8s.io/v1", "TCPRoute", "web-tcp-80", map[string]any{
		"parentRefs": []any{map[string]any{"name": "web", "sectionName": "tcp-80"}},
		"rules":      []any{map[string]any{"backendRefs": []any{map[string]any{"group": "", "kind": "Service", "name": service, "port": int64(80)}}}},
	}, nil)
}

// The controller plays a Gateway backend's target group from the route that names the
// Service (TCPRoute: an NLB) and the Service's TargetGroupConfiguration, and waits
// while no route names the Service.
func TestGatewayFormConfig(t *testing.T) {
	ctx := context.Background()
	tgc := object("gateway.k8s.aws/v1", "TargetGroupConfiguration", "web", map[string]any{
		"targetReference": map[string]any{"group": "", "kind": "Service", "name": "web"},
		"defaultConfiguration": map[string]any{
			"targetType": "ip",
			"healthCheckConfig": map[string]any{"healthCheckProtocol": "HTTP", "healthCheckPath": "/readyz",
				"healthCheckInterval": int64(10), "healthCheckTimeout": int64(6), "healthyThresholdCount": int64(2), "unhealthyThresholdCount": int64(2)},
			"targetGroupAttributes": []any{map[string]any{"key": "deregistration_delay.timeout_seconds", "value": "150"}},
		},
	}, map[string]any{"eksbalance.io/unhealthy-lag-seconds": "20"})
	other := object("gateway.k8s.aws/v1", "TargetGroupConfiguration", "api", map[string]any{
		"targetReference":      map[string]any{"name": "api"},
		"defaultConfiguration": map[string]any{"healthCheckConfig": map[string]any{"healthCheckInterval": int64(30)}},
	}, nil)

	c := &Controller{Namespace: "shop", Service: "web", Dynamic: fakeDynamic(tcpRoute("web"), tgc, other), TimeScale: time.Second}
	cfg, err := c.gatewayConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Kind != awslb.NLB || cfg.HealthCheck.Interval != 10*time.Second || cfg.HealthCheck.Path != "/readyz" ||
		cfg.DeregistrationDelay != 150*time.Second || cfg.UnhealthyLag != 20*time.Second || cfg.Propagation != awslb.DefaultNLBPropagation {
		t.Errorf("config from the TCPRoute and the Service's TargetGroupConfiguration: %+v", cfg)
	}

	// A route to another Service is not this Service's front.
	c.Dynamic = fakeDynamic(tcpRoute("api"), tgc)
	if _, err := c.gatewayConfig(ctx); !errors.Is(err, errNoFrontYet) {
		t.Errorf("no route to the Service: %v, want errNoFrontYet", err)
	}
	// No Dynamic client: the Gateway form is not read.
	c.Dynamic = nil
	if _, err := c.gatewayConfig(ctx); !errors.Is(err, errNoFrontYet) {
		t.Errorf("nil Dynamic: %v, want errNoFrontYet", err)
	}
	// No TargetGroupConfiguration: the controller's Gateway defaults.
	c.Dynamic = fakeDynamic(tcpRoute("web"), other)
	if cfg, err := c.gatewayConfig(ctx); err != nil || cfg.HealthCheck.Interval != 15*time.Second || cfg.HealthCheck.Protocol != awslb.ProtocolTCP {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}
	// Two configurations for one Service: an error naming both.
	dup := tgc.DeepCopy()
	dup.SetName("web-2")
	c.Dynamic = fakeDynamic(tcpRoute("web"), tgc, dup)
	if _, err := c.gatewayConfig(ctx); err == nil || !strings.Contains(err.Error(), "web-2") {
		t.Errorf("two TargetGroupConfigurations: %v", err)
	}
}
