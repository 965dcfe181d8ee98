package controlplane

import (
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestAllocatableFollowsEKSReservations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		instanceType string
		cpuMilli     int64
		memoryMiB    int64
		pods         int64
	}{
		// 2000m - (60 + 10); 8192 - (255 + 11*29) - 100.
		{"m6i.large", 1930, 7518, 29},
		// 2000m - 70; 4096 - (255 + 11*17) - 100.
		{"t3.medium", 1930, 3554, 17},
		// 4000m - (60 + 10 + 5 + 5); 16384 - (255 + 11*58) - 100.
		{"m5.xlarge", 3920, 15391, 58},
	}
	for _, tc := range cases {
		t.Run(tc.instanceType, func(t *testing.T) {
			t.Parallel()
			a := InstanceTypes[tc.instanceType].Allocatable()
			if got := a.Cpu().MilliValue(); got != tc.cpuMilli {
				t.Errorf("cpu %dm, want %dm", got, tc.cpuMilli)
			}
			if got := a.Memory().Value() / (1024 * 1024); got != tc.memoryMiB {
				t.Errorf("memory %dMi, want %dMi", got, tc.memoryMiB)
			}
			if got := a.Pods().Value(); got != tc.pods {
				t.Errorf("pods %d, want %d", got, tc.pods)
			}
		})
	}
}

func TestNodeObjects(t *testing.T) {
	t.Parallel()
	nodes, err := NodeObjects(EvenNodeGroups("dev", "t3.medium", 2, "us-west-2a", "us-west-2b"))
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 4 {
		t.Fatalf("%d nodes, want 4", len(nodes))
	}
	_, podNet, _ := net.ParseCIDR(PodNetwork)
	cidrs := map[string]bool{}
	for _, n := range nodes {
		if n.Labels[LabelRegion] != "us-west-2" || n.Labels[LabelInstanceType] != "t3.medium" || n.Labels[LabelHostname] != n.Name {
			t.Errorf("node %s labels %v", n.Name, n.Labels)
		}
		if n.Annotations[KwokAnnotation] != KwokAnnotationValue {
			t.Errorf("node %s is not marked for kwok", n.Name)
		}
		_, cidr, err := net.ParseCIDR(n.Spec.PodCIDR)
		if err != nil || !podNet.Contains(cidr.IP) || cidr.String() != n.Spec.PodCIDR {
			t.Errorf("node %s pod CIDR %q is not a canonical CIDR in %s", n.Name, n.Spec.PodCIDR, PodNetwork)
		}
		if cidrs[n.Spec.PodCIDR] {
			t.Errorf("pod CIDR %s used twice", n.Spec.PodCIDR)
		}
		cidrs[n.Spec.PodCIDR] = true
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP && (!podNet.Contains(net.ParseIP(a.Address)) || cidr.Contains(net.ParseIP(a.Address))) {
				t.Errorf("node %s InternalIP %s is not in %s outside the pod CIDRs", n.Name, a.Address, PodNetwork)
			}
		}
	}
}

func TestNodeGroupValidation(t *testing.T) {
	t.Parallel()
	valid := func() []NodeGroup { return EvenNodeGroups("dev", "m6i.large", 1, "us-east-1a", "us-east-1b") }
	cases := []struct {
		name   string
		mutate func(g []NodeGroup) []NodeGroup
		field  string
	}{
		{"empty name", func(g []NodeGroup) []NodeGroup { g[0].Name = ""; return g }, "nodeGroups[0].name"},
		{"duplicate name", func(g []NodeGroup) []NodeGroup { g[1].Name = g[0].Name; return g }, "nodeGroups[1].name"},
		{"no zone", func(g []NodeGroup) []NodeGroup { g[1].Zone = ""; return g }, "nodeGroups[1].zone"},
		{"unknown instance type", func(g []NodeGroup) []NodeGroup { g[0].InstanceType = "x9.huge"; return g }, "nodeGroups[0].instanceType"},
		{"negative nodes", func(g []NodeGroup) []NodeGroup { g[0].Nodes = -1; return g }, "nodeGroups[0].nodes"},
	}
	if _, err := NodeObjects(valid()); err != nil {
		t.Fatalf("the valid default must pass: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NodeObjects(tc.mutate(valid()))
			if err == nil || !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("want an error naming %s, got %v", tc.field, err)
			}
		})
	}
	// Every problem at once.
	g := valid()
	g[0].InstanceType, g[1].Nodes = "x9.huge", 99
	if _, err := NodeObjects(g); err == nil || !strings.Contains(err.Error(), "nodeGroups[0].instanceType") || !strings.Contains(err.Error(), "nodeGroups[1].nodes") {
		t.Errorf("want both problems reported, got %v", err)
	}
}

func TestLoopbackFor(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want, wantErr string
	}{
		{in: "100.64.3.0", want: "127.64.3.0"},
		{in: "100.127.255.254", want: "127.127.255.254"},
		{in: "100.128.0.1", wantErr: "not in the pod network"},
		{in: "10.0.0.1", wantErr: "not in the pod network"},
		{in: "127.64.3.0", wantErr: "not in the pod network"},
		{in: "fd00::1", wantErr: "not in the pod network"},
		{in: "garbage", wantErr: "not in the pod network"},
	}
	for _, tc := range cases {
		got, err := LoopbackFor(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("LoopbackFor(%q) = %q, %v; want error %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want || !net.ParseIP(got).IsLoopback() {
			t.Errorf("LoopbackFor(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
