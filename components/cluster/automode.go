package cluster

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi-eks/sdk/v3/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// Auto Mode node pools EKS builds in (pulumi-eks v3.9 computeConfig.nodePools).
const (
	// NodePoolGeneralPurpose runs ordinary workloads.
	NodePoolGeneralPurpose = "general-purpose"
	// NodePoolSystem runs critical add-ons (tainted CriticalAddonsOnly).
	NodePoolSystem = "system"
)

// DefaultAutoModeNodePools are EKS's own default: both built-in pools.
var DefaultAutoModeNodePools = []string{NodePoolGeneralPurpose, NodePoolSystem}

// minAutoModeMinor: EKS Auto Mode needs Kubernetes 1.29 or later.
const minAutoModeMinor = 29

// EKSClusterType is the type token of the aws.eks.Cluster that pulumi-eks
// creates inside its component.
const EKSClusterType = "aws:eks/cluster:Cluster"

func (a *Args) setAutoModeDefaults() {
	if a.ZonalShift == nil {
		a.ZonalShift = ptr(true)
	}
	if a.AutoMode && a.AutoModeNodePools == nil {
		a.AutoModeNodePools = DefaultAutoModeNodePools
	}
}

func (a *Args) validateAutoMode(v *validation.Errors) {
	if !a.AutoMode {
		if len(a.AutoModeNodePools) > 0 {
			v.Add("autoModeNodePools", a.AutoModeNodePools, "applies only with autoMode true and would be ignored")
		}
		return
	}
	if m := minorOf(a.Version); m >= 0 && m < minAutoModeMinor {
		v.Add("version", a.Version, "must be 1.%d or later with autoMode: EKS Auto Mode does not run older versions", minAutoModeMinor)
	}
	if len(a.AutoModeNodePools) == 0 {
		v.Add("autoModeNodePools", "[]", "must list general-purpose and/or system: without a node pool Auto Mode starts no nodes and every pod stays Pending")
	}
	for i, p := range a.AutoModeNodePools {
		if p != NodePoolGeneralPurpose && p != NodePoolSystem {
			v.Add(fmt.Sprintf("autoModeNodePools[%d]", i), p, "must be %s or %s (the built-in pools; add your own NodePool objects in the cluster)", NodePoolGeneralPurpose, NodePoolSystem)
		}
	}
}

// autoModeArgs is pulumi-eks's autoMode input: Auto Mode with the chosen
// built-in node pools and a node role pulumi-eks creates
// (AmazonEKSWorkerNodeMinimalPolicy and AmazonEC2ContainerRegistryPullOnly).
// pulumi-eks then skips the default node group, kube-proxy and the VPC CNI
// add-on and turns on Auto Mode's load balancing and block storage.
func (a *Args) autoModeArgs() *eks.AutoModeOptionsArgs {
	if !a.AutoMode {
		return nil
	}
	return &eks.AutoModeOptionsArgs{
		Enabled:        true,
		CreateNodeRole: pulumi.BoolRef(true),
		ComputeConfig: &eks.ClusterComputeConfigArgs{
			NodePools: pulumi.ToStringArray(a.AutoModeNodePools),
		},
	}
}

// ZonalShiftTransform sets zonalShiftConfig on the aws.eks.Cluster that
// pulumi-eks creates inside its component. pulumi-eks v3.9 has no input for it,
// and its child is out of reach of ordinary arguments, but Pulumi transforms
// reach children of packaged (remote) components: the engine calls this for
// every resource the component registers. Enabling it registers the cluster
// with ARC: during a zonal shift EKS cordons the zone's nodes, removes its pods
// from EndpointSlices (east-west traffic) and stops node provisioning there,
// Auto Mode included. Without a transform (for example with a Pulumi CLI older
// than transforms), run `aws eks update-cluster-config --name NAME
// --zonal-shift-config enabled=true` once after `pulumi up`.
func ZonalShiftTransform(enabled bool) pulumi.ResourceTransform {
	return func(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
		if args.Type != EKSClusterType {
			return nil
		}
		props := pulumi.Map{}
		for k, v := range args.Props {
			props[k] = v
		}
		props["zonalShiftConfig"] = pulumi.Map{"enabled": pulumi.Bool(enabled)}
		return &pulumi.ResourceTransformResult{Props: props, Opts: args.Opts}
	}
}

func ptr[T any](v T) *T { return &v }
