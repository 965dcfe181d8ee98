// Package network provisions the VPC an eksbalance cluster runs in: one public and
// one private subnet in each of N availability zones, tagged so the AWS Load
// Balancer Controller discovers them (public for internet-facing load balancers,
// private for internal ones and for nodes), with NAT per zone or shared. It can
// also take an existing VPC and subnets instead. The cluster and node-group
// components read its per-zone subnets: one node group per zone, bound to that
// zone's private subnet.
package network

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// NATMode says how private subnets reach the internet.
type NATMode string

const (
	// NATPerZone puts one NAT gateway in each zone, so losing a zone never cuts
	// egress for the others, and no egress crosses zones (cross-AZ bytes are billed).
	NATPerZone NATMode = "perZone"
	// NATSingle shares one NAT gateway: cheaper, for dev; a zone outage can cut all
	// egress, and egress from other zones crosses AZs.
	NATSingle NATMode = "single"
	// NATNone creates no NAT gateway: private subnets have no internet egress (use
	// VPC endpoints for ECR, S3 and STS).
	NATNone NATMode = "none"
)

// Subnet is an existing subnet and the zone it is in.
type Subnet struct {
	// ID is the subnet ID (subnet-...).
	ID string `json:"id" yaml:"id"`
	// Zone is the availability zone name, e.g. us-east-1a.
	Zone string `json:"zone" yaml:"zone"`
}

// Existing describes a VPC created elsewhere. Its subnets must already carry the
// kubernetes.io/role/elb and kubernetes.io/role/internal-elb tags.
type Existing struct {
	// VpcID of the existing VPC.
	VpcID string `json:"vpcId" yaml:"vpcId"`
	// PublicSubnets, one per zone, for internet-facing load balancers.
	PublicSubnets []Subnet `json:"publicSubnets" yaml:"publicSubnets"`
	// PrivateSubnets, one per zone, for nodes and internal load balancers.
	PrivateSubnets []Subnet `json:"privateSubnets" yaml:"privateSubnets"`
}

// Args configures the network.
type Args struct {
	// ClusterName is the EKS cluster that will use the subnets; it goes into the
	// kubernetes.io/cluster/<name> tag. Required.
	ClusterName string
	// ZoneCount is how many availability zones to span. Default 3: the fewest that
	// survive a zone outage with a majority, and what EKS best practice recommends.
	ZoneCount int
	// Zones names the zones explicitly. Default: the first ZoneCount available
	// zones of the region, in name order.
	Zones []string
	// CIDR is the VPC's IPv4 range. Default 10.0.0.0/16. With the VPC CNI every pod
	// takes a VPC address, so private subnets get most of it.
	CIDR string
	// NAT says how private subnets reach the internet. Default NATPerZone (see the
	// constant for why); dev stacks set NATSingle.
	NAT NATMode
	// Existing uses a VPC and subnets made elsewhere instead of creating them.
	Existing *Existing
	// Tags are added to every resource.
	Tags map[string]string
}

// Network is the component.
type Network struct {
	pulumi.ResourceState

	// VpcID of the VPC.
	VpcID pulumi.StringOutput `pulumi:"vpcId"`
	// PublicSubnetIDs and PrivateSubnetIDs, in Zones order.
	PublicSubnetIDs  pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIDs pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	// Zones is the ordered list of zones the network spans (a plain value: it
	// decides how many node groups exist).
	Zones []string
	// PrivateSubnets maps each zone to its private subnet ID.
	PrivateSubnets map[string]pulumi.StringOutput
}

const (
	defaultZoneCount = 3
	defaultCIDR      = "10.0.0.0/16"
	// Tag keys the AWS Load Balancer Controller uses for subnet discovery.
	TagPublicELB   = "kubernetes.io/role/elb"
	TagInternalELB = "kubernetes.io/role/internal-elb"
)

// ClusterTag is the ownership tag key for a cluster's subnets.
func ClusterTag(cluster string) string { return "kubernetes.io/cluster/" + cluster }

var (
	zoneRE    = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$`)
	subnetRE  = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	vpcRE     = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	clusterRE = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$`)
)

// SetDefaults fills empty fields. available is the region's zones, used when neither
// Zones nor Existing names them (NewNetwork looks them up).
func (a *Args) SetDefaults(available []string) {
	if a.NAT == "" {
		a.NAT = NATPerZone
	}
	if a.CIDR == "" {
		a.CIDR = defaultCIDR
	}
	if a.Existing != nil && len(a.Zones) == 0 {
		for _, s := range a.Existing.PrivateSubnets {
			a.Zones = append(a.Zones, s.Zone)
		}
	}
	if a.ZoneCount == 0 {
		if len(a.Zones) > 0 {
			a.ZoneCount = len(a.Zones)
		} else {
			a.ZoneCount = defaultZoneCount
		}
	}
	if len(a.Zones) == 0 && a.ZoneCount <= len(available) {
		sorted := append([]string(nil), available...)
		sort.Strings(sorted)
		a.Zones = sorted[:a.ZoneCount]
	}
}

// Validate reports every problem with the arguments at once.
func (a *Args) Validate() error {
	v := validation.New("network")
	if a.ClusterName == "" {
		v.Add("clusterName", `""`, "is required: subnets are tagged for the cluster")
	} else if !clusterRE.MatchString(a.ClusterName) {
		v.Add("clusterName", a.ClusterName, "must be 1-100 letters, digits, '-' or '_', starting with a letter or digit")
	}
	if a.ZoneCount < 2 || a.ZoneCount > 6 {
		v.Add("zoneCount", a.ZoneCount, "must be between 2 and 6: one zone cannot survive its own outage")
	}
	if len(a.Zones) != a.ZoneCount {
		v.Add("zones", a.Zones, "must name exactly zoneCount (%d) zones, got %d", a.ZoneCount, len(a.Zones))
	}
	seen := map[string]bool{}
	for i, z := range a.Zones {
		if !zoneRE.MatchString(z) {
			v.Add(fmt.Sprintf("zones[%d]", i), z, "is not an availability zone name like us-east-1a")
		}
		if seen[z] {
			v.Add(fmt.Sprintf("zones[%d]", i), z, "is listed twice: each zone gets exactly one subnet of each kind")
		}
		seen[z] = true
	}
	switch a.NAT {
	case NATPerZone, NATSingle, NATNone:
	default:
		v.Add("nat", a.NAT, "must be one of %q, %q, %q", NATPerZone, NATSingle, NATNone)
	}
	if a.Existing != nil {
		a.validateExisting(v)
	} else if p, err := netip.ParsePrefix(a.CIDR); err != nil || !p.Addr().Is4() {
		v.Add("cidr", a.CIDR, "must be an IPv4 CIDR such as 10.0.0.0/16")
	} else if p.Bits() < 16 || p.Bits() > 20 {
		v.Add("cidr", a.CIDR, "prefix must be /16 to /20 (AWS allows /16 at most; smaller leaves too few pod addresses)")
	} else if p.Masked() != p {
		v.Add("cidr", a.CIDR, "has host bits set; did you mean %s?", p.Masked())
	}
	return v.Err()
}

func (a *Args) validateExisting(v *validation.Errors) {
	e := a.Existing
	if !vpcRE.MatchString(e.VpcID) {
		v.Add("existing.vpcId", e.VpcID, "must be a VPC ID like vpc-0123456789abcdef0")
	}
	check := func(field string, subnets []Subnet) {
		if len(subnets) != a.ZoneCount {
			v.Add(field, len(subnets), "must list exactly one subnet per zone: zoneCount is %d", a.ZoneCount)
		}
		perZone := map[string]int{}
		for i, s := range subnets {
			if !subnetRE.MatchString(s.ID) {
				v.Add(fmt.Sprintf("%s[%d].id", field, i), s.ID, "must be a subnet ID like subnet-0123456789abcdef0")
			}
			perZone[s.Zone]++
			if perZone[s.Zone] == 2 {
				v.Add(fmt.Sprintf("%s[%d].zone", field, i), s.Zone, "has a second subnet: one subnet per zone keeps node groups and load-balancer nodes balanced")
			}
		}
		for _, z := range a.Zones {
			if perZone[z] == 0 && len(subnets) > 0 {
				v.Add(field, z, "has no subnet in this zone")
			}
		}
	}
	check("existing.publicSubnets", e.PublicSubnets)
	check("existing.privateSubnets", e.PrivateSubnets)
}

// NewNetwork creates (or adopts) the VPC and subnets.
func NewNetwork(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		args = &Args{}
	}
	a := *args
	var available []string
	if len(a.Zones) == 0 && a.Existing == nil {
		azs, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{State: pulumi.StringRef("available")})
		if err != nil {
			return nil, fmt.Errorf("network: looking up availability zones: %w", err)
		}
		available = azs.Names
	}
	a.SetDefaults(available)
	if err := a.Validate(); err != nil {
		return nil, err
	}

	n := &Network{Zones: a.Zones, PrivateSubnets: map[string]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource("eksbalance:network:Network", name, n, opts...); err != nil {
		return nil, err
	}
	if a.Existing != nil {
		n.adopt(a.Existing)
	} else if err := n.create(ctx, name, &a); err != nil {
		return nil, err
	}
	return n, ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":            n.VpcID,
		"publicSubnetIds":  n.PublicSubnetIDs,
		"privateSubnetIds": n.PrivateSubnetIDs,
		"zones":            pulumi.ToStringArray(n.Zones),
	})
}

func (n *Network) adopt(e *Existing) {
	n.VpcID = pulumi.String(e.VpcID).ToStringOutput()
	byZone := func(subnets []Subnet) pulumi.StringArray {
		ids := make(pulumi.StringArray, 0, len(n.Zones))
		for _, z := range n.Zones {
			for _, s := range subnets {
				if s.Zone == z {
					ids = append(ids, pulumi.String(s.ID))
				}
			}
		}
		return ids
	}
	n.PublicSubnetIDs = byZone(e.PublicSubnets).ToStringArrayOutput()
	n.PrivateSubnetIDs = byZone(e.PrivateSubnets).ToStringArrayOutput()
	for _, s := range e.PrivateSubnets {
		n.PrivateSubnets[s.Zone] = pulumi.String(s.ID).ToStringOutput()
	}
}

func (n *Network) create(ctx *pulumi.Context, name string, a *Args) error {
	parent := pulumi.Parent(n)
	tags := func(extra map[string]string) pulumi.StringMap {
		m := pulumi.StringMap{}
		for k, v := range a.Tags {
			m[k] = pulumi.String(v)
		}
		for k, v := range extra {
			m[k] = pulumi.String(v)
		}
		return m
	}
	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(a.CIDR),
		EnableDnsHostnames: pulumi.Bool(true), // EKS nodes must resolve private DNS names
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               tags(map[string]string{"Name": name}),
	}, parent)
	if err != nil {
		return err
	}
	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  tags(map[string]string{"Name": name}),
	}, parent)
	if err != nil {
		return err
	}
	publicRT, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId:  vpc.ID(),
		Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID()}},
		Tags:   tags(map[string]string{"Name": name + "-public"}),
	}, parent)
	if err != nil {
		return err
	}

	plan := subnetPlan(netip.MustParsePrefix(a.CIDR), len(a.Zones))
	var publicIDs, privateIDs pulumi.StringArray
	var sharedNAT *ec2.NatGateway
	for i, zone := range a.Zones {
		pub, err := ec2.NewSubnet(ctx, fmt.Sprintf("%s-public-%s", name, zone), &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			AvailabilityZone: pulumi.String(zone),
			CidrBlock:        pulumi.String(plan.public[i].String()),
			// Nothing in a public subnet gets a public address unless asked: only
			// load balancers live here.
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags: tags(map[string]string{
				"Name":                      fmt.Sprintf("%s-public-%s", name, zone),
				TagPublicELB:                "1",
				ClusterTag(a.ClusterName):   "shared",
				"eksbalance.io/subnet-role": "public",
			}),
		}, parent)
		if err != nil {
			return err
		}
		priv, err := ec2.NewSubnet(ctx, fmt.Sprintf("%s-private-%s", name, zone), &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			AvailabilityZone: pulumi.String(zone),
			CidrBlock:        pulumi.String(plan.private[i].String()),
			Tags: tags(map[string]string{
				"Name":                      fmt.Sprintf("%s-private-%s", name, zone),
				TagInternalELB:              "1",
				ClusterTag(a.ClusterName):   "shared",
				"eksbalance.io/subnet-role": "private",
			}),
		}, parent)
		if err != nil {
			return err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-public-%s", name, zone), &ec2.RouteTableAssociationArgs{
			SubnetId: pub.ID(), RouteTableId: publicRT.ID(),
		}, parent); err != nil {
			return err
		}

		var routes ec2.RouteTableRouteArray
		nat := sharedNAT
		if a.NAT == NATPerZone || (a.NAT == NATSingle && sharedNAT == nil) {
			eip, err := ec2.NewEip(ctx, fmt.Sprintf("%s-nat-%s", name, zone), &ec2.EipArgs{
				Domain: pulumi.String("vpc"),
				Tags:   tags(map[string]string{"Name": fmt.Sprintf("%s-nat-%s", name, zone)}),
			}, parent)
			if err != nil {
				return err
			}
			nat, err = ec2.NewNatGateway(ctx, fmt.Sprintf("%s-nat-%s", name, zone), &ec2.NatGatewayArgs{
				AllocationId: eip.ID(),
				SubnetId:     pub.ID(),
				Tags:         tags(map[string]string{"Name": fmt.Sprintf("%s-nat-%s", name, zone)}),
			}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
			if err != nil {
				return err
			}
			if a.NAT == NATSingle {
				sharedNAT = nat
			}
		}
		if nat != nil {
			routes = ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat.ID()}}
		}
		rt, err := ec2.NewRouteTable(ctx, fmt.Sprintf("%s-private-%s", name, zone), &ec2.RouteTableArgs{
			VpcId:  vpc.ID(),
			Routes: routes,
			Tags:   tags(map[string]string{"Name": fmt.Sprintf("%s-private-%s", name, zone)}),
		}, parent)
		if err != nil {
			return err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-private-%s", name, zone), &ec2.RouteTableAssociationArgs{
			SubnetId: priv.ID(), RouteTableId: rt.ID(),
		}, parent); err != nil {
			return err
		}
		publicIDs = append(publicIDs, pub.ID().ToStringOutput())
		privateIDs = append(privateIDs, priv.ID().ToStringOutput())
		n.PrivateSubnets[zone] = priv.ID().ToStringOutput()
	}
	n.VpcID = vpc.ID().ToStringOutput()
	n.PublicSubnetIDs = publicIDs.ToStringArrayOutput()
	n.PrivateSubnetIDs = privateIDs.ToStringArrayOutput()
	return nil
}

type subnets struct{ private, public []netip.Prefix }

// subnetPlan carves the VPC range: private subnets take equal slots of the range
// (pods take VPC addresses), and public subnets, which hold only load-balancer
// nodes and NAT gateways, share the last slot.
func subnetPlan(vpc netip.Prefix, zones int) subnets {
	bits := 1
	for (1 << bits) < zones+1 {
		bits++
	}
	var s subnets
	for i := 0; i < zones; i++ {
		s.private = append(s.private, carve(vpc, bits, i))
	}
	last := carve(vpc, bits, (1<<bits)-1)
	for i := 0; i < zones; i++ {
		s.public = append(s.public, carve(last, 3, i))
	}
	return s
}

// carve returns the index-th sub-prefix of p that is newBits longer.
func carve(p netip.Prefix, newBits, index int) netip.Prefix {
	base := p.Masked().Addr().As4()
	v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	size := p.Bits() + newBits
	v += uint32(index) << (32 - size)
	addr := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	return netip.PrefixFrom(addr, size)
}
