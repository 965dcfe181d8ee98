package controlplane_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"

	"github.com/eksbalance/eksbalance/tests/controlplane"
)

// gatewayGroups are the API groups of the Gateway fronts' objects.
var gatewayGroups = map[string]bool{"gateway.networking.k8s.io": true, "gateway.k8s.aws": true}

// TestGatewayExamplesStrictApply renders examples/gateway-alb and
// examples/gateway-nlb, applies every object with strict server-side apply
// against the real Gateway API and controller CRDs, and checks that the API
// server kept every field the toolkit wrote and that the pods come up. A second
// part breaks single fields and expects the CRDs' schemas and CEL rules to
// reject them, so the apply above could have failed.
func TestGatewayExamplesStrictApply(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test starts a control plane")
	}
	bin := controlplane.RequireBinaries(t)
	eks := controlplane.RequireEksbalance(t) // renders the Gateway examples
	c := controlplane.Start(t, controlplane.Options{BinDir: bin, NodeGroups: controlplane.EvenNodeGroups("dev", "m6i.large", 2, stackZones...)})

	for _, name := range []string{"gateway-alb", "gateway-nlb"} {
		t.Run(name, func(t *testing.T) {
			env := "EKSBALANCE_RENDERED_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
			ex := controlplane.LoadExample(t, eks, name, env)
			objs := controlplane.DeepCopyObjects(ex.Objs)
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.GetKind()]++
			}
			for _, k := range []string{"Gateway", "LoadBalancerConfiguration", "TargetGroupConfiguration", "GatewayClass", "Deployment", "Service"} {
				require.NotZero(t, kinds[k], "example %s renders a %s", name, k)
			}
			require.NotZero(t, kinds["HTTPRoute"]+kinds["TCPRoute"], "example %s renders a route", name)
			t.Cleanup(func() { deleteNamespaces(t, c, objs) })

			c.Apply(t, objs)
			checked := checkStoredAsApplied(t, c, objs)
			t.Logf("%s: %d objects applied strictly; %d Gateway API and gateway.k8s.aws objects read back with every field the toolkit wrote (%v)",
				name, len(objs), checked, kinds)
			for _, d := range controlplane.Find(objs, "Deployment") {
				k8s.WaitUntilDeploymentAvailable(t, c.KubectlOptions(d.GetNamespace()), d.GetName(), 90, time.Second)
			}
		})
	}

	t.Run("the CRDs reject broken objects", func(t *testing.T) {
		ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "gateway-strict"}}}
		t.Cleanup(func() { deleteNamespaces(t, c, []*unstructured.Unstructured{ns}) })
		require.NoError(t, c.ApplyE(t, []*unstructured.Unstructured{ns}))
		tgc := func(defaultConfiguration map[string]any) *unstructured.Unstructured {
			return &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "gateway.k8s.aws/v1", "kind": "TargetGroupConfiguration",
				"metadata": map[string]any{"name": "web", "namespace": "gateway-strict"},
				"spec":     map[string]any{"targetReference": map[string]any{"name": "web"}, "defaultConfiguration": defaultConfiguration},
			}}
		}
		gateway := func(listener map[string]any) *unstructured.Unstructured {
			return &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
				"metadata": map[string]any{"name": "edge", "namespace": "gateway-strict"},
				"spec":     map[string]any{"gatewayClassName": "aws-alb", "listeners": []any{listener}},
			}}
		}
		require.NoError(t, c.ApplyE(t, []*unstructured.Unstructured{tgc(map[string]any{"targetType": "ip"})}), "a valid TargetGroupConfiguration applies")
		require.NoError(t, c.ApplyE(t, []*unstructured.Unstructured{gateway(map[string]any{"name": "http-80", "protocol": "HTTP", "port": int64(80)})}), "a valid Gateway applies")
		for what, tc := range map[string]struct {
			obj  *unstructured.Unstructured
			says string
		}{
			"unknown field":                {tgc(map[string]any{"targetTyp": "ip"}), "targetTyp"},
			"target type outside the enum": {tgc(map[string]any{"targetType": "pod"}), "targetType"},
			"health check as a string":     {tgc(map[string]any{"healthCheckConfig": map[string]any{"healthCheckInterval": "10s"}}), "healthCheckInterval"},
			"tls on an HTTP listener (CEL)": {gateway(map[string]any{"name": "http-80", "protocol": "HTTP", "port": int64(80),
				"tls": map[string]any{"mode": "Terminate", "options": map[string]any{"example.com/x": "y"}}}), "tls must not be specified"},
		} {
			err := c.ApplyE(t, []*unstructured.Unstructured{tc.obj})
			if assert.Error(t, err, "%s must be rejected", what) {
				assert.Contains(t, err.Error(), tc.says, what)
			}
		}
	})
}

// checkStoredAsApplied reads back every object of the Gateway groups and fails
// when a field the toolkit wrote is missing or different on the server (the
// server may add defaults). It returns how many objects it compared.
func checkStoredAsApplied(t *testing.T, c *controlplane.Cluster, objs []*unstructured.Unstructured) int {
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.Clientset.Discovery()))
	n := 0
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		if !gatewayGroups[gvk.Group] {
			continue
		}
		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		require.NoError(t, err)
		res := c.Dynamic.Resource(mapping.Resource)
		var got *unstructured.Unstructured
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			got, err = res.Namespace(o.GetNamespace()).Get(context.Background(), o.GetName(), metav1.GetOptions{})
		} else {
			got, err = res.Get(context.Background(), o.GetName(), metav1.GetOptions{})
		}
		require.NoError(t, err, "%s %s/%s", gvk.Kind, o.GetNamespace(), o.GetName())
		for _, diff := range missing("spec", normalized(o.Object["spec"]), normalized(got.Object["spec"])) {
			t.Errorf("%s %s/%s: %s", gvk.Kind, o.GetNamespace(), o.GetName(), diff)
		}
		n++
	}
	require.NotZero(t, n, "no Gateway API objects compared")
	return n
}

func normalized(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// missing lists the paths where want has a value got lacks or differs at.
func missing(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		var out []string
		for k, v := range w {
			out = append(out, missing(path+"."+k, v, g[k])...)
		}
		return out
	case []any:
		g, _ := got.([]any)
		if len(g) != len(w) {
			return []string{fmt.Sprintf("%s: %d items applied, %d stored", path, len(w), len(g))}
		}
		var out []string
		for i := range w {
			out = append(out, missing(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return []string{fmt.Sprintf("%s: applied %v, stored %v", path, want, got)}
	}
	return nil
}
