// Package democluster is the small cluster the examples run on: a VPC over
// three zones with one NAT gateway, an EKS cluster, one t3.large node group per
// zone and the AWS Load Balancer Controller. It is the same composition as the
// platform program in stacks/, cut down so each example shows only its load
// balancer and workload.
package democluster

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/eksbalance/eksbalance/components/cluster"
	"github.com/eksbalance/eksbalance/components/lbcontroller"
	"github.com/eksbalance/eksbalance/components/network"
	"github.com/eksbalance/eksbalance/components/nodegroups"
)

// Demo is what an example needs to deploy a workload.
type Demo struct {
	Name    string
	Cluster *cluster.Cluster
	// Zones the node groups cover; workloads spread over them.
	Zones []string
	// Ready is what a workload must wait for: nodes in every zone and the
	// controller (whose webhook injects readiness gates).
	Ready []pulumi.Resource
}

// New creates the cluster named prefix-<stack>. It reads the program's config
// key apiAccessCidrs (a list): the EKS API endpoint is private unless it names
// who may reach it.
func New(ctx *pulumi.Context, prefix string) (*Demo, error) {
	cfg := config.New(ctx, "")
	name := prefix + "-" + ctx.Stack()
	region := config.New(ctx, "aws").Get("region")
	if region == "" {
		region = "us-east-1"
	}
	var apiCIDRs []string
	if err := cfg.GetObject("apiAccessCidrs", &apiCIDRs); err != nil {
		return nil, fmt.Errorf("apiAccessCidrs must be a list of CIDRs: %w", err)
	}

	net, err := network.NewNetwork(ctx, "net", &network.Args{ClusterName: name, NAT: network.NATSingle})
	if err != nil {
		return nil, err
	}
	cl, err := cluster.NewCluster(ctx, name, &cluster.Args{
		VpcID: net.VpcID, PrivateSubnetIDs: net.PrivateSubnetIDs, PublicSubnetIDs: net.PublicSubnetIDs,
		PublicEndpoint: len(apiCIDRs) > 0, PublicAccessCIDRs: apiCIDRs,
	})
	if err != nil {
		return nil, err
	}
	var zones []nodegroups.ZoneSubnet
	for _, z := range net.Zones {
		zones = append(zones, nodegroups.ZoneSubnet{Zone: z, SubnetID: net.PrivateSubnets[z]})
	}
	nodes, err := nodegroups.NewNodeGroups(ctx, "nodes", &nodegroups.Args{
		Cluster: cl.EKS, ClusterName: name, Zones: zones,
		InstanceTypes: []string{"t3.large"}, Scaling: nodegroups.Scaling{Min: 1, Desired: 1, Max: 2},
	})
	if err != nil {
		return nil, err
	}
	ctrl, err := lbcontroller.NewController(ctx, "lbc", &lbcontroller.Args{
		ClusterName: pulumi.String(name), Region: region, VpcID: net.VpcID,
		OIDCProviderARN: cl.OIDCProviderARN, OIDCProviderURL: cl.OIDCProviderURL,
	}, pulumi.Providers(cl.Provider))
	if err != nil {
		return nil, err
	}
	ctx.Export("clusterName", pulumi.String(name))
	ctx.Export("kubeconfig", cl.Kubeconfig)
	return &Demo{Name: name, Cluster: cl, Zones: net.Zones, Ready: []pulumi.Resource{nodes, ctrl}}, nil
}

// Options places a workload in the demo cluster: its Kubernetes provider and
// the resources it waits for.
func (d *Demo) Options() []pulumi.ResourceOption {
	return []pulumi.ResourceOption{pulumi.Providers(d.Cluster.Provider), pulumi.DependsOn(d.Ready)}
}
