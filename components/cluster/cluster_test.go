package cluster

import (
	"errors"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/internal/validation"
)

const eksType = "eks:index:Cluster"

func validArgs() Args {
	return Args{
		VpcID:            pulumi.String("vpc-1"),
		PrivateSubnetIDs: pulumi.StringArray{pulumi.String("subnet-a"), pulumi.String("subnet-b")},
		PublicSubnetIDs:  pulumi.StringArray{pulumi.String("subnet-c"), pulumi.String("subnet-d")},
	}
}

func run(t *testing.T, a Args) (*pulumitest.Capture, *Cluster, error) {
	t.Helper()
	var cl *Cluster
	c, err := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		var err error
		cl, err = NewCluster(ctx, "demo", &a)
		return err
	})
	return c, cl, err
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, cl, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	r := c.One(t, eksType, "demo")
	if !r.Remote {
		t.Errorf("eks:index:Cluster should be a remote component")
	}
	checks := map[string]any{
		"name":                         "demo",
		"version":                      DefaultVersion,
		"skipDefaultNodeGroup":         true,
		"createOidcProvider":           true,
		"authenticationMode":           "API",
		"endpointPrivateAccess":        true,
		"endpointPublicAccess":         false,
		"nodeAssociatePublicIpAddress": false,
		"privateSubnetIds[0]":          "subnet-a",
		"publicSubnetIds[1]":           "subnet-d",
		"encryptionConfigKeyArn":       "arn:aws:kms:us-east-1:123456789012:key/demo-secrets",
	}
	for path, want := range checks {
		if got, _ := r.Get(path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	key := c.One(t, "aws:kms/key:Key", "demo-secrets")
	if v, _ := key.Get("enableKeyRotation"); v != true {
		t.Errorf("KMS key rotation = %v, want true", v)
	}
	if p := c.ByType("pulumi:providers:kubernetes"); len(p) != 1 || p[0].Name != "demo-k8s" {
		t.Fatalf("want one Kubernetes provider demo-k8s, got %v", p)
	}
	if cl.Name != "demo" || cl.Provider == nil || cl.EKS == nil {
		t.Fatalf("outputs not set: %+v", cl)
	}
	for _, l := range DefaultLogTypes {
		found := false
		logs, _ := r.Get("enabledClusterLogTypes")
		for _, x := range logs.([]any) {
			found = found || x == l
		}
		if !found {
			t.Errorf("log type %s not enabled", l)
		}
	}
}

func TestPublicEndpointLimitedToCIDRs(t *testing.T) {
	t.Parallel()
	a := validArgs()
	a.PublicEndpoint = true
	a.PublicAccessCIDRs = []string{"203.0.113.0/24"}
	c, _, err := run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	r := c.One(t, eksType, "demo")
	if v, _ := r.Get("endpointPublicAccess"); v != true {
		t.Errorf("endpointPublicAccess = %v", v)
	}
	if v, _ := r.Get("publicAccessCidrs[0]"); v != "203.0.113.0/24" {
		t.Errorf("publicAccessCidrs = %v", r.Inputs["publicAccessCidrs"])
	}
	if v, _ := r.Get("endpointPrivateAccess"); v != true {
		t.Errorf("endpointPrivateAccess = %v, want true always", v)
	}
}

func TestExistingKeyAndAdmins(t *testing.T) {
	t.Parallel()
	a := validArgs()
	a.KMSKeyARN = pulumi.String("arn:aws:kms:us-east-1:123456789012:key/mine")
	a.AdminPrincipalARNs = []string{"arn:aws:iam::123456789012:role/platform-admin"}
	c, _, err := run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.ByType("aws:kms/key:Key")); n != 0 {
		t.Errorf("created %d keys while one was given", n)
	}
	r := c.One(t, eksType, "demo")
	if got := r.String("encryptionConfigKeyArn"); got != "arn:aws:kms:us-east-1:123456789012:key/mine" {
		t.Errorf("encryptionConfigKeyArn = %q", got)
	}
	if got := r.String("accessEntries.admin-0.principalArn"); got != a.AdminPrincipalARNs[0] {
		t.Errorf("admin access entry principal = %q (entries %v)", got, r.Inputs["accessEntries"])
	}
	if got := r.String("accessEntries.admin-0.accessPolicies.cluster-admin.policyArn"); got != "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" {
		t.Errorf("admin policy = %q", got)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		break_ func(a *Args)
		field  string
	}{
		{"public access with no CIDRs", func(a *Args) { a.PublicEndpoint = true }, "publicAccessCidrs"},
		{"CIDRs without public access", func(a *Args) { a.PublicAccessCIDRs = []string{"203.0.113.0/24"} }, "publicAccessCidrs"},
		{"world CIDR", func(a *Args) { a.PublicEndpoint = true; a.PublicAccessCIDRs = []string{"0.0.0.0/0"} }, "publicAccessCidrs[0]"},
		{"bad CIDR", func(a *Args) { a.PublicEndpoint = true; a.PublicAccessCIDRs = []string{"203.0.113.0"} }, "publicAccessCidrs[0]"},
		{"bad version", func(a *Args) { a.Version = "1.2" }, "version"},
		{"bad name", func(a *Args) { a.Name = "bad name" }, "name"},
		{"no vpc", func(a *Args) { a.VpcID = nil }, "vpcId"},
		{"no private subnets", func(a *Args) { a.PrivateSubnetIDs = nil }, "privateSubnetIds"},
		{"no public subnets", func(a *Args) { a.PublicSubnetIDs = nil }, "publicSubnetIds"},
		{"bad admin", func(a *Args) { a.AdminPrincipalARNs = []string{"root"} }, "adminPrincipalArns[0]"},
		{"bad log type", func(a *Args) { a.LogTypes = []string{"api", "everything"} }, "logTypes[1]"},
	}
	ok := validArgs()
	ok.SetDefaults("demo")
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid args rejected: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			tc.break_(&a)
			a.SetDefaults("demo")
			var verr *validation.Errors
			if err := a.Validate(); !errors.As(err, &verr) || !verr.Has(tc.field) {
				t.Fatalf("want a problem on %s, got %v", tc.field, err)
			}
		})
	}
}

func TestInvalidArgsRegisterNothing(t *testing.T) {
	t.Parallel()
	a := validArgs()
	a.PublicEndpoint = true
	a.Version = "2.0"
	c, _, err := run(t, a)
	var verr *validation.Errors
	if !errors.As(err, &verr) || len(verr.Problems) != 2 {
		t.Fatalf("want both problems at once, got %v", err)
	}
	for _, r := range c.All() {
		if r.Type != "pulumi:pulumi:Stack" {
			t.Errorf("registered %s %s before failing", r.Type, r.Name)
		}
	}
}
