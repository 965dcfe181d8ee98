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
	"github.com/eksbalance/eksbalance/internal/stackconfig"
	"github.com/eksbalance/eksbalance/internal/validation"
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

// Settings are what an example's stack config says about its demo cluster.
type Settings struct {
	// APIAccessCIDRs (key apiAccessCidrs, a list) are the networks allowed to
	// reach the EKS API endpoint, which is private unless they are set.
	APIAccessCIDRs []string
}

// Config starts reading an example's stack config (its project's namespace)
// strictly: read the example's own keys and ReadSettings from the reader, then
// call Check.
func Config(ctx *pulumi.Context) (*stackconfig.Reader, *validation.Errors) {
	v := validation.New(fmt.Sprintf("stack config (Pulumi.%s.yaml)", ctx.Stack()))
	return stackconfig.New(stackconfig.FromContext(ctx), ctx.Project(), v), v
}

// ReadSettings reads the demo cluster's keys.
func ReadSettings(c *stackconfig.Reader) Settings {
	return Settings{APIAccessCIDRs: c.Strings("apiAccessCidrs", "[198.51.100.7/32]")}
}

// Check ends reading: a key that is set but was not read is reported with
// every other config problem, all at once.
func Check(c *stackconfig.Reader, v *validation.Errors) error {
	c.Done()
	return v.Err()
}

// New creates the cluster named prefix-<stack>, reading its settings from the
// program's config (an example that reads keys of its own uses Config,
// ReadSettings, Check and NewWith instead, so its keys are checked too).
func New(ctx *pulumi.Context, prefix string) (*Demo, error) {
	c, v := Config(ctx)
	s := ReadSettings(c)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return NewWith(ctx, prefix, s)
}

// Example is what the examples read from their stack config besides the
// cluster's settings.
type Example struct {
	// Public (key public) makes the load balancer internet-facing. Default
	// false: internal.
	Public bool
	// Replicas (key replicas) of the example's workload. Default 0: two per zone.
	Replicas int
}

// NewExample reads an example's stack config strictly (its keys public and
// replicas, and the cluster's) and creates its cluster, named prefix-<stack>.
// A mistyped key or a value of the wrong type (public: "yes") is an error
// naming the key, not a silent default.
func NewExample(ctx *pulumi.Context, prefix string) (*Demo, Example, error) {
	c, v := Config(ctx)
	ex := Example{Public: c.Bool("public", false), Replicas: c.Int("replicas", 0)}
	s := ReadSettings(c)
	if err := Check(c, v); err != nil {
		return nil, ex, err
	}
	demo, err := NewWith(ctx, prefix, s)
	return demo, ex, err
}

// NewWith creates the cluster named prefix-<stack> with settings s.
func NewWith(ctx *pulumi.Context, prefix string, s Settings) (*Demo, error) {
	name := prefix + "-" + ctx.Stack()
	region := config.New(ctx, "aws").Get("region")
	if region == "" {
		region = "us-east-1"
	}
	apiCIDRs := s.APIAccessCIDRs

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
	}, pulumi.Providers(cl.Provider), pulumi.DependsOn([]pulumi.Resource{nodes})) // its replicas need nodes
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
