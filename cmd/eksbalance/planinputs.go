package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/plan"
)

// stackOutput is one --stack-output STACK:KEY=VALUE.
type stackOutput struct {
	stack, key string
	value      any
}

// stackOutputFlag collects --stack-output values.
type stackOutputFlag []stackOutput

func (f *stackOutputFlag) String() string { return "" }

// Set parses STACK:KEY=VALUE. VALUE is taken as JSON when it parses as JSON
// (numbers, booleans, lists, objects, quoted strings) and as a plain string
// otherwise, so kubeconfig=... and zones=["a","b"] both work.
func (f *stackOutputFlag) Set(s string) error {
	ref, rest, ok := strings.Cut(s, ":")
	key, raw, ok2 := strings.Cut(rest, "=")
	if !ok || !ok2 || ref == "" || key == "" {
		return fmt.Errorf("%q: want STACK:KEY=VALUE, e.g. acme/platform/prod:clusterName=shop", s)
	}
	if why := stackNameProblem(ref); why != "" {
		return fmt.Errorf("%q: stack %q %s", s, ref, why)
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		v = raw
	}
	*f = append(*f, stackOutput{stack: ref, key: key, value: v})
	return nil
}

var stackNamePart = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// stackNameProblem says why ref is not a stack name as pulumi.NewStackReference
// takes it (stack, org/stack or org/project/stack), or "".
func stackNameProblem(ref string) string {
	parts := strings.Split(ref, "/")
	if len(parts) > 3 {
		return "has more than three /-separated parts: want stack, org/stack or org/project/stack"
	}
	for _, p := range parts {
		if !stackNamePart.MatchString(p) {
			return "is not a stack name: want stack, org/stack or org/project/stack of letters, digits, -, _ and ."
		}
	}
	return ""
}

// readStackOutputs reads a --stack-outputs file: a YAML (or JSON) mapping of
// stack name to a mapping of output name to value.
func readStackOutputs(path string) (map[string]map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--stack-outputs: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("--stack-outputs %s: not YAML or JSON: %w", path, err)
	}
	out := map[string]map[string]any{}
	if len(doc.Content) == 0 {
		return out, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("--stack-outputs %s: line %d: want a mapping of stack name to its outputs, e.g. acme/platform/prod: {clusterName: shop}", path, root.Line)
	}
	var problems []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if why := stackNameProblem(k.Value); why != "" {
			problems = append(problems, fmt.Sprintf("line %d: %q %s", k.Line, k.Value, why))
			continue
		}
		if v.Kind != yaml.MappingNode {
			problems = append(problems, fmt.Sprintf("line %d: %s: want a mapping of output name to value", v.Line, k.Value))
			continue
		}
		var outs map[string]any
		if err := v.Decode(&outs); err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %s: %v", v.Line, k.Value, err))
			continue
		}
		out[k.Value] = jsonValues(outs).(map[string]any)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("--stack-outputs %s: %s", path, strings.Join(problems, "; "))
	}
	return out, nil
}

// jsonValues turns decoded YAML into what a JSON document would give (whole
// numbers as float64, map keys as strings), the values Pulumi outputs carry.
func jsonValues(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonValues(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = jsonValues(e)
		}
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return v
}

// nodesFlags describe the nodes of a cluster the plan does not create.
type nodesFlags struct {
	spec, file string
	// parsed is set by check.
	parsed []plan.Zone
}

func (f *nodesFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.spec, "nodes", "", "existing nodes per zone for the traffic prediction, e.g. us-east-1a=2,us-east-1b=2,us-east-1c=2")
	fs.StringVar(&f.file, "nodes-file", "", "existing nodes from the output of kubectl get nodes -o json (zone label) or a predict topology file (its pods and load balancer are ignored)")
}

// check reads the flags before anything is built and says why they cannot be
// used, or "".
func (f *nodesFlags) check() string {
	if f.spec != "" && f.file != "" {
		return "--nodes and --nodes-file both describe the existing nodes: give one"
	}
	zones, err := f.zones()
	if err != nil {
		return err.Error()
	}
	f.parsed = zones
	return ""
}

// zones returns the nodes described, nil when neither flag was given.
func (f *nodesFlags) zones() ([]plan.Zone, error) {
	switch {
	case f.spec != "":
		return parseNodes(f.spec)
	case f.file != "":
		b, err := os.ReadFile(f.file)
		if err != nil {
			return nil, fmt.Errorf("--nodes-file: %w", err)
		}
		if zones, ok, err := kubectlNodes(f.file, b); ok {
			return zones, err
		}
		t, err := model.ReadTopologyFile(f.file)
		if err != nil {
			return nil, fmt.Errorf("--nodes-file: %w", err)
		}
		var out []plan.Zone
		for _, z := range t.Zones {
			pz := plan.Zone{Name: z.Name}
			for _, n := range z.Nodes {
				pz.Nodes = append(pz.Nodes, n.Name)
			}
			out = append(out, pz)
		}
		return out, nil
	}
	return nil, nil
}

// zoneLabel is the well-known label that carries a node's zone.
const zoneLabel = "topology.kubernetes.io/zone"

// kubectlNodes reads `kubectl get nodes -o json` (or -o yaml): a List or
// NodeList of Nodes, each placed in the zone of its topology.kubernetes.io/zone
// label. Cordoned nodes (spec.unschedulable) take no new pods and are left out.
// ok is false when the file is not such a list.
func kubectlNodes(path string, b []byte) (zones []plan.Zone, ok bool, err error) {
	var list struct {
		Kind  string `yaml:"kind"`
		Items []struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name   string            `yaml:"name"`
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				Unschedulable bool `yaml:"unschedulable"`
			} `yaml:"spec"`
		} `yaml:"items"`
	}
	if yaml.Unmarshal(b, &list) != nil || (list.Kind != "List" && list.Kind != "NodeList") {
		return nil, false, nil
	}
	byZone := map[string][]string{}
	var unzoned []string
	for _, n := range list.Items {
		if n.Kind != "" && n.Kind != "Node" {
			return nil, true, fmt.Errorf("--nodes-file %s: holds a %s, want the Nodes of `kubectl get nodes -o json`", path, n.Kind)
		}
		if n.Spec.Unschedulable {
			continue
		}
		z := n.Metadata.Labels[zoneLabel]
		if z == "" {
			unzoned = append(unzoned, n.Metadata.Name)
			continue
		}
		byZone[z] = append(byZone[z], n.Metadata.Name)
	}
	if len(unzoned) > 0 {
		return nil, true, fmt.Errorf("--nodes-file %s: node(s) %s have no %s label", path, strings.Join(unzoned, ", "), zoneLabel)
	}
	if len(byZone) == 0 {
		return nil, true, fmt.Errorf("--nodes-file %s: no schedulable Node in the list", path)
	}
	for z, names := range byZone {
		sort.Strings(names)
		zones = append(zones, plan.Zone{Name: z, Nodes: names})
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].Name < zones[j].Name })
	return zones, true, nil
}

// parseNodes reads ZONE=N,ZONE=N. Every problem is reported at once.
func parseNodes(spec string) ([]plan.Zone, error) {
	var (
		out      []plan.Zone
		problems []string
		seen     = map[string]bool{}
	)
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		zone, count, ok := strings.Cut(item, "=")
		n, err := strconv.Atoi(strings.TrimSpace(count))
		switch {
		case !ok || strings.TrimSpace(zone) == "":
			problems = append(problems, fmt.Sprintf("%q: want ZONE=N", item))
			continue
		case err != nil || n < 0:
			problems = append(problems, fmt.Sprintf("%q: the node count must be a whole number >= 0", item))
			continue
		}
		zone = strings.TrimSpace(zone)
		if seen[zone] {
			problems = append(problems, fmt.Sprintf("zone %s given twice", zone))
			continue
		}
		seen[zone] = true
		z := plan.Zone{Name: zone, Nodes: []string{}}
		for i := 1; i <= n; i++ {
			z.Nodes = append(z.Nodes, fmt.Sprintf("%s-node-%d", zone, i))
		}
		out = append(out, z)
	}
	if len(problems) > 0 {
		return nil, errors.New("--nodes " + strconv.Quote(spec) + ": " + strings.Join(problems, "; "))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
