// Command automode is an example of the same guarantees on EKS Auto Mode: a
// three-zone cluster whose nodes, pod networking and load balancers AWS
// manages (no managed node groups, no self-managed AWS Load Balancer
// Controller), with one service behind an NLB and one behind an ALB on Auto
// Mode's own classes (eks.amazonaws.com/nlb, IngressClass controller
// eks.amazonaws.com/alb with IngressClassParams). The settings are the
// toolkit's: IP targets, cross-zone on, zonal shift on, idle timeouts in order,
// health checks and deregistration delay, probes and shutdown timing derived
// from them.
//
// Auto Mode does not balance nodes over zones: the workloads' zone spread
// constraints (hard, maxSkew 1, minDomains = zones) are what balances, and Auto
// Mode launches nodes in whichever zone a pending pod needs.
//
//	eksbalance plan examples/automode --stack dev   # offline
//	cd examples/automode && pulumi up -s dev        # real (AWS + Pulumi CLI)
package main

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/eksbalance/eksbalance/components/cluster"
	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/components/network"
	"github.com/eksbalance/eksbalance/components/workload"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		name := "automode-" + ctx.Stack()
		// The EKS API endpoint is private unless apiAccessCidrs names who may
		// reach it (pulumi up creates the Kubernetes objects through it).
		var apiCIDRs []string
		if err := cfg.GetObject("apiAccessCidrs", &apiCIDRs); err != nil {
			return fmt.Errorf("apiAccessCidrs must be a list of CIDRs: %w", err)
		}
		net, err := network.NewNetwork(ctx, "net", &network.Args{ClusterName: name, NAT: network.NATSingle})
		if err != nil {
			return err
		}
		cl, err := cluster.NewCluster(ctx, name, &cluster.Args{
			VpcID: net.VpcID, PrivateSubnetIDs: net.PrivateSubnetIDs, PublicSubnetIDs: net.PublicSubnetIDs,
			PublicEndpoint: len(apiCIDRs) > 0, PublicAccessCIDRs: apiCIDRs,
			AutoMode: true, // node pools general-purpose and system; zonal shift on
		})
		if err != nil {
			return err
		}
		// Auto Mode brings nodes and load balancing with the cluster: the
		// workloads wait for the cluster alone.
		inCluster := []pulumi.ResourceOption{pulumi.Providers(cl.Provider), pulumi.DependsOn([]pulumi.Resource{cl})}
		replicas := cfg.GetInt("replicas") // 0: two per zone

		echo, err := workload.NewWorkload(ctx, "echo", &workload.Args{
			Front:      workload.FrontNLB,
			Controller: workload.ControllerEKSAutoMode,
			NLB:        loadbalancer.NLB{Listeners: []loadbalancer.Listener{{Port: 80, IdleTimeout: 10 * time.Minute}}},
			ZoneCount:  len(net.Zones),
			Replicas:   replicas,
		}, inCluster...)
		if err != nil {
			return err
		}
		web, err := workload.NewWorkload(ctx, "web", &workload.Args{
			Front:      workload.FrontALB,
			Controller: workload.ControllerEKSAutoMode,
			ALB:        loadbalancer.ALB{IdleTimeout: 2 * time.Minute},
			ZoneCount:  len(net.Zones),
			Replicas:   replicas,
		}, inCluster...)
		if err != nil {
			return err
		}
		ctx.Export("clusterName", pulumi.String(name))
		ctx.Export("kubeconfig", cl.Kubeconfig)
		ctx.Export("nlbService", echo.ServiceName)
		ctx.Export("albIngress", web.IngressName)
		return nil
	})
}
