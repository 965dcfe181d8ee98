package traffic

import (
	"fmt"
	"sort"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/plan"
)

// Load-balancer classes of EKS Auto Mode (components/loadbalancer), whose
// target type defaults to ip when no annotation says otherwise.
const (
	autoModeNLBClass      = "eks.amazonaws.com/nlb"
	autoModeALBController = "eks.amazonaws.com/alb"
	lbcALBController      = "ingress.k8s.aws/alb"
)

// provisionedCapacity derives a workload's zones and nodes from its own
// spread constraints, for plans with no node groups and no existing nodes
// whose cluster is (or whose front belongs to) EKS Auto Mode, which launches
// nodes for pending pods instead of running node groups. Elsewhere (a workload
// deployed to a cluster the plan does not hold) the nodes are unknown and the
// caller describes them (--nodes).
// What it assumes, and says in the returned note:
//
//   - zones: the hard zone constraint's minDomains (the toolkit sets it to the
//     zone count), named after the zones of the planned subnets when there are
//     that many, else zone-1..N. Without a hard zone constraint carrying
//     minDomains there is no derivation: a provisioner is free to put every pod
//     in one zone, and the plan says so instead of guessing;
//   - nodes: one per pod (ceil(replicas / zones) per zone), which the
//     hostname spread prefers. With IP targets the shares do not depend on the
//     node count; with instance targets the per-node split would, and real
//     consolidation packs pods tighter than this.
func provisionedCapacity(p *plan.Plan, d plan.Resource, replicas int) ([]model.ZoneCapacity, string, bool) {
	domains := zoneMinDomains(d)
	if domains < 1 || replicas < 1 {
		return nil, "", false
	}
	names := plannedZones(p)
	source := "the planned subnets' zones"
	if len(names) != domains {
		names = names[:0]
		for i := 1; i <= domains; i++ {
			names = append(names, fmt.Sprintf("zone-%d", i))
		}
		source = "placeholder zone names"
	}
	perZone := (replicas + domains - 1) / domains
	zones := make([]model.ZoneCapacity, len(names))
	for i, z := range names {
		zones[i].Name = z
		for n := 1; n <= perZone; n++ {
			zones[i].Nodes = append(zones[i].Nodes, fmt.Sprintf("provisioned-%s-%d", z, n))
		}
	}
	note := fmt.Sprintf("no node groups in the plan: nodes are provisioned for the pods (EKS Auto Mode, Karpenter); layout derived from the hard zone spread (minDomains %d, %s) with one node per pod", domains, source)
	return zones, note, true
}

// autoModeCluster reports whether the plan creates an EKS Auto Mode cluster.
func autoModeCluster(p *plan.Plan) bool {
	for _, c := range p.ByType("eks:index:Cluster") {
		if v, _ := c.Get("autoMode.enabled"); v == true {
			return true
		}
	}
	return false
}

// zoneMinDomains is minDomains of the Deployment's hard zone spread
// constraint, or 0.
func zoneMinDomains(d plan.Resource) int {
	raw, _ := d.Get("spec.template.spec.topologySpreadConstraints")
	list, _ := raw.([]any)
	for _, c := range list {
		m, _ := c.(map[string]any)
		if m == nil || m["topologyKey"] != "topology.kubernetes.io/zone" || m["whenUnsatisfiable"] != "DoNotSchedule" {
			continue
		}
		return intOf(m, "minDomains", 0)
	}
	return 0
}

// plannedZones are the distinct availability zones of the planned subnets.
func plannedZones(p *plan.Plan) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range p.ByType("aws:ec2/subnet:Subnet") {
		if z := s.String("availabilityZone"); z != "" && !seen[z] {
			seen[z] = true
			out = append(out, z)
		}
	}
	sort.Strings(out)
	return out
}

// albIngressClasses are the IngressClasses in the plan served by an ALB
// controller (self-managed or Auto Mode), with whether Auto Mode serves it.
func albIngressClasses(p *plan.Plan) map[string]bool {
	out := map[string]bool{}
	for _, c := range p.ByType("kubernetes:networking.k8s.io/v1:IngressClass") {
		switch c.String("spec.controller") {
		case lbcALBController:
			out[c.String("metadata.name")] = false
		case autoModeALBController:
			out[c.String("metadata.name")] = true
		}
	}
	return out
}
