package lbcontroller

import (
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// What the chart and the IRSA trust are pinned to. The namespace and service
// account are constants, not settings: the role's trust policy names exactly
// this account, so letting either drift would give a controller that starts but
// cannot call AWS.
const (
	// Namespace is where the controller runs.
	Namespace = "kube-system"
	// ServiceAccountName is the account the chart creates and the IRSA role trusts.
	ServiceAccountName = "aws-load-balancer-controller"
	// ReleaseName is the Helm release name. Fixed, so the chart's object names
	// (Deployment, webhook Service, TLS secret) are the ones the upstream docs and
	// runbooks use.
	ReleaseName = "aws-load-balancer-controller"
	// ChartName is the chart in the eks-charts repository.
	ChartName = "aws-load-balancer-controller"
	// ChartRepository is the official eks-charts repository.
	ChartRepository = "https://aws.github.io/eks-charts"
	// OIDCAudience is the audience EKS puts in projected service-account tokens
	// for IRSA.
	OIDCAudience = "sts.amazonaws.com"
	// ClusterTagKey is the tag the controller puts on everything it creates and
	// the IAM policy scopes its write actions by.
	ClusterTagKey = "elbv2.k8s.aws/cluster"
)

// Pinned versions. Chart 1.13.3 ships controller v2.13.3 (eks-charts follows the
// controller's minor and patch: chart 1.N.P <-> v2.N.P).
const (
	DefaultChartVersion    = "1.13.3"
	DefaultImageRepository = "public.ecr.aws/eks/aws-load-balancer-controller"
	DefaultImageTag        = "v2.13.3"
	DefaultReplicas        = 2
	DefaultTimeout         = 10 * time.Minute
)

// MinImageVersion is the oldest controller the toolkit accepts: v2.9 added the
// NLB listener attributes (tcp.idle_timeout.seconds) the load-balancer settings
// rely on.
const MinImageVersion = "v2.9.0"

// TargetType is how the controller registers pods with target groups when a
// Service or Ingress does not say.
type TargetType string

const (
	// TargetTypeIP registers pod IPs directly (VPC CNI): no kube-proxy hop, no
	// dependence on how many pods share a node.
	TargetTypeIP TargetType = "ip"
	// TargetTypeInstance registers nodes on a NodePort; kube-proxy picks the pod.
	TargetTypeInstance TargetType = "instance"
)

// ZoneSpread is how strictly the controller's own replicas are spread over
// availability zones (the topology spread constraint's whenUnsatisfiable).
type ZoneSpread string

const (
	// ZoneSpreadRequired refuses to place a replica where it would put two more
	// in one zone than in another (DoNotSchedule).
	ZoneSpreadRequired ZoneSpread = "DoNotSchedule"
	// ZoneSpreadPreferred spreads when it can and schedules anyway when it cannot
	// (ScheduleAnyway).
	ZoneSpreadPreferred ZoneSpread = "ScheduleAnyway"
)

// Image is the controller's container image.
type Image struct {
	// Repository without tag. Default DefaultImageRepository (the public ECR
	// gallery, reachable from any region with internet egress); set a regional
	// ECR mirror for clusters without egress.
	Repository string
	// Tag, a v-prefixed semantic version. Default DefaultImageTag, the controller
	// version the pinned chart was released with; change it together with
	// ChartVersion.
	Tag string
}

// Args configures the controller.
type Args struct {
	// ClusterName is the EKS cluster's name. Required: the controller tags what it
	// creates with it and only adopts resources carrying it.
	ClusterName pulumi.StringInput
	// Region is the cluster's AWS region, e.g. "eu-west-1". Required: passing it
	// spares the controller an instance-metadata lookup (often blocked for pods
	// by the hop limit) and selects the ARN partition of the IAM policy.
	Region string
	// VpcID is the cluster's VPC. Required for the same reason as Region.
	VpcID pulumi.StringInput
	// OIDCProviderARN is the ARN of the cluster's IAM OIDC provider. Required: it
	// is the only principal the IRSA role trusts.
	OIDCProviderARN pulumi.StringInput
	// OIDCProviderURL is the cluster's OIDC issuer, with or without "https://".
	// Required: it prefixes the trust policy's condition keys.
	OIDCProviderURL pulumi.StringInput

	// ChartVersion of the eks-charts aws-load-balancer-controller chart. Default
	// DefaultChartVersion; pinned so a plan is reproducible and an upgrade is a
	// reviewed diff.
	ChartVersion string
	// Image is the controller image. Defaults as documented on Image.
	Image Image
	// Replicas of the controller. Default 2 (0 means default): one leads, one
	// stands by in another zone. 1 is allowed but logs a warning, because the
	// chart then creates no PodDisruptionBudget and a node drain stops the
	// controller, which stalls every rollout that waits on readiness gates.
	Replicas int
	// DefaultTargetType for Services and Ingresses that do not set one. Default
	// TargetTypeIP, which the EKS best-practices guide recommends with the VPC
	// CNI; the chart's own default is instance.
	DefaultTargetType TargetType
	// ZoneSpread for the controller's replicas. Default ZoneSpreadRequired: with
	// one node group per zone every zone has room, and two replicas in one zone
	// would fail together with it.
	ZoneSpread ZoneSpread
	// ServiceMutatorWebhook turns on the chart's webhook that stamps
	// spec.loadBalancerClass=service.k8s.aws/nlb on every new Service of type
	// LoadBalancer. Default false: the toolkit's Services ask for the controller
	// explicitly (aws-load-balancer-type: external), and the webhook would
	// otherwise capture every other team's LoadBalancer Service too, and with a
	// Fail policy block Service creation while the controller is down.
	ServiceMutatorWebhook bool
	// Timeout for the Helm release to install or upgrade and become ready.
	// Default 10 minutes: image pull plus webhook certificate plus two pods
	// passing readiness, with room for a node scale-up.
	Timeout time.Duration
	// ExtraValues are further chart values, deep-merged over the component's own
	// (maps key by key, lists and scalars replaced, nil values dropped), as Helm
	// merges value files. Default none. Keys the component owns through a field
	// or the IRSA trust are rejected, so there is one place to set each:
	// clusterName, region, vpcId, replicaCount, image.repository, image.tag,
	// defaultTargetType, enableServiceMutatorWebhook, serviceAccount.create,
	// serviceAccount.name and the eks.amazonaws.com/role-arn annotation.
	ExtraValues map[string]any
	// Tags for the IAM role and policy. Default none. They are not passed to the
	// controller's defaultTags; set that through ExtraValues if load balancers
	// should carry them.
	Tags map[string]string
}

// setDefaults fills only empty fields.
func (a *Args) setDefaults() {
	if a.ChartVersion == "" {
		a.ChartVersion = DefaultChartVersion
	}
	if a.Image.Repository == "" {
		a.Image.Repository = DefaultImageRepository
	}
	if a.Image.Tag == "" {
		a.Image.Tag = DefaultImageTag
	}
	if a.Replicas == 0 {
		a.Replicas = DefaultReplicas
	}
	if a.DefaultTargetType == "" {
		a.DefaultTargetType = TargetTypeIP
	}
	if a.ZoneSpread == "" {
		a.ZoneSpread = ZoneSpreadRequired
	}
	if a.Timeout == 0 {
		a.Timeout = DefaultTimeout
	}
}
