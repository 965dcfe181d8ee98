package plan

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Plan is everything one run of a Pulumi program would register. Its JSON form is
// the toolkit's one representation of "what will be deployed": the policies, the
// traffic model and render all read it.
type Plan struct {
	// Project and Stack name the run.
	Project string `json:"project"`
	Stack   string `json:"stack"`
	// Resources in registration order.
	Resources []Resource `json:"resources"`
	// Warnings are what a preview would warn about: the program's own warnings
	// (ctx.Log.Warn), the plan's findings about running it for real (an API
	// endpoint the runner cannot reach, see UnreachableAPIWarnings) and what
	// the planner could only stand in for (a stack reference without mocked
	// outputs).
	Warnings []string `json:"warnings,omitempty"`
	// ExistingNodes describe nodes that run outside the plan (an existing
	// cluster's), per zone. The traffic prediction places pods on them instead
	// of on the plan's node groups. Set by the caller (eksbalance plan --nodes),
	// not by the program.
	ExistingNodes []Zone `json:"existingNodes,omitempty"`
}

// Zone is one availability zone's nodes.
type Zone struct {
	Name  string   `json:"name"`
	Nodes []string `json:"nodes"`
}

// Resource is one registration: a component or a custom resource, with its inputs
// as plain JSON values. Secret inputs are replaced by Redacted unless the run asked
// to reveal them.
type Resource struct {
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"`
	// Custom is true for resources a provider manages, false for components.
	Custom bool `json:"custom"`
	// Remote is true for components a provider constructs (e.g. eks:index:Cluster);
	// under the offline plan their children are not visible.
	Remote    bool           `json:"remote,omitempty"`
	Provider  string         `json:"provider,omitempty"`
	DependsOn []string       `json:"dependsOn,omitempty"`
	Inputs    map[string]any `json:"inputs"`
}

// Redacted stands in for a secret value in a plan.
const Redacted = "[secret]"

// ByType returns the resources of one type token, in registration order.
func (p *Plan) ByType(token string) []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

// Find returns the resource with this type token and name.
func (p *Plan) Find(token, name string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.Type == token && r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// Get reads a value by a dotted path with optional [i] indexes, e.g.
// "spec.template.spec.containers[0].readinessProbe.httpGet.path". Keys that
// contain dots (annotations) are written in brackets: metadata.annotations[a.b/c].
func (r Resource) Get(path string) (any, bool) { return Lookup(r.Inputs, path) }

// String is Get for a value expected to be a string; "" if absent.
func (r Resource) String(path string) string {
	v, _ := r.Get(path)
	s, _ := v.(string)
	return s
}

// Lookup walks v by path (see Resource.Get).
func Lookup(v any, path string) (any, bool) {
	cur := v
	for _, step := range splitPath(path) {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[step]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func splitPath(path string) []string {
	var steps []string
	for len(path) > 0 {
		switch {
		case path[0] == '.':
			path = path[1:]
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return append(steps, path[1:])
			}
			steps = append(steps, path[1:end])
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				return append(steps, path)
			}
			steps = append(steps, path[:end])
			path = path[end:]
		}
	}
	return steps
}

// Plain converts Pulumi property values to plain JSON values: secrets become
// Redacted (or their value when reveal is true), unknowns become nil, resource
// references their URN, assets and archives their path or text.
func Plain(m resource.PropertyMap, reveal bool) map[string]any {
	out := make(map[string]any, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[resource.PropertyKey(k)]
		if v.IsNull() {
			continue
		}
		out[k] = plainValue(v, reveal)
	}
	return out
}

func plainValue(v resource.PropertyValue, reveal bool) any {
	switch {
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plainValue(e, reveal)
		}
		return out
	case v.IsObject():
		return Plain(v.ObjectValue(), reveal)
	case v.IsSecret():
		if !reveal {
			return Redacted
		}
		return plainValue(v.SecretValue().Element, reveal)
	case v.IsComputed():
		return nil
	case v.IsOutput():
		o := v.OutputValue()
		if !o.Known {
			return nil
		}
		if o.Secret && !reveal {
			return Redacted
		}
		return plainValue(o.Element, reveal)
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsAsset():
		a := v.AssetValue()
		if a.Path != "" {
			return a.Path
		}
		return a.Text
	case v.IsArchive():
		return v.ArchiveValue().Path
	}
	return fmt.Sprint(v.V)
}

// ChildURN is the URN the engine gives a resource of type typ named name whose
// parent has URN parent (empty: the stack itself).
func ChildURN(stack, project, parent, typ, name string) string {
	qualified := typ
	if parent != "" {
		parts := strings.SplitN(parent, "::", 4)
		if len(parts) == 4 {
			ptype := parts[2]
			if ptype != "pulumi:pulumi:Stack" {
				qualified = ptype + "$" + typ
			}
		}
	}
	return "urn:pulumi:" + stack + "::" + project + "::" + qualified + "::" + name
}
