// Package nodegroups provisions balanced managed node groups: exactly one per
// availability zone, each bound to that zone's single private subnet, with
// identical instance types, AMI, labels and scaling. Because scaling is given per
// zone, the node count is always a multiple of the zone count, and the
// cluster-autoscaler tags let --balance-similar-node-groups keep the zones level
// when it scales. Kubernetes does not rebalance pods across zones by itself; level
// zones are what make the workload's zone spread achievable.
package nodegroups

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-eks/sdk/v3/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// ZoneSubnet is one zone and its private subnet.
type ZoneSubnet struct {
	Zone     string
	SubnetID pulumi.StringInput
}

// Scaling is the size of each zone's group; the cluster has zones times these.
type Scaling struct {
	// Min, Desired and Max nodes in each zone.
	Min, Desired, Max int
}

// CapacityType is how EC2 capacity is bought.
type CapacityType string

const (
	// CapacityOnDemand is the default: spot reclaims can empty one zone at a time
	// and unbalance it.
	CapacityOnDemand CapacityType = "ON_DEMAND"
	// CapacitySpot is cheaper, for workloads that tolerate reclaims.
	CapacitySpot CapacityType = "SPOT"
)

// Args configures the node groups.
type Args struct {
	// Cluster is the pulumi-eks cluster the groups join. Required (checked by the
	// constructor: Validate covers the plain settings, so a stack can validate its
	// config before the cluster exists).
	Cluster *eks.Cluster
	// ClusterName is its EKS name; it goes into names and autoscaler tags. Required.
	ClusterName string
	// Zones lists each zone with its private subnet: one group per entry. Required.
	Zones []ZoneSubnet
	// InstanceTypes for every group. Default ["m6i.large"]: a general-purpose type
	// offered in every zone of the major regions, so no zone is left out.
	InstanceTypes []string
	// Scaling per zone. Default min 1, desired 1, max 3.
	Scaling Scaling
	// CapacityType. Default CapacityOnDemand.
	CapacityType CapacityType
	// DiskSize in GiB. Default 50.
	DiskSize int
	// Labels added to every node (the zone label is EKS's to set).
	Labels map[string]string
	// Tags added to every AWS resource.
	Tags map[string]string
}

// NodeGroups is the component.
type NodeGroups struct {
	pulumi.ResourceState

	// Groups maps each zone to its managed node group.
	Groups map[string]*eks.ManagedNodeGroup
	// RoleARN is the IAM role every node uses.
	RoleARN pulumi.StringOutput `pulumi:"roleArn"`
	// Zones in creation order (plain: it decides how many groups exist).
	Zones []string
}

var (
	// instanceTypeRE is family+generation[+attributes] "." size, e.g. m6i.large,
	// c7gn.16xlarge, t3a.medium.
	instanceTypeRE = regexp.MustCompile(`^[a-z]+[0-9][a-z0-9-]*\.(nano|micro|small|medium|large|metal|[0-9]*xlarge|metal-[0-9]+xl)$`)
	labelKeyRE     = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
)

// DefaultInstanceTypes: see Args.InstanceTypes.
var DefaultInstanceTypes = []string{"m6i.large"}

// SetDefaults fills empty fields.
func (a *Args) SetDefaults() {
	if len(a.InstanceTypes) == 0 {
		a.InstanceTypes = DefaultInstanceTypes
	}
	if a.Scaling == (Scaling{}) {
		a.Scaling = Scaling{Min: 1, Desired: 1, Max: 3}
	}
	if a.CapacityType == "" {
		a.CapacityType = CapacityOnDemand
	}
	if a.DiskSize == 0 {
		a.DiskSize = 50
	}
}

// Validate reports every problem at once.
func (a *Args) Validate() error {
	v := validation.New("node groups")
	if a.ClusterName == "" {
		v.Add("clusterName", `""`, "is required")
	}
	if len(a.Zones) < 2 {
		v.Add("zones", len(a.Zones), "must list at least 2 zones: one group per zone")
	}
	seen := map[string]bool{}
	for _, z := range a.Zones {
		// Each group is named <cluster>-<zone> (see NewNodeGroups); EKS caps node
		// group names at 63 characters (aws_eks_node_group node_group_name).
		if n := len(a.ClusterName) + 1 + len(z.Zone); a.ClusterName != "" && z.Zone != "" && n > 63 {
			v.Add("clusterName", a.ClusterName, "makes node group name %s-%s %d characters long; EKS allows 63 (shorten the cluster name)", a.ClusterName, z.Zone, n)
			break
		}
	}
	for i, z := range a.Zones {
		switch {
		case z.Zone == "":
			v.Add(fmt.Sprintf("zones[%d].zone", i), `""`, "is required")
		case seen[z.Zone]:
			v.Add(fmt.Sprintf("zones[%d].zone", i), z.Zone, "has a second group: exactly one group per zone keeps zones equal")
		}
		seen[z.Zone] = true
		if z.SubnetID == nil {
			v.Add(fmt.Sprintf("zones[%d].subnetId", i), "<nil>", "is required: each group is bound to its zone's private subnet")
		}
	}
	for i, t := range a.InstanceTypes {
		if !instanceTypeRE.MatchString(t) {
			v.Add(fmt.Sprintf("instanceTypes[%d]", i), t, "is not an EC2 instance type of the form family.size (e.g. m6i.large)")
		}
	}
	s := a.Scaling
	if s.Min < 0 {
		v.Add("scaling.min", s.Min, "must not be negative")
	}
	if s.Max < 1 {
		v.Add("scaling.max", s.Max, "must be at least 1")
	}
	if s.Desired < s.Min {
		v.Add("scaling.desired", s.Desired, "must be at least scaling.min (%d)", s.Min)
	}
	if s.Desired > s.Max {
		v.Add("scaling.desired", s.Desired, "must not exceed scaling.max (%d)", s.Max)
	}
	switch a.CapacityType {
	case CapacityOnDemand, CapacitySpot:
	default:
		v.Add("capacityType", a.CapacityType, "must be %s or %s", CapacityOnDemand, CapacitySpot)
	}
	if a.DiskSize < 20 || a.DiskSize > 16384 {
		v.Add("diskSize", a.DiskSize, "must be between 20 and 16384 GiB")
	}
	for k := range a.Labels {
		if !labelKeyRE.MatchString(k) {
			v.Add("labels["+k+"]", k, "is not a valid Kubernetes label key")
		}
		if k == ZoneLabel {
			v.Add("labels["+k+"]", k, "is set by EKS from the node's zone; do not set it")
		}
	}
	return v.Err()
}

// ZoneLabel is the well-known node label EKS sets to the node's zone.
const ZoneLabel = "topology.kubernetes.io/zone"

// AutoscalerTags are the tags cluster-autoscaler reads: discovery
// (enabled/owned) and node templates for scale-from-zero. Identical across
// groups except the zone, so --balance-similar-node-groups treats them as one.
// They go on each managed node group (where the plan's traffic model and the
// node-groups-balanced rule read the zone) and, the node templates, on its
// Auto Scaling group (NodeTemplateTags), which is where the autoscaler reads
// them: EKS does not copy a node group's tags to its Auto Scaling group.
func AutoscalerTags(cluster, zone string, labels map[string]string) map[string]string {
	t := NodeTemplateTags(zone, labels)
	t["k8s.io/cluster-autoscaler/enabled"] = "true"
	t["k8s.io/cluster-autoscaler/"+cluster] = "owned"
	return t
}

// NodeTemplateTags tell cluster-autoscaler the labels a new node of a group
// will have, so it can scale a group up from zero nodes for a pod that needs
// them (the zone, for zone-spread pods). EKS documents them as tags on the
// node group's Auto Scaling group; the discovery tags are EKS's own (it puts
// them on managed node groups' Auto Scaling groups itself) and are left to it.
func NodeTemplateTags(zone string, labels map[string]string) map[string]string {
	t := map[string]string{"k8s.io/cluster-autoscaler/node-template/label/" + ZoneLabel: zone}
	for k, v := range labels {
		t["k8s.io/cluster-autoscaler/node-template/label/"+k] = v
	}
	return t
}

// NewNodeGroups creates the node role, registers it with the cluster, and one
// managed node group per zone.
func NewNodeGroups(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*NodeGroups, error) {
	if args == nil {
		args = &Args{}
	}
	a := *args
	a.SetDefaults()
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if a.Cluster == nil {
		return nil, errors.New("node groups: cluster: <nil>: is required (pass the cluster component's EKS field)")
	}
	ng := &NodeGroups{Groups: map[string]*eks.ManagedNodeGroup{}}
	if err := ctx.RegisterComponentResource("eksbalance:nodegroups:NodeGroups", name, ng, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(ng)

	// ARNs and service principals follow the partition (aws-cn, aws-us-gov):
	// EC2's principal is ec2.<DNS suffix>, AWS-managed policies are
	// arn:<partition>:iam::aws:policy/....
	part := aws.GetPartitionOutput(ctx, aws.GetPartitionOutputArgs{}, parent)
	trust := part.DnsSuffix().ApplyT(func(suffix string) (string, error) {
		b, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect": "Allow", "Action": "sts:AssumeRole",
				"Principal": map[string]any{"Service": "ec2." + suffix},
			}},
		})
		return string(b), err
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name+"-node", &iam.RoleArgs{
		AssumeRolePolicy: trust,
		Description:      pulumi.Sprintf("Nodes of EKS cluster %s", a.ClusterName),
		Tags:             pulumi.ToStringMap(a.Tags),
	}, parent)
	if err != nil {
		return nil, err
	}
	// The managed policies a node needs and no more: join the cluster, pull images,
	// and run the VPC CNI (move that one to an IRSA role for aws-node if you can).
	var attachments []pulumi.Resource
	for _, p := range []string{"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"} {
		att, err := iam.NewRolePolicyAttachment(ctx, name+"-node-"+p, &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.Sprintf("arn:%s:iam::aws:policy/%s", part.Partition(), p),
		}, parent)
		if err != nil {
			return nil, err
		}
		attachments = append(attachments, att)
	}
	// Register the role with the cluster (API authentication mode) before any
	// node boots, so nodes can join, and so the registration is a resource the
	// stack owns and shows in a plan. EKS also creates an EC2_LINUX entry for a
	// managed node group's role on its own; this one exists first, with the same
	// type. Not verified against a live account here (see the live suite): if
	// EKS rejects the pre-created entry, drop this resource and let EKS own it.
	entry, err := awseks.NewAccessEntry(ctx, name+"-node", &awseks.AccessEntryArgs{
		ClusterName:  pulumi.String(a.ClusterName),
		PrincipalArn: role.Arn,
		Type:         pulumi.String("EC2_LINUX"),
		Tags:         pulumi.ToStringMap(a.Tags),
	}, parent, pulumi.DependsOn([]pulumi.Resource{a.Cluster}))
	if err != nil {
		return nil, err
	}
	deps := append(attachments, entry)

	labels := pulumi.ToStringMap(a.Labels)
	for _, z := range a.Zones {
		tags := map[string]string{}
		for k, v := range a.Tags {
			tags[k] = v
		}
		for k, v := range AutoscalerTags(a.ClusterName, z.Zone, a.Labels) {
			tags[k] = v
		}
		os := eks.OperatingSystemAL2023
		group, err := eks.NewManagedNodeGroup(ctx, name+"-"+z.Zone, &eks.ManagedNodeGroupArgs{
			Cluster:         a.Cluster,
			NodeGroupName:   pulumi.String(a.ClusterName + "-" + z.Zone),
			NodeRole:        role,
			SubnetIds:       pulumi.StringArray{z.SubnetID},
			InstanceTypes:   pulumi.ToStringArray(a.InstanceTypes),
			OperatingSystem: &os,
			CapacityType:    pulumi.String(string(a.CapacityType)),
			DiskSize:        pulumi.Int(a.DiskSize),
			Labels:          labels,
			Tags:            pulumi.ToStringMap(tags),
			ScalingConfig: &awseks.NodeGroupScalingConfigArgs{
				MinSize:     pulumi.Int(a.Scaling.Min),
				DesiredSize: pulumi.Int(a.Scaling.Desired),
				MaxSize:     pulumi.Int(a.Scaling.Max),
			},
			// The desired size is the autoscaler's after the first up: pulumi-eks
			// puts ignoreChanges on scalingConfig.desiredSize of the node group it
			// creates (an ignoreChanges on this component would not reach that
			// child), so a later `pulumi up` does not undo a scale-out.
			IgnoreScalingChanges: pulumi.BoolRef(true),
		}, parent, pulumi.DependsOn(deps))
		if err != nil {
			return nil, err
		}
		if err := tagAutoScalingGroup(ctx, name+"-"+z.Zone, group, NodeTemplateTags(z.Zone, a.Labels), parent); err != nil {
			return nil, err
		}
		ng.Groups[z.Zone] = group
		ng.Zones = append(ng.Zones, z.Zone)
	}
	ng.RoleARN = role.Arn
	zones := append([]string(nil), ng.Zones...)
	sort.Strings(zones)
	return ng, ctx.RegisterResourceOutputs(ng, pulumi.Map{
		"roleArn": ng.RoleARN,
		"zones":   pulumi.ToStringArray(zones),
	})
}

// tagAutoScalingGroup puts tags on a managed node group's Auto Scaling group,
// the way EKS documents it for cluster-autoscaler: the group's name is the node
// group's resources[0].autoscalingGroups[0].name, and each tag is its own
// aws:autoscaling/tag:Tag (so the rest of the group's tags stay EKS's) with
// propagateAtLaunch false (they describe the group to the autoscaler, not the
// instances).
func tagAutoScalingGroup(ctx *pulumi.Context, name string, group *eks.ManagedNodeGroup, tags map[string]string, parent pulumi.ResourceOption) error {
	asg := group.NodeGroup.Resources().Index(pulumi.Int(0)).AutoscalingGroups().Index(pulumi.Int(0)).Name().Elem()
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		_, err := autoscaling.NewTag(ctx, name+"-asg-"+tagSuffix(k), &autoscaling.TagArgs{
			AutoscalingGroupName: asg,
			Tag: autoscaling.TagTagArgs{
				Key:               pulumi.String(k),
				Value:             pulumi.String(tags[k]),
				PropagateAtLaunch: pulumi.Bool(false),
			},
		}, parent, pulumi.DependsOn([]pulumi.Resource{group}))
		if err != nil {
			return err
		}
	}
	return nil
}

// tagSuffix is a stable resource-name part for a tag key: the key without the
// autoscaler prefix, '/' and '.' as '-'.
func tagSuffix(key string) string {
	key = strings.TrimPrefix(key, "k8s.io/cluster-autoscaler/")
	return strings.NewReplacer("/", "-", ".", "-").Replace(key)
}
