// Command gateway-alb is an example of a platform-owned Gateway: one internal
// ALB, created by the platform with components/gateway, that two services
// attach HTTPRoutes to by host name. Each service brings its own
// TargetGroupConfiguration (IP targets, least outstanding requests, health
// check on its readiness path, deregistration delay) and derives its preStop,
// grace period and keepalive from the shared ALB's idle timeout and health
// check, through the Gateway's Ref. It runs on the examples' small three-zone
// cluster (examples/internal/democluster), whose load balancer controller
// installs the Gateway API CRDs and the aws-alb GatewayClass.
//
//	eksbalance plan examples/gateway-alb --stack dev   # offline
//	cd examples/gateway-alb && pulumi up -s dev        # real (AWS + Pulumi CLI)
package main

import (
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/eksbalance/eksbalance/components/gateway"
	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/examples/internal/democluster"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		demo, err := democluster.New(ctx, "gw-alb-demo")
		if err != nil {
			return err
		}
		// The platform's Gateway: defaults everywhere (internal, HTTP on 80,
		// IP targets for every backend) except a 2-minute idle timeout, and an
		// internet-facing scheme only when asked for. It admits routes from
		// namespaces labelled for it; the workloads below label theirs.
		alb := loadbalancer.ALB{IdleTimeout: 2 * time.Minute}
		if cfg.GetBool("public") {
			alb.Scheme = loadbalancer.SchemeInternetFacing
		}
		edge, err := gateway.NewGateway(ctx, "edge", &gateway.Args{Kind: gateway.KindALB, ALB: alb}, demo.Options()...)
		if err != nil {
			return err
		}
		for _, name := range []string{"shop", "search"} {
			svc, err := workload.NewWorkload(ctx, name, &workload.Args{
				Front:     workload.FrontGatewayALB,
				Gateway:   edge.Ref(),
				Host:      name + ".example.internal",
				ZoneCount: len(demo.Zones),
				Replicas:  cfg.GetInt("replicas"), // 0: two per zone
			}, demo.Options()...)
			if err != nil {
				return err
			}
			ctx.Export(name+"Namespace", svc.Namespace)
			ctx.Export(name+"Routes", svc.RouteNames)
		}
		ctx.Export("gateway", pulumi.Sprintf("%s/%s", edge.Namespace, edge.Name))
		return nil
	})
}
