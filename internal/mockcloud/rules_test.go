package mockcloud

import (
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const (
	clusterURN = "urn:pulumi:test::p::eks:index:Cluster::c"
	roleURN    = "urn:pulumi:test::p::aws:iam/role:Role::r"
)

func ref(urn string) resource.PropertyValue {
	return resource.MakeCustomResourceReference(resource.URN(urn), "id", "")
}

// props builds inputs from plain values; ref values stay as they are.
func props(m map[string]any) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		if pv, ok := v.(resource.PropertyValue); ok {
			out[resource.PropertyKey(k)] = pv
			continue
		}
		out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
	}
	return out
}

var unknown = resource.MakeComputed(resource.NewStringProperty(""))

// Each rule, from a valid registration broken in one way: the broken one is
// refused on the named field with the provider's words, the valid one passes.
func TestRules(t *testing.T) {
	t.Parallel()
	validCluster := func() map[string]any {
		return map[string]any{
			"authenticationMode": "API", "endpointPrivateAccess": true, "endpointPublicAccess": false,
			"publicSubnetIds": []any{"subnet-a"}, "privateSubnetIds": []any{"subnet-b"},
			"accessEntries": map[string]any{}, "skipDefaultNodeGroup": true,
		}
	}
	validMNG := func() map[string]any {
		return map[string]any{
			"cluster": ref(clusterURN), "nodeRole": ref(roleURN), "nodeGroupName": "demo-us-east-1a",
			"subnetIds": []any{"subnet-b"}, "capacityType": "ON_DEMAND",
			"scalingConfig": map[string]any{"minSize": 1, "desiredSize": 1, "maxSize": 3},
		}
	}
	cases := []struct {
		name, typ string
		valid     func() map[string]any
		break_    func(m map[string]any)
		field     string
		says      string
	}{
		// pulumi-eks Cluster
		{"publicAccessCidrs [] with a private endpoint", "eks:index:Cluster", validCluster,
			func(m map[string]any) { m["publicAccessCidrs"] = []any{} }, "publicAccessCidrs", "can only be set when `endpointPublicAccess` is true"},
		{"instanceRole with instanceRoles", "eks:index:Cluster", validCluster,
			func(m map[string]any) {
				m["authenticationMode"] = "API_AND_CONFIG_MAP"
				m["instanceRole"] = ref(roleURN)
				m["instanceRoles"] = []any{ref(roleURN)}
			},
			"instanceRole", "mutually exclusive"},
		{"instanceRole with unknown instanceRoles", "eks:index:Cluster", validCluster,
			func(m map[string]any) { m["instanceRole"] = ref(roleURN); m["instanceRoles"] = unknown }, "instanceRole", "mutually exclusive"},
		{"subnetIds with privateSubnetIds", "eks:index:Cluster", validCluster,
			func(m map[string]any) { m["subnetIds"] = []any{"subnet-c"} }, "subnetIds", "mutually exclusive"},
		{"nodeGroupOptions with minSize", "eks:index:Cluster", validCluster,
			func(m map[string]any) { m["nodeGroupOptions"] = map[string]any{}; m["minSize"] = 2 }, "nodeGroupOptions", "minSize"},
		{"unknown authentication mode", "eks:index:Cluster", validCluster,
			func(m map[string]any) { m["authenticationMode"] = "IAM" }, "authenticationMode", "Invalid value for authenticationMode: IAM"},
		{"roleMappings with API", "eks:index:Cluster", validCluster,
			func(m map[string]any) { m["roleMappings"] = []any{map[string]any{"roleArn": "x"}} }, "roleMappings",
			"The 'roleMappings' property is not supported when 'authenticationMode' is set to 'API'."},
		// validateAuthenticationMode refuses any defined roleMappings and
		// userMappings (checkDefined: pv !== undefined), even empty ones; only
		// instanceRoles may be empty.
		{"empty userMappings with API", "eks:index:Cluster", validCluster,
			func(m map[string]any) { m["userMappings"] = []any{} }, "userMappings",
			"The 'userMappings' property is not supported when 'authenticationMode' is set to 'API'."},
		{"instanceRoles with API", "eks:index:Cluster", func() map[string]any {
			m := validCluster()
			m["instanceRoles"] = []any{} // empty: allowed
			return m
		}, func(m map[string]any) { m["instanceRoles"] = []any{ref(roleURN)} }, "instanceRoles",
			"The 'instanceRoles' property does not support non-empty values when 'authenticationMode' is set to 'API'."},
		{"accessEntries without API (even empty)", "eks:index:Cluster", validCluster,
			func(m map[string]any) { delete(m, "authenticationMode") }, "accessEntries", "is not set"},
		{"Auto Mode with the aws-auth ConfigMap", "eks:index:Cluster", validCluster,
			func(m map[string]any) {
				m["authenticationMode"] = "CONFIG_MAP"
				delete(m, "accessEntries")
				m["autoMode"] = map[string]any{"enabled": true}
			}, "autoMode.enabled", "Access entries are required"},
		// pulumi-eks ManagedNodeGroup
		{"no role", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) { delete(m, "nodeRole") }, "nodeRole", "must be provided"},
		{"nodeRole and nodeRoleArn", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) { m["nodeRoleArn"] = "arn:aws:iam::123456789012:role/r" }, "nodeRole", "cannot specify both nodeRole and nodeRoleArn"},
		{"amiId with amiType", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) { m["amiId"] = "ami-1"; m["amiType"] = "AL2023_x86_64_STANDARD" }, "amiId", "both amiId and amiType"},
		{"launchTemplate with kubeletExtraArgs", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) {
				m["launchTemplate"] = map[string]any{"id": "lt-1", "version": "1"}
				m["kubeletExtraArgs"] = "--max-pods=20"
			}, "launchTemplate", "kubeletExtraArgs"},
		{"userData with bootstrapExtraArgs", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) { m["userData"] = "#!/bin/sh"; m["bootstrapExtraArgs"] = "--x" }, "userData", "bootstrapExtraArgs"},
		{"EFA without a placement zone", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) { m["enableEfaSupport"] = true }, "enableEfaSupport", "placementGroupAvailabilityZone"},
		{"role not in the ConfigMap cluster's instanceRoles", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) { m["cluster"] = ref("urn:pulumi:test::p::eks:index:Cluster::configmap") }, "nodeRole", "instanceRoles"},
		// aws_eks_node_group, through the component and directly
		{"node group name over 63", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) { m["nodeGroupName"] = strings.Repeat("n", 64) }, "nodeGroupName", "at most 63"},
		{"name and prefix", "aws:eks/nodeGroup:NodeGroup", validMNG,
			func(m map[string]any) { m["nodeGroupNamePrefix"] = "demo-" }, "nodeGroupName", "conflicts"},
		{"max size 0", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) {
				m["scalingConfig"] = map[string]any{"minSize": 0, "desiredSize": 0, "maxSize": 0}
			}, "scalingConfig.maxSize", "at least (1)"},
		{"capacity type", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) { m["capacityType"] = "RESERVED" }, "capacityType", "ON_DEMAND, SPOT, CAPACITY_BLOCK"},
		{"Kubernetes taint effect", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) { m["taints"] = []any{map[string]any{"key": "k", "effect": "NoSchedule"}} }, "taints[0].effect", "NO_SCHEDULE"},
		{"both update limits", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) {
				m["updateConfig"] = map[string]any{"maxUnavailable": 1, "maxUnavailablePercentage": 10}
			}, "updateConfig", "exactly one"},
		{"no subnets", "eks:index:ManagedNodeGroup", validMNG,
			func(m map[string]any) { m["subnetIds"] = []any{} }, "subnetIds", "1 item minimum"},
		// other pulumi-aws schemas
		{"access entry type", "aws:eks/accessEntry:AccessEntry",
			func() map[string]any {
				return map[string]any{"clusterName": "demo", "principalArn": "arn:aws:iam::123456789012:role/r", "type": "EC2_LINUX"}
			},
			func(m map[string]any) { m["type"] = "NODE" }, "type", "STANDARD"},
		{"access entry principal", "aws:eks/accessEntry:AccessEntry",
			func() map[string]any {
				return map[string]any{"clusterName": "demo", "principalArn": "arn:aws:iam::123456789012:role/r"}
			},
			func(m map[string]any) { m["principalArn"] = "role/r" }, "principalArn", "not a valid ARN"},
		{"access entry cluster name", "aws:eks/accessEntry:AccessEntry",
			func() map[string]any {
				return map[string]any{"clusterName": "demo", "principalArn": "arn:aws:iam::123456789012:role/r"}
			},
			func(m map[string]any) { m["clusterName"] = "-demo" }, "clusterName", "1-100 characters"},
		{"role name over 64", "aws:iam/role:Role",
			func() map[string]any { return map[string]any{"name": "nodes", "assumeRolePolicy": "{}"} },
			func(m map[string]any) { m["name"] = strings.Repeat("r", 65) }, "name", "at most 64"},
		{"role name and prefix", "aws:iam/role:Role",
			func() map[string]any { return map[string]any{"name": "nodes", "assumeRolePolicy": "{}"} },
			func(m map[string]any) { m["namePrefix"] = "nodes-" }, "name", "conflicts"},
		{"policy ARN", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
			func() map[string]any {
				return map[string]any{"role": "r", "policyArn": "arn:aws-cn:iam::aws:policy/AmazonEKS_CNI_Policy"}
			},
			func(m map[string]any) { m["policyArn"] = "AmazonEKS_CNI_Policy" }, "policyArn", "not a valid ARN"},
		{"KMS deletion window", "aws:kms/key:Key",
			func() map[string]any { return map[string]any{"deletionWindowInDays": 30} },
			func(m map[string]any) { m["deletionWindowInDays"] = 31 }, "deletionWindowInDays", "(7 - 30)"},
	}
	lookup := func(urn string) (string, resource.PropertyMap, bool) {
		switch urn {
		case clusterURN:
			return "eks:index:Cluster", props(map[string]any{"authenticationMode": "API"}), true
		case "urn:pulumi:test::p::eks:index:Cluster::configmap":
			return "eks:index:Cluster", props(map[string]any{"instanceRoles": []any{ref("urn:pulumi:test::p::aws:iam/role:Role::other")}}), true
		}
		return "", nil, false
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := Check(tc.typ, "x", props(tc.valid()), lookup); err != nil {
				t.Fatalf("valid inputs refused: %v", err)
			}
			m := tc.valid()
			tc.break_(m)
			err := Check(tc.typ, "x", props(m), lookup)
			var rej *Rejection
			if !errors.As(err, &rej) || !rej.Has(tc.field) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("want a rejection on %s saying %q, got %v", tc.field, tc.says, err)
			}
			if !strings.Contains(err.Error(), "[pulumi-eks v3.9.0") && !strings.Contains(err.Error(), "[terraform-provider-aws v5") {
				t.Errorf("rejection does not name its source: %v", err)
			}
		})
	}
}

// pulumi-eks checks publicAccessCidrs against endpointPublicAccess inside an
// apply: an unknown value on either side, or the default (public), passes.
func TestPublicAccessCIDRsNeedKnownPrivateEndpoint(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]map[string]any{
		"public endpoint":           {"endpointPublicAccess": true, "publicAccessCidrs": []any{"198.51.100.0/24"}},
		"default (public) endpoint": {"publicAccessCidrs": []any{}},
		"unknown CIDRs":             {"endpointPublicAccess": false, "publicAccessCidrs": unknown},
		"unknown endpoint":          {"endpointPublicAccess": unknown, "publicAccessCidrs": []any{}},
		"absent CIDRs":              {"endpointPublicAccess": false},
	} {
		if err := Check("eks:index:Cluster", name, props(in), nil); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
	secret := resource.MakeSecret(resource.NewArrayProperty(nil))
	if err := Check("eks:index:Cluster", "secret", props(map[string]any{"endpointPublicAccess": false, "publicAccessCidrs": secret}), nil); err == nil {
		t.Error("a secret empty list is still a list: want the rejection")
	}
}

// Every problem of one registration comes back at once.
func TestRejectionListsEveryProblem(t *testing.T) {
	t.Parallel()
	err := Check("eks:index:ManagedNodeGroup", "g", props(map[string]any{
		"nodeRole": ref(roleURN), "nodeRoleArn": "arn:aws:iam::123456789012:role/r",
		"capacityType": "RESERVED", "nodeGroupName": strings.Repeat("n", 70),
	}), nil)
	var rej *Rejection
	if !errors.As(err, &rej) || len(rej.Problems) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
}
