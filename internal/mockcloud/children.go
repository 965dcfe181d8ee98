package mockcloud

import (
	"crypto/sha256"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Child is a resource that a remote component creates inside its provider and
// hands back to the program as a resource reference in one of its outputs:
// pulumi-eks' ManagedNodeGroup returns its aws:eks/nodeGroup:NodeGroup as
// "nodeGroup", whose resources[0].autoscalingGroups[0].name is how EKS
// documents finding a managed node group's Auto Scaling group. The program
// reads the child's outputs through the engine (pulumi:pulumi:getResource), so
// whatever stands in for the engine must know the child's state.
type Child struct {
	// Output is the component output that references the child.
	Output string
	// Type, Name and ID identify the child (its parent is the component).
	Type, Name, ID string
	// State is what the engine answers for the child's outputs.
	State resource.PropertyMap
}

// Children returns the children of a remote component that its outputs
// reference, with mocked state; nil for every other type.
func Children(typeToken, name string, inputs resource.PropertyMap) []Child {
	switch typeToken {
	case "eks:index:ManagedNodeGroup":
		return []Child{managedNodeGroupChild(name, inputs)}
	}
	return nil
}

// managedNodeGroupChild is the aws:eks/nodeGroup:NodeGroup that pulumi-eks
// creates with the component's own name (nodejs/eks/nodegroup.ts,
// createManagedNodeGroup: new aws.eks.NodeGroup(name, ...)). EKS names the node
// group's Auto Scaling group eks-<node group name>-<node group UUID>.
func managedNodeGroupChild(name string, inputs resource.PropertyMap) Child {
	groupName := name
	if v, ok := inputs["nodeGroupName"]; ok && v.IsString() && v.StringValue() != "" {
		groupName = v.StringValue()
	}
	state := resource.PropertyMap{}
	for k, v := range inputs {
		// Inputs the component consumes itself (the cluster and role are
		// references in, a cluster name and role ARN out).
		switch k {
		case "cluster", "nodeRole", "ignoreScalingChanges", "operatingSystem", "kubeletExtraArgs",
			"bootstrapExtraArgs", "nodeadmExtraOptions", "bottlerocketSettings", "enableIMDSv2", "gpu":
			continue
		}
		state[k] = v
	}
	id := uuidFrom(name)
	asg := fmt.Sprintf("eks-%s-%s", groupName, id)
	state["nodeGroupName"] = resource.NewPropertyValue(groupName)
	state["id"] = resource.NewPropertyValue(groupName)
	state["status"] = resource.NewPropertyValue("ACTIVE")
	state["arn"] = resource.NewPropertyValue(fmt.Sprintf("arn:aws:eks:%s:%s:nodegroup/cluster/%s/%s", Region, Account, groupName, id))
	state["resources"] = resource.NewPropertyValue([]any{map[string]any{
		"autoscalingGroups":           []any{map[string]any{"name": asg}},
		"remoteAccessSecurityGroupId": "",
	}})
	return Child{Output: "nodeGroup", Type: "aws:eks/nodeGroup:NodeGroup", Name: name, ID: groupName, State: state}
}

// AutoScalingGroupName is the name the mocked cloud gives the Auto Scaling
// group of the managed node group component named name with node group name
// groupName (tests compare against it).
func AutoScalingGroupName(name, groupName string) string {
	return fmt.Sprintf("eks-%s-%s", groupName, uuidFrom(name))
}

// uuidFrom is a stable UUID-shaped identifier derived from name.
func uuidFrom(name string) string {
	s := sha256.Sum256([]byte(name))
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}
