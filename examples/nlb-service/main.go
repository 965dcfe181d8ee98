// Command nlb-service is an example of a user's own stack: one service behind a
// Network Load Balancer with IP targets and cross-zone load balancing, its
// probes and shutdown timings derived from the NLB's health check, on a small
// three-zone cluster (examples/internal/democluster).
//
//	eksbalance plan examples/nlb-service --stack dev   # offline
//	cd examples/nlb-service && pulumi up -s dev        # real (AWS + Pulumi CLI)
package main

import (
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/examples/internal/democluster"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		// The stack config is read strictly (public, replicas, apiAccessCidrs).
		demo, cfg, err := democluster.NewExample(ctx, "nlb-demo")
		if err != nil {
			return err
		}
		// Defaults everywhere (ip targets, cross-zone on, controller health
		// checks), except a longer TCP idle timeout for clients that keep
		// connections open for minutes, and an internet-facing scheme only when
		// asked for.
		nlb := loadbalancer.NLB{Listeners: []loadbalancer.Listener{{Port: 80, IdleTimeout: 10 * time.Minute}}}
		if cfg.Public {
			nlb.Scheme = loadbalancer.SchemeInternetFacing
		}
		svc, err := workload.NewWorkload(ctx, "echo", &workload.Args{
			Front:     workload.FrontNLB,
			NLB:       nlb,
			ZoneCount: len(demo.Zones),
			Replicas:  cfg.Replicas, // 0: two per zone
		}, demo.Options()...)
		if err != nil {
			return err
		}
		ctx.Export("namespace", svc.Namespace)
		ctx.Export("service", svc.ServiceName)
		return nil
	})
}
