package controlplane

import (
	"fmt"
	"net"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Well-known node labels the scheduler and the toolkit's spread constraints read.
const (
	LabelZone         = "topology.kubernetes.io/zone"
	LabelRegion       = "topology.kubernetes.io/region"
	LabelInstanceType = "node.kubernetes.io/instance-type"
	LabelHostname     = "kubernetes.io/hostname"
	// LabelNodeGroup is the label EKS managed node groups put on their nodes.
	LabelNodeGroup = "eks.amazonaws.com/nodegroup"
)

// KwokAnnotation marks a Node as one kwok manages (the harness starts kwok with
// --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake).
const (
	KwokAnnotation      = "kwok.x-k8s.io/node"
	KwokAnnotationValue = "fake"
)

// InstanceType is the part of an EC2 instance type that decides what the scheduler may
// place on a node.
type InstanceType struct {
	VCPU      int
	MemoryMiB int64
	// MaxPods is the VPC CNI limit without prefix delegation:
	// ENIs * (IPv4 addresses per ENI - 1) + 2.
	MaxPods int
}

// InstanceTypes lists the instance types a test may use. Values are the EC2 published
// vCPU and memory and the EKS max-pods table; extend it when a stack uses another type.
var InstanceTypes = map[string]InstanceType{
	"t3.medium":  {VCPU: 2, MemoryMiB: 4096, MaxPods: 17},
	"t3.large":   {VCPU: 2, MemoryMiB: 8192, MaxPods: 35},
	"m5.large":   {VCPU: 2, MemoryMiB: 8192, MaxPods: 29},
	"m5.xlarge":  {VCPU: 4, MemoryMiB: 16384, MaxPods: 58},
	"m6i.large":  {VCPU: 2, MemoryMiB: 8192, MaxPods: 29},
	"m6i.xlarge": {VCPU: 4, MemoryMiB: 16384, MaxPods: 58},
	"m7i.large":  {VCPU: 2, MemoryMiB: 8192, MaxPods: 29},
	"c5.large":   {VCPU: 2, MemoryMiB: 4096, MaxPods: 29},
	"c6i.large":  {VCPU: 2, MemoryMiB: 4096, MaxPods: 29},
	"r6i.large":  {VCPU: 2, MemoryMiB: 16384, MaxPods: 29},
}

// Allocatable returns what the kubelet of an EKS-optimised AMI reports as allocatable:
// capacity minus kube-reserved (CPU: 6% of the first core, 1% of the second, 0.5% of
// cores 3-4, 0.25% above; memory: 255 MiB + 11 MiB per pod) and the 100 MiB hard
// eviction threshold. The scheduler fits pods against this, not against capacity.
func (it InstanceType) Allocatable() corev1.ResourceList {
	reservedMilli := 0.0
	for core := 1; core <= it.VCPU; core++ {
		switch {
		case core == 1:
			reservedMilli += 60
		case core == 2:
			reservedMilli += 10
		case core <= 4:
			reservedMilli += 5
		default:
			reservedMilli += 2.5
		}
	}
	cpu := int64(it.VCPU)*1000 - int64(reservedMilli+0.5)
	mem := it.MemoryMiB - (255 + 11*int64(it.MaxPods)) - 100
	return corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewMilliQuantity(cpu, resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(mem*1024*1024, resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(int64(it.MaxPods), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: resource.MustParse("18Gi"),
	}
}

// Capacity returns the node's raw capacity.
func (it InstanceType) Capacity() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewQuantity(int64(it.VCPU), resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(it.MemoryMiB*1024*1024, resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(int64(it.MaxPods), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: resource.MustParse("20Gi"),
	}
}

// NodeGroup mirrors one EKS managed node group: the toolkit creates one per zone, so a
// group has exactly one zone.
type NodeGroup struct {
	// Name becomes the eks.amazonaws.com/nodegroup label and the node-name prefix.
	Name string
	// Zone is the availability zone, e.g. us-east-1a; the region label is derived from it.
	Zone string
	// InstanceType must be a key of InstanceTypes.
	InstanceType string
	// Nodes is how many nodes the group has (its desired size).
	Nodes int
	// Labels are extra node labels (the group's `labels` setting).
	Labels map[string]string
}

// EvenNodeGroups returns one group per zone, each with perZone nodes of one instance
// type: the layout the toolkit's node-group component creates.
func EvenNodeGroups(prefix, instanceType string, perZone int, zones ...string) []NodeGroup {
	groups := make([]NodeGroup, 0, len(zones))
	for _, z := range zones {
		groups = append(groups, NodeGroup{Name: prefix + "-" + z, Zone: z, InstanceType: instanceType, Nodes: perZone})
	}
	return groups
}

// validateNodeGroups returns every problem with the groups at once.
func validateNodeGroups(groups []NodeGroup) error {
	var problems []string
	seen := map[string]bool{}
	for i, g := range groups {
		field := fmt.Sprintf("nodeGroups[%d]", i)
		if g.Name == "" {
			problems = append(problems, field+".name: must not be empty")
		} else if seen[g.Name] {
			problems = append(problems, fmt.Sprintf("%s.name: %q is used twice", field, g.Name))
		}
		seen[g.Name] = true
		if len(g.Zone) < 2 {
			problems = append(problems, fmt.Sprintf("%s.zone: %q is not an availability zone name like us-east-1a", field, g.Zone))
		}
		if _, ok := InstanceTypes[g.InstanceType]; !ok {
			problems = append(problems, fmt.Sprintf("%s.instanceType: %q is not in controlplane.InstanceTypes (%s)", field, g.InstanceType, strings.Join(instanceTypeNames(), ", ")))
		}
		if g.Nodes < 0 || g.Nodes > 50 {
			problems = append(problems, fmt.Sprintf("%s.nodes: %d is outside 0..50", field, g.Nodes))
		}
	}
	total := 0
	for _, g := range groups {
		total += g.Nodes
	}
	if total > maxNodes {
		problems = append(problems, fmt.Sprintf("nodeGroups: %d nodes in total, at most %d fit the pod network", total, maxNodes))
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid node groups:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

func instanceTypeNames() []string {
	names := make([]string, 0, len(InstanceTypes))
	for n := range InstanceTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PodNetwork is the range pod and node addresses come from. Kubernetes refuses loopback
// addresses in Endpoints and EndpointSlices ("may not be in the loopback range"), so the
// pods cannot have 127.x addresses themselves. 100.64.0.0/10 (RFC 6598 shared address
// space) is never routed on these machines and nothing here dials it: a process that
// must answer for a pod listens on LoopbackFor(podIP) instead.
const PodNetwork = "100.64.0.0/10"

// maxNodes keeps the pod CIDRs (100.64.0.0/24 upwards) clear of the node addresses in
// 100.127.0.0/16.
const maxNodes = 1000

// LoopbackFor maps an address in PodNetwork to the 127.0.0.0/8 address that stands for
// it on this machine: 100.a.b.c becomes 127.a.b.c. The mapping is one to one, so a load
// balancer built from EndpointSlices reaches exactly the pods they list.
func LoopbackFor(ip string) (string, error) {
	_, pn, _ := net.ParseCIDR(PodNetwork)
	parsed := net.ParseIP(ip).To4()
	if parsed == nil || !pn.Contains(parsed) {
		return "", fmt.Errorf("address %q is not in the pod network %s", ip, PodNetwork)
	}
	return net.IPv4(127, parsed[1], parsed[2], parsed[3]).String(), nil
}

// NodeObjects returns the Node objects for the groups. Node n (counting over all groups)
// gets the pod CIDR 100.<64+n/256>.<n%256>.0/24 (kwok hands out pod IPs from it) and the
// InternalIP 100.127.<n/250>.<n%250+1>, all inside PodNetwork.
func NodeObjects(groups []NodeGroup) ([]corev1.Node, error) {
	if err := validateNodeGroups(groups); err != nil {
		return nil, err
	}
	var nodes []corev1.Node
	n := 0
	for _, g := range groups {
		it := InstanceTypes[g.InstanceType]
		for i := range g.Nodes {
			name := fmt.Sprintf("%s-%d", g.Name, i)
			labels := map[string]string{
				LabelZone:                        g.Zone,
				LabelRegion:                      g.Zone[:len(g.Zone)-1],
				LabelInstanceType:                g.InstanceType,
				LabelHostname:                    name,
				LabelNodeGroup:                   g.Name,
				"kubernetes.io/os":               "linux",
				"kubernetes.io/arch":             "amd64",
				"eks.amazonaws.com/capacityType": "ON_DEMAND",
				"type":                           "kwok",
			}
			for k, v := range g.Labels {
				labels[k] = v
			}
			nodes = append(nodes, corev1.Node{
				ObjectMeta: metav1.ObjectMeta{
					Name:        name,
					Labels:      labels,
					Annotations: map[string]string{KwokAnnotation: KwokAnnotationValue},
				},
				Spec: corev1.NodeSpec{
					PodCIDR:    podCIDR(n),
					PodCIDRs:   []string{podCIDR(n)},
					ProviderID: fmt.Sprintf("kwok://%s/%s", g.Zone, name),
				},
				Status: corev1.NodeStatus{
					Capacity:    it.Capacity(),
					Allocatable: it.Allocatable(),
					Addresses: []corev1.NodeAddress{
						{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("100.127.%d.%d", n/250, n%250+1)},
						{Type: corev1.NodeHostName, Address: name},
					},
				},
			})
			n++
		}
	}
	return nodes, nil
}

func podCIDR(n int) string { return fmt.Sprintf("100.%d.%d.0/24", 64+n/256, n%256) }
