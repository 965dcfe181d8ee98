package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// stackReferenceType is the resource pulumi.NewStackReference reads.
const stackReferenceType = "pulumi:pulumi:StackReference"

// stackReference answers a pulumi.NewStackReference read: the referenced
// stack's outputs from Options.StackOutputs (each becomes a known value; the
// program reads it as if the stack had exported it), or none. With none, every
// output the program reads is unknown, which is what a preview shows for a
// stack not deployed yet; the plan warns, since resources built from those
// outputs are planned with unknown inputs.
func (m *monitor) stackReference(id string, inputs resource.PropertyMap) resource.PropertyMap {
	name := id
	if v, ok := inputs["name"]; ok && v.IsString() && v.StringValue() != "" {
		name = v.StringValue()
	}
	outs, ok := m.stackOutputs[name]
	if !ok {
		known := make([]string, 0, len(m.stackOutputs))
		for k := range m.stackOutputs {
			known = append(known, k)
		}
		sort.Strings(known)
		hint := "pass --stack-outputs FILE or --stack-output " + name + ":KEY=VALUE"
		if len(known) > 0 {
			hint += fmt.Sprintf(" (outputs were given for %s)", strings.Join(known, ", "))
		}
		m.mu.Lock()
		m.addWarning(fmt.Sprintf("stack reference %q: no mocked outputs, so every output the program reads from it is unknown offline; %s", name, hint))
		m.mu.Unlock()
	}
	return resource.PropertyMap{
		"name":              resource.NewStringProperty(name),
		"outputs":           resource.NewObjectProperty(resource.NewPropertyMapFromMap(outs)),
		"secretOutputNames": resource.NewArrayProperty(nil),
	}
}
