// Command gateway-nlb is an example of a service that owns its Gateway: one
// TCP service behind an NLB Gateway (class aws-nlb) with a TCPRoute, IP
// targets and cross-zone on, its probes and shutdown timings derived from the
// NLB's health check and the NLB's deregistration propagation, exactly as the
// Service front (examples/nlb-service) derives them. It runs on the examples'
// small three-zone cluster (examples/internal/democluster).
//
//	eksbalance plan examples/gateway-nlb --stack dev   # offline
//	cd examples/gateway-nlb && pulumi up -s dev        # real (AWS + Pulumi CLI)
package main

import (
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/examples/internal/democluster"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		demo, err := democluster.New(ctx, "gw-nlb-demo")
		if err != nil {
			return err
		}
		// Defaults everywhere (ip targets, cross-zone on, controller health
		// checks), except a 10-minute TCP idle timeout for clients that keep
		// connections open for minutes.
		nlb := loadbalancer.NLB{Listeners: []loadbalancer.Listener{{Port: 80, IdleTimeout: 10 * time.Minute}}}
		if cfg.GetBool("public") {
			nlb.Scheme = loadbalancer.SchemeInternetFacing
		}
		svc, err := workload.NewWorkload(ctx, "echo", &workload.Args{
			Front:     workload.FrontGatewayNLB,
			NLB:       nlb,
			ZoneCount: len(demo.Zones),
			Replicas:  cfg.GetInt("replicas"), // 0: two per zone
		}, demo.Options()...)
		if err != nil {
			return err
		}
		ctx.Export("namespace", svc.Namespace)
		ctx.Export("gateway", svc.GatewayName)
		ctx.Export("routes", svc.RouteNames)
		return nil
	})
}
