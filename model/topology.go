package model

import (
	"fmt"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// Kind is the kind of AWS load balancer in front of the pods.
type Kind string

const (
	// KindNLB is a Network Load Balancer (L4: balances connections). AWS turns its
	// cross-zone load balancing off by default.
	KindNLB Kind = "nlb"
	// KindALB is an Application Load Balancer (L7: balances requests). AWS keeps
	// cross-zone on at the load-balancer level; a target group can turn it off.
	KindALB Kind = "alb"
)

// TargetType says what the load balancer registers as targets.
type TargetType string

const (
	// TargetTypeIP registers pod IPs (AWS Load Balancer Controller with the VPC
	// CNI): traffic goes straight to pods, with no kube-proxy hop.
	TargetTypeIP TargetType = "ip"
	// TargetTypeInstance registers nodes on the Service's NodePort; kube-proxy on
	// the node forwards to a pod according to the externalTrafficPolicy.
	TargetTypeInstance TargetType = "instance"
)

// Policy is a Service's externalTrafficPolicy.
type Policy string

const (
	// PolicyCluster lets kube-proxy forward to any ready pod in the cluster (the
	// Kubernetes default): even per pod, but often an extra hop across zones.
	PolicyCluster Policy = "Cluster"
	// PolicyLocal forwards only to pods on the receiving node; nodes without a
	// ready pod fail the load balancer's health check.
	PolicyLocal Policy = "Local"
)

// Limits that keep a prediction's per-pod listing bounded in memory: the
// prediction has one entry per pod.
const (
	// MaxPodsPerNode bounds one node's pod count.
	MaxPodsPerNode = 1_000_000
	// MaxPods bounds the pods of a whole topology.
	MaxPods = 1_000_000
)

// Topology is what the model needs to know: where the ready pods are and how
// the load balancer reaches them.
type Topology struct {
	// LoadBalancer describes the load balancer. Required.
	LoadBalancer LoadBalancer `json:"loadBalancer" yaml:"loadBalancer"`
	// ExternalTrafficPolicy is the Service's externalTrafficPolicy. Only
	// meaningful with instance targets, where empty means Cluster (the
	// Kubernetes default); must be empty with ip targets.
	ExternalTrafficPolicy Policy `json:"externalTrafficPolicy,omitempty" yaml:"externalTrafficPolicy,omitempty"`
	// Zones lists the zones the load balancer is enabled in, each with its nodes.
	// At least one; order is kept in the output.
	Zones []Zone `json:"zones" yaml:"zones"`
	// Clients is who calls the service and how. Optional: the
	// exact shares above are the limit of many independent callers whatever
	// it says; SimulatePopulation uses it (DefaultPopulation when nil).
	Clients *ClientPopulation `json:"clients,omitempty" yaml:"clients,omitempty"`
	// Recycling is the server's connection recycling (the workload's
	// EKSBALANCE_MAX_CONN_AGE and _REQUESTS). Default none.
	Recycling Recycling `json:"recycling,omitzero" yaml:"recycling,omitempty"`
}

// LoadBalancer is the part of the load balancer's configuration that decides
// where traffic goes.
type LoadBalancer struct {
	// Kind is nlb or alb. Required: no default, so a file says what it models.
	Kind Kind `json:"kind" yaml:"kind"`
	// TargetType is ip or instance. Required: the controller's default
	// (instance) is the uneven choice this toolkit exists to avoid, so it is
	// never assumed.
	TargetType TargetType `json:"targetType" yaml:"targetType"`
	// CrossZone is whether each zone's load-balancer node may send to targets in
	// other zones. The zero value is off; ReadTopology fills in the AWS default
	// for the kind (NLB off, ALB on) when a file omits it.
	CrossZone bool `json:"crossZone" yaml:"crossZone"`
}

// Zone is one availability zone with its nodes.
type Zone struct {
	// Name is the zone's name, e.g. us-east-1a. Required, unique.
	Name string `json:"name" yaml:"name"`
	// Nodes lists the zone's nodes. May be empty: the load balancer can be
	// enabled in a zone that has no node yet.
	Nodes []Node `json:"nodes" yaml:"nodes"`
}

// Node is one worker node.
type Node struct {
	// Name is the node's name. Required, unique across all zones (Kubernetes node
	// names are cluster-wide).
	Name string `json:"name" yaml:"name"`
	// Pods is the number of ready pods of the workload on this node. Zero is
	// allowed (a node that only matters under externalTrafficPolicy Cluster).
	Pods int `json:"pods" yaml:"pods"`
}

// EffectivePolicy returns the externalTrafficPolicy the model applies: the
// given one, or Cluster for instance targets when none is given, or "" for
// ip targets.
func (t Topology) EffectivePolicy() Policy {
	if t.LoadBalancer.TargetType != TargetTypeInstance {
		return ""
	}
	if t.ExternalTrafficPolicy == "" {
		return PolicyCluster
	}
	return t.ExternalTrafficPolicy
}

// TotalPods counts the pods over all nodes.
func (t Topology) TotalPods() int {
	n := 0
	for _, z := range t.Zones {
		for _, nd := range z.Nodes {
			n += nd.Pods
		}
	}
	return n
}

// Validate returns every problem with the topology at once, each naming its
// field path (e.g. zones[1].nodes[0].pods), or nil.
func (t Topology) Validate() error {
	v := validation.New("topology")
	switch t.LoadBalancer.Kind {
	case KindNLB, KindALB:
	default:
		v.Add("loadBalancer.kind", quote(t.LoadBalancer.Kind), "must be one of %q, %q", KindNLB, KindALB)
	}
	switch t.LoadBalancer.TargetType {
	case TargetTypeIP, TargetTypeInstance:
	default:
		v.Add("loadBalancer.targetType", quote(t.LoadBalancer.TargetType), "must be one of %q, %q", TargetTypeIP, TargetTypeInstance)
	}
	switch t.ExternalTrafficPolicy {
	case "":
	case PolicyCluster, PolicyLocal:
		if t.LoadBalancer.TargetType == TargetTypeIP {
			v.Add("externalTrafficPolicy", quote(t.ExternalTrafficPolicy),
				"must be empty with targetType %q: ip targets bypass kube-proxy, so the policy has no effect on the load balancer's traffic", TargetTypeIP)
		}
	default:
		v.Add("externalTrafficPolicy", quote(t.ExternalTrafficPolicy), "must be one of %q, %q (or empty, meaning %q)", PolicyCluster, PolicyLocal, PolicyCluster)
	}
	if len(t.Zones) == 0 {
		v.Add("zones", "[]", "must list at least one zone")
	}
	zoneAt := map[string]int{}
	type at struct{ zone, node int }
	nodeAt := make(map[string]at)
	total := 0
	for i, z := range t.Zones {
		zp := fmt.Sprintf("zones[%d]", i)
		checkZoneName(v, zp, z.Name, i, zoneAt)
		for k, n := range z.Nodes {
			// The path is only formatted when there is something to report:
			// topologies can hold thousands of nodes.
			np := func() string { return fmt.Sprintf("%s.nodes[%d]", zp, k) }
			if n.Name == "" {
				v.Add(np()+".name", quote(n.Name), "must not be empty")
			} else if first, dup := nodeAt[n.Name]; dup {
				v.Add(np()+".name", quote(n.Name), "must be unique across zones; zones[%d].nodes[%d] has the same name", first.zone, first.node)
			} else {
				nodeAt[n.Name] = at{i, k}
			}
			switch {
			case n.Pods < 0:
				v.Add(np()+".pods", n.Pods, "must not be negative")
			case n.Pods > MaxPodsPerNode:
				v.Add(np()+".pods", n.Pods, "must be at most %d", MaxPodsPerNode)
			default:
				total += n.Pods
			}
		}
	}
	if len(t.Zones) > 0 && total == 0 {
		v.Add("zones", "0 pods", "must hold at least one pod in total: with no ready pod there is no traffic to share")
	}
	if total > MaxPods {
		v.Add("zones", fmt.Sprintf("%d pods", total), "must hold at most %d pods in total", MaxPods)
	}
	if t.Clients != nil {
		c := *t.Clients
		c.SetDefaults()
		c.validate(v, "clients", zoneAt)
	}
	t.Recycling.validate(v, "recycling")
	return v.Err()
}

// quote renders a string-like value so that an empty one is visible in an
// error message.
func quote[S ~string](s S) string { return fmt.Sprintf("%q", string(s)) }

// checkZoneName records zones[i]'s name in seen, reporting an empty or repeated
// one (shared by Topology.Validate and Place's own checks).
func checkZoneName(v *validation.Errors, path, name string, i int, seen map[string]int) {
	if name == "" {
		v.Add(path+".name", quote(name), "must not be empty")
	} else if j, dup := seen[name]; dup {
		v.Add(path+".name", quote(name), "must be unique; zones[%d] has the same name", j)
	} else {
		seen[name] = i
	}
}
