// Package mockcloud answers for AWS and Kubernetes when nothing real is there: the
// outputs a registered resource would get, the children a remote component hands
// back (Children), the results of the few invokes the toolkit's programs make
// (Cloud: region, partition, zones, caller) and the input combinations the pinned
// providers refuse (Check). The offline plan's in-process engine (plan.Engine)
// serves it, and the component tests run against that engine too
// (internal/pulumitest), so a program sees the same mocked cloud in both, and
// fails in both where `pulumi up` would.
package mockcloud

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Account and Region are the identity every mocked ARN uses.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// DefaultZones are the availability zones the mocked getAvailabilityZones returns
// when the region is not one of ZonesByRegion.
var DefaultZones = []string{"a", "b", "c", "d", "e", "f"}

// ID is the physical ID a mocked resource gets: stable, derived from its name.
func ID(name string) string { return name + "-id" }

// Outputs returns the ID and outputs of a newly registered resource: its inputs
// echoed back, plus the attributes AWS or Kubernetes would assign that the
// toolkit reads (ARNs, IDs, names, kubeconfig, OIDC provider).
func Outputs(typeToken, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	out := inputs.Copy()
	set := func(k string, v any) {
		if _, ok := out[resource.PropertyKey(k)]; !ok {
			out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	id := ID(name)
	pkg, module, typ := splitToken(typeToken)
	if pkg == "aws" {
		set("arn", fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", strings.SplitN(module, "/", 2)[0], Region, Account, lowerFirst(typ), name))
		set("id", id)
	}
	switch typeToken {
	case "aws:ec2/vpc:Vpc":
		set("defaultSecurityGroupId", name+"-sg")
	case "aws:iam/role:Role":
		set("name", name)
		out["arn"] = resource.NewPropertyValue(fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, name))
	case "aws:iam/policy:Policy":
		out["arn"] = resource.NewPropertyValue(fmt.Sprintf("arn:aws:iam::%s:policy/%s", Account, name))
	case "aws:lb/loadBalancer:LoadBalancer":
		set("dnsName", name+"-0123456789.elb."+Region+".amazonaws.com")
		set("arnSuffix", "net/"+name+"/0123456789")
	case "aws:lb/targetGroup:TargetGroup":
		set("arnSuffix", "targetgroup/"+name+"/0123456789")
	case "eks:index:Cluster":
		clusterName := name
		if v, ok := inputs["name"]; ok && v.IsString() {
			clusterName = v.StringValue()
		}
		kubeconfig := Kubeconfig(clusterName)
		var kc map[string]any
		_ = json.Unmarshal([]byte(kubeconfig), &kc)
		set("kubeconfig", kc)
		set("kubeconfigJson", kubeconfig)
		issuer := fmt.Sprintf("oidc.eks.%s.amazonaws.com/id/%s", Region, strings.ToUpper(strings.ReplaceAll(clusterName, "-", "")))
		set("oidcIssuer", issuer)
		set("oidcProviderUrl", issuer)
		set("oidcProviderArn", fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", Account, issuer))
		set("clusterSecurityGroupId", clusterName+"-cluster-sg")
		set("nodeSecurityGroupId", clusterName+"-node-sg")
	}
	return id, out
}

// Kubeconfig is the kubeconfig (as JSON) of a mocked cluster: it points at an
// address that is never dialled.
func Kubeconfig(clusterName string) string {
	kc := map[string]any{
		"apiVersion":      "v1",
		"kind":            "Config",
		"current-context": "aws",
		"clusters": []any{map[string]any{"name": "kubernetes", "cluster": map[string]any{
			"server": "https://" + clusterName + ".mock.eks.invalid", "certificate-authority-data": "bW9jaw=="}}},
		"contexts": []any{map[string]any{"name": "aws", "context": map[string]any{"cluster": "kubernetes", "user": "aws"}}},
		"users":    []any{map[string]any{"name": "aws", "user": map[string]any{"token": "mock"}}},
	}
	b, _ := json.Marshal(kc)
	return string(b)
}

// Invoke answers a function call (data source) by its token in the default
// mocked region (Cloud{}.Invoke).
func Invoke(token string, args resource.PropertyMap) resource.PropertyMap {
	return Cloud{}.Invoke(token, args)
}

func splitToken(tok string) (pkg, module, typ string) {
	parts := strings.SplitN(tok, ":", 3)
	if len(parts) != 3 {
		return tok, "", ""
	}
	return parts[0], parts[1], parts[2]
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
