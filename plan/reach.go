package plan

import (
	"fmt"
	"sort"
	"strings"
)

// Unreachable API endpoints.
//
// A program that creates an EKS cluster and, through a Kubernetes provider built
// from that cluster's kubeconfig, Kubernetes objects in it, needs its runner to
// reach the cluster's API. When the cluster's endpoint is private only
// (endpointPublicAccess false), only runners inside the VPC or a network joined
// to it can: from a laptop or a hosted CI runner, `pulumi up` creates the
// cluster and then waits on the first Kubernetes object until it times out.
//
// The check is structural, so it cannot fire on a cluster whose endpoint is
// public (with or without publicAccessCidrs): it needs a pulumi-eks cluster
// registered with endpointPublicAccess false (not unknown, not absent: the
// pulumi-eks default is public), a Kubernetes provider that depends on that
// cluster (its kubeconfig is the cluster's output), and at least one resource
// that provider manages.

const (
	eksClusterType = "eks:index:Cluster"
	k8sProviderTyp = "pulumi:providers:kubernetes"
)

// UnreachableAPIWarnings returns one warning per private-only cluster whose
// provider the same program uses for Kubernetes objects.
func (p *Plan) UnreachableAPIWarnings() []string {
	private := map[string]Resource{}
	for _, r := range p.Resources {
		if r.Type != eksClusterType {
			continue
		}
		if public, ok := r.Inputs["endpointPublicAccess"].(bool); ok && !public {
			private[r.URN] = r
		}
	}
	if len(private) == 0 {
		return nil
	}
	// The provider's dependencies include the resources its inputs came
	// from: the cluster whose kubeconfig it was given.
	providerCluster := map[string]string{}
	for _, r := range p.Resources {
		if r.Type != k8sProviderTyp {
			continue
		}
		for _, d := range r.DependsOn {
			if _, ok := private[d]; ok {
				providerCluster[r.URN] = d
			}
		}
	}
	objects := map[string][]string{}
	for _, r := range p.Resources {
		if r.Provider == "" {
			continue
		}
		if cl, ok := providerCluster[providerURN(r.Provider)]; ok {
			objects[cl] = append(objects[cl], r.Type+" "+r.Name)
		}
	}
	var out []string
	for _, urn := range sortedKeys(objects) {
		cl := private[urn]
		objs := objects[urn]
		sort.Strings(objs)
		out = append(out, fmt.Sprintf("%s %s has a private-only API endpoint (endpointPublicAccess false), "+
			"and this program creates %d Kubernetes object(s) through it (e.g. %s): `pulumi up` must run from the "+
			"cluster's VPC or a network joined to it (VPN, Direct Connect, peering), or it times out on the first "+
			"of them; otherwise open the endpoint to the runner's addresses (endpointPublicAccess with publicAccessCidrs)",
			cl.Type, cl.Name, len(objs), objs[0]))
	}
	return out
}

// providerURN is the URN part of a provider reference ("<urn>::<id>").
func providerURN(ref string) string {
	i := strings.LastIndex(ref, "::")
	if i < 0 {
		return ref
	}
	return ref[:i]
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
