//go:build live

package live

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/gruntwork-io/terratest/modules/testing"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
)

// Helpers for the Gateway front (examples/gateway-nlb): the controller writes
// the load balancer's DNS name into the Gateway's status.addresses, and the
// settings travel in a LoadBalancerConfiguration and a TargetGroupConfiguration
// instead of annotations. They read through client-go (a dynamic client and
// discovery), as Terratest's typed helpers do, so they need no kubectl binary:
// the local run of this code (tests/engine) has none to rely on.

// dynamicFor is a dynamic client and a discovery-backed REST mapper for the
// options' kubeconfig and context.
func dynamicFor(opts *k8s.KubectlOptions) (dynamic.Interface, meta.RESTMapper, error) {
	cfg, err := k8s.LoadApiClientConfigE(opts.ConfigPath, opts.ContextName)
	if err != nil {
		return nil, nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	return dyn, restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)), nil
}

// getObjectE reads one namespaced object; kind is a resource as kubectl takes
// it (plural or kind, optionally qualified by its group:
// targetgroupconfigurations.gateway.k8s.aws, gateways.gateway.networking.k8s.io).
func getObjectE(opts *k8s.KubectlOptions, kind, name string) (*unstructured.Unstructured, error) {
	dyn, mapper, err := dynamicFor(opts)
	if err != nil {
		return nil, err
	}
	gvr, gr := schema.ParseResourceArg(kind)
	var resource schema.GroupVersionResource
	if gvr != nil {
		resource, err = mapper.ResourceFor(*gvr)
	}
	if gvr == nil || err != nil {
		resource, err = mapper.ResourceFor(gr.WithVersion(""))
	}
	if err != nil {
		return nil, fmt.Errorf("resource %q: %w", kind, err)
	}
	ns := opts.Namespace
	if ns == "" {
		ns = "default"
	}
	obj, err := dyn.Resource(resource).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get %s %s/%s: %w", kind, ns, name, err)
	}
	return obj, nil
}

// GetObjectSpecE returns the spec of a namespaced object (kind may be plural or
// qualified, e.g. targetgroupconfigurations.gateway.k8s.aws).
func GetObjectSpecE(t testing.TestingT, opts *k8s.KubectlOptions, kind, name string) (map[string]any, error) {
	obj, err := getObjectE(opts, kind, name)
	if err != nil {
		return nil, err
	}
	spec, _, err := unstructured.NestedMap(obj.Object, "spec")
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, name, err)
	}
	return spec, nil
}

// WaitForGatewayHostnameE waits until the controller has written the load
// balancer's DNS name into the Gateway's status.addresses and returns it.
func WaitForGatewayHostnameE(t testing.TestingT, opts *k8s.KubectlOptions, name string, retries int, sleep time.Duration) (string, error) {
	return retry.DoWithRetryE(t, "wait for the load balancer hostname of Gateway "+name, retries, sleep, func() (string, error) {
		gw, err := getObjectE(opts, "gateways.gateway.networking.k8s.io", name)
		if err != nil {
			return "", err
		}
		addresses, _, _ := unstructured.NestedSlice(gw.Object, "status", "addresses")
		for _, a := range addresses {
			if m, ok := a.(map[string]any); ok {
				if host, _ := m["value"].(string); host != "" {
					return host, nil
				}
			}
		}
		return "", errors.New("no address in the Gateway's status yet")
	})
}

// WaitForGatewayHostname is WaitForGatewayHostnameE, failing the test on error.
func WaitForGatewayHostname(t testing.TestingT, opts *k8s.KubectlOptions, name string, retries int, sleep time.Duration) string {
	helper(t)
	h, err := WaitForGatewayHostnameE(t, opts, name, retries, sleep)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
