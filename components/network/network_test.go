package network

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/internal/validation"
	"github.com/eksbalance/eksbalance/plan"
)

const (
	vpcType    = "aws:ec2/vpc:Vpc"
	subnetType = "aws:ec2/subnet:Subnet"
	natType    = "aws:ec2/natGateway:NatGateway"
)

func runNetwork(t *testing.T, args *Args) (*pulumitest.Capture, *Network, error) {
	t.Helper()
	var n *Network
	c, err := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		var err error
		n, err = NewNetwork(ctx, "net", args)
		return err
	})
	return c, n, err
}

func TestDefaultsSpanThreeZonesWithTaggedSubnets(t *testing.T) {
	t.Parallel()
	c, n, err := runNetwork(t, &Args{ClusterName: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"us-east-1a", "us-east-1b", "us-east-1c"}; len(n.Zones) != 3 || n.Zones[0] != want[0] || n.Zones[2] != want[2] {
		t.Fatalf("zones = %v, want %v", n.Zones, want)
	}
	vpc := c.One(t, vpcType, "net-vpc")
	if got := vpc.String("cidrBlock"); got != "10.0.0.0/16" {
		t.Errorf("vpc cidr = %q", got)
	}
	if v, _ := vpc.Get("enableDnsHostnames"); v != true {
		t.Errorf("enableDnsHostnames = %v, want true", v)
	}
	subnets := c.ByType(subnetType)
	if len(subnets) != 6 {
		t.Fatalf("got %d subnets, want 6 (public+private per zone)", len(subnets))
	}
	var cidrs []netip.Prefix
	for _, z := range n.Zones {
		pub := c.One(t, subnetType, "net-public-"+z)
		priv := c.One(t, subnetType, "net-private-"+z)
		for _, s := range []plan.Resource{pub, priv} {
			if s.String("availabilityZone") != z {
				t.Errorf("%s: zone %q, want %q", s.Name, s.String("availabilityZone"), z)
			}
			if s.String("tags[kubernetes.io/cluster/demo]") != "shared" {
				t.Errorf("%s: missing cluster ownership tag: %v", s.Name, s.Inputs["tags"])
			}
			cidrs = append(cidrs, netip.MustParsePrefix(s.String("cidrBlock")))
		}
		if pub.String("tags[kubernetes.io/role/elb]") != "1" || pub.String("tags[kubernetes.io/role/internal-elb]") != "" {
			t.Errorf("public subnet tags = %v", pub.Inputs["tags"])
		}
		if priv.String("tags[kubernetes.io/role/internal-elb]") != "1" || priv.String("tags[kubernetes.io/role/elb]") != "" {
			t.Errorf("private subnet tags = %v", priv.Inputs["tags"])
		}
		if v, _ := pub.Get("mapPublicIpOnLaunch"); v != false {
			t.Errorf("%s: mapPublicIpOnLaunch = %v, want false", pub.Name, v)
		}
	}
	for i := range cidrs {
		for j := i + 1; j < len(cidrs); j++ {
			if cidrs[i].Overlaps(cidrs[j]) {
				t.Errorf("subnets overlap: %s and %s", cidrs[i], cidrs[j])
			}
		}
	}
	if got := len(c.ByType(natType)); got != 3 {
		t.Errorf("default NAT mode: %d NAT gateways, want one per zone (3)", got)
	}
}

func TestNATModes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode NATMode
		want int
	}{{NATPerZone, 3}, {NATSingle, 1}, {NATNone, 0}} {
		t.Run(string(tc.mode), func(t *testing.T) {
			t.Parallel()
			c, _, err := runNetwork(t, &Args{ClusterName: "demo", NAT: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(c.ByType(natType)); got != tc.want {
				t.Fatalf("%s: %d NAT gateways, want %d", tc.mode, got, tc.want)
			}
			routes := 0
			for _, rt := range c.ByType("aws:ec2/routeTable:RouteTable") {
				if _, ok := rt.Get("routes[0].natGatewayId"); ok {
					routes++
				}
			}
			if wantRoutes := map[NATMode]int{NATPerZone: 3, NATSingle: 3, NATNone: 0}[tc.mode]; routes != wantRoutes {
				t.Errorf("%d private route tables route through NAT, want %d", routes, wantRoutes)
			}
		})
	}
}

func TestExistingNetworkCreatesNothing(t *testing.T) {
	t.Parallel()
	args := &Args{ClusterName: "demo", Existing: validExisting()}
	c, n, err := runNetwork(t, args)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.All() {
		if r.Custom {
			t.Errorf("existing network registered %s %s", r.Type, r.Name)
		}
	}
	if len(n.Zones) != 3 || len(n.PrivateSubnets) != 3 {
		t.Fatalf("zones %v, private subnets %v", n.Zones, n.PrivateSubnets)
	}
}

func validExisting() *Existing {
	e := &Existing{VpcID: "vpc-0123456789abcdef0"}
	for i, z := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		e.PublicSubnets = append(e.PublicSubnets, Subnet{ID: "subnet-0000000" + string(rune('a'+i)), Zone: z})
		e.PrivateSubnets = append(e.PrivateSubnets, Subnet{ID: "subnet-1111111" + string(rune('a'+i)), Zone: z})
	}
	return e
}

func TestValidate(t *testing.T) {
	t.Parallel()
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	valid := func() Args { return Args{ClusterName: "demo", Zones: append([]string(nil), zones...)} }
	cases := []struct {
		name   string
		break_ func(a *Args)
		field  string
	}{
		{"missing cluster", func(a *Args) { a.ClusterName = "" }, "clusterName"},
		{"bad cluster name", func(a *Args) { a.ClusterName = "-x" }, "clusterName"},
		{"one zone", func(a *Args) { a.ZoneCount = 1; a.Zones = a.Zones[:1] }, "zoneCount"},
		{"zone count disagrees", func(a *Args) { a.ZoneCount = 2 }, "zones"},
		{"bad zone", func(a *Args) { a.Zones[1] = "east" }, "zones[1]"},
		{"duplicate zone", func(a *Args) { a.Zones[2] = "us-east-1a" }, "zones[2]"},
		{"bad cidr", func(a *Args) { a.CIDR = "10.0.0.0" }, "cidr"},
		{"cidr too large", func(a *Args) { a.CIDR = "10.0.0.0/8" }, "cidr"},
		{"cidr host bits", func(a *Args) { a.CIDR = "10.0.1.0/16" }, "cidr"},
		{"bad nat", func(a *Args) { a.NAT = "some" }, "nat"},
		{"existing: 2 zones with 3 subnets", func(a *Args) {
			a.Existing = validExisting()
			a.ZoneCount, a.Zones = 2, a.Zones[:2]
		}, "existing.privateSubnets"},
		{"existing: two subnets in one zone", func(a *Args) {
			a.Existing = validExisting()
			a.Existing.PublicSubnets[1].Zone = "us-east-1a"
		}, "existing.publicSubnets[1].zone"},
		{"existing: bad vpc", func(a *Args) { a.Existing = validExisting(); a.Existing.VpcID = "vpc1" }, "existing.vpcId"},
		{"existing: bad subnet id", func(a *Args) { a.Existing = validExisting(); a.Existing.PrivateSubnets[0].ID = "s-1" }, "existing.privateSubnets[0].id"},
	}
	base := valid()
	base.SetDefaults(nil)
	if err := base.Validate(); err != nil {
		t.Fatalf("valid args rejected: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := valid()
			tc.break_(&a)
			a.SetDefaults(nil)
			err := a.Validate()
			var verr *validation.Errors
			if !errors.As(err, &verr) {
				t.Fatalf("want validation errors, got %v", err)
			}
			if !verr.Has(tc.field) {
				t.Fatalf("want a problem on %s, got %v", tc.field, verr.Fields())
			}
		})
	}
}

func TestInvalidArgsRegisterNothing(t *testing.T) {
	t.Parallel()
	c, _, err := runNetwork(t, &Args{ClusterName: "", CIDR: "nope", NAT: "x"})
	if err == nil {
		t.Fatal("want an error")
	}
	var verr *validation.Errors
	if !errors.As(err, &verr) || len(verr.Problems) != 3 {
		t.Fatalf("want 3 problems at once, got %v", err)
	}
	if n := len(c.All()); n != 0 {
		t.Fatalf("registered %d resources before failing, want none", n)
	}
}

func TestSubnetPlan(t *testing.T) {
	t.Parallel()
	for zones := 2; zones <= 6; zones++ {
		s := subnetPlan(netip.MustParsePrefix("10.0.0.0/16"), zones)
		all := append(append([]netip.Prefix{}, s.private...), s.public...)
		for i := range all {
			if !netip.MustParsePrefix("10.0.0.0/16").Contains(all[i].Addr()) {
				t.Errorf("%d zones: %s outside the VPC", zones, all[i])
			}
			for j := i + 1; j < len(all); j++ {
				if all[i].Overlaps(all[j]) {
					t.Errorf("%d zones: %s overlaps %s", zones, all[i], all[j])
				}
			}
		}
		if s.private[0].Bits() >= s.public[0].Bits() {
			t.Errorf("%d zones: private %s should be larger than public %s", zones, s.private[0], s.public[0])
		}
	}
}
