package lbcontroller

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/validation"
)

const (
	testIssuer      = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"
	testProviderARN = "arn:aws:iam::123456789012:oidc-provider/" + testIssuer
)

// validArgs is the valid default every validation case breaks one field of.
func validArgs() *Args {
	return &Args{
		ClusterName:     pulumi.String("eksbalance-dev"),
		Region:          "eu-west-1",
		VpcID:           pulumi.String("vpc-0123456789abcdef0"),
		OIDCProviderARN: pulumi.String(testProviderARN),
		OIDCProviderURL: pulumi.String("https://" + testIssuer),
	}
}

func problems(t *testing.T, err error) *validation.Errors {
	t.Helper()
	var verr *validation.Errors
	if !errors.As(err, &verr) {
		t.Fatalf("error %v (%T) is not *validation.Errors", err, err)
	}
	return verr
}

func TestValidateAcceptsValidArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*Args)
	}{
		{"defaults", func(*Args) {}},
		{"url without scheme", func(a *Args) { a.OIDCProviderURL = pulumi.String(testIssuer) }},
		{"one replica", func(a *Args) { a.Replicas = 1 }},
		{"instance targets", func(a *Args) { a.DefaultTargetType = TargetTypeInstance }},
		{"preferred spread", func(a *Args) { a.ZoneSpread = ZoneSpreadPreferred }},
		{"gov region", func(a *Args) { a.Region = "us-gov-west-1" }},
		{"minimum image without gateways", func(a *Args) {
			a.Image.Tag, a.ChartVersion, a.GatewayAPI.Disabled = "v2.9.0", "1.9.0", true
		}},
		{"minimum gateway image", func(a *Args) { a.Image.Tag = MinGatewayImageVersion }},
		{"gateway CRDs managed elsewhere", func(a *Args) { a.GatewayAPI.ExistingCRDs = true; a.GatewayAPI.Version = "ignored" }},
		{"own class names", func(a *Args) { a.GatewayAPI.ALBClassName, a.GatewayAPI.NLBClassName = "edge.alb", "edge.nlb" }},
		{"gate override in extra values", func(a *Args) {
			a.ExtraValues = map[string]any{"controllerConfig": map[string]any{"featureGates": map[string]any{"EndpointsFailOpen": false}}}
		}},
		{"mirror repository with port", func(a *Args) { a.Image.Repository = "registry.internal:5000/eks/aws-load-balancer-controller" }},
		{"outputs are not format-checked", func(a *Args) {
			a.ClusterName = pulumi.String("not a name!").ToStringOutput()
			a.VpcID = pulumi.String("x").ToStringOutput()
			a.OIDCProviderARN = pulumi.String("x").ToStringOutput()
			a.OIDCProviderURL = pulumi.String("x").ToStringOutput()
		}},
		{"unowned extra values", func(a *Args) {
			a.ExtraValues = map[string]any{
				"resources":      map[string]any{"requests": map[string]any{"cpu": "50m"}},
				"serviceAccount": map[string]any{"annotations": map[string]any{"team": "platform"}},
				"image":          map[string]any{"pullPolicy": "Always"},
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			tt.modify(a)
			if err := a.Validate(); err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestValidateRejectsOneBrokenField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*Args)
		field  string
		rule   string // a fragment of the reason
	}{
		{"missing cluster name", func(a *Args) { a.ClusterName = nil }, "clusterName", "required"},
		{"bad cluster name", func(a *Args) { a.ClusterName = pulumi.String("-dev cluster") }, "clusterName", "letters"},
		{"missing region", func(a *Args) { a.Region = "" }, "region", "required"},
		{"region is an AZ", func(a *Args) { a.Region = "eu-west-1a" }, "region", "AWS region"},
		{"region upper case", func(a *Args) { a.Region = "EU-WEST-1" }, "region", "AWS region"},
		{"missing vpc", func(a *Args) { a.VpcID = nil }, "vpcId", "required"},
		{"subnet for vpc", func(a *Args) { a.VpcID = pulumi.String("subnet-0123456789abcdef0") }, "vpcId", "VPC ID"},
		{"missing oidc arn", func(a *Args) { a.OIDCProviderARN = nil }, "oidcProviderArn", "required"},
		{"role arn for oidc arn", func(a *Args) { a.OIDCProviderARN = pulumi.String("arn:aws:iam::123456789012:role/x") }, "oidcProviderArn", "OIDC provider ARN"},
		{"missing oidc url", func(a *Args) { a.OIDCProviderURL = nil }, "oidcProviderUrl", "required"},
		{"empty oidc url", func(a *Args) { a.OIDCProviderURL = pulumi.String("https://") }, "oidcProviderUrl", "empty"},
		{"http oidc url", func(a *Args) { a.OIDCProviderURL = pulumi.String("http://" + testIssuer) }, "oidcProviderUrl", "https"},
		{"url of another cluster", func(a *Args) {
			a.OIDCProviderURL = pulumi.String("https://oidc.eks.eu-west-1.amazonaws.com/id/OTHER")
		}, "oidcProviderUrl", "issuer of oidcProviderArn"},
		{"chart version with v", func(a *Args) { a.ChartVersion = "v1.13.3" }, "chartVersion", "semantic version"},
		{"chart version range", func(a *Args) { a.ChartVersion = "1.13.x" }, "chartVersion", "semantic version"},
		{"blank repository", func(a *Args) { a.Image.Repository = "  " }, "image.repository", "blank"},
		{"tag in repository", func(a *Args) {
			a.Image.Repository = "public.ecr.aws/eks/aws-load-balancer-controller:v2.13.3"
		}, "image.repository", "without tag"},
		{"digest in repository", func(a *Args) {
			a.Image.Repository = "public.ecr.aws/eks/aws-load-balancer-controller@sha256:abc"
		}, "image.repository", "without tag"},
		{"latest tag", func(a *Args) { a.Image.Tag = "latest" }, "image.tag", "semantic version"},
		{"too old for listener attributes", func(a *Args) { a.Image.Tag, a.GatewayAPI.Disabled = "v2.8.3", true }, "image.tag", "v2.9.0 or later"},
		{"too old for gateways", func(a *Args) { a.Image.Tag = "v2.14.0" }, "image.tag", "v3.5.0 or later while gatewayApi is enabled"},
		{"gateway api too old", func(a *Args) { a.GatewayAPI.Version = "v1.5.1" }, "gatewayApi.version", "v1.6.0 or later"},
		{"gateway api not a version", func(a *Args) { a.GatewayAPI.Version = "latest" }, "gatewayApi.version", "Gateway API release"},
		{"class name upper case", func(a *Args) { a.GatewayAPI.ALBClassName = "AWS-ALB" }, "gatewayApi.albClassName", "DNS subdomain"},
		{"one class for both", func(a *Args) { a.GatewayAPI.NLBClassName = "aws-alb" }, "gatewayApi.nlbClassName", "must differ"},
		{"extra values turn gateways off", func(a *Args) {
			a.ExtraValues = map[string]any{"controllerConfig": map[string]any{"featureGates": map[string]any{"NLBGatewayAPI": false}}}
		}, "extraValues.controllerConfig.featureGates.NLBGatewayAPI", "set by the component"},
		{"negative replicas", func(a *Args) { a.Replicas = -1 }, "replicas", "at least 1"},
		{"unknown target type", func(a *Args) { a.DefaultTargetType = "pod" }, "defaultTargetType", `"ip" or "instance"`},
		{"unknown zone spread", func(a *Args) { a.ZoneSpread = "Always" }, "zoneSpread", "DoNotSchedule"},
		{"timeout too short", func(a *Args) { a.Timeout = 30 * time.Second }, "timeout", "at least 1m"},
		{"fractional timeout", func(a *Args) { a.Timeout = 90*time.Second + time.Millisecond }, "timeout", "whole seconds"},
		{"extra values override cluster", func(a *Args) {
			a.ExtraValues = map[string]any{"clusterName": "other"}
		}, "extraValues.clusterName", "set by the component"},
		{"extra values rename service account", func(a *Args) {
			a.ExtraValues = map[string]any{"serviceAccount": map[string]any{"name": "lbc"}}
		}, "extraValues.serviceAccount.name", "set by the component"},
		{"extra values replace role", func(a *Args) {
			a.ExtraValues = map[string]any{"serviceAccount": map[string]any{
				"annotations": map[string]any{"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/admin"}}}
		}, "extraValues.serviceAccount.annotations.eks.amazonaws.com/role-arn", "set by the component"},
		{"extra values image", func(a *Args) {
			a.ExtraValues = map[string]any{"image": map[string]any{"tag": "v2.14.0"}}
		}, "extraValues.image.tag", "set by the component"},
		{"empty tag key", func(a *Args) { a.Tags = map[string]string{"": "x"} }, "tags", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			tt.modify(a)
			err := a.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want a problem with %s", tt.field)
			}
			verr := problems(t, err)
			if !verr.Has(tt.field) {
				t.Fatalf("problems on %v, want %s\n%v", verr.Fields(), tt.field, err)
			}
			if len(verr.Problems) != 1 {
				t.Errorf("breaking one field gave %d problems: %v", len(verr.Problems), err)
			}
			if !strings.Contains(verr.Problems[0].Rule, tt.rule) {
				t.Errorf("rule %q does not say %q", verr.Problems[0].Rule, tt.rule)
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	a := &Args{
		Region:   "Frankfurt",
		Replicas: -2,
		Image:    Image{Tag: "v1"},
	}
	verr := problems(t, a.Validate())
	want := []string{"clusterName", "region", "vpcId", "oidcProviderArn", "oidcProviderUrl", "image.tag", "replicas"}
	for _, f := range want {
		if !verr.Has(f) {
			t.Errorf("missing problem for %s; got %v", f, verr.Fields())
		}
	}
	if len(verr.Problems) != len(want) {
		t.Errorf("got %d problems %v, want %d", len(verr.Problems), verr.Fields(), len(want))
	}
	msg := verr.Error()
	for _, s := range []string{"region: Frankfurt:", "replicas: -2:"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message does not name field and value %q:\n%s", s, msg)
		}
	}
}

func TestValidateNilArgs(t *testing.T) {
	t.Parallel()
	var a *Args
	if !problems(t, a.Validate()).Has("args") {
		t.Fatal("nil args not reported")
	}
}

func TestValidateDoesNotChangeArgs(t *testing.T) {
	t.Parallel()
	a := validArgs()
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.ChartVersion != "" || a.Replicas != 0 || a.Image.Tag != "" {
		t.Errorf("Validate filled defaults into the caller's Args: %+v", a)
	}
}

func TestSemverLess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		less bool
	}{
		{"v2.8.9", "v2.9.0", true},
		{"v2.9.0", "v2.9.0", false},
		{"v2.10.0", "v2.9.0", false},
		{"2.13.3", "v2.9.0", false},
		{"v1.99.99", "v2.0.0", true},
		{"v3.0.0", "v2.9.0", false},
	}
	for _, tt := range tests {
		if got := semverLess(tt.a, tt.b); got != tt.less {
			t.Errorf("semverLess(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.less)
		}
	}
}
