package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/cluster"
	"github.com/eksbalance/eksbalance/components/lbcontroller"
	"github.com/eksbalance/eksbalance/components/network"
	"github.com/eksbalance/eksbalance/components/nodegroups"
	"github.com/eksbalance/eksbalance/components/workload"
)

// controllerArgs are the load balancer controller's arguments; the inputs come
// from the cluster and network (placeholders when validating config).
func (cfg *Config) controllerArgs(vpcID, oidcARN, oidcURL pulumi.StringInput) *lbcontroller.Args {
	args := &lbcontroller.Args{
		ClusterName:     pulumi.String(cfg.ClusterName),
		Region:          cfg.Region,
		VpcID:           vpcID,
		OIDCProviderARN: oidcARN,
		OIDCProviderURL: oidcURL,
		ChartVersion:    cfg.Controller.ChartVersion,
		Replicas:        cfg.Controller.Replicas,
	}
	args.Image.Tag = cfg.Controller.ImageTag
	return args
}

// addController installs the AWS Load Balancer Controller with IRSA. It waits
// for the node groups as well as the cluster: the release is atomic and waits
// for its zone-spread replicas, which need nodes to run on; started while the
// node groups are still being created it times out and rolls back. (A
// component's dependencies gate its children: each child registers only after
// its parent has, and the engine registers the parent only after what it
// depends on exists.)
func addController(ctx *pulumi.Context, cfg *Config, cl *cluster.Cluster, net *network.Network, nodes *nodegroups.NodeGroups) (*lbcontroller.Controller, error) {
	args := cfg.controllerArgs(net.VpcID, cl.OIDCProviderARN, cl.OIDCProviderURL)
	return lbcontroller.NewController(ctx, "lb-controller", args, pulumi.Providers(cl.Provider), pulumi.DependsOn([]pulumi.Resource{cl, nodes}))
}

// sampleFronts are the samples the platform deploys, one per front.
var sampleFronts = []workload.Front{workload.FrontNLB, workload.FrontALB}

// sampleArgs are one sample's arguments.
func (cfg *Config) sampleArgs(front workload.Front) (string, *workload.Args) {
	name := "sample-" + string(front)
	args := &workload.Args{
		Namespace: name,
		Front:     front,
		ZoneCount: len(cfg.Network.Zones),
		Replicas:  cfg.SampleReplicas,
	}
	if cfg.Cluster.AutoMode {
		args.Controller = workload.ControllerEKSAutoMode
	}
	return name, args
}

// addSamples deploys the sample service twice, once behind an NLB and once
// behind an ALB, both with the toolkit's defaults. They are what the plan's
// traffic prediction and the live suite measure.
func addSamples(ctx *pulumi.Context, cfg *Config, cl *cluster.Cluster, nodes *nodegroups.NodeGroups, ctrl *lbcontroller.Controller) error {
	deps := pulumi.DependsOn([]pulumi.Resource{nodes, ctrl})
	for _, front := range sampleFronts {
		name, args := cfg.sampleArgs(front)
		if _, err := workload.NewWorkload(ctx, name, args, pulumi.Providers(cl.Provider), deps); err != nil {
			return err
		}
	}
	return nil
}
