// Package cluster provisions the EKS control plane through pulumi-eks: AL2023
// nodes (added by the nodegroups component, one group per zone), no default node
// group, nodes in private subnets and load balancers in public ones, an OIDC
// provider for IRSA, API authentication with access entries, secrets
// envelope-encrypted with a KMS key, a private endpoint and a public one only for
// configured CIDRs. It hands the kubeconfig, the OIDC provider and a Kubernetes
// provider to the components that run in the cluster.
package cluster

import (
	"fmt"
	"net/netip"
	"regexp"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-eks/sdk/v3/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// Args configures the cluster.
type Args struct {
	// Name is the EKS cluster name. Default: the component name. It is set
	// explicitly (not auto-named) because subnets and node groups are tagged with it.
	Name string
	// Version is the Kubernetes minor version. Default DefaultVersion (1.36):
	// the newest version on EKS, in standard support until 2027-08-02, so the
	// longest runway before extended-support fees (dates and their sources in
	// versions.go). A version past standard support is accepted with a warning.
	Version string
	// VpcID, PrivateSubnetIDs and PublicSubnetIDs come from the network component.
	// Nodes go in private subnets; public subnets are for internet-facing load
	// balancers only. All required.
	VpcID            pulumi.StringInput
	PrivateSubnetIDs pulumi.StringArrayInput
	PublicSubnetIDs  pulumi.StringArrayInput
	// PublicEndpoint opens the API server endpoint to the internet, limited to
	// PublicAccessCIDRs. Default false: the endpoint is private (reachable from the
	// VPC and peered networks only).
	PublicEndpoint bool
	// PublicAccessCIDRs limits the public endpoint. Required (non-empty, and never
	// 0.0.0.0/0 unless AllowWorldEndpoint) when PublicEndpoint is true.
	PublicAccessCIDRs []string
	// AllowWorldEndpoint acknowledges a public endpoint open to 0.0.0.0/0. Default false.
	AllowWorldEndpoint bool
	// AdminPrincipalARNs get cluster-admin through access entries
	// (AmazonEKSClusterAdminPolicy, cluster scope). Default none: the creator
	// keeps admin through EKS's bootstrap entry. Never list the principal that
	// deploys the stack (EKS already made its entry: a second one fails with
	// 409), nor a principal twice; NewCluster checks both before creating
	// anything (see principal.go).
	AdminPrincipalARNs []string
	// KMSKeyARN encrypts Kubernetes secrets. Default: a new customer-managed key
	// with yearly rotation, created by this component.
	KMSKeyARN pulumi.StringInput
	// LogTypes are the control-plane logs sent to CloudWatch. Default api, audit,
	// authenticator: enough to audit who did what without the cost of all five.
	LogTypes []string
	// Tags are added to every AWS resource.
	Tags map[string]string
	// AutoMode runs the cluster in EKS Auto Mode: AWS manages the nodes (node
	// pools, no managed node groups), pod networking and load balancing (no
	// self-managed AWS Load Balancer Controller). Default false. With it, pair
	// the workloads with workload.ControllerEKSAutoMode and create no node
	// groups or controller release. Needs Kubernetes 1.29 or later.
	AutoMode bool
	// AutoModeNodePools are the built-in node pools Auto Mode runs
	// (general-purpose, system). Default both, as EKS itself does.
	AutoModeNodePools []string
	// ZonalShift registers the cluster with ARC zonal shift (EKS
	// zonalShiftConfig), so a zone shift also moves east-west traffic and new
	// nodes away from the impaired zone. Default true: it does nothing until a
	// shift starts. Set through ZonalShiftTransform (pulumi-eks has no input).
	ZonalShift *bool
}

// Cluster is the component.
type Cluster struct {
	pulumi.ResourceState

	// Name is the EKS cluster name (plain: it is fixed before anything is created).
	Name string
	// EKS is the pulumi-eks cluster, for components that take it as an input
	// (managed node groups).
	EKS *eks.Cluster
	// Kubeconfig is the cluster's kubeconfig as JSON (secret: it carries the endpoint
	// and CA).
	Kubeconfig pulumi.StringOutput `pulumi:"kubeconfig"`
	// OIDCProviderARN and OIDCProviderURL identify the IRSA identity provider.
	OIDCProviderARN pulumi.StringOutput `pulumi:"oidcProviderArn"`
	OIDCProviderURL pulumi.StringOutput `pulumi:"oidcProviderUrl"`
	// ClusterSecurityGroupID is the security group EKS gives managed nodes.
	ClusterSecurityGroupID pulumi.StringOutput `pulumi:"clusterSecurityGroupId"`
	// KMSKeyARN encrypts the cluster's secrets.
	KMSKeyARN pulumi.StringOutput `pulumi:"kmsKeyArn"`
	// Provider talks to this cluster; pass it to in-cluster components with
	// pulumi.Providers(c.Provider).
	Provider *kubernetes.Provider
	// AutoMode is Args.AutoMode: the cluster provisions its own nodes and load
	// balancers (workload.ControllerEKSAutoMode).
	AutoMode bool
}

// Defaults.
const (
	DefaultVersion = "1.36"
)

var (
	// DefaultLogTypes: see Args.LogTypes.
	DefaultLogTypes = []string{"api", "audit", "authenticator"}
	versionRE       = regexp.MustCompile(`^1\.(2[89]|3[0-9])$`)
	nameRE          = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$`)
	arnRE           = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:(role|user)/.+$`)
	logTypes        = map[string]bool{"api": true, "audit": true, "authenticator": true, "controllerManager": true, "scheduler": true}
)

// SetDefaults fills empty fields; name is the component name.
func (a *Args) SetDefaults(name string) {
	if a.Name == "" {
		a.Name = name
	}
	if a.Version == "" {
		a.Version = DefaultVersion
	}
	if a.LogTypes == nil {
		a.LogTypes = DefaultLogTypes
	}
	a.setAutoModeDefaults()
}

// Validate reports every problem with the arguments at once.
func (a *Args) Validate() error {
	v := validation.New("cluster")
	if !nameRE.MatchString(a.Name) {
		v.Add("name", a.Name, "must be 1-100 letters, digits, '-' or '_', starting with a letter or digit")
	}
	if !versionRE.MatchString(a.Version) {
		v.Add("version", a.Version, "must be a Kubernetes minor version EKS supports, 1.28 to 1.39 (e.g. %s)", DefaultVersion)
	}
	a.validateAutoMode(v)
	if a.VpcID == nil {
		v.Add("vpcId", "<nil>", "is required")
	}
	if a.PrivateSubnetIDs == nil {
		v.Add("privateSubnetIds", "<nil>", "is required: nodes run in private subnets")
	}
	if a.PublicSubnetIDs == nil {
		v.Add("publicSubnetIds", "<nil>", "is required: internet-facing load balancers need public subnets")
	}
	if a.PublicEndpoint && len(a.PublicAccessCIDRs) == 0 {
		v.Add("publicAccessCidrs", "[]", "must list at least one CIDR when publicEndpoint is true; EKS would otherwise open the endpoint to 0.0.0.0/0")
	}
	if !a.PublicEndpoint && len(a.PublicAccessCIDRs) > 0 {
		v.Add("publicAccessCidrs", a.PublicAccessCIDRs, "has no effect while publicEndpoint is false; set publicEndpoint: true or remove the list")
	}
	for i, c := range a.PublicAccessCIDRs {
		p, err := netip.ParsePrefix(c)
		field := fmt.Sprintf("publicAccessCidrs[%d]", i)
		switch {
		case err != nil:
			v.Add(field, c, "is not a CIDR such as 203.0.113.0/24")
		case p.Bits() == 0 && !a.AllowWorldEndpoint:
			v.Add(field, c, "opens the API endpoint to the whole internet; list your networks, or set allowWorldEndpoint")
		case p.Masked() != p:
			v.Add(field, c, "has host bits set; did you mean %s?", p.Masked())
		}
	}
	a.validateAdmins(v)
	for i, l := range a.LogTypes {
		if !logTypes[l] {
			v.Add(fmt.Sprintf("logTypes[%d]", i), l, "must be one of api, audit, authenticator, controllerManager, scheduler")
		}
	}
	return v.Err()
}

// NewCluster creates the EKS cluster, its secrets key and a Kubernetes provider.
func NewCluster(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args == nil {
		args = &Args{}
	}
	a := *args
	a.SetDefaults(name)
	if err := a.Validate(); err != nil {
		return nil, err
	}
	c := &Cluster{Name: a.Name, AutoMode: a.AutoMode}
	if err := ctx.RegisterComponentResource("eksbalance:cluster:Cluster", name, c, opts...); err != nil {
		return nil, err
	}
	if w := VersionWarning(a.Version, time.Now()); w != "" {
		// A warning, not an error: the cluster works, it only costs more.
		_ = ctx.Log.Warn("cluster "+a.Name+": "+w, &pulumi.LogArgs{Resource: c})
	}
	parent := pulumi.Parent(c)
	if err := checkDeployer(ctx, &a, parent); err != nil {
		return nil, err
	}
	tags := pulumi.StringMap{}
	for k, v := range a.Tags {
		tags[k] = pulumi.String(v)
	}

	keyARN := a.KMSKeyARN
	if keyARN == nil {
		key, err := kms.NewKey(ctx, name+"-secrets", &kms.KeyArgs{
			Description:          pulumi.Sprintf("Envelope encryption of Kubernetes secrets in EKS cluster %s", a.Name),
			EnableKeyRotation:    pulumi.Bool(true),
			DeletionWindowInDays: pulumi.Int(30),
			Tags:                 tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		keyARN = key.Arn
	}

	entries := map[string]eks.AccessEntryArgs{}
	if len(a.AdminPrincipalARNs) > 0 {
		// The access policy's ARN is in the cluster's partition (aws-cn,
		// aws-us-gov), like every AWS-managed ARN.
		partition := aws.GetPartitionOutput(ctx, aws.GetPartitionOutputArgs{}, parent).Partition()
		adminPolicy := pulumi.Sprintf("arn:%s:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", partition)
		for i, arn := range a.AdminPrincipalARNs {
			entries[fmt.Sprintf("admin-%d", i)] = eks.AccessEntryArgs{
				PrincipalArn: pulumi.String(arn),
				AccessPolicies: map[string]eks.AccessPolicyAssociationInput{
					"cluster-admin": eks.AccessPolicyAssociationArgs{
						PolicyArn:   adminPolicy,
						AccessScope: awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
					},
				},
			}
		}
	}
	authMode := eks.AuthenticationModeApi
	// Only a public endpoint takes CIDRs: pulumi-eks refuses publicAccessCidrs
	// next to endpointPublicAccess false, even an empty list, and
	// pulumi.ToStringArray(nil) is an empty list, not an absent one.
	var publicCIDRs pulumi.StringArrayInput
	if a.PublicEndpoint {
		publicCIDRs = pulumi.ToStringArray(a.PublicAccessCIDRs)
	}
	cl, err := eks.NewCluster(ctx, name, &eks.ClusterArgs{
		Name:                         pulumi.String(a.Name),
		Version:                      pulumi.String(a.Version),
		VpcId:                        a.VpcID,
		PrivateSubnetIds:             a.PrivateSubnetIDs,
		PublicSubnetIds:              a.PublicSubnetIDs,
		NodeAssociatePublicIpAddress: pulumi.BoolRef(false),
		SkipDefaultNodeGroup:         pulumi.BoolRef(true),
		CreateOidcProvider:           pulumi.Bool(true),
		AuthenticationMode:           &authMode,
		AccessEntries:                entries,
		EncryptionConfigKeyArn:       keyARN,
		EndpointPrivateAccess:        pulumi.Bool(true),
		EndpointPublicAccess:         pulumi.Bool(a.PublicEndpoint),
		PublicAccessCidrs:            publicCIDRs,
		EnabledClusterLogTypes:       pulumi.ToStringArray(a.LogTypes),
		Tags:                         tags,
		AutoMode:                     a.autoModeArgs(),
	}, parent, pulumi.Transforms([]pulumi.ResourceTransform{ZonalShiftTransform(*a.ZonalShift)}))
	if err != nil {
		return nil, err
	}
	c.EKS = cl
	c.Kubeconfig = pulumi.ToSecret(cl.KubeconfigJson).(pulumi.StringOutput)
	c.OIDCProviderARN = cl.OidcProviderArn
	c.OIDCProviderURL = cl.OidcProviderUrl
	c.ClusterSecurityGroupID = cl.ClusterSecurityGroupId
	c.KMSKeyARN = keyARN.ToStringOutput()

	c.Provider, err = kubernetes.NewProvider(ctx, name+"-k8s", &kubernetes.ProviderArgs{
		Kubeconfig: c.Kubeconfig,
		// Server-side apply surfaces field conflicts with controllers (e.g. the LB
		// controller's annotations) instead of silently overwriting them.
		EnableServerSideApply: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"kubeconfig":             c.Kubeconfig,
		"oidcProviderArn":        c.OIDCProviderARN,
		"oidcProviderUrl":        c.OIDCProviderURL,
		"clusterSecurityGroupId": c.ClusterSecurityGroupID,
		"kmsKeyArn":              c.KMSKeyARN,
	})
}
