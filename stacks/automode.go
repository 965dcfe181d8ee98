package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/cluster"
	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/internal/validation"
)

// Stack config keys this file adds (namespace eksbalance):
//
//	autoMode           bool      EKS Auto Mode instead of node groups + controller
//	autoModeNodePools  [string]  Auto Mode's built-in pools (general-purpose, system)
//	zonalShift         bool      the cluster's ARC zonal shift (default true)

// autoModeInapplicable are the keys that configure what Auto Mode replaces:
// managed node groups (AWS provisions nodes from node pools) and the
// self-managed load balancer controller (Auto Mode runs its own).
var autoModeInapplicable = []string{"nodesPerZone", "instanceTypes", "capacityType", "nodeDiskSize", "lbController"}

// validateAutoMode reports the keys that configure what Auto Mode replaces,
// named as the stack file writes them. (The cluster and the samples are
// validated with the rest: the samples already target Auto Mode's classes.)
func (cfg *Config) validateAutoMode(v *validation.Errors) {
	if !cfg.Cluster.AutoMode {
		return
	}
	for _, k := range cfg.nodeKeysSet {
		v.Add(k, "(set)", "does not apply with eksbalance:autoMode: true; Auto Mode provisions nodes from its node pools and runs its own load balancing, so remove the key (or set autoMode false)")
	}
}

// addAutoModeSamples deploys the samples on an Auto Mode cluster: the same
// workloads, on Auto Mode's load-balancer classes, waiting only for the cluster
// (there are no node groups or controller release to wait for).
func addAutoModeSamples(ctx *pulumi.Context, cfg *Config, cl *cluster.Cluster) error {
	for _, front := range sampleFronts {
		name, args := cfg.sampleArgs(front)
		if _, err := workload.NewWorkload(ctx, name, args, pulumi.Providers(cl.Provider), pulumi.DependsOn([]pulumi.Resource{cl})); err != nil {
			return err
		}
	}
	return nil
}
