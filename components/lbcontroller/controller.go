package lbcontroller

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "eksbalance:lbcontroller:Controller"

// Controller is an installed AWS Load Balancer Controller.
type Controller struct {
	pulumi.ResourceState

	// RoleARN is the IRSA role the controller's service account assumes.
	RoleARN pulumi.StringOutput `pulumi:"roleArn"`
	// PolicyARN is the controller's IAM policy.
	PolicyARN pulumi.StringOutput `pulumi:"policyArn"`
	// ReleaseName is the Helm release's name (ReleaseName).
	ReleaseName pulumi.StringOutput `pulumi:"releaseName"`
	// ReleaseStatus is Helm's status of the release, "deployed" once ready.
	ReleaseStatus pulumi.StringOutput `pulumi:"releaseStatus"`
	// ALBGatewayClass and NLBGatewayClass name the GatewayClasses created for
	// the controller's Gateways; empty when GatewayAPI.Disabled.
	ALBGatewayClass pulumi.StringOutput `pulumi:"albGatewayClass"`
	NLBGatewayClass pulumi.StringOutput `pulumi:"nlbGatewayClass"`

	// GatewayClasses are the GatewayClass resources (nil when GatewayAPI is
	// disabled), for Gateways that must wait for them.
	GatewayClasses []pulumi.Resource
}

// NewController validates args, then creates the IRSA role, the IAM policy and
// its attachment, and the Helm release. Pass the cluster's Kubernetes provider
// in opts (pulumi.Providers); the release inherits it from the component.
func NewController(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Controller, error) {
	if args == nil {
		return nil, (*Args)(nil).Validate()
	}
	a := *args
	a.setDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}
	policyDoc, err := policyDocument(a.Region)
	if err != nil {
		return nil, err
	}

	comp := &Controller{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	if a.Replicas == 1 {
		_ = ctx.Log.Warn(fmt.Sprintf("lbcontroller %s: replicas=1 runs without a standby or PodDisruptionBudget; "+
			"a node drain stops the controller and rollouts waiting on readiness gates stall", name),
			&pulumi.LogArgs{Resource: comp})
	}
	tags := pulumi.ToStringMap(a.Tags)

	trust := pulumi.All(a.OIDCProviderARN, a.OIDCProviderURL).ApplyT(func(v []any) (string, error) {
		arn, ok1 := v[0].(string)
		url, ok2 := v[1].(string)
		if !ok1 || !ok2 {
			return "", errors.New("lbcontroller: OIDC provider ARN and URL must resolve to strings")
		}
		return trustPolicy(arn, url)
	}).(pulumi.StringOutput)

	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:      pulumi.String("AWS Load Balancer Controller (IRSA: " + Namespace + "/" + ServiceAccountName + ")"),
		AssumeRolePolicy: trust,
		Tags:             tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	policy, err := iam.NewPolicy(ctx, name+"-policy", &iam.PolicyArgs{
		// Static: IAM replaces a policy whose description changes.
		Description: pulumi.String("AWS Load Balancer Controller least-privilege policy (eksbalance)"),
		Policy:      pulumi.String(policyDoc),
		Tags:        tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-policy-attachment", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: policy.Arn,
	}, parent)
	if err != nil {
		return nil, err
	}

	// The Gateway API and the controller's gateway.k8s.aws CRDs come first:
	// the controller enables its Gateway controllers only when it finds them
	// at start-up.
	releaseDeps := []pulumi.Resource{attachment}
	crds, err := gatewayCRDs(ctx, name, &a, parent)
	if err != nil {
		return nil, err
	}
	releaseDeps = append(releaseDeps, crds...)

	// Atomic: a failed install is purged and a failed upgrade rolled back, so the
	// cluster keeps the last controller that worked. Waiting (no skipAwait) makes
	// the release ready only when the Deployment is, so resources that depend on
	// the controller's webhooks and CRDs come after it.
	release, err := helmv3.NewRelease(ctx, name+"-release", &helmv3.ReleaseArgs{
		Name:      pulumi.String(ReleaseName),
		Chart:     pulumi.String(ChartName),
		Version:   pulumi.String(a.ChartVersion),
		Namespace: pulumi.String(Namespace),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{
			Repo: pulumi.String(ChartRepository),
		},
		Values:        chartValues(&a, role.Arn),
		Atomic:        pulumi.Bool(true),
		CleanupOnFail: pulumi.Bool(true),
		Timeout:       pulumi.Int(int(a.Timeout.Seconds())),
		// Each revision is a Secret in kube-system; ten is enough to roll back.
		MaxHistory: pulumi.Int(10),
	}, parent, pulumi.DependsOn(releaseDeps))
	if err != nil {
		return nil, err
	}
	classes, err := gatewayClasses(ctx, name, &a, parent, crds)
	if err != nil {
		return nil, err
	}

	comp.RoleARN = role.Arn
	comp.PolicyARN = policy.Arn
	comp.ReleaseName = release.Name.Elem()
	comp.ReleaseStatus = release.Status.Status()
	comp.ALBGatewayClass = pulumi.String("").ToStringOutput()
	comp.NLBGatewayClass = pulumi.String("").ToStringOutput()
	if !a.GatewayAPI.Disabled {
		comp.ALBGatewayClass = pulumi.String(a.GatewayAPI.ALBClassName).ToStringOutput()
		comp.NLBGatewayClass = pulumi.String(a.GatewayAPI.NLBClassName).ToStringOutput()
	}
	comp.GatewayClasses = classes
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"roleArn":         comp.RoleARN,
		"policyArn":       comp.PolicyARN,
		"releaseName":     comp.ReleaseName,
		"releaseStatus":   comp.ReleaseStatus,
		"albGatewayClass": comp.ALBGatewayClass,
		"nlbGatewayClass": comp.NLBGatewayClass,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
