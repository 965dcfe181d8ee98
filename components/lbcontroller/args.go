package lbcontroller

import (
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
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

// Pinned versions. Chart 3.5.0 ships controller v3.5.0 (from the v3 line on,
// eks-charts gives the chart the controller's version; the v2 line was chart
// 1.N.P for v2.N.P). v3 made the Gateway API the controller's GA interface for
// both load balancers; v3.5.0 is built for Gateway API v1.6.
const (
	DefaultChartVersion    = "3.5.0"
	DefaultImageRepository = "public.ecr.aws/eks/aws-load-balancer-controller"
	DefaultImageTag        = "v3.5.0"
	DefaultReplicas        = 2
	DefaultTimeout         = 10 * time.Minute
)

// Gateway API pins: the standard-channel CRDs the component installs (the
// sigs.k8s.io/gateway-api release) and, with the controller's own
// gateway.k8s.aws CRDs, where both are fetched from at deploy time.
const (
	// DefaultGatewayAPIVersion is the Gateway API release whose standard-channel
	// CRDs are installed: 1.6 serves TCPRoute at v1, which the controller's NLB
	// Gateway needs.
	DefaultGatewayAPIVersion = "v1.6.3"
	// GatewayAPICRDsURL is the release's standard install (%s: the version).
	GatewayAPICRDsURL = "https://github.com/kubernetes-sigs/gateway-api/releases/download/%s/standard-install.yaml"
	// LBCGatewayCRDsURL is the controller's Gateway CRDs at a release tag
	// (%s: the image tag): LoadBalancerConfiguration, TargetGroupConfiguration,
	// ListenerRuleConfiguration. The Helm chart does not install them.
	LBCGatewayCRDsURL = "https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/%s/config/crd/gateway/gateway-crds.yaml"
)

// MinGatewayImageVersion is the oldest controller the Gateway fronts are
// verified against: v3.5.0, built for Gateway API v1.6 (TCPRoute v1).
const MinGatewayImageVersion = "v3.5.0"

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
	// GatewayAPI configures the controller's Gateway API support (the Gateway
	// fronts of the workload component). Defaults as documented on GatewayAPI.
	GatewayAPI GatewayAPI
	// ExtraValues are further chart values, deep-merged over the component's own
	// (maps key by key, lists and scalars replaced, nil values dropped), as Helm
	// merges value files. Default none. Keys the component owns through a field
	// or the IRSA trust are rejected, so there is one place to set each:
	// clusterName, region, vpcId, replicaCount, image.repository, image.tag,
	// defaultTargetType, enableServiceMutatorWebhook, serviceAccount.create,
	// serviceAccount.name, the eks.amazonaws.com/role-arn annotation and the
	// ALBGatewayAPI and NLBGatewayAPI feature gates (GatewayAPI.Disabled). The
	// other feature gates and flags the component sets on purpose (FeatureGates,
	// Flags) may be overridden here.
	ExtraValues map[string]any
	// Tags for the IAM role and policy. Default none. They are not passed to the
	// controller's defaultTags; set that through ExtraValues if load balancers
	// should carry them.
	Tags map[string]string
}

// GatewayAPI is the controller's Gateway API support: the controller builds an
// ALB for a Gateway of class ALBClassName (HTTPRoute) and an NLB for one of
// class NLBClassName (TCPRoute).
type GatewayAPI struct {
	// Disabled turns the controller's ALB and NLB Gateway controllers off
	// (feature gates ALBGatewayAPI and NLBGatewayAPI false) and creates no CRDs
	// and no GatewayClasses. Default false: Gateway fronts work out of the box.
	Disabled bool
	// ExistingCRDs says the cluster already has the Gateway API standard CRDs
	// (v1.6 or later) and the controller's gateway.k8s.aws CRDs, managed by
	// someone else; the component then installs neither. Default false: it
	// installs both, pinned (Version; the image tag for the controller's), and
	// starts the controller only after them, because the controller turns its
	// Gateway controllers on only when it finds the CRDs at start-up.
	ExistingCRDs bool
	// Version of the Gateway API standard CRDs installed. Default
	// DefaultGatewayAPIVersion.
	Version string
	// ALBClassName and NLBClassName name the GatewayClasses created for the
	// controller's ALB and NLB Gateways. Defaults loadbalancer.ALBGatewayClassName
	// ("aws-alb") and loadbalancer.NLBGatewayClassName ("aws-nlb"), the names the
	// workload component's Gateway fronts use.
	ALBClassName, NLBClassName string
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
	g := &a.GatewayAPI
	if g.Version == "" {
		g.Version = DefaultGatewayAPIVersion
	}
	if g.ALBClassName == "" {
		g.ALBClassName = loadbalancer.ALBGatewayClassName
	}
	if g.NLBClassName == "" {
		g.NLBClassName = loadbalancer.NLBGatewayClassName
	}
}
