// Command stacks is the eksbalance platform program: a VPC over N zones, an EKS
// cluster, one managed node group per zone, the AWS Load Balancer Controller, and
// (unless samples: false) a sample NLB-fronted and ALB-fronted service whose
// traffic the offline plan predicts. Run it with `pulumi up -s dev` (needs AWS
// credentials and the Pulumi CLI) or plan it offline with `make plan`.
package main

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/cluster"
	"github.com/eksbalance/eksbalance/components/network"
	"github.com/eksbalance/eksbalance/components/nodegroups"
	"github.com/eksbalance/eksbalance/internal/stackconfig"
	"github.com/eksbalance/eksbalance/internal/validation"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		return platform(ctx, stackconfig.FromContext(ctx))
	})
}

// platform composes the components from stack config (src). Every config
// problem is reported at once, named by its key in Pulumi.<stack>.yaml, before
// any resource is registered.
func platform(ctx *pulumi.Context, src stackconfig.Source) error {
	v := validation.New(fmt.Sprintf("stack config (Pulumi.%s.yaml)", ctx.Stack()))
	cfg := loadConfig(ctx, src, v)
	var available []string
	if len(cfg.Network.Zones) == 0 && cfg.Network.Existing == nil {
		azs, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{State: pulumi.StringRef("available")})
		if err != nil {
			return fmt.Errorf("looking up availability zones: %w", err)
		}
		available = azs.Names
	}
	// An admin access entry for whoever deploys collides with the one EKS
	// makes for the cluster's creator; only the AWS provider knows who that is.
	caller := ""
	if len(cfg.Cluster.AdminPrincipalARNs) > 0 {
		id, err := aws.GetCallerIdentity(ctx, nil)
		if err != nil {
			return fmt.Errorf("looking up the principal deploying the stack: %w", err)
		}
		caller = id.Arn
	}
	cfg.validate(available, caller, v)
	cfg.placeholderCIDRs(ctx, v)
	if err := v.Err(); err != nil {
		return err
	}

	net, err := network.NewNetwork(ctx, "network", &cfg.Network)
	if err != nil {
		return err
	}
	clArgs := cfg.Cluster
	clArgs.VpcID = net.VpcID
	clArgs.PrivateSubnetIDs = net.PrivateSubnetIDs
	clArgs.PublicSubnetIDs = net.PublicSubnetIDs
	cl, err := cluster.NewCluster(ctx, cfg.ClusterName, &clArgs)
	if err != nil {
		return err
	}
	if cfg.Cluster.AutoMode {
		// Auto Mode brings its own nodes and load balancing: no node groups,
		// no controller release.
		if cfg.Samples {
			if err := addAutoModeSamples(ctx, &cfg, cl); err != nil {
				return err
			}
		}
		ctx.Export("clusterName", pulumi.String(cl.Name))
		ctx.Export("kubeconfig", cl.Kubeconfig)
		ctx.Export("vpcId", net.VpcID)
		ctx.Export("zones", pulumi.ToStringArray(net.Zones))
		return nil
	}
	ngArgs := cfg.Nodes
	ngArgs.Cluster = cl.EKS
	for _, z := range net.Zones {
		ngArgs.Zones = append(ngArgs.Zones, nodegroups.ZoneSubnet{Zone: z, SubnetID: net.PrivateSubnets[z]})
	}
	nodes, err := nodegroups.NewNodeGroups(ctx, "nodes", &ngArgs)
	if err != nil {
		return err
	}
	ctrl, err := addController(ctx, &cfg, cl, net, nodes)
	if err != nil {
		return err
	}
	if cfg.Samples {
		if err := addSamples(ctx, &cfg, cl, nodes, ctrl); err != nil {
			return err
		}
	}

	ctx.Export("clusterName", pulumi.String(cl.Name))
	ctx.Export("kubeconfig", cl.Kubeconfig)
	ctx.Export("vpcId", net.VpcID)
	ctx.Export("zones", pulumi.ToStringArray(net.Zones))
	ctx.Export("nodeRoleArn", nodes.RoleARN)
	return nil
}
