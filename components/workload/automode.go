package workload

import (
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/internal/validation"
)

// Controller says which load-balancer controller provisions the front's load
// balancer.
type Controller string

const (
	// ControllerLBC is the self-managed AWS Load Balancer Controller
	// (components/lbcontroller): Service class service.k8s.aws/nlb, IngressClass
	// alb, readiness gates through the namespace label. The default.
	ControllerLBC Controller = "aws-load-balancer-controller"
	// ControllerEKSAutoMode is EKS Auto Mode's built-in load balancing: Service
	// class eks.amazonaws.com/nlb, and for an ALB an IngressClass of controller
	// eks.amazonaws.com/alb with its own IngressClassParams (created by this
	// component, restricted to the workload's namespace). The same settings are
	// written (cross-zone, zonal shift, idle timeouts, health checks,
	// deregistration delay); see components/loadbalancer/automode.go for what
	// Auto Mode documents as honoured. Auto Mode has no pod readiness gate
	// (aws/containers-roadmap issue 2511), so instead of the namespace label the
	// Deployment gets minReadySeconds equal to the target group's time to
	// healthy: each surge step then waits at least as long as a registered
	// target needs to pass its health checks. That does not cover an NLB whose
	// registration itself is slow; a readiness gate would.
	ControllerEKSAutoMode Controller = "eks-auto-mode"
)

// TrafficDistributionPreferSameZone keeps in-cluster callers' traffic in
// their own zone when it has ready endpoints (GA in Kubernetes 1.35, beta and on
// by default in 1.34). Same trade-off as PreferClose, which is its deprecated
// alias; prefer this name on 1.34 and later.
const TrafficDistributionPreferSameZone TrafficDistribution = "PreferSameZone"

// autoMode reports whether EKS Auto Mode provisions the front.
func (a Args) autoMode() bool { return a.Controller == ControllerEKSAutoMode }

// validateController checks the Controller choice.
func (a Args) validateController(v *validation.Errors) {
	switch a.Controller {
	case ControllerLBC, ControllerEKSAutoMode:
	default:
		v.Add("controller", a.Controller, "must be %s or %s", ControllerLBC, ControllerEKSAutoMode)
	}
	// The Gateway fronts use the AWS Load Balancer Controller's GatewayClasses
	// and gateway.k8s.aws configuration CRDs; Auto Mode's load balancing serves
	// only its own Service and IngressClass (see ControllerEKSAutoMode).
	if a.Controller == ControllerEKSAutoMode && a.isGatewayFront() {
		v.Add("front", a.Front, "is served by the AWS Load Balancer Controller's Gateway API classes, which EKS Auto Mode does not run; use %s or %s with controller %s", FrontNLB, FrontALB, ControllerEKSAutoMode)
	}
}

// autoModeMinReady is minReadySeconds under Auto Mode: the front's time to
// healthy (healthy threshold x interval) once a target is registered.
func (a Args) autoModeMinReady() time.Duration {
	hc := a.NLB.HealthCheck
	if a.Front == FrontALB {
		hc = a.ALB.HealthCheck
	}
	return time.Duration(hc.HealthyThreshold) * hc.Interval
}

// autoModeDeployment adds minReadySeconds under Auto Mode (see
// ControllerEKSAutoMode); otherwise it returns d unchanged.
func (b builder) autoModeDeployment(d *appsv1.DeploymentArgs) *appsv1.DeploymentArgs {
	if spec, ok := d.Spec.(*appsv1.DeploymentSpecArgs); ok && b.a.autoMode() {
		spec.MinReadySeconds = pulumi.IntPtr(secs(b.a.autoModeMinReady()))
	}
	return d
}

// AutoModeIngressClassName is the IngressClass (and IngressClassParams) a
// workload creates under Auto Mode: cluster-scoped, so named after the
// namespace and the workload.
func AutoModeIngressClassName(namespace, name string) string { return namespace + "-" + name }

// autoModeIngressClass creates the IngressClassParams and the IngressClass the
// workload's Ingress names under Auto Mode, and returns the class.
func (b builder) autoModeIngressClass() (*networkingv1.IngressClass, error) {
	a := b.a
	className := AutoModeIngressClassName(a.Namespace, b.name)
	meta := &metav1.ObjectMetaArgs{Name: pulumi.String(className), Labels: b.labels()}
	params, err := apiextensions.NewCustomResource(b.ctx, b.name+"-params", &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(loadbalancer.AutoModeParamsAPIVersion),
		Kind:        pulumi.String(loadbalancer.AutoModeParamsKind),
		Metadata:    meta,
		OtherFields: kubernetes.UntypedArgs{"spec": a.ALB.AutoModeIngressClassParamsSpec(a.Namespace)},
	}, b.parent)
	if err != nil {
		return nil, err
	}
	return networkingv1.NewIngressClass(b.ctx, b.name, &networkingv1.IngressClassArgs{
		Metadata: meta,
		Spec: &networkingv1.IngressClassSpecArgs{
			Controller: pulumi.String(loadbalancer.AutoModeIngressController),
			Parameters: &networkingv1.IngressClassParametersReferenceArgs{
				ApiGroup: pulumi.String(loadbalancer.AutoModeParamsAPIGroup),
				Kind:     pulumi.String(loadbalancer.AutoModeParamsKind),
				Name:     pulumi.String(className),
				Scope:    pulumi.String("Cluster"),
			},
		},
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{params}))
}
