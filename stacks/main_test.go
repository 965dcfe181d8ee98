package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/internal/stackconfig"
	"github.com/eksbalance/eksbalance/internal/validation"
	"github.com/eksbalance/eksbalance/plan"
)

// runStack runs the platform program with cfg as its whole stack config, as
// the engine hands it (so unknown keys are seen).
func runStack(t *testing.T, stack string, cfg map[string]string, opts ...pulumitest.Option) (*pulumitest.Capture, error) {
	t.Helper()
	body := func(ctx *pulumi.Context) error { return platform(ctx, stackconfig.FromMap(cfg)) }
	return pulumitest.Run(t, body, append([]pulumitest.Option{pulumitest.WithStack(stack), pulumitest.WithConfig(cfg)}, opts...)...)
}

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
		public                bool
	}{
		{"dev", 1, 1, 2, 1, 0, true},
		{"prod", 2, 2, 6, 3, 6, false},
	}
	for _, tc := range cases {
		t.Run(tc.stack, func(t *testing.T) {
			t.Parallel()
			// As a preview sees it: the dev stack's placeholder CIDR is a warning
			// there (a deployment refuses it, TestPlaceholderAPICIDRs).
			c, err := runStack(t, tc.stack, stackConfig(t, tc.stack), pulumitest.WithDryRun())
			if err != nil {
				t.Fatal(err)
			}
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
			if v, _ := cl.Get("endpointPublicAccess"); v != tc.public {
				t.Errorf("endpointPublicAccess = %v, want %v", v, tc.public)
			}
			if v, ok := cl.Get("publicAccessCidrs"); tc.public != ok || (ok && len(v.([]any)) != 1) {
				t.Errorf("publicAccessCidrs = %v (sent: %v), want one CIDR only with a public endpoint", v, ok)
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
		"eksbalance:zoneCount":     "2",
		"eksbalance:existingVpc":   `{"vpcId":"vpc-0123456789abcdef0","publicSubnets":[{"id":"subnet-0000000a","zone":"us-east-1a"},{"id":"subnet-0000000b","zone":"us-east-1b"},{"id":"subnet-0000000c","zone":"us-east-1c"}],"privateSubnets":[{"id":"subnet-1111111a","zone":"us-east-1a"},{"id":"subnet-1111111b","zone":"us-east-1b"},{"id":"subnet-1111111c","zone":"us-east-1c"}]}`,
		"eksbalance:zones":         `["us-east-1a","us-east-1b"]`,
		"eksbalance:nodesPerZone":  `{"min":1,"desired":5,"max":3}`,
		"eksbalance:instanceTypes": `["m6i.large","bigbox"]`,
		"eksbalance:apiEndpoint":   "public",
	}
	c, err := runStack(t, "dev", cfg)
	var verr *validation.Errors
	if !errors.As(err, &verr) {
		t.Fatalf("want one validation error, got %v", err)
	}
	for _, field := range []string{
		"eksbalance:existingVpc.publicSubnets",
		"eksbalance:existingVpc.privateSubnets",
		"eksbalance:nodesPerZone.desired",
		"eksbalance:instanceTypes[1]",
		"eksbalance:apiAccessCidrs",
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
	_, err := runStack(t, "dev", map[string]string{
		"eksbalance:zoneCount":          "three",
		"eksbalance:allowWorldEndpoint": "maybe",
		"eksbalance:nodesPerZone":       `[1,2]`,
	})
	var verr *validation.Errors
	if !errors.As(err, &verr) {
		t.Fatalf("want validation errors, got %v", err)
	}
	for _, f := range []string{"eksbalance:zoneCount", "eksbalance:allowWorldEndpoint", "eksbalance:nodesPerZone"} {
		if !verr.Has(f) {
			t.Errorf("no problem on %s: %v", f, verr.Fields())
		}
	}
}

// devConfig is the dev stack's config with changes (an empty value deletes a key).
func devConfig(t *testing.T, changes map[string]string) map[string]string {
	t.Helper()
	cfg := stackConfig(t, "dev")
	cfg["eksbalance:apiAccessCidrs"] = `["198.18.0.0/15"]` // not a placeholder
	for k, v := range changes {
		if v == "" {
			delete(cfg, k)
			continue
		}
		cfg[k] = v
	}
	return cfg
}

// problems runs the dev stack with changes and returns its config problems,
// failing when anything but the stack was registered.
func problems(t *testing.T, changes map[string]string) *validation.Errors {
	t.Helper()
	c, err := runStack(t, "dev", devConfig(t, changes))
	var verr *validation.Errors
	if !errors.As(err, &verr) {
		t.Fatalf("want config problems, got %v", err)
	}
	if n := len(c.All()); n != 0 {
		t.Errorf("registered %d resources before failing", n)
	}
	return verr
}

// problem returns the problem on field, failing when there is none.
func problem(t *testing.T, verr *validation.Errors, field string) validation.Problem {
	t.Helper()
	for _, p := range verr.Problems {
		if p.Field == field {
			return p
		}
	}
	t.Fatalf("no problem on %s; got %v", field, verr)
	return validation.Problem{}
}

func TestConfigTypoRejectedWithSuggestion(t *testing.T) {
	t.Parallel()
	// The unchanged config passes: the test below fails only for the typo.
	if _, err := runStack(t, "dev", devConfig(t, nil)); err != nil {
		t.Fatalf("dev config rejected: %v", err)
	}
	verr := problems(t, map[string]string{
		"eksbalance:nodesPerZone": "",
		"eksbalance:nodesPerZon":  `{"min":1,"desired":1,"max":2}`,
		"eksbalance:instanceType": `["t3.large"]`,
	})
	for field, suggestion := range map[string]string{
		"eksbalance:nodesPerZon":  "did you mean eksbalance:nodesPerZone?",
		"eksbalance:instanceType": "did you mean eksbalance:instanceTypes?",
	} {
		if p := problem(t, verr, field); !strings.Contains(p.Rule, suggestion) {
			t.Errorf("%s: %q does not suggest %q", field, p.Rule, suggestion)
		}
	}
}

func TestConfigNestedTypoRejected(t *testing.T) {
	t.Parallel()
	verr := problems(t, map[string]string{"eksbalance:nodesPerZone": `{"min":1,"desird":2,"max":3}`})
	p := problem(t, verr, "eksbalance:nodesPerZone.desird")
	if !strings.Contains(p.Rule, "did you mean desired?") {
		t.Errorf("nested typo: %q", p.Rule)
	}
	verr = problems(t, map[string]string{"eksbalance:existingVpc": `{"vpcID":"vpc-1"}`})
	if p := problem(t, verr, "eksbalance:existingVpc.vpcID"); !strings.Contains(p.Rule, "did you mean vpcId?") {
		t.Errorf("case typo: %q", p.Rule)
	}
}

func TestConfigTypeErrorsSayWhatTheKeyMustBe(t *testing.T) {
	t.Parallel()
	verr := problems(t, map[string]string{
		"eksbalance:instanceTypes": "t3.large", // a scalar, as `instanceTypes: t3.large` arrives
		"eksbalance:nodesPerZone":  `{"min":"one"}`,
		"eksbalance:samples":       "yes",
		"eksbalance:nat":           "singel",
	})
	for field, want := range map[string]string{
		"eksbalance:instanceTypes":    "must be a list of strings, e.g. [t3.large]",
		"eksbalance:nodesPerZone.min": "must be a whole number",
		"eksbalance:samples":          "must be true or false",
		"eksbalance:nat":              "must be one of perZone, single, none; did you mean single?",
	} {
		p := problem(t, verr, field)
		if p.Rule != want && !strings.HasPrefix(p.Rule, want) {
			t.Errorf("%s: rule %q, want %q", field, p.Rule, want)
		}
		if strings.Contains(p.Rule, "invalid character") || strings.Contains(p.Rule, "json:") {
			t.Errorf("%s: decoder message leaked: %q", field, p.Rule)
		}
	}
}

func TestConfigProblemsAllAtOnce(t *testing.T) {
	t.Parallel()
	verr := problems(t, map[string]string{
		"eksbalance:zoneCount":         "three",
		"eksbalance:nodesPerZone":      `{"min":1,"desired":5,"max":3}`,
		"eksbalance:publicAccessCidrs": `["198.51.100.7/32"]`,
		"eksbalance:sampleReplica":     "6",
		"eksbalance:apiAccessCidrs":    `["198.51.100.7"]`,
	})
	want := []string{
		"eksbalance:zoneCount",            // type
		"eksbalance:nodesPerZone.desired", // component rule, by its config key
		"eksbalance:publicAccessCidrs",    // renamed key
		"eksbalance:sampleReplica",        // typo
		"eksbalance:apiAccessCidrs[0]",    // component rule on a list element
	}
	for _, f := range want {
		problem(t, verr, f)
	}
	if len(verr.Problems) != len(want) {
		t.Errorf("%d problems, want %d: %v", len(verr.Problems), len(want), verr)
	}
	if p := problem(t, verr, "eksbalance:publicAccessCidrs"); !strings.Contains(p.Rule, "renamed eksbalance:apiAccessCidrs") {
		t.Errorf("renamed key: %q", p.Rule)
	}
	if p := problem(t, verr, "eksbalance:nodesPerZone.desired"); !strings.Contains(p.Rule, "eksbalance:nodesPerZone.max (3)") {
		t.Errorf("component rule not in config terms: %q", p.Rule)
	}
}

// The dev stack ships a documentation-range placeholder for apiAccessCidrs: a
// preview (and `eksbalance plan`) warns, a deployment stops before creating
// anything.
func TestPlaceholderAPICIDRs(t *testing.T) {
	t.Parallel()
	cfg := stackConfig(t, "dev")
	if cfg["eksbalance:apiAccessCidrs"] != `["203.0.113.0/24"]` {
		t.Fatalf("dev apiAccessCidrs = %s, want the placeholder this test is about", cfg["eksbalance:apiAccessCidrs"])
	}
	c, err := runStack(t, "dev", cfg)
	var verr *validation.Errors
	if !errors.As(err, &verr) || !verr.Has("eksbalance:apiAccessCidrs[0]") || len(c.All()) != 0 {
		t.Fatalf("deployment with the placeholder: want only a problem on apiAccessCidrs[0] and nothing registered, got %v (%d registered)", err, len(c.All()))
	}
	c, err = runStack(t, "dev", cfg, pulumitest.WithDryRun())
	if err != nil {
		t.Fatalf("preview with the placeholder failed: %v", err)
	}
	placeholder := func(c *pulumitest.Capture) int {
		n := 0
		for _, w := range c.Warnings() {
			if strings.Contains(w, "eksbalance:apiAccessCidrs[0]: 203.0.113.0/24: is a documentation range") {
				n++
			}
		}
		return n
	}
	if placeholder(c) != 1 {
		t.Errorf("preview warnings = %q, want the placeholder's", c.Warnings())
	}
	// A real network passes without that warning.
	c, err = runStack(t, "dev", devConfig(t, nil), pulumitest.WithDryRun())
	if err != nil || placeholder(c) != 0 || strings.Contains(strings.Join(c.Warnings(), "\n"), "apiAccessCidrs") {
		t.Errorf("real CIDR: err %v, warnings %q", err, c.Warnings())
	}
}

// Only a range inside a documentation range is a placeholder: a network that
// merely contains one (the whole internet, acknowledged with
// allowWorldEndpoint, or a large allocation) is the user's choice, and a
// deployment must not be refused as if it still held the shipped placeholder.
func TestPlaceholderAPICIDRsOnlyInsideDocumentationRanges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cidrs, world string
		refused      bool
	}{
		{`["0.0.0.0/0"]`, "true", false},
		{`["203.0.0.0/8"]`, "", false},
		{`["198.51.100.0/25"]`, "", true},
		{`["192.0.2.7/32"]`, "", true},
	} {
		c, err := runStack(t, "dev", devConfig(t, map[string]string{"eksbalance:apiAccessCidrs": tc.cidrs, "eksbalance:allowWorldEndpoint": tc.world}))
		var verr *validation.Errors
		refused := errors.As(err, &verr) && verr.Has("eksbalance:apiAccessCidrs[0]")
		if refused != tc.refused || (!tc.refused && err != nil) {
			t.Errorf("apiAccessCidrs %s: refused %v (err %v), want refused %v", tc.cidrs, refused, err, tc.refused)
		}
		if tc.refused && len(c.All()) != 0 {
			t.Errorf("apiAccessCidrs %s: registered %d resources before refusing", tc.cidrs, len(c.All()))
		}
	}
}

func TestPublicAPIEndpointNeedsCIDRs(t *testing.T) {
	t.Parallel()
	verr := problems(t, map[string]string{"eksbalance:apiAccessCidrs": ""})
	if p := problem(t, verr, "eksbalance:apiAccessCidrs"); !strings.Contains(p.Rule, "is required when eksbalance:apiEndpoint is public") {
		t.Errorf("rule %q", p.Rule)
	}
	if len(verr.Problems) != 1 {
		t.Errorf("want the stack's problem only (not the component's too): %v", verr)
	}
	verr = problems(t, map[string]string{"eksbalance:apiEndpoint": "private"})
	if p := problem(t, verr, "eksbalance:apiAccessCidrs"); !strings.Contains(p.Rule, "no effect while eksbalance:apiEndpoint is private") {
		t.Errorf("rule %q", p.Rule)
	}
}

// The controller's Helm release waits for its zone-spread replicas: it must
// not start before the node groups exist.
func TestControllerWaitsForNodeGroups(t *testing.T) {
	t.Parallel()
	c, err := runStack(t, "dev", devConfig(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctrl := c.One(t, "eksbalance:lbcontroller:Controller", "lb-controller")
	deps := map[string]bool{}
	for _, d := range ctrl.DependsOn {
		deps[d] = true
	}
	// Depending on a component is depending on its children: the SDK sends
	// the node groups and the EKS cluster themselves.
	groups := c.ByType("eks:index:ManagedNodeGroup")
	if len(groups) != 3 {
		t.Fatalf("%d node groups", len(groups))
	}
	for _, r := range append(groups, c.One(t, "eks:index:Cluster", "eksbalance-dev")) {
		if !deps[r.URN] {
			t.Errorf("controller does not wait for %s %s (depends on %v)", r.Type, r.Name, ctrl.DependsOn)
		}
	}
	release := c.ByType("kubernetes:helm.sh/v3:Release")
	if len(release) != 1 || release[0].Parent != ctrl.URN {
		t.Fatalf("want the release as a child of the controller (which waits for it): %v", release)
	}
}

// The deploying principal already has an admin access entry (EKS makes it for
// the cluster's creator): the stack refuses a second one with its config.
func TestAdminEntryForDeployerRejected(t *testing.T) {
	t.Parallel()
	cfg := devConfig(t, map[string]string{"eksbalance:adminPrincipalArns": `["arn:aws:iam::123456789012:role/ops/deployer","arn:aws:iam::123456789012:role/viewer"]`})
	c, err := runStack(t, "dev", cfg, pulumitest.WithCaller("arn:aws:sts::123456789012:assumed-role/deployer/ci-1234"))
	var verr *validation.Errors
	if !errors.As(err, &verr) || !verr.Has("eksbalance:adminPrincipalArns[0]") || verr.Has("eksbalance:adminPrincipalArns[1]") || len(c.All()) != 0 {
		t.Fatalf("want only adminPrincipalArns[0] refused before anything is registered, got %v", err)
	}
	// Someone else deploying: both entries are fine.
	if _, err := runStack(t, "dev", cfg, pulumitest.WithCaller("arn:aws:sts::123456789012:assumed-role/release/ci-1234")); err != nil {
		t.Fatalf("another deployer: %v", err)
	}
}
