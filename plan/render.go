package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Object is a Kubernetes object a plan would create, as the API server would
// receive it, plus the plan resource it came from.
type Object struct {
	Resource Resource
	Body     map[string]any
}

// Kind, Namespace and Name read the object's identity.
func (o Object) Kind() string { s, _ := o.Body["kind"].(string); return s }
func (o Object) Namespace() string {
	v, _ := Lookup(o.Body, "metadata.namespace")
	s, _ := v.(string)
	return s
}
func (o Object) Name() string {
	v, _ := Lookup(o.Body, "metadata.name")
	s, _ := v.(string)
	return s
}

// Unrenderable lists Kubernetes resource types that have no single object form
// offline (a Helm release is rendered by the provider from a chart it downloads).
var Unrenderable = map[string]string{
	"kubernetes:helm.sh/v3:Release":  "a Helm release; its objects come from the chart at deploy time",
	"kubernetes:helm.sh/v4:Chart":    "a Helm chart; its objects come from the chart at deploy time",
	"kubernetes:yaml/v2:ConfigFile":  "a YAML file component; its objects are read at deploy time",
	"kubernetes:yaml/v2:ConfigGroup": "a YAML component; its objects are read at deploy time",
}

// KubernetesObjects returns the Kubernetes objects the plan would create, with
// Pulumi-internal fields removed and metadata.name filled from the resource name
// when the program left naming to Pulumi. skipped says which resources were left
// out and why.
func (p *Plan) KubernetesObjects() (objs []Object, skipped []string) {
	for _, r := range p.Resources {
		if !strings.HasPrefix(r.Type, "kubernetes:") || !r.Custom {
			continue
		}
		if why, ok := Unrenderable[r.Type]; ok {
			skipped = append(skipped, fmt.Sprintf("%s %s: %s", r.Type, r.Name, why))
			continue
		}
		body := clean(r.Inputs).(map[string]any)
		if _, ok := body["kind"]; !ok {
			skipped = append(skipped, fmt.Sprintf("%s %s: no kind in its inputs", r.Type, r.Name))
			continue
		}
		meta, _ := body["metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			body["metadata"] = meta
		}
		if _, ok := meta["name"]; !ok {
			meta["name"] = r.Name
		}
		objs = append(objs, Object{Resource: r, Body: body})
	}
	sort.SliceStable(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		if ra, rb := kindRank(a.Kind()), kindRank(b.Kind()); ra != rb {
			return ra < rb
		}
		if a.Namespace() != b.Namespace() {
			return a.Namespace() < b.Namespace()
		}
		if a.Kind() != b.Kind() {
			return a.Kind() < b.Kind()
		}
		return a.Name() < b.Name()
	})
	return objs, skipped
}

// kindRank orders objects so that applying them in order works: namespaces and
// definitions before what lives in them, Services before the pods they select.
func kindRank(kind string) int {
	switch kind {
	case "Namespace":
		return 0
	case "CustomResourceDefinition":
		return 1
	case "ServiceAccount", "ConfigMap", "Secret", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
		return 2
	case "Service":
		return 3
	case "PodDisruptionBudget":
		return 4
	case "Deployment", "StatefulSet", "DaemonSet":
		return 5
	case "HorizontalPodAutoscaler":
		return 6
	}
	return 7
}

// clean drops Pulumi-internal keys ("__defaults", ...) at every level.
func clean(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if strings.HasPrefix(k, "__") {
				continue
			}
			out[k] = clean(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = clean(e)
		}
		return out
	}
	return v
}

var unsafeName = regexp.MustCompile(`[^a-z0-9.-]+`)

// WriteYAML writes each object to dir as NN-kind-namespace-name.yaml, numbered in
// apply order, and returns the files written.
func WriteYAML(dir string, objs []Object) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for i, o := range objs {
		parts := []string{fmt.Sprintf("%02d", i), strings.ToLower(o.Kind())}
		if ns := o.Namespace(); ns != "" {
			parts = append(parts, ns)
		}
		parts = append(parts, o.Name())
		name := unsafeName.ReplaceAllString(strings.ToLower(strings.Join(parts, "-")), "-") + ".yaml"
		b, err := yaml.Marshal(o.Body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.Kind(), o.Name(), err)
		}
		header := fmt.Sprintf("# Rendered by eksbalance from %s %s\n", o.Resource.Type, o.Resource.Name)
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, append([]byte(header), b...), 0o644); err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}
