// Command nlb-service is an example of a user's own stack: a small EKS cluster
// (three zones, one node group per zone, the AWS Load Balancer Controller) and
// one service behind a Network Load Balancer with IP targets and cross-zone load
// balancing, its probes and shutdown timings derived from the NLB's health check.
//
//	eksbalance plan examples/nlb-service --stack dev   # offline
//	cd examples/nlb-service && pulumi up -s dev        # real (AWS + Pulumi CLI)
package main

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/eksbalance/eksbalance/components/cluster"
	"github.com/eksbalance/eksbalance/components/lbcontroller"
	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/components/network"
	"github.com/eksbalance/eksbalance/components/nodegroups"
	"github.com/eksbalance/eksbalance/components/workload"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		name := "nlb-demo-" + ctx.Stack()
		region := config.New(ctx, "aws").Get("region")
		if region == "" {
			region = "us-east-1"
		}

		net, err := network.NewNetwork(ctx, "net", &network.Args{ClusterName: name, NAT: network.NATSingle})
		if err != nil {
			return err
		}
		// The API endpoint is private unless apiAccessCidrs lists who may reach it
		// (the live suite sets the runner's address).
		var apiCIDRs []string
		if err := cfg.GetObject("apiAccessCidrs", &apiCIDRs); err != nil {
			return fmt.Errorf("apiAccessCidrs must be a list of CIDRs: %w", err)
		}
		cl, err := cluster.NewCluster(ctx, name, &cluster.Args{
			VpcID: net.VpcID, PrivateSubnetIDs: net.PrivateSubnetIDs, PublicSubnetIDs: net.PublicSubnetIDs,
			PublicEndpoint: len(apiCIDRs) > 0, PublicAccessCIDRs: apiCIDRs,
		})
		if err != nil {
			return err
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
			return err
		}
		k8s := pulumi.Providers(cl.Provider)
		ctrl, err := lbcontroller.NewController(ctx, "lbc", &lbcontroller.Args{
			ClusterName: pulumi.String(name), Region: region, VpcID: net.VpcID,
			OIDCProviderARN: cl.OIDCProviderARN, OIDCProviderURL: cl.OIDCProviderURL,
		}, k8s)
		if err != nil {
			return err
		}

		// The NLB: defaults everywhere (ip targets, cross-zone on), except an
		// internet-facing scheme when asked for and a longer TCP idle timeout for
		// clients that keep connections open for minutes.
		nlb := loadbalancer.NLB{Listeners: []loadbalancer.Listener{{Port: 80, IdleTimeout: 10 * time.Minute}}}
		if cfg.GetBool("public") {
			nlb.Scheme = loadbalancer.SchemeInternetFacing
		}
		svc, err := workload.NewWorkload(ctx, "echo", &workload.Args{
			Front:     workload.FrontNLB,
			NLB:       nlb,
			ZoneCount: len(net.Zones),
			Replicas:  cfg.GetInt("replicas"), // 0: two per zone
		}, k8s, pulumi.DependsOn([]pulumi.Resource{nodes, ctrl}))
		if err != nil {
			return err
		}
		ctx.Export("clusterName", pulumi.String(name))
		ctx.Export("kubeconfig", cl.Kubeconfig)
		ctx.Export("namespace", svc.Namespace)
		ctx.Export("service", svc.ServiceName)
		return nil
	})
}
