package lbcontroller

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	yamlv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/yaml/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
)

// gatewayCRDs installs the Gateway API standard CRDs and the controller's
// gateway.k8s.aws CRDs, each from its pinned release, unless the Gateway API
// is disabled or the cluster already has them. The files are fetched at deploy
// time, as `kubectl apply --server-side -f URL` would (the provider applies
// server-side; the CRDs are too large for a client-side last-applied
// annotation). The project's tests apply unmodified copies of the same
// releases (testdata/upstream) to a real API server.
func gatewayCRDs(ctx *pulumi.Context, name string, a *Args, parent pulumi.ResourceOption) ([]pulumi.Resource, error) {
	g := a.GatewayAPI
	if g.Disabled || g.ExistingCRDs {
		return nil, nil
	}
	standard, err := yamlv2.NewConfigFile(ctx, name+"-gateway-api-crds", &yamlv2.ConfigFileArgs{
		File: pulumi.String(fmt.Sprintf(GatewayAPICRDsURL, g.Version)),
	}, parent)
	if err != nil {
		return nil, err
	}
	lbc, err := yamlv2.NewConfigFile(ctx, name+"-gateway-crds", &yamlv2.ConfigFileArgs{
		File: pulumi.String(fmt.Sprintf(LBCGatewayCRDsURL, a.Image.Tag)),
	}, parent)
	if err != nil {
		return nil, err
	}
	return []pulumi.Resource{standard, lbc}, nil
}

// gatewayClasses creates the GatewayClasses of the controller's ALB and NLB
// Gateways. They are cluster-scoped and belong to the platform: workloads
// name them, they do not create them.
func gatewayClasses(ctx *pulumi.Context, name string, a *Args, parent pulumi.ResourceOption, crds []pulumi.Resource) ([]pulumi.Resource, error) {
	g := a.GatewayAPI
	if g.Disabled {
		return nil, nil
	}
	var out []pulumi.Resource
	for _, c := range []struct{ suffix, class, controller, what string }{
		{"alb", g.ALBClassName, loadbalancer.ALBGatewayController, "ALBs for HTTPRoutes"},
		{"nlb", g.NLBClassName, loadbalancer.NLBGatewayController, "NLBs for TCPRoutes"},
	} {
		gc, err := apiextensions.NewCustomResource(ctx, name+"-gatewayclass-"+c.suffix, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String(loadbalancer.GatewayAPIVersion),
			Kind:       pulumi.String(loadbalancer.KindGatewayClass),
			Metadata: &metav1.ObjectMetaArgs{
				Name:   pulumi.String(c.class),
				Labels: pulumi.StringMap{"app.kubernetes.io/managed-by": pulumi.String("eksbalance")},
			},
			OtherFields: kubernetes.UntypedArgs{"spec": map[string]any{
				"controllerName": c.controller,
				// At most 64 characters (the CRD's limit).
				"description": c.what + " (AWS Load Balancer Controller)",
			}},
		}, parent, pulumi.DependsOn(crds))
		if err != nil {
			return nil, err
		}
		out = append(out, gc)
	}
	return out, nil
}
