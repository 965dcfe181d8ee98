package model

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/eksbalance/eksbalance/internal/validation"
	"gopkg.in/yaml.v3"
)

// ReadTopologyFile reads a topology from a YAML or JSON file; see ReadTopology.
func ReadTopologyFile(path string) (Topology, error) {
	f, err := os.Open(path)
	if err != nil {
		return Topology{}, err
	}
	defer f.Close()
	t, err := ReadTopology(f)
	if err != nil {
		return Topology{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ReadTopology parses one topology document in YAML (or JSON, which YAML
// reads too) and validates it. It is strict: an unknown or repeated field, a
// value of the wrong type and every rule of Validate are reported together,
// each naming its field path and, for type problems, the line. A file that
// omits loadBalancer.crossZone gets the AWS default for its kind: off for
// nlb, on for alb.
func ReadTopology(r io.Reader) (Topology, error) {
	dec := yaml.NewDecoder(r)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Topology{}, errors.New("invalid topology: the file is empty")
		}
		return Topology{}, fmt.Errorf("invalid topology: not YAML or JSON: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return Topology{}, fmt.Errorf("invalid topology: line %d: a second YAML document; a file holds one topology", extra.Line)
	} else if !errors.Is(err, io.EOF) {
		return Topology{}, fmt.Errorf("invalid topology: not YAML or JSON: %w", err)
	}

	v := validation.New("topology")
	var t Topology
	crossZoneSet := false
	if len(doc.Content) == 0 {
		return Topology{}, errors.New("invalid topology: the file is empty")
	}
	root := doc.Content[0]
	fields(v, "", root, map[string]func(string, *yaml.Node){
		"loadBalancer": func(p string, n *yaml.Node) {
			fields(v, p, n, map[string]func(string, *yaml.Node){
				"kind":       func(p string, n *yaml.Node) { t.LoadBalancer.Kind = Kind(str(v, p, n)) },
				"targetType": func(p string, n *yaml.Node) { t.LoadBalancer.TargetType = TargetType(str(v, p, n)) },
				"crossZone": func(p string, n *yaml.Node) {
					t.LoadBalancer.CrossZone = boolean(v, p, n)
					crossZoneSet = true
				},
			})
		},
		"externalTrafficPolicy": func(p string, n *yaml.Node) { t.ExternalTrafficPolicy = Policy(str(v, p, n)) },
		"clients": func(p string, n *yaml.Node) {
			c := &ClientPopulation{}
			t.Clients = c
			fields(v, p, n, map[string]func(string, *yaml.Node){
				"callers":               func(p string, n *yaml.Node) { c.Callers = integer(v, p, n) },
				"dns":                   func(p string, n *yaml.Node) { c.DNS = DNSCaching(str(v, p, n)) },
				"dnsTTL":                func(p string, n *yaml.Node) { c.DNSTTL = duration(v, p, n) },
				"connectionsPerCaller":  func(p string, n *yaml.Node) { c.ConnectionsPerCaller = integer(v, p, n) },
				"requestsPerSecond":     func(p string, n *yaml.Node) { c.RequestsPerSecond = number(v, p, n) },
				"requestsPerConnection": func(p string, n *yaml.Node) { c.RequestsPerConnection = integer(v, p, n) },
				"connectionLifetime":    func(p string, n *yaml.Node) { c.ConnectionLifetime = duration(v, p, n) },
				"callerZones": func(p string, n *yaml.Node) {
					items(v, p, n, func(p string, n *yaml.Node) { c.CallerZones = append(c.CallerZones, str(v, p, n)) })
				},
			})
		},
		"recycling": func(p string, n *yaml.Node) {
			fields(v, p, n, map[string]func(string, *yaml.Node){
				"maxConnAge":      func(p string, n *yaml.Node) { t.Recycling.MaxConnAge = duration(v, p, n) },
				"maxConnRequests": func(p string, n *yaml.Node) { t.Recycling.MaxConnRequests = integer(v, p, n) },
			})
		},
		"zones": func(p string, n *yaml.Node) {
			items(v, p, n, func(p string, n *yaml.Node) {
				var z Zone
				fields(v, p, n, map[string]func(string, *yaml.Node){
					"name": func(p string, n *yaml.Node) { z.Name = str(v, p, n) },
					"nodes": func(p string, n *yaml.Node) {
						items(v, p, n, func(p string, n *yaml.Node) {
							var nd Node
							fields(v, p, n, map[string]func(string, *yaml.Node){
								"name": func(p string, n *yaml.Node) { nd.Name = str(v, p, n) },
								"pods": func(p string, n *yaml.Node) { nd.Pods = integer(v, p, n) },
							})
							z.Nodes = append(z.Nodes, nd)
						})
					},
				})
				t.Zones = append(t.Zones, z)
			})
		},
	})
	if !crossZoneSet && t.LoadBalancer.Kind == KindALB {
		t.LoadBalancer.CrossZone = true
	}
	if len(v.Problems) > 0 {
		// Type and shape problems first; rules on the partly read values would
		// mostly repeat them (a pods value that failed to parse reads as 0).
		return Topology{}, v.Err()
	}
	if err := t.Validate(); err != nil {
		return Topology{}, err
	}
	return t, nil
}

// fields walks a mapping node, handing each known key to its reader and
// recording unknown, repeated or missing structure.
func fields(v *validation.Errors, path string, n *yaml.Node, known map[string]func(string, *yaml.Node)) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		v.Add(orRoot(path), describe(n), "must be a mapping (line %d)", n.Line)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		p := k.Value
		if path != "" {
			p = path + "." + k.Value
		}
		read, ok := known[k.Value]
		switch {
		case !ok:
			v.Add(p, describe(val), "unknown field (line %d); known fields here: %s", k.Line, keyList(known))
		case seen[k.Value]:
			v.Add(p, describe(val), "field given twice (line %d)", k.Line)
		default:
			seen[k.Value] = true
			read(p, val)
		}
	}
}

// items walks a sequence node, naming each element path[i].
func items(v *validation.Errors, path string, n *yaml.Node, each func(string, *yaml.Node)) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "nodes:" with nothing after it: an empty list
	}
	if n.Kind != yaml.SequenceNode {
		v.Add(path, describe(n), "must be a list (line %d)", n.Line)
		return
	}
	for i, c := range n.Content {
		each(fmt.Sprintf("%s[%d]", path, i), c)
	}
}

func str(v *validation.Errors, path string, n *yaml.Node) string {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		v.Add(path, describe(n), "must be a string (line %d)", n.Line)
		return ""
	}
	return n.Value
}

func boolean(v *validation.Errors, path string, n *yaml.Node) bool {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		v.Add(path, describe(n), "must be true or false (line %d)", n.Line)
		return false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		v.Add(path, describe(n), "must be true or false (line %d)", n.Line)
	}
	return b
}

func integer(v *validation.Errors, path string, n *yaml.Node) int {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		v.Add(path, describe(n), "must be a whole number (line %d)", n.Line)
		return 0
	}
	var i int
	if err := n.Decode(&i); err != nil {
		v.Add(path, describe(n), "must be a whole number that fits in an int (line %d)", n.Line)
	}
	return i
}

func number(v *validation.Errors, path string, n *yaml.Node) float64 {
	n = resolve(n)
	var f float64
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&f) != nil {
		v.Add(path, describe(n), "must be a number (line %d)", n.Line)
		return 0
	}
	return f
}

// duration reads Go duration text such as "5m", "60s" or "1.5s".
func duration(v *validation.Errors, path string, n *yaml.Node) Duration {
	n = resolve(n)
	var d Duration
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" || d.UnmarshalText([]byte(n.Value)) != nil {
		v.Add(path, describe(n), `must be a duration such as "5m" or "60s" (line %d)`, n.Line)
		return 0
	}
	return d
}

// resolve follows a YAML alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "?"
}

func orRoot(path string) string {
	if path == "" {
		return "(document)"
	}
	return path
}

func keyList(m map[string]func(string, *yaml.Node)) string {
	// Fixed order so error messages are stable.
	order := []string{"loadBalancer", "externalTrafficPolicy", "zones", "clients", "recycling", "kind", "targetType", "crossZone", "name", "nodes", "pods",
		"callers", "dns", "dnsTTL", "connectionsPerCaller", "requestsPerSecond", "requestsPerConnection", "connectionLifetime", "callerZones",
		"maxConnAge", "maxConnRequests"}
	s := ""
	for _, k := range order {
		if _, ok := m[k]; ok {
			if s != "" {
				s += ", "
			}
			s += k
		}
	}
	return s
}
