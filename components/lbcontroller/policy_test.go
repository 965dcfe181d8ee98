package lbcontroller

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// statement is one IAM policy statement; Action and Resource may be a string
// or a list in IAM JSON.
type statement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Action    any                       `json:"Action"`
	NotAction any                       `json:"NotAction"`
	Resource  any                       `json:"Resource"`
	Principal map[string]any            `json:"Principal"`
	Condition map[string]map[string]any `json:"Condition"`
}

type document struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

func (s statement) actions() []string { return stringList(s.Action) }

func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// conditionKeys lists every "Operator:key" in a statement's conditions.
func (s statement) conditionKeys() []string {
	var out []string
	for op, kv := range s.Condition {
		for k := range kv {
			out = append(out, op+":"+k)
		}
	}
	sort.Strings(out)
	return out
}

func parsePolicy(t *testing.T, doc string) document {
	t.Helper()
	var d document
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("policy is not valid IAM JSON: %v\n%s", err, doc)
	}
	if d.Version != "2012-10-17" {
		t.Fatalf("Version = %q, want 2012-10-17", d.Version)
	}
	if len(d.Statement) == 0 {
		t.Fatal("policy has no statements")
	}
	return d
}

// grants returns the statements that allow action.
func grants(d document, action string) []statement {
	var out []statement
	for _, s := range d.Statement {
		for _, a := range s.actions() {
			if a == action {
				out = append(out, s)
			}
		}
	}
	return out
}

func TestPolicyHasListenerAttributeActions(t *testing.T) {
	t.Parallel()
	d := parsePolicy(t, policyJSON)
	for _, action := range []string{
		"elasticloadbalancing:ModifyListenerAttributes",
		"elasticloadbalancing:DescribeListenerAttributes",
		// The rest of what an NLB with IP targets and cross-zone needs.
		"elasticloadbalancing:CreateLoadBalancer",
		"elasticloadbalancing:CreateTargetGroup",
		"elasticloadbalancing:ModifyLoadBalancerAttributes",
		"elasticloadbalancing:ModifyTargetGroupAttributes",
		"elasticloadbalancing:RegisterTargets",
		"elasticloadbalancing:DeregisterTargets",
	} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			if len(grants(d, action)) == 0 {
				t.Errorf("policy does not grant %s", action)
			}
		})
	}
}

func TestPolicyHasNoWildcardActions(t *testing.T) {
	t.Parallel()
	d := parsePolicy(t, policyJSON)
	named := regexp.MustCompile(`^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$`)
	sids := map[string]bool{}
	for i, s := range d.Statement {
		if s.Effect != "Allow" {
			t.Errorf("statement %d (%s): Effect %q, want Allow", i, s.Sid, s.Effect)
		}
		if s.NotAction != nil {
			t.Errorf("statement %d (%s): NotAction grants everything else; not allowed", i, s.Sid)
		}
		if s.Sid == "" || sids[s.Sid] {
			t.Errorf("statement %d: Sid %q empty or repeated", i, s.Sid)
		}
		sids[s.Sid] = true
		if len(s.actions()) == 0 {
			t.Errorf("statement %d (%s): no actions", i, s.Sid)
		}
		for _, a := range s.actions() {
			if strings.Contains(a, "*") || !named.MatchString(a) {
				t.Errorf("statement %d (%s): action %q is a wildcard or malformed", i, s.Sid, a)
			}
		}
	}
	// The same check on the raw text catches a wildcard however it is spelled.
	for _, bad := range []string{`"Action": "*"`, `"elasticloadbalancing:*"`, `"ec2:*"`, `"iam:*"`} {
		if strings.Contains(policyJSON, bad) {
			t.Errorf("iam-policy.json contains %s", bad)
		}
	}
}

// tagScoped are the write actions that must only ever touch resources carrying
// the cluster tag: RequestTag for creates (the tag must be set on creation),
// ResourceTag for changes and deletes.
var tagScoped = map[string]string{
	"elasticloadbalancing:CreateLoadBalancer":           "Null:aws:RequestTag/" + ClusterTagKey,
	"elasticloadbalancing:CreateTargetGroup":            "Null:aws:RequestTag/" + ClusterTagKey,
	"elasticloadbalancing:DeleteLoadBalancer":           "Null:aws:ResourceTag/" + ClusterTagKey,
	"elasticloadbalancing:DeleteTargetGroup":            "Null:aws:ResourceTag/" + ClusterTagKey,
	"elasticloadbalancing:ModifyListenerAttributes":     "Null:aws:ResourceTag/" + ClusterTagKey,
	"elasticloadbalancing:ModifyLoadBalancerAttributes": "Null:aws:ResourceTag/" + ClusterTagKey,
	"elasticloadbalancing:ModifyTargetGroupAttributes":  "Null:aws:ResourceTag/" + ClusterTagKey,
	"elasticloadbalancing:ModifyTargetGroup":            "Null:aws:ResourceTag/" + ClusterTagKey,
	"elasticloadbalancing:SetSecurityGroups":            "Null:aws:ResourceTag/" + ClusterTagKey,
	"elasticloadbalancing:SetSubnets":                   "Null:aws:ResourceTag/" + ClusterTagKey,
	"ec2:DeleteSecurityGroup":                           "Null:aws:ResourceTag/" + ClusterTagKey,
	"ec2:DeleteTags":                                    "Null:aws:ResourceTag/" + ClusterTagKey,
}

func TestPolicyWriteActionsCarryClusterTag(t *testing.T) {
	t.Parallel()
	d := parsePolicy(t, policyJSON)
	for action, key := range tagScoped {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			ss := grants(d, action)
			if len(ss) == 0 {
				t.Fatalf("%s not granted at all", action)
			}
			for _, s := range ss {
				if s.Resource == nil {
					t.Errorf("%s (%s): no Resource", action, s.Sid)
				}
				if !containsString(s.conditionKeys(), key) {
					t.Errorf("%s granted by %s without condition %s (has %v)", action, s.Sid, key, s.conditionKeys())
				}
				if v := s.Condition["Null"][strings.TrimPrefix(key, "Null:")]; v != "false" {
					t.Errorf("%s (%s): %s = %v, want \"false\" (tag must be present)", action, s.Sid, key, v)
				}
			}
		})
	}
}

// unscopedCreateDelete are the create/delete actions the published policy
// grants without a cluster-tag condition, and why (see doc.go). The test below
// fails if the policy grows another one or drops one of these.
var unscopedCreateDelete = map[string]string{
	"ec2:CreateSecurityGroup":             "authorised against the VPC too; the tag on create is enforced by the CreateTags statement",
	"elasticloadbalancing:CreateListener": "authorised against the load balancer; listeners are tagged after creation",
	"elasticloadbalancing:CreateRule":     "authorised against the listener; rules are tagged after creation",
	"elasticloadbalancing:DeleteListener": "listeners made by controllers before tag support carry no tag",
	"elasticloadbalancing:DeleteRule":     "rules made by controllers before tag support carry no tag",
	"iam:CreateServiceLinkedRole":         "conditioned on the ELB service name instead",
	"shield:CreateProtection":             "acts on a load balancer ARN; Shield has no tag condition key",
	"shield:DeleteProtection":             "acts on a load balancer ARN; Shield has no tag condition key",
}

func TestPolicyCreateDeleteWithoutTagIsOnlyTheDocumentedSet(t *testing.T) {
	t.Parallel()
	d := parsePolicy(t, policyJSON)
	createDelete := regexp.MustCompile(`:(Create|Delete)`)
	seen := map[string]bool{}
	for _, s := range d.Statement {
		tagged := false
		for _, k := range s.conditionKeys() {
			if strings.HasSuffix(k, "/"+ClusterTagKey) {
				tagged = true
			}
		}
		for _, a := range s.actions() {
			if !createDelete.MatchString(a) || tagged {
				continue
			}
			if _, ok := unscopedCreateDelete[a]; !ok {
				t.Errorf("%s is granted by %s without a %s condition and is not a documented exception", a, s.Sid, ClusterTagKey)
			}
			seen[a] = true
		}
	}
	for a := range unscopedCreateDelete {
		if !seen[a] {
			t.Errorf("documented exception %s is no longer granted without a tag condition; update the list and doc.go", a)
		}
	}
}

func TestPolicyDocumentPartitionAndSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region, partition string
	}{
		{"us-east-1", "aws"},
		{"eu-central-1", "aws"},
		{"us-gov-west-1", "aws-us-gov"},
		{"cn-north-1", "aws-cn"},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			t.Parallel()
			doc, err := policyDocument(tt.region)
			if err != nil {
				t.Fatal(err)
			}
			d := parsePolicy(t, doc)
			if len(d.Statement) != len(parsePolicy(t, policyJSON).Statement) {
				t.Errorf("rendered policy lost statements")
			}
			arns := regexp.MustCompile(`"arn:([a-z-]+):`).FindAllStringSubmatch(doc, -1)
			if len(arns) == 0 {
				t.Fatal("no ARNs in the rendered policy")
			}
			for _, m := range arns {
				if m[1] != tt.partition {
					t.Errorf("ARN partition %q, want %q", m[1], tt.partition)
				}
			}
			// IAM's managed-policy limit is 6,144 characters excluding whitespace.
			if n := len(doc); n > 6144 {
				t.Errorf("compacted policy is %d characters, over IAM's 6144 limit", n)
			}
			if strings.ContainsAny(doc, "\n\t") {
				t.Error("policy is not compacted")
			}
		})
	}
}

func TestTrustPolicy(t *testing.T) {
	t.Parallel()
	const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"
	const arn = "arn:aws:iam::123456789012:oidc-provider/" + issuer
	tests := []struct {
		name, arn, url string
		wantErr        string
	}{
		{name: "with https", arn: arn, url: "https://" + issuer},
		{name: "bare issuer", arn: arn, url: issuer},
		{name: "trailing slash", arn: arn, url: "https://" + issuer + "/"},
		{name: "other issuer", arn: arn, url: "https://oidc.eks.eu-west-1.amazonaws.com/id/OTHER", wantErr: "not the issuer"},
		{name: "http scheme", arn: arn, url: "http://" + issuer, wantErr: "https"},
		{name: "empty url", arn: arn, url: "", wantErr: "empty"},
		{name: "not an oidc arn", arn: "arn:aws:iam::123456789012:role/x", url: issuer, wantErr: "not an IAM OIDC provider ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := trustPolicy(tt.arn, tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertTrust(t, doc, tt.arn, issuer)
		})
	}
}

// assertTrust checks a trust policy admits exactly the controller's service
// account, through exactly the given OIDC provider, with the STS audience.
func assertTrust(t *testing.T, doc, providerARN, issuer string) {
	t.Helper()
	d := parsePolicy(t, doc)
	if len(d.Statement) != 1 {
		t.Fatalf("trust policy has %d statements, want 1", len(d.Statement))
	}
	s := d.Statement[0]
	if s.Effect != "Allow" {
		t.Errorf("Effect = %q", s.Effect)
	}
	if got := s.actions(); len(got) != 1 || got[0] != "sts:AssumeRoleWithWebIdentity" {
		t.Errorf("Action = %v, want [sts:AssumeRoleWithWebIdentity]", got)
	}
	if len(s.Principal) != 1 || s.Principal["Federated"] != providerARN {
		t.Errorf("Principal = %v, want only Federated %s", s.Principal, providerARN)
	}
	if len(s.Condition) != 1 {
		t.Errorf("Condition operators = %v, want only StringEquals", s.Condition)
	}
	want := map[string]any{
		issuer + ":sub": "system:serviceaccount:kube-system:aws-load-balancer-controller",
		issuer + ":aud": "sts.amazonaws.com",
	}
	got := s.Condition["StringEquals"]
	if len(got) != len(want) {
		t.Errorf("StringEquals = %v, want exactly %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("StringEquals[%s] = %v, want %v", k, got[k], v)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
