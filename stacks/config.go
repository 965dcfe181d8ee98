package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/cluster"
	"github.com/eksbalance/eksbalance/components/network"
	"github.com/eksbalance/eksbalance/components/nodegroups"
	"github.com/eksbalance/eksbalance/internal/stackconfig"
	"github.com/eksbalance/eksbalance/internal/validation"
)

// Config is the platform's stack configuration (Pulumi.<stack>.yaml, namespace
// "eksbalance"), read and validated as a whole before anything is registered.
// The README's config table documents every key and default.
type Config struct {
	Region      string
	ClusterName string
	Network     network.Args
	Cluster     cluster.Args
	Nodes       nodegroups.Args
	Controller  ControllerConfig
	// Samples deploys the sample NLB- and ALB-fronted services. Default true, so a
	// new platform shows balanced traffic end to end; set false in a real platform.
	Samples bool
	// SampleReplicas is the replica count of each sample (default 2 per zone).
	SampleReplicas int
	// nodeKeysSet are the node-group and controller keys the stack file sets;
	// with autoMode they do not apply (see autoModeKeys).
	nodeKeysSet []string
}

// ControllerConfig is the load balancer controller's part of the config.
type ControllerConfig struct {
	ChartVersion string `json:"chartVersion"`
	ImageTag     string `json:"imageTag"`
	Replicas     int    `json:"replicas"`
}

// nodesConfig is eksbalance:nodesPerZone.
type nodesConfig struct {
	Min     *int `json:"min"`
	Desired *int `json:"desired"`
	Max     *int `json:"max"`
}

// API endpoint modes (eksbalance:apiEndpoint).
const (
	// apiPublic: the EKS API is reachable from apiAccessCidrs (required) as well
	// as from the VPC, so `pulumi up` can run from a laptop or CI runner whose
	// egress addresses are listed.
	apiPublic = "public"
	// apiPrivate: the EKS API is reachable from the VPC and networks joined to
	// it only; `pulumi up` must run there (see the README).
	apiPrivate = "private"
)

// loadConfig reads every key strictly (internal/stackconfig): an unknown key,
// a nested typo or a value of the wrong type is a problem named by the key as
// written in Pulumi.<stack>.yaml; every problem is collected in v.
func loadConfig(ctx *pulumi.Context, src stackconfig.Source, v *validation.Errors) Config {
	c := stackconfig.New(src, "eksbalance", v)
	c.Renamed("publicEndpoint", "apiEndpoint")
	c.Renamed("publicAccessCidrs", "apiAccessCidrs")
	cfg := Config{Samples: true}

	cfg.Region = "us-east-1"
	if r, ok := src.Get("aws:region"); ok {
		cfg.Region = r
	}
	cfg.ClusterName = c.String("clusterName", "eksbalance-"+ctx.Stack())

	cfg.Network = network.Args{
		ClusterName: cfg.ClusterName,
		ZoneCount:   c.Int("zoneCount", 0),
		CIDR:        c.String("vpcCidr", ""),
		NAT:         network.NATMode(c.Enum("nat", "", string(network.NATPerZone), string(network.NATSingle), string(network.NATNone))),
	}
	c.Object("zones", &cfg.Network.Zones, "[us-east-1a, us-east-1b, us-east-1c]")
	var existing network.Existing
	c.Object("existingVpc", &existing, "{vpcId: vpc-0123456789abcdef0, publicSubnets: [{id: subnet-..., zone: us-east-1a}], privateSubnets: [...]}")
	if existing.VpcID != "" || len(existing.PrivateSubnets) > 0 || len(existing.PublicSubnets) > 0 {
		cfg.Network.Existing = &existing
	}

	endpoint := c.Enum("apiEndpoint", apiPrivate, apiPublic, apiPrivate)
	cfg.Cluster = cluster.Args{
		Name:               cfg.ClusterName,
		Version:            c.String("kubernetesVersion", ""),
		PublicEndpoint:     endpoint == apiPublic,
		AllowWorldEndpoint: c.Bool("allowWorldEndpoint", false),
	}
	cfg.Cluster.PublicAccessCIDRs = c.Strings("apiAccessCidrs", "[198.51.100.7/32]")
	cfg.Cluster.AdminPrincipalARNs = c.Strings("adminPrincipalArns", "[arn:aws:iam::123456789012:role/platform-admin]")
	cfg.Cluster.AutoMode = c.Bool("autoMode", false)
	cfg.Cluster.AutoModeNodePools = c.Strings("autoModeNodePools", "[general-purpose, system]")
	if c.Has("zonalShift") {
		zs := c.Bool("zonalShift", true)
		cfg.Cluster.ZonalShift = &zs
	}
	for _, k := range autoModeInapplicable {
		if c.Has(k) {
			cfg.nodeKeysSet = append(cfg.nodeKeysSet, c.Name(k))
		}
	}

	cfg.Nodes = nodegroups.Args{
		ClusterName:  cfg.ClusterName,
		CapacityType: nodegroups.CapacityType(c.Enum("capacityType", "", string(nodegroups.CapacityOnDemand), string(nodegroups.CapacitySpot))),
		DiskSize:     c.Int("nodeDiskSize", 0),
	}
	cfg.Nodes.InstanceTypes = c.Strings("instanceTypes", "[t3.large]")
	var per nodesConfig
	c.Object("nodesPerZone", &per, "{min: 1, desired: 1, max: 3}")
	if per.Min != nil || per.Desired != nil || per.Max != nil {
		get := func(p *int, def int) int {
			if p == nil {
				return def
			}
			return *p
		}
		desired := get(per.Desired, get(per.Min, 1))
		cfg.Nodes.Scaling = nodegroups.Scaling{Min: get(per.Min, desired), Desired: desired, Max: get(per.Max, desired)}
	}
	c.Object("lbController", &cfg.Controller, "{replicas: 3}")
	cfg.Samples = c.Bool("samples", true)
	cfg.SampleReplicas = c.Int("sampleReplicas", 0)
	c.Done()
	return cfg
}

// validate checks the whole config at once: each component's rules, on the
// values the stack will pass, with resource inputs stood in by placeholders
// (they do not exist before anything is registered), and the rules that only
// the stack knows (the API endpoint's CIDRs, the deploying principal). Every
// problem is named by the config key it comes from. caller is the ARN of the
// principal deploying the stack ("" when not looked up).
func (cfg *Config) validate(available []string, caller string, v *validation.Errors) {
	comp := validation.New("")
	cfg.Network.SetDefaults(available)
	comp.Merge("network", cfg.Network.Validate())

	cl := cfg.Cluster
	cl.VpcID = pulumi.String("pending")
	cl.PrivateSubnetIDs = pulumi.StringArray{}
	cl.PublicSubnetIDs = pulumi.StringArray{}
	cl.SetDefaults(cfg.ClusterName)
	comp.Merge("cluster", cl.Validate())
	if caller != "" {
		comp.Merge("cluster", cl.ValidateDeployer(caller))
	}
	cfg.validateAutoMode(v)

	ng := cfg.Nodes
	for _, z := range cfg.Network.Zones {
		ng.Zones = append(ng.Zones, nodegroups.ZoneSubnet{Zone: z, SubnetID: pulumi.String("pending")})
	}
	ng.SetDefaults()
	comp.Merge("nodes", ng.Validate())
	// Outputs stand in for values the cluster will produce: rules on their
	// contents apply to plain values only.
	var pending pulumi.StringOutput
	comp.Merge("lbController", cfg.controllerArgs(pending, pending, pending).Validate())
	if cfg.Samples {
		for _, front := range sampleFronts {
			name, args := cfg.sampleArgs(front)
			args.SetDefaults(name)
			comp.Merge(name, args.Validate(name))
		}
	}

	if cfg.Cluster.PublicEndpoint && len(cfg.Cluster.PublicAccessCIDRs) == 0 {
		v.Add("eksbalance:apiAccessCidrs", "(not set)", "is required when eksbalance:apiEndpoint is public: list the networks "+
			"`pulumi up` runs from (your egress address, your CI runners'), e.g. "+
			"pulumi config set --path 'eksbalance:apiAccessCidrs[0]' 198.51.100.7/32")
	}
	if !cfg.Cluster.PublicEndpoint && len(cfg.Cluster.PublicAccessCIDRs) > 0 {
		v.Add("eksbalance:apiAccessCidrs", cfg.Cluster.PublicAccessCIDRs, "has no effect while eksbalance:apiEndpoint is private; "+
			"set eksbalance:apiEndpoint: public or remove the list")
	}
	seen := map[string]bool{}
	for _, p := range v.Problems {
		seen[p.Field] = true
	}
	for _, p := range comp.Problems {
		p.Field, p.Rule = configProblem(p.Field, p.Rule)
		if !seen[p.Field] {
			v.Problems = append(v.Problems, p)
		}
	}
}

// configKeys maps a component argument, as its validation names it (prefixed
// with the component), to the stack config key it comes from. Longest prefix
// wins; the rest of the path ([i], .field) carries over.
var configKeys = []struct{ arg, key string }{
	{"network.clusterName", "eksbalance:clusterName"},
	{"network.zoneCount", "eksbalance:zoneCount"},
	{"network.zones", "eksbalance:zones"},
	{"network.cidr", "eksbalance:vpcCidr"},
	{"network.nat", "eksbalance:nat"},
	{"network.existing", "eksbalance:existingVpc"},
	{"cluster.name", "eksbalance:clusterName"},
	{"cluster.version", "eksbalance:kubernetesVersion"},
	{"cluster.publicEndpoint", "eksbalance:apiEndpoint"},
	{"cluster.publicAccessCidrs", "eksbalance:apiAccessCidrs"},
	{"cluster.allowWorldEndpoint", "eksbalance:allowWorldEndpoint"},
	{"cluster.adminPrincipalArns", "eksbalance:adminPrincipalArns"},
	{"cluster.autoMode", "eksbalance:autoMode"},
	{"cluster.autoModeNodePools", "eksbalance:autoModeNodePools"},
	{"cluster.zonalShift", "eksbalance:zonalShift"},
	{"nodes.clusterName", "eksbalance:clusterName"},
	{"nodes.zones", "eksbalance:zones"},
	{"nodes.instanceTypes", "eksbalance:instanceTypes"},
	{"nodes.scaling", "eksbalance:nodesPerZone"},
	{"nodes.capacityType", "eksbalance:capacityType"},
	{"nodes.diskSize", "eksbalance:nodeDiskSize"},
	{"lbController.region", "aws:region"},
	{"lbController.chartVersion", "eksbalance:lbController.chartVersion"},
	{"lbController.image.tag", "eksbalance:lbController.imageTag"},
	{"lbController.replicas", "eksbalance:lbController.replicas"},
	{"sample-nlb.replicas", "eksbalance:sampleReplicas"},
	{"sample-alb.replicas", "eksbalance:sampleReplicas"},
}

// ruleWords are component argument names that rules mention, in config terms.
var ruleWords = strings.NewReplacer(
	"scaling.min", "eksbalance:nodesPerZone.min",
	"scaling.max", "eksbalance:nodesPerZone.max",
	"when publicEndpoint is true", "when eksbalance:apiEndpoint is public",
	"while publicEndpoint is false; set publicEndpoint: true", "while eksbalance:apiEndpoint is private; set eksbalance:apiEndpoint: public",
	"set allowWorldEndpoint", "set eksbalance:allowWorldEndpoint: true",
)

// configProblem renames a component problem's field and rule into config terms;
// a field no config key sets keeps its component path, marked as derived.
func configProblem(field, rule string) (string, string) {
	best := -1
	for i, m := range configKeys {
		if (field == m.arg || strings.HasPrefix(field, m.arg+".") || strings.HasPrefix(field, m.arg+"[")) &&
			(best < 0 || len(m.arg) > len(configKeys[best].arg)) {
			best = i
		}
	}
	rule = ruleWords.Replace(rule)
	if best < 0 {
		return field + " (derived from the config)", rule
	}
	return configKeys[best].key + strings.TrimPrefix(field, configKeys[best].arg), rule
}

// documentationRanges are prefixes that never route on the internet (RFC 5737
// and RFC 3849): in apiAccessCidrs they are a placeholder, not a network.
var documentationRanges = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
}

// placeholderCIDRs reports apiAccessCidrs entries inside documentation
// ranges (a range that only contains one is not a placeholder): nobody can reach the API from them, so the deployment could create
// the cluster but nothing in it. A preview or plan warns; a deployment stops
// before creating anything.
func (cfg *Config) placeholderCIDRs(ctx *pulumi.Context, v *validation.Errors) {
	for i, c := range cfg.Cluster.PublicAccessCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			continue
		}
		for _, d := range documentationRanges {
			// Inside the range, not merely overlapping it: 0.0.0.0/0 (with
			// allowWorldEndpoint) or a large allocation that happens to
			// contain one is a real choice, not the shipped placeholder.
			if p.Bits() < d.Bits() || !d.Contains(p.Addr()) {
				continue
			}
			field := fmt.Sprintf("eksbalance:apiAccessCidrs[%d]", i)
			rule := "is a documentation range (RFC 5737/3849), a placeholder: no one can reach the EKS API from it. " +
				"Before `pulumi up`, list the networks you deploy from: " +
				fmt.Sprintf("pulumi config set --path 'eksbalance:apiAccessCidrs[%d]' <your egress address>/32 -s %s", i, ctx.Stack())
			if ctx.DryRun() {
				_ = ctx.Log.Warn(fmt.Sprintf("stack config (Pulumi.%s.yaml): %s: %s: %s", ctx.Stack(), field, c, rule), nil)
			} else {
				v.Add(field, c, rule)
			}
		}
	}
}

func (cfg *Config) String() string {
	return fmt.Sprintf("cluster %s in %s over %v", cfg.ClusterName, cfg.Region, cfg.Network.Zones)
}
