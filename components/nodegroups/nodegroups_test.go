package nodegroups

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-eks/sdk/v3/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/mockcloud"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/internal/validation"
)

const mngType = "eks:index:ManagedNodeGroup"

var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

func zoneSubnets() []ZoneSubnet {
	var out []ZoneSubnet
	for _, z := range zones {
		out = append(out, ZoneSubnet{Zone: z, SubnetID: pulumi.String("subnet-" + z)})
	}
	return out
}

func run(t *testing.T, mutate func(a *Args)) (*pulumitest.Capture, error) {
	t.Helper()
	return pulumitest.Run(t, func(ctx *pulumi.Context) error {
		// API authentication, as the cluster component sets: with the aws-auth
		// ConfigMap (pulumi-eks' default) pulumi-eks refuses a managed node
		// group whose role is not one of the cluster's instanceRoles.
		api := eks.AuthenticationModeApi
		cl, err := eks.NewCluster(ctx, "demo", &eks.ClusterArgs{Name: pulumi.String("demo"), AuthenticationMode: &api})
		if err != nil {
			return err
		}
		a := Args{Cluster: cl, ClusterName: "demo", Zones: zoneSubnets(),
			Scaling: Scaling{Min: 2, Desired: 2, Max: 6}, Labels: map[string]string{"team": "web"}}
		if mutate != nil {
			mutate(&a)
		}
		_, err = NewNodeGroups(ctx, "nodes", &a)
		return err
	})
}

func TestOneEqualGroupPerZone(t *testing.T) {
	t.Parallel()
	c, err := run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	groups := c.ByType(mngType)
	if len(groups) != len(zones) {
		t.Fatalf("got %d node groups, want one per zone (%d)", len(groups), len(zones))
	}
	first := groups[0]
	for _, z := range zones {
		g := c.One(t, mngType, "nodes-"+z)
		subnets, _ := g.Get("subnetIds")
		if s, ok := subnets.([]any); !ok || len(s) != 1 || s[0] != "subnet-"+z {
			t.Errorf("%s: subnetIds = %v, want exactly [subnet-%s]", g.Name, subnets, z)
		}
		for _, path := range []string{"scalingConfig.minSize", "scalingConfig.desiredSize", "scalingConfig.maxSize", "instanceTypes[0]", "operatingSystem", "capacityType", "diskSize", "labels.team"} {
			a, _ := g.Get(path)
			b, _ := first.Get(path)
			if fmt.Sprint(a) != fmt.Sprint(b) || a == nil {
				t.Errorf("%s: %s = %v, differs from %s's %v", g.Name, path, a, first.Name, b)
			}
		}
		if v, _ := g.Get("scalingConfig.desiredSize"); v != 2.0 {
			t.Errorf("%s desired = %v, want 2", g.Name, v)
		}
		if g.String("operatingSystem") != "AL2023" {
			t.Errorf("%s OS = %q, want AL2023", g.Name, g.String("operatingSystem"))
		}
		if _, ok := g.Get("labels[topology.kubernetes.io/zone]"); ok {
			t.Errorf("%s sets the zone label; EKS owns it", g.Name)
		}
		tags := map[string]string{
			"k8s.io/cluster-autoscaler/enabled":                                         "true",
			"k8s.io/cluster-autoscaler/demo":                                            "owned",
			"k8s.io/cluster-autoscaler/node-template/label/topology.kubernetes.io/zone": z,
			"k8s.io/cluster-autoscaler/node-template/label/team":                        "web",
		}
		for k, want := range tags {
			if got := g.String("tags[" + k + "]"); got != want {
				t.Errorf("%s tag %s = %q, want %q", g.Name, k, got, want)
			}
		}
		if g.String("nodeRole") == "" {
			t.Errorf("%s has no node role", g.Name)
		}
	}
}

func TestRoleRegisteredWithCluster(t *testing.T) {
	t.Parallel()
	c, err := run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	entry := c.One(t, "aws:eks/accessEntry:AccessEntry", "nodes-node")
	if entry.String("type") != "EC2_LINUX" || entry.String("clusterName") != "demo" {
		t.Errorf("access entry = %v", entry.Inputs)
	}
	if entry.String("principalArn") != "arn:aws:iam::123456789012:role/nodes-node" {
		t.Errorf("access entry principal = %q", entry.String("principalArn"))
	}
	role := c.One(t, "aws:iam/role:Role", "nodes-node")
	var trust struct {
		Statement []struct {
			Principal struct{ Service string }
			Action    string
		}
	}
	if err := json.Unmarshal([]byte(role.String("assumeRolePolicy")), &trust); err != nil {
		t.Fatal(err)
	}
	if len(trust.Statement) != 1 || trust.Statement[0].Principal.Service != "ec2.amazonaws.com" {
		t.Errorf("node role trust = %+v", trust)
	}
	for _, g := range c.ByType(mngType) {
		found := false
		for _, d := range g.DependsOn {
			found = found || d == entry.URN
		}
		if !found {
			t.Errorf("%s does not depend on the access entry (deps %v)", g.Name, g.DependsOn)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	valid := func() Args {
		return Args{ClusterName: "demo", Zones: zoneSubnets(), Scaling: Scaling{Min: 1, Desired: 2, Max: 3}}
	}
	cases := []struct {
		name   string
		break_ func(a *Args)
		field  string
	}{
		{"desired above max", func(a *Args) { a.Scaling.Desired = 4 }, "scaling.desired"},
		{"desired below min", func(a *Args) { a.Scaling.Min = 3 }, "scaling.desired"},
		{"negative min", func(a *Args) { a.Scaling.Min = -1; a.Scaling.Desired = 0 }, "scaling.min"},
		{"max below one", func(a *Args) { a.Scaling = Scaling{Min: 0, Desired: 0, Max: -1} }, "scaling.max"},
		{"instance type format", func(a *Args) { a.InstanceTypes = []string{"m6i.large", "large-m6i"} }, "instanceTypes[1]"},
		{"two groups in one zone", func(a *Args) { a.Zones[2].Zone = a.Zones[0].Zone }, "zones[2].zone"},
		{"missing subnet", func(a *Args) { a.Zones[1].SubnetID = nil }, "zones[1].subnetId"},
		{"single zone", func(a *Args) { a.Zones = a.Zones[:1] }, "zones"},
		{"zone label", func(a *Args) { a.Labels = map[string]string{ZoneLabel: "x"} }, "labels[" + ZoneLabel + "]"},
		{"capacity", func(a *Args) { a.CapacityType = "RESERVED" }, "capacityType"},
		{"disk", func(a *Args) { a.DiskSize = 5 }, "diskSize"},
		{"cluster name", func(a *Args) { a.ClusterName = "" }, "clusterName"},
	}
	ok := valid()
	ok.SetDefaults()
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid args rejected: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := valid()
			tc.break_(&a)
			a.SetDefaults()
			var verr *validation.Errors
			if err := a.Validate(); !errors.As(err, &verr) || !verr.Has(tc.field) {
				t.Fatalf("want a problem on %s, got %v", tc.field, err)
			}
		})
	}
}

func TestInvalidArgsRegisterNoGroup(t *testing.T) {
	t.Parallel()
	c, err := run(t, func(a *Args) { a.Scaling.Desired = 9; a.InstanceTypes = []string{"huge"} })
	var verr *validation.Errors
	if !errors.As(err, &verr) || len(verr.Problems) != 2 {
		t.Fatalf("want 2 problems at once, got %v", err)
	}
	if n := len(c.ByType(mngType)) + len(c.ByType("aws:iam/role:Role")); n != 0 {
		t.Fatalf("registered %d node groups/roles before failing", n)
	}
}

// cluster-autoscaler reads node templates from the Auto Scaling group, and EKS
// does not copy a node group's tags there: each group's ASG, found the way EKS
// documents (resources[0].autoscalingGroups[0].name), gets one tag resource per
// node-template tag, not propagated to instances.
func TestAutoScalingGroupsTagged(t *testing.T) {
	t.Parallel()
	c, err := run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	tags := c.ByType("aws:autoscaling/tag:Tag")
	if want := len(zones) * 2; len(tags) != want { // the zone and the team label
		t.Fatalf("%d ASG tags, want %d (2 per zone)", len(tags), want)
	}
	byGroup := map[string]map[string]string{}
	for _, tag := range tags {
		if v, _ := tag.Get("tag.propagateAtLaunch"); v != false {
			t.Errorf("%s: propagateAtLaunch = %v, want false", tag.Name, v)
		}
		asg := tag.String("autoscalingGroupName")
		if byGroup[asg] == nil {
			byGroup[asg] = map[string]string{}
		}
		byGroup[asg][tag.String("tag.key")] = tag.String("tag.value")
	}
	for _, z := range zones {
		asg := mockcloud.AutoScalingGroupName("nodes-"+z, "demo-"+z)
		want := map[string]string{
			"k8s.io/cluster-autoscaler/node-template/label/topology.kubernetes.io/zone": z,
			"k8s.io/cluster-autoscaler/node-template/label/team":                        "web",
		}
		if fmt.Sprint(byGroup[asg]) != fmt.Sprint(want) {
			t.Errorf("ASG %s tags = %v, want %v", asg, byGroup[asg], want)
		}
	}
}

// The autoscaler owns the desired size after the first up.
func TestDesiredSizeLeftToTheAutoscaler(t *testing.T) {
	t.Parallel()
	c, err := run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range c.ByType(mngType) {
		if v, _ := g.Get("ignoreScalingChanges"); v != true {
			t.Errorf("%s: ignoreScalingChanges = %v, want true", g.Name, v)
		}
	}
}

// ARNs and the EC2 service principal follow the partition.
func TestNodeRoleFollowsPartition(t *testing.T) {
	t.Parallel()
	for region, want := range map[string]struct{ partition, service string }{
		"us-east-1":     {"aws", "ec2.amazonaws.com"},
		"cn-north-1":    {"aws-cn", "ec2.amazonaws.com.cn"},
		"us-gov-west-1": {"aws-us-gov", "ec2.amazonaws.com"},
	} {
		c, err := pulumitest.Run(t, func(ctx *pulumi.Context) error {
			api := eks.AuthenticationModeApi
			cl, err := eks.NewCluster(ctx, "demo", &eks.ClusterArgs{Name: pulumi.String("demo"), AuthenticationMode: &api})
			if err != nil {
				return err
			}
			_, err = NewNodeGroups(ctx, "nodes", &Args{Cluster: cl, ClusterName: "demo", Zones: zoneSubnets()})
			return err
		}, pulumitest.WithConfig(map[string]string{"aws:region": region}))
		if err != nil {
			t.Fatalf("%s: %v", region, err)
		}
		atts := c.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
		if len(atts) != 3 {
			t.Fatalf("%s: %d policy attachments", region, len(atts))
		}
		for _, a := range atts {
			if arn := a.String("policyArn"); !strings.HasPrefix(arn, "arn:"+want.partition+":iam::aws:policy/") {
				t.Errorf("%s: policy %q not in partition %s", region, arn, want.partition)
			}
		}
		role := c.One(t, "aws:iam/role:Role", "nodes-node")
		if !strings.Contains(role.String("assumeRolePolicy"), `"Service":"`+want.service+`"`) {
			t.Errorf("%s: trust policy %s, want service %s", region, role.String("assumeRolePolicy"), want.service)
		}
	}
}

func TestLongClusterNameRejected(t *testing.T) {
	t.Parallel()
	a := Args{ClusterName: strings.Repeat("c", 53), Zones: zoneSubnets()} // 53 + len("-us-east-1a") = 64
	a.SetDefaults()
	var verr *validation.Errors
	if err := a.Validate(); !errors.As(err, &verr) || !verr.Has("clusterName") {
		t.Fatalf("a 63+ character node group name passed: %v", err)
	}
	a.ClusterName = strings.Repeat("c", 52) // 63: the longest EKS takes
	if err := a.Validate(); err != nil {
		t.Fatalf("a 63-character node group name rejected: %v", err)
	}
}
