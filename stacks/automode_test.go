package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/internal/validation"
)

func autoModeConfig() map[string]string {
	return map[string]string{
		"aws:region":             "us-east-1",
		"eksbalance:clusterName": "eksbalance-auto",
		"eksbalance:zoneCount":   "3",
		"eksbalance:nat":         "single",
		"eksbalance:autoMode":    "true",
	}
}

func TestAutoModeStack(t *testing.T) {
	t.Parallel()
	c, err := runStack(t, "auto", autoModeConfig())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.ByType("eks:index:ManagedNodeGroup")); n != 0 {
		t.Errorf("%d managed node groups under Auto Mode, want none", n)
	}
	if n := len(c.ByType("kubernetes:helm.sh/v3:Release")); n != 0 {
		t.Errorf("%d Helm releases under Auto Mode, want no self-managed controller", n)
	}
	if n := len(c.ByType("aws:iam/role:Role")); n != 0 {
		t.Errorf("%d IAM roles (the controller's IRSA role?) under Auto Mode", n)
	}
	cl := c.One(t, "eks:index:Cluster", "eksbalance-auto")
	if v, _ := cl.Get("autoMode.enabled"); v != true {
		t.Errorf("autoMode.enabled = %v", v)
	}
	svc := c.One(t, "kubernetes:core/v1:Service", "sample-nlb")
	if v, _ := svc.Get("spec.loadBalancerClass"); v != "eks.amazonaws.com/nlb" {
		t.Errorf("sample NLB class = %v", v)
	}
	ic := c.One(t, "kubernetes:networking.k8s.io/v1:IngressClass", "sample-alb")
	if v, _ := ic.Get("spec.controller"); v != "eks.amazonaws.com/alb" {
		t.Errorf("sample ALB IngressClass controller = %v", v)
	}
	// Each sample waits for the cluster component (the SDK expands a component
	// dependency into its children).
	for _, name := range []string{"sample-nlb", "sample-alb"} {
		if !dependsOnPrefix(c.One(t, "eksbalance:workload:Workload", name).DependsOn, "urn:pulumi:auto::eksbalance::eksbalance:cluster:Cluster$") {
			t.Errorf("%s does not wait for the cluster", name)
		}
	}
}

func TestAutoModeRejectsNodeGroupKeys(t *testing.T) {
	t.Parallel()
	cfg := autoModeConfig()
	cfg["eksbalance:nodesPerZone"] = `{"min":1,"desired":1,"max":2}`
	cfg["eksbalance:instanceTypes"] = `["t3.large"]`
	cfg["eksbalance:autoModeNodePools"] = `["gpu"]`
	c, err := runStack(t, "auto", cfg)
	var verr *validation.Errors
	if !errors.As(err, &verr) {
		t.Fatalf("want a validation error, got %v", err)
	}
	for _, f := range []string{"eksbalance:nodesPerZone", "eksbalance:instanceTypes", "eksbalance:autoModeNodePools[0]"} {
		if !verr.Has(f) {
			t.Errorf("no problem on %s: %v", f, verr.Fields())
		}
	}
	for _, r := range c.All() {
		if r.Type != "pulumi:pulumi:Stack" {
			t.Errorf("registered %s %s before failing", r.Type, r.Name)
		}
	}
	// The same keys are fine without Auto Mode.
	delete(cfg, "eksbalance:autoMode")
	delete(cfg, "eksbalance:autoModeNodePools")
	if _, err := runStack(t, "auto", cfg); err != nil {
		t.Errorf("node-group keys rejected without autoMode: %v", err)
	}
}

func TestZonalShiftKey(t *testing.T) {
	t.Parallel()
	cfg := autoModeConfig()
	cfg["eksbalance:zonalShift"] = "maybe"
	_, err := runStack(t, "auto", cfg)
	var verr *validation.Errors
	if !errors.As(err, &verr) || !verr.Has("eksbalance:zonalShift") {
		t.Fatalf("want a problem on zonalShift, got %v", err)
	}
}

func dependsOnPrefix(deps []string, prefix string) bool {
	for _, d := range deps {
		if strings.HasPrefix(d, prefix) {
			return true
		}
	}
	return false
}
