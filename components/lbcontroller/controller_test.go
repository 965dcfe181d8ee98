package lbcontroller

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/mockcloud"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/internal/validation"
	"github.com/eksbalance/eksbalance/plan"
)

const (
	releaseToken    = "kubernetes:helm.sh/v3:Release"
	roleToken       = "aws:iam/role:Role"
	policyToken     = "aws:iam/policy:Policy"
	attachmentToken = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	providerToken   = "pulumi:providers:kubernetes"
)

// run builds the controller from args under mocks, with a Kubernetes provider
// passed the way the platform program passes the cluster's.
func run(t *testing.T, args *Args) *pulumitest.Capture {
	t.Helper()
	return pulumitest.MustRun(t, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{
			Kubeconfig: pulumi.String(mockcloud.Kubeconfig("eksbalance-dev")),
		})
		if err != nil {
			return err
		}
		_, err = NewController(ctx, "lbc", args, pulumi.Providers(k8s))
		return err
	})
}

func release(t *testing.T, c *pulumitest.Capture) plan.Resource {
	t.Helper()
	return c.One(t, releaseToken, "lbc-release")
}

func get(t *testing.T, r plan.Resource, path string) any {
	t.Helper()
	v, ok := r.Get(path)
	if !ok {
		t.Fatalf("%s %s: no %s in inputs %v", r.Type, r.Name, path, r.Inputs)
	}
	return v
}

// number reads a JSON-ish number whatever Go type the capture used.
func number(t *testing.T, v any) float64 {
	t.Helper()
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	}
	t.Fatalf("%v (%T) is not a number", v, v)
	return 0
}

func TestPrintCapture(t *testing.T) {
	if !testing.Verbose() {
		t.Skip("prints the captured registrations; run with -v")
	}
	c := run(t, validArgs())
	b, err := json.MarshalIndent(c.All(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", b)
}

func TestIRSATrust(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  pulumi.StringInput
	}{
		{"url with https", pulumi.String("https://" + testIssuer)},
		{"bare issuer", pulumi.String(testIssuer)},
		{"url as an output", pulumi.String("https://" + testIssuer).ToStringOutput()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			a.OIDCProviderURL = tt.url
			c := run(t, a)
			role := c.One(t, roleToken, "lbc-role")
			doc, ok := get(t, role, "assumeRolePolicy").(string)
			if !ok {
				t.Fatalf("assumeRolePolicy is %T, want a JSON string", get(t, role, "assumeRolePolicy"))
			}
			assertTrust(t, doc, testProviderARN, testIssuer)
			if strings.Contains(doc, "https://") {
				t.Errorf("trust policy keeps the URL scheme: %s", doc)
			}
		})
	}
}

func TestPolicyResourceAndAttachment(t *testing.T) {
	t.Parallel()
	a := validArgs()
	a.Tags = map[string]string{"team": "platform"}
	c := run(t, a)

	pol := c.One(t, policyToken, "lbc-policy")
	want, err := policyDocument(a.Region)
	if err != nil {
		t.Fatal(err)
	}
	if got := pol.String("policy"); got != want {
		t.Errorf("registered policy differs from iam-policy.json rendering:\n got %s\nwant %s", got, want)
	}
	d := parsePolicy(t, pol.String("policy"))
	if len(grants(d, "elasticloadbalancing:ModifyListenerAttributes")) == 0 {
		t.Error("registered policy lacks ModifyListenerAttributes")
	}
	if pol.String("tags.team") != "platform" {
		t.Errorf("policy tags = %v", get(t, pol, "tags"))
	}
	if c.One(t, roleToken, "lbc-role").String("tags.team") != "platform" {
		t.Error("role is not tagged")
	}

	att := c.One(t, attachmentToken, "lbc-policy-attachment")
	if got, want := att.String("role"), "lbc-role"; got != want {
		t.Errorf("attachment role = %q, want %q", got, want)
	}
	if got, want := att.String("policyArn"), "arn:aws:iam::"+mockcloud.Account+":policy/lbc-policy"; got != want {
		t.Errorf("attachment policyArn = %q, want %q", got, want)
	}
}

func TestChartPinned(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		modify            func(*Args)
		version, repo, tg string
	}{
		{"defaults", func(*Args) {}, DefaultChartVersion, DefaultImageRepository, DefaultImageTag},
		{"overridden", func(a *Args) {
			a.ChartVersion = "3.6.0"
			a.Image = Image{Repository: "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon/aws-load-balancer-controller", Tag: "v3.6.0"}
		}, "3.6.0", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon/aws-load-balancer-controller", "v3.6.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			tt.modify(a)
			r := release(t, run(t, a))
			for path, want := range map[string]string{
				"chart":                   "aws-load-balancer-controller",
				"version":                 tt.version,
				"repositoryOpts.repo":     "https://aws.github.io/eks-charts",
				"namespace":               "kube-system",
				"name":                    "aws-load-balancer-controller",
				"values.image.repository": tt.repo,
				"values.image.tag":        tt.tg,
			} {
				if got := r.String(path); got != want {
					t.Errorf("%s = %q, want %q", path, got, want)
				}
			}
			if get(t, r, "atomic") != true || get(t, r, "cleanupOnFail") != true {
				t.Errorf("atomic/cleanupOnFail not set: %v / %v", get(t, r, "atomic"), get(t, r, "cleanupOnFail"))
			}
			if got := number(t, get(t, r, "timeout")); got != 600 {
				t.Errorf("timeout = %v s, want 600", got)
			}
			if v, ok := r.Get("skipAwait"); ok && v == true {
				t.Error("release skips waiting for readiness")
			}
		})
	}
}

func TestChartValues(t *testing.T) {
	t.Parallel()
	c := run(t, validArgs())
	r := release(t, c)

	strs := map[string]string{
		"values.clusterName":         "eksbalance-dev",
		"values.region":              "eu-west-1",
		"values.vpcId":               "vpc-0123456789abcdef0",
		"values.defaultTargetType":   "ip",
		"values.serviceAccount.name": "aws-load-balancer-controller",
		"values.serviceAccount.annotations[eks.amazonaws.com/role-arn]":                             "arn:aws:iam::" + mockcloud.Account + ":role/lbc-role",
		"values.topologySpreadConstraints[0].topologyKey":                                           "topology.kubernetes.io/zone",
		"values.topologySpreadConstraints[0].whenUnsatisfiable":                                     "DoNotSchedule",
		"values.topologySpreadConstraints[0].labelSelector.matchLabels[app.kubernetes.io/name]":     "aws-load-balancer-controller",
		"values.topologySpreadConstraints[0].labelSelector.matchLabels[app.kubernetes.io/instance]": "aws-load-balancer-controller",
		"values.securityContext.capabilities.drop[0]":                                               "ALL",
		"values.podSecurityContext.seccompProfile.type":                                             "RuntimeDefault",
	}
	for path, want := range strs {
		if got := r.String(path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	nums := map[string]float64{
		"values.replicaCount":                         2,
		"values.podDisruptionBudget.maxUnavailable":   1,
		"values.topologySpreadConstraints[0].maxSkew": 1,
	}
	for path, want := range nums {
		if got := number(t, get(t, r, path)); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	bools := map[string]bool{
		"values.serviceAccount.create":                    true,
		"values.enableServiceMutatorWebhook":              false,
		"values.securityContext.runAsNonRoot":             true,
		"values.securityContext.readOnlyRootFilesystem":   true,
		"values.securityContext.allowPrivilegeEscalation": false,
	}
	for path, want := range bools {
		if got := get(t, r, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if n := len(get(t, r, "values.topologySpreadConstraints").([]any)); n != 1 {
		t.Errorf("%d spread constraints, want 1", n)
	}
}

func TestChartValuesFollowArgs(t *testing.T) {
	t.Parallel()
	a := validArgs()
	a.Replicas = 3
	a.DefaultTargetType = TargetTypeInstance
	a.ZoneSpread = ZoneSpreadPreferred
	a.ServiceMutatorWebhook = true
	a.ClusterName = pulumi.String("eksbalance-prod").ToStringOutput()
	a.ExtraValues = map[string]any{
		"resources":           map[string]any{"requests": map[string]any{"cpu": "50m", "memory": "128Mi"}},
		"podDisruptionBudget": map[string]any{"maxUnavailable": 2},
		"serviceAccount":      map[string]any{"annotations": map[string]any{"team": "platform"}},
		"logLevel":            "debug",
	}
	r := release(t, run(t, a))
	for path, want := range map[string]string{
		"values.clusterName":                                    "eksbalance-prod",
		"values.defaultTargetType":                              "instance",
		"values.topologySpreadConstraints[0].whenUnsatisfiable": "ScheduleAnyway",
		"values.resources.requests.cpu":                         "50m",
		"values.logLevel":                                       "debug",
		"values.serviceAccount.annotations[team]":               "platform",
		// Merging a sibling annotation keeps the role annotation and the name.
		"values.serviceAccount.annotations[eks.amazonaws.com/role-arn]": "arn:aws:iam::" + mockcloud.Account + ":role/lbc-role",
		"values.serviceAccount.name":                                    ServiceAccountName,
	} {
		if got := r.String(path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if got := number(t, get(t, r, "values.replicaCount")); got != 3 {
		t.Errorf("replicaCount = %v, want 3", got)
	}
	if got := number(t, get(t, r, "values.podDisruptionBudget.maxUnavailable")); got != 2 {
		t.Errorf("extra values did not win: maxUnavailable = %v, want 2", got)
	}
	if get(t, r, "values.enableServiceMutatorWebhook") != true {
		t.Error("enableServiceMutatorWebhook not passed through")
	}
}

func TestChildrenParentedAndProviderInherited(t *testing.T) {
	t.Parallel()
	c := run(t, validArgs())
	comps := c.ByType(TypeToken)
	if len(comps) != 1 {
		t.Fatalf("%d %s registered, want 1", len(comps), TypeToken)
	}
	comp := comps[0]
	children := 0
	for _, r := range c.All() {
		if r.Type == TypeToken || r.Type == providerToken {
			continue
		}
		children++
		if r.Parent != comp.URN {
			t.Errorf("%s %s: parent %q, want the component %q", r.Type, r.Name, r.Parent, comp.URN)
		}
	}
	// role, policy, attachment, release, two CRD files, two GatewayClasses
	if children != 8 {
		t.Errorf("%d children, want 8 (role, policy, attachment, release, 2 CRD files, 2 GatewayClasses)", children)
	}
	prov := c.One(t, providerToken, "k8s")
	if r := release(t, c); !strings.HasPrefix(r.Provider, prov.URN) {
		t.Errorf("release provider = %q, want the caller's Kubernetes provider %q", r.Provider, prov.URN)
	}
	if dep := release(t, c).DependsOn; len(dep) == 0 || !strings.Contains(strings.Join(dep, " "), "lbc-policy-attachment") {
		t.Errorf("release does not wait for the policy attachment: dependsOn %v", dep)
	}
}

func TestInvalidArgsRegisterNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   *Args
		fields []string
	}{
		{"nil args", nil, []string{"args"}},
		{"missing region and vpc", func() *Args { a := validArgs(); a.Region = ""; a.VpcID = nil; return a }(), []string{"region", "vpcId"}},
		{"old image", func() *Args { a := validArgs(); a.Image.Tag = "v2.4.7"; return a }(), []string{"image.tag"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := pulumitest.Run(t, func(ctx *pulumi.Context) error {
				_, err := NewController(ctx, "lbc", tt.args)
				return err
			})
			if err == nil {
				t.Fatal("program succeeded with invalid args")
			}
			var verr *validation.Errors
			if !errors.As(err, &verr) {
				// The engine may flatten the error; the text still names the fields.
				for _, f := range tt.fields {
					if !strings.Contains(err.Error(), f+":") {
						t.Errorf("error does not name %s: %v", f, err)
					}
				}
			} else {
				for _, f := range tt.fields {
					if !verr.Has(f) {
						t.Errorf("no problem for %s: %v", f, err)
					}
				}
			}
			if n := len(c.All()); n != 0 {
				t.Errorf("%d resources registered before validation failed: %v", n, c.All())
			}
		})
	}
}

func TestSingleReplicaIsAllowed(t *testing.T) {
	t.Parallel()
	a := validArgs()
	a.Replicas = 1
	r := release(t, run(t, a))
	if got := number(t, get(t, r, "values.replicaCount")); got != 1 {
		t.Errorf("replicaCount = %v, want 1", got)
	}
}
