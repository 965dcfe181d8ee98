package engine

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The Gateway stand-in's status is what the provider's condition=Programmed wait
// accepts: Programmed True for the Gateway's current generation, and the address.
// A Gateway with the CRD's default status, or programmed for an older
// generation, is not Programmed, so the stand-in writes it again.
func TestGatewayStatus(t *testing.T) {
	gw := unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "web", "namespace": "shop", "generation": int64(2)},
		"status": map[string]any{"conditions": []any{
			map[string]any{"type": "Accepted", "status": "Unknown", "reason": "Pending"},
			map[string]any{"type": "Programmed", "status": "Unknown", "reason": "Pending"},
		}},
	}}
	if Programmed(gw) {
		t.Fatal("a pending Gateway counts as Programmed")
	}
	patch := gatewayStatus(gw, LocalHostname("shop", "web"), metav1.Now())
	gw.Object["status"] = patch["status"]
	if !Programmed(gw) {
		t.Fatalf("after the stand-in's patch the Gateway is not Programmed: %v", patch)
	}
	if got, _, _ := unstructured.NestedSlice(gw.Object, "status", "addresses"); len(got) != 1 ||
		got[0].(map[string]any)["value"] != "k8s-shop-web.elb.invalid" {
		t.Errorf("addresses %v", got)
	}
	gw.SetGeneration(3)
	if Programmed(gw) {
		t.Error("programmed for generation 2, counted for generation 3")
	}
}
