//go:build live

package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/gruntwork-io/terratest/modules/testing"
)

// Helpers for the Gateway front (examples/gateway-nlb): the controller writes
// the load balancer's DNS name into the Gateway's status.addresses, and the
// settings travel in a LoadBalancerConfiguration and a TargetGroupConfiguration
// instead of annotations.

// GetObjectSpecE returns the spec of a namespaced object as kubectl prints it
// (kind may be plural or qualified, e.g. targetgroupconfigurations.gateway.k8s.aws).
func GetObjectSpecE(t testing.TestingT, opts *k8s.KubectlOptions, kind, name string) (map[string]any, error) {
	out, err := k8s.RunKubectlAndGetOutputE(t, opts, "get", kind, name, "-o", "json")
	if err != nil {
		return nil, err
	}
	var obj struct {
		Spec map[string]any `json:"spec"`
	}
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		return nil, fmt.Errorf("kubectl get %s %s: %w", kind, name, err)
	}
	return obj.Spec, nil
}

// WaitForGatewayHostnameE waits until the controller has written the load
// balancer's DNS name into the Gateway's status.addresses and returns it.
func WaitForGatewayHostnameE(t testing.TestingT, opts *k8s.KubectlOptions, name string, retries int, sleep time.Duration) (string, error) {
	return retry.DoWithRetryE(t, "wait for the load balancer hostname of Gateway "+name, retries, sleep, func() (string, error) {
		host, err := k8s.RunKubectlAndGetOutputE(t, opts, "get", "gateways.gateway.networking.k8s.io", name,
			"-o", "jsonpath={.status.addresses[0].value}")
		if err != nil {
			return "", err
		}
		if host == "" {
			return "", errors.New("no address in the Gateway's status yet")
		}
		return host, nil
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
