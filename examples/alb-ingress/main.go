// Command alb-ingress is an example of a user's own stack: one HTTP service
// behind an Application Load Balancer (an Ingress of class alb) with IP
// targets and least-outstanding-requests balancing, so requests, not
// connections, are spread; probes and shutdown timings come from the ALB's
// health check. It runs on a small three-zone cluster
// (examples/internal/democluster).
//
//	eksbalance plan examples/alb-ingress --stack dev   # offline
//	cd examples/alb-ingress && pulumi up -s dev        # real (AWS + Pulumi CLI)
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
		demo, cfg, err := democluster.NewExample(ctx, "alb-demo")
		if err != nil {
			return err
		}
		// Defaults everywhere (ip targets, least outstanding requests, 30 s slow
		// start), except a 2-minute idle timeout (the app's keepalive is derived
		// above it) and an internet-facing scheme only when asked for.
		alb := loadbalancer.ALB{IdleTimeout: 2 * time.Minute}
		if cfg.Public {
			alb.Scheme = loadbalancer.SchemeInternetFacing
		}
		svc, err := workload.NewWorkload(ctx, "echo", &workload.Args{
			Front:     workload.FrontALB,
			ALB:       alb,
			ZoneCount: len(demo.Zones),
			Replicas:  cfg.Replicas, // 0: two per zone
		}, demo.Options()...)
		if err != nil {
			return err
		}
		ctx.Export("namespace", svc.Namespace)
		ctx.Export("service", svc.ServiceName)
		ctx.Export("ingress", svc.IngressName)
		return nil
	})
}
