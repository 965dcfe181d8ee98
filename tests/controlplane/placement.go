package controlplane

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// Placement is where the scheduler put a workload's pods, by zone and node. Nodes without
// pods and declared zones without nodes are listed too: an empty node still receives
// traffic with instance targets, and an empty zone still has a load-balancer node when
// cross-zone is on.
type Placement struct {
	Zones []ZonePlacement
}

// ZonePlacement is one availability zone.
type ZonePlacement struct {
	Name  string
	Nodes []NodePlacement
}

// NodePlacement is one node and the names of the workload's pods on it.
type NodePlacement struct {
	Name string
	Pods []string
}

// PlacementOf groups the scheduled, non-terminating pods by the zone label of their
// node. zones lists zones that must appear even without nodes (the stack's zones).
// A pod on a node that is not in nodes, or a node without a zone label, is an error:
// both mean the placement cannot be attributed.
func PlacementOf(nodes []corev1.Node, pods []corev1.Pod, zones []string) (Placement, error) {
	zoneOf := map[string]string{}
	byZone := map[string]map[string][]string{}
	for _, z := range zones {
		byZone[z] = map[string][]string{}
	}
	for _, n := range nodes {
		z := n.Labels[LabelZone]
		if z == "" {
			return Placement{}, fmt.Errorf("node %s has no %s label", n.Name, LabelZone)
		}
		zoneOf[n.Name] = z
		if byZone[z] == nil {
			byZone[z] = map[string][]string{}
		}
		byZone[z][n.Name] = nil
	}
	for _, p := range pods {
		if p.Spec.NodeName == "" || p.DeletionTimestamp != nil {
			continue
		}
		z, ok := zoneOf[p.Spec.NodeName]
		if !ok {
			return Placement{}, fmt.Errorf("pod %s/%s runs on node %s, which is not among the nodes given", p.Namespace, p.Name, p.Spec.NodeName)
		}
		byZone[z][p.Spec.NodeName] = append(byZone[z][p.Spec.NodeName], p.Name)
	}
	var out Placement
	for _, z := range sortedKeys(byZone) {
		zp := ZonePlacement{Name: z}
		for _, n := range sortedKeys(byZone[z]) {
			podNames := byZone[z][n]
			sort.Strings(podNames)
			zp.Nodes = append(zp.Nodes, NodePlacement{Name: n, Pods: podNames})
		}
		out.Zones = append(out.Zones, zp)
	}
	return out, nil
}

// PodsPerZone counts pods by zone (zones without pods included).
func (p Placement) PodsPerZone() map[string]int {
	out := map[string]int{}
	for _, z := range p.Zones {
		out[z.Name] += 0
		for _, n := range z.Nodes {
			out[z.Name] += len(n.Pods)
		}
	}
	return out
}

// PodsPerNode counts pods by node (nodes without pods included).
func (p Placement) PodsPerNode() map[string]int {
	out := map[string]int{}
	for _, z := range p.Zones {
		for _, n := range z.Nodes {
			out[n.Name] = len(n.Pods)
		}
	}
	return out
}

// Total is the number of placed pods.
func (p Placement) Total() int {
	total := 0
	for _, c := range p.PodsPerZone() {
		total += c
	}
	return total
}

// String renders the placement on one line per zone, e.g.
// "us-east-1a: 2 pods [dev-us-east-1a-0=1 dev-us-east-1a-1=1]".
func (p Placement) String() string {
	var b strings.Builder
	perZone := p.PodsPerZone()
	for _, z := range p.Zones {
		fmt.Fprintf(&b, "%s: %d pods [", z.Name, perZone[z.Name])
		for i, n := range z.Nodes {
			if i > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "%s=%d", n.Name, len(n.Pods))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// PodsOfE lists the pods in namespace matching the selector.
func (c *Cluster) PodsOfE(namespace string, selector *metav1.LabelSelector) ([]corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return nil, err
	}
	list, err := c.Clientset.CoreV1().Pods(namespace).List(context.Background(), metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// NodesE lists the cluster's nodes.
func (c *Cluster) NodesE() ([]corev1.Node, error) {
	list, err := c.Clientset.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// Zones returns the distinct zones of the cluster's node groups, sorted.
func (c *Cluster) Zones() []string {
	set := map[string]bool{}
	for _, g := range c.NodeGroups {
		set[g.Zone] = true
	}
	return sortedKeys(set)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// FromUnstructured converts a rendered object into its typed form (Deployment, Service...).
func FromUnstructured[T any](u *unstructured.Unstructured) (*T, error) {
	out := new(T)
	if err := runtimeFromUnstructured(u, out); err != nil {
		return nil, fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return out, nil
}

func runtimeFromUnstructured(u *unstructured.Unstructured, out any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, out, true)
}

// Find returns the rendered objects of a kind.
func Find(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// selectorMatches reports whether a label selector selects the labels.
func selectorMatches(sel *metav1.LabelSelector, l map[string]string) (bool, error) {
	if sel == nil {
		return false, nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, err
	}
	return s.Matches(labels.Set(l)), nil
}
