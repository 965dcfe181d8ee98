package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/internal/validation"
	"github.com/eksbalance/eksbalance/plan"
)

// stackConfig reads Pulumi.<stack>.yaml the way the offline plan does.
func stackConfig(t *testing.T, stack string) map[string]string {
	t.Helper()
	proj, err := plan.LoadProject("..")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := proj.StackConfig("..", stack)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestStacks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		stack                 string
		min, desired, max     float64
		nats, samplesReplicas int
	}{
		{"dev", 1, 1, 2, 1, 0},
		{"prod", 2, 2, 6, 3, 6},
	}
	for _, tc := range cases {
		t.Run(tc.stack, func(t *testing.T) {
			t.Parallel()
			c := pulumitest.MustRun(t, platform, pulumitest.WithStack(tc.stack), pulumitest.WithConfig(stackConfig(t, tc.stack)))
			groups := c.ByType("eks:index:ManagedNodeGroup")
			if len(groups) != 3 {
				t.Fatalf("%d node groups, want 3 (one per zone)", len(groups))
			}
			for _, g := range groups {
				for path, want := range map[string]float64{"scalingConfig.minSize": tc.min, "scalingConfig.desiredSize": tc.desired, "scalingConfig.maxSize": tc.max} {
					if got, _ := g.Get(path); got != want {
						t.Errorf("%s %s = %v, want %v", g.Name, path, got, want)
					}
				}
			}
			if got := len(c.ByType("aws:ec2/natGateway:NatGateway")); got != tc.nats {
				t.Errorf("%d NAT gateways, want %d", got, tc.nats)
			}
			cl := c.One(t, "eks:index:Cluster", "eksbalance-"+tc.stack)
			if v, _ := cl.Get("endpointPublicAccess"); v != false {
				t.Errorf("API endpoint public by default: %v", v)
			}
			if n := len(c.ByType("kubernetes:helm.sh/v3:Release")); n != 1 {
				t.Errorf("%d Helm releases, want the load balancer controller", n)
			}
			deployments := c.ByType("kubernetes:apps/v1:Deployment")
			if len(deployments) != 2 {
				t.Fatalf("%d sample deployments, want 2 (NLB and ALB)", len(deployments))
			}
			if tc.samplesReplicas > 0 {
				for _, d := range deployments {
					if got, _ := d.Get("spec.replicas"); got != float64(tc.samplesReplicas) {
						t.Errorf("%s replicas = %v, want %d", d.Name, got, tc.samplesReplicas)
					}
				}
			}
		})
	}
}

func TestBadConfigFailsBeforeAnythingIsRegistered(t *testing.T) {
	t.Parallel()
	cfg := map[string]string{
		"eksbalance:zoneCount":         "2",
		"eksbalance:existingVpc":       `{"vpcId":"vpc-0123456789abcdef0","publicSubnets":[{"id":"subnet-0000000a","zone":"us-east-1a"},{"id":"subnet-0000000b","zone":"us-east-1b"},{"id":"subnet-0000000c","zone":"us-east-1c"}],"privateSubnets":[{"id":"subnet-1111111a","zone":"us-east-1a"},{"id":"subnet-1111111b","zone":"us-east-1b"},{"id":"subnet-1111111c","zone":"us-east-1c"}]}`,
		"eksbalance:zones":             `["us-east-1a","us-east-1b"]`,
		"eksbalance:nodesPerZone":      `{"min":1,"desired":5,"max":3}`,
		"eksbalance:instanceTypes":     `["m6i.large","bigbox"]`,
		"eksbalance:publicEndpoint":    "true",
		"eksbalance:publicAccessCidrs": `[]`,
	}
	c, err := pulumitest.Run(t, platform, pulumitest.WithStack("dev"), pulumitest.WithConfig(cfg))
	var verr *validation.Errors
	if !errors.As(err, &verr) {
		t.Fatalf("want one validation error, got %v", err)
	}
	for _, field := range []string{
		"network.existing.publicSubnets",
		"network.existing.privateSubnets",
		"nodes.scaling.desired",
		"nodes.instanceTypes[1]",
		"cluster.publicAccessCidrs",
	} {
		if !verr.Has(field) {
			t.Errorf("no problem reported on %s; got %v", field, verr.Fields())
		}
	}
	if !strings.Contains(err.Error(), "Pulumi.dev.yaml") {
		t.Errorf("error does not name the config file: %v", err)
	}
	for _, r := range c.All() {
		if r.Type != "pulumi:pulumi:Stack" {
			t.Errorf("registered %s %s before failing", r.Type, r.Name)
		}
	}
}

func TestConfigTypeErrorsAreCollected(t *testing.T) {
	t.Parallel()
	_, err := pulumitest.Run(t, platform, pulumitest.WithStack("dev"), pulumitest.WithConfig(map[string]string{
		"eksbalance:zoneCount":      "three",
		"eksbalance:publicEndpoint": "maybe",
		"eksbalance:nodesPerZone":   `[1,2]`,
	}))
	var verr *validation.Errors
	if !errors.As(err, &verr) {
		t.Fatalf("want validation errors, got %v", err)
	}
	for _, f := range []string{"zoneCount", "publicEndpoint", "nodesPerZone"} {
		if !verr.Has(f) {
			t.Errorf("no problem on %s: %v", f, verr.Fields())
		}
	}
}
