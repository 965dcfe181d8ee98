package cluster

import (
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-eks/sdk/v3/go/eks"
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

// A private endpoint sends no publicAccessCidrs at all: pulumi-eks refuses the
// input next to endpointPublicAccess false, even as an empty list, which is
// what pulumi.ToStringArray(nil) sends.
func TestPrivateEndpointSendsNoPublicAccessCIDRs(t *testing.T) {
	t.Parallel()
	c, _, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	r := c.One(t, eksType, "demo")
	if v, ok := r.Inputs["publicAccessCidrs"]; ok {
		t.Errorf("private endpoint registered publicAccessCidrs = %v", v)
	}
	// The failing side: the inputs this component sent before, to the same
	// mocked cloud, fail the way `pulumi preview` did.
	_, err = pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := eks.NewCluster(ctx, "old", &eks.ClusterArgs{
			EndpointPrivateAccess: pulumi.Bool(true),
			EndpointPublicAccess:  pulumi.Bool(false),
			PublicAccessCidrs:     pulumi.ToStringArray(nil),
		})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "`publicAccessCidrs` can only be set when `endpointPublicAccess` is true") {
		t.Fatalf("want pulumi-eks' publicAccessCidrs error, got %v", err)
	}
}

// The admin access policy's ARN is in the cluster's partition.
func TestAdminPolicyFollowsPartition(t *testing.T) {
	t.Parallel()
	for region, partition := range map[string]string{"us-east-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov"} {
		a := validArgs()
		a.AdminPrincipalARNs = []string{"arn:" + partition + ":iam::123456789012:role/platform-admin"}
		c, err := pulumitest.Run(t, func(ctx *pulumi.Context) error {
			_, err := NewCluster(ctx, "demo", &a)
			return err
		}, pulumitest.WithConfig(map[string]string{"aws:region": region}))
		if err != nil {
			t.Fatalf("%s: %v", region, err)
		}
		want := "arn:" + partition + ":eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
		if got := c.One(t, eksType, "demo").String("accessEntries.admin-0.accessPolicies.cluster-admin.policyArn"); got != want {
			t.Errorf("%s: admin policy %q, want %q", region, got, want)
		}
	}
}

// EKS gives the principal that creates the cluster its own admin entry
// (pulumi-eks sets bootstrapClusterCreatorAdminPermissions): a second entry
// for it fails with 409, so the component refuses it before creating anything.
func TestAdminEntryForDeployerRejected(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, caller string
		admins       []string
		refused      string // field, "" when accepted
	}{
		{"assumed role, role with a path", "arn:aws:sts::123456789012:assumed-role/deployer/ci-42",
			[]string{"arn:aws:iam::123456789012:role/viewer", "arn:aws:iam::123456789012:role/teams/platform/deployer"}, "adminPrincipalArns[1]"},
		{"IAM user", "arn:aws:iam::123456789012:user/alice", []string{"arn:aws:iam::123456789012:user/alice"}, "adminPrincipalArns[0]"},
		{"other role of the same name in another account", "arn:aws:sts::210987654321:assumed-role/deployer/ci-42",
			[]string{"arn:aws:iam::123456789012:role/deployer"}, ""},
		{"another principal", "arn:aws:sts::123456789012:assumed-role/release/ci-42", []string{"arn:aws:iam::123456789012:role/deployer"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			a.AdminPrincipalARNs = tc.admins
			c, err := pulumitest.Run(t, func(ctx *pulumi.Context) error {
				_, err := NewCluster(ctx, "demo", &a)
				return err
			}, pulumitest.WithCaller(tc.caller))
			if tc.refused == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var verr *validation.Errors
			if !errors.As(err, &verr) || !verr.Has(tc.refused) || len(verr.Problems) != 1 {
				t.Fatalf("want one problem on %s, got %v", tc.refused, err)
			}
			if !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), tc.caller) {
				t.Errorf("message does not say why: %v", err)
			}
			if n := len(c.ByType(eksType)) + len(c.ByType("aws:kms/key:Key")); n != 0 {
				t.Errorf("created %d resources before refusing", n)
			}
		})
	}
}

// What is checkable offline, without asking who deploys.
func TestAdminPrincipalsOffline(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		admins []string
		field  string
		rule   string
	}{
		{"the same role twice, once with its path", []string{"arn:aws:iam::123456789012:role/ops/admin", "arn:aws:iam::123456789012:role/admin"},
			"adminPrincipalArns[1]", "same role admin in account 123456789012 as adminPrincipalArns[0]"},
		{"a session instead of its role", []string{"arn:aws:sts::123456789012:assumed-role/admin/alice"},
			"adminPrincipalArns[0]", "arn:aws:iam::123456789012:role/admin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			a.AdminPrincipalARNs = tc.admins
			a.SetDefaults("demo")
			var verr *validation.Errors
			if err := a.Validate(); !errors.As(err, &verr) || !verr.Has(tc.field) || !strings.Contains(err.Error(), tc.rule) {
				t.Fatalf("want %q on %s, got %v", tc.rule, tc.field, err)
			}
		})
	}
	a := validArgs()
	a.AdminPrincipalARNs = []string{"arn:aws:iam::123456789012:role/admin", "arn:aws:iam::123456789012:user/admin"}
	a.SetDefaults("demo")
	if err := a.Validate(); err != nil {
		t.Errorf("a role and a user of the same name are two principals: %v", err)
	}
}
