package plan

import (
	"strings"
	"testing"
)

// clusterPlan is a program that creates a pulumi-eks cluster with the given
// endpoint inputs, a Kubernetes provider from its kubeconfig, and (when
// objects) a Deployment through that provider.
func clusterPlan(endpoint map[string]any, objects bool) *Plan {
	const (
		cl   = "urn:pulumi:dev::p::eks:index:Cluster::demo"
		prov = "urn:pulumi:dev::p::pulumi:providers:kubernetes::demo-k8s"
	)
	p := &Plan{Resources: []Resource{
		{URN: cl, Type: "eks:index:Cluster", Name: "demo", Remote: true, Inputs: endpoint},
		{URN: prov, Type: "pulumi:providers:kubernetes", Name: "demo-k8s", Custom: true, DependsOn: []string{cl}},
	}}
	if objects {
		p.Resources = append(p.Resources, Resource{URN: "urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::web",
			Type: "kubernetes:apps/v1:Deployment", Name: "web", Custom: true, Provider: prov + "::04da6b54"})
	}
	return p
}

func TestUnreachableAPIWarning(t *testing.T) {
	t.Parallel()
	private := map[string]any{"endpointPrivateAccess": true, "endpointPublicAccess": false}
	w := clusterPlan(private, true).UnreachableAPIWarnings()
	if len(w) != 1 || !strings.Contains(w[0], "eks:index:Cluster demo has a private-only API endpoint") ||
		!strings.Contains(w[0], "kubernetes:apps/v1:Deployment web") {
		t.Fatalf("private cluster with objects through it: warnings %q", w)
	}
	for name, p := range map[string]*Plan{
		"public endpoint limited to CIDRs": clusterPlan(map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": []any{"198.51.100.7/32"}}, true),
		"public endpoint open":             clusterPlan(map[string]any{"endpointPublicAccess": true}, true),
		"pulumi-eks default (public)":      clusterPlan(map[string]any{}, true),
		"endpoint not known yet":           clusterPlan(map[string]any{"endpointPublicAccess": nil}, true),
		"private, no Kubernetes objects":   clusterPlan(private, false),
	} {
		if w := p.UnreachableAPIWarnings(); len(w) != 0 {
			t.Errorf("%s: warned %q", name, w)
		}
	}
	// A provider from another cluster (an existing, reachable one) does not
	// count against the private one.
	p := clusterPlan(private, true)
	p.Resources[1].DependsOn = []string{"urn:pulumi:dev::p::pulumi:pulumi:StackReference::shared"}
	if w := p.UnreachableAPIWarnings(); len(w) != 0 {
		t.Errorf("provider of another cluster: warned %q", w)
	}
}
