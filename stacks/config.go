package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/eksbalance/eksbalance/components/cluster"
	"github.com/eksbalance/eksbalance/components/network"
	"github.com/eksbalance/eksbalance/components/nodegroups"
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

// loadConfig reads every key, collecting type errors as problems instead of
// stopping at the first.
func loadConfig(ctx *pulumi.Context, v *validation.Errors) Config {
	c := config.New(ctx, "eksbalance")
	aws := config.New(ctx, "aws")
	cfg := Config{Samples: true}

	str := func(key, def string) string {
		if s, err := c.Try(key); err == nil {
			return s
		}
		return def
	}
	integer := func(key string, def int) int {
		s, err := c.Try(key)
		if err != nil {
			return def
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			v.Add(key, s, "must be a whole number")
			return def
		}
		return n
	}
	boolean := func(key string, def bool) bool {
		s, err := c.Try(key)
		if err != nil {
			return def
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			v.Add(key, s, "must be true or false")
			return def
		}
		return b
	}
	object := func(key string, out any) {
		s, err := c.Try(key)
		if err != nil {
			return
		}
		if err := json.Unmarshal([]byte(s), out); err != nil {
			v.Add(key, s, "has the wrong shape: %v", err)
		}
	}

	cfg.Region = "us-east-1"
	if r, err := aws.Try("region"); err == nil {
		cfg.Region = r
	}
	cfg.ClusterName = str("clusterName", "eksbalance-"+ctx.Stack())

	cfg.Network = network.Args{
		ClusterName: cfg.ClusterName,
		ZoneCount:   integer("zoneCount", 0),
		CIDR:        str("vpcCidr", ""),
		NAT:         network.NATMode(str("nat", "")),
	}
	object("zones", &cfg.Network.Zones)
	var existing network.Existing
	object("existingVpc", &existing)
	if existing.VpcID != "" || len(existing.PrivateSubnets) > 0 || len(existing.PublicSubnets) > 0 {
		cfg.Network.Existing = &existing
	}

	cfg.Cluster = cluster.Args{
		Name:               cfg.ClusterName,
		Version:            str("kubernetesVersion", ""),
		PublicEndpoint:     boolean("publicEndpoint", false),
		AllowWorldEndpoint: boolean("allowWorldEndpoint", false),
	}
	object("publicAccessCidrs", &cfg.Cluster.PublicAccessCIDRs)
	object("adminPrincipalArns", &cfg.Cluster.AdminPrincipalARNs)
	cfg.Cluster.AutoMode = boolean("autoMode", false)
	object("autoModeNodePools", &cfg.Cluster.AutoModeNodePools)
	if _, err := c.Try("zonalShift"); err == nil {
		zs := boolean("zonalShift", true)
		cfg.Cluster.ZonalShift = &zs
	}
	for _, k := range autoModeInapplicable {
		if _, err := c.Try(k); err == nil {
			cfg.nodeKeysSet = append(cfg.nodeKeysSet, k)
		}
	}

	cfg.Nodes = nodegroups.Args{
		ClusterName:  cfg.ClusterName,
		CapacityType: nodegroups.CapacityType(str("capacityType", "")),
		DiskSize:     integer("nodeDiskSize", 0),
	}
	object("instanceTypes", &cfg.Nodes.InstanceTypes)
	var per nodesConfig
	object("nodesPerZone", &per)
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
	object("lbController", &cfg.Controller)
	cfg.Samples = boolean("samples", true)
	cfg.SampleReplicas = integer("sampleReplicas", 0)
	return cfg
}

// validate checks the whole config at once: each component's rules, on the
// values the stack will pass, with resource inputs stood in by placeholders
// (they do not exist before anything is registered).
func (cfg *Config) validate(available []string, v *validation.Errors) {
	cfg.Network.SetDefaults(available)
	v.Merge("network", cfg.Network.Validate())

	cl := cfg.Cluster
	cl.VpcID = pulumi.String("pending")
	cl.PrivateSubnetIDs = pulumi.StringArray{}
	cl.PublicSubnetIDs = pulumi.StringArray{}
	cl.SetDefaults(cfg.ClusterName)
	v.Merge("cluster", cl.Validate())

	if cfg.Cluster.AutoMode {
		cfg.validateAutoMode(v)
		return
	}
	ng := cfg.Nodes
	for _, z := range cfg.Network.Zones {
		ng.Zones = append(ng.Zones, nodegroups.ZoneSubnet{Zone: z, SubnetID: pulumi.String("pending")})
	}
	ng.SetDefaults()
	v.Merge("nodes", ng.Validate())
	// Outputs stand in for values the cluster will produce: rules on their
	// contents apply to plain values only.
	var pending pulumi.StringOutput
	v.Merge("lbController", cfg.controllerArgs(pending, pending, pending).Validate())
	if cfg.Samples {
		for _, front := range sampleFronts {
			name, args := cfg.sampleArgs(front)
			args.SetDefaults(name)
			v.Merge(name, args.Validate(name))
		}
	}
}

func (cfg *Config) String() string {
	return fmt.Sprintf("cluster %s in %s over %v", cfg.ClusterName, cfg.Region, cfg.Network.Zones)
}
