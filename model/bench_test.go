package model

import (
	"fmt"
	"testing"
)

// bigTopology is nodes nodes over 3 zones with podsPer pods each; uneven
// gives node i (i mod podsPer)+1 pods instead, so shares differ per node
// and the rationals get varied denominators.
func bigTopology(tt TargetType, crossZone bool, policy Policy, nodes, podsPer int, uneven bool) Topology {
	tp := Topology{
		LoadBalancer:          LoadBalancer{Kind: KindNLB, TargetType: tt, CrossZone: crossZone},
		ExternalTrafficPolicy: policy,
		Zones:                 []Zone{{Name: "us-east-1a"}, {Name: "us-east-1b"}, {Name: "us-east-1c"}},
	}
	for i := range nodes {
		p := podsPer
		if uneven {
			p = i%podsPer + 1
		}
		z := &tp.Zones[i%3]
		z.Nodes = append(z.Nodes, Node{Name: fmt.Sprintf("node-%04d", i), Pods: p})
	}
	return tp
}

var benchCases = []struct {
	name string
	tp   Topology
}{
	{"ip-crosszone-on", bigTopology(TargetTypeIP, true, "", 1000, 30, false)},
	{"ip-crosszone-off", bigTopology(TargetTypeIP, false, "", 1000, 30, false)},
	{"instance-cluster", bigTopology(TargetTypeInstance, false, PolicyCluster, 1000, 30, false)},
	{"instance-local", bigTopology(TargetTypeInstance, false, PolicyLocal, 1000, 30, false)},
	{"instance-local-uneven", bigTopology(TargetTypeInstance, false, PolicyLocal, 1000, 30, true)},
}

// BenchmarkPredict1000x30 is the exact model on 1,000 nodes with 30 pods
// each (30,000 pods), including validation and the per-pod listing. The
// "baseline-pod-list" case only builds the 30,000-entry listing every
// prediction returns: the floor any implementation pays, to read the other
// figures against on a busy machine.
func BenchmarkPredict1000x30(b *testing.B) {
	b.Run("baseline-pod-list", func(b *testing.B) {
		tp := benchCases[0].tp
		b.ReportAllocs()
		start := processCPU()
		for b.Loop() {
			pods := make([]PodShare, 0, tp.TotalPods())
			for _, z := range tp.Zones {
				for _, n := range z.Nodes {
					for k := range n.Pods {
						pods = append(pods, PodShare{Zone: z.Name, Node: n.Name, Index: k, Share: 1})
					}
				}
			}
			sinkPods = pods
		}
		reportCPU(b, start)
	})
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			for b.Loop() {
				if _, err := Predict(bc.tp); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkSimulate runs the default stochastic config (100 connections,
// exponential mean 100, 30 repetitions) over the 30,000 pods of the
// instance-local 1000x30 layout.
func BenchmarkSimulate(b *testing.B) {
	pred := mustPredict(b, bigTopology(TargetTypeInstance, false, PolicyLocal, 1000, 30, true))
	for _, c := range []struct {
		name string
		cfg  SimConfig
	}{
		{"l4", SimConfig{}},
		{"l4-recycle-10", SimConfig{MaxRequestsPerConnection: 10}},
		{"l7", SimConfig{Balancing: BalancingRequest}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			for b.Loop() {
				if _, err := Simulate(pred, c.cfg); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

var sinkPods []PodShare

// BenchmarkPlace places 2,997 replicas on 999 nodes in 3 zones (999, not
// 1,000: with 334/333/333 nodes, zone and hostname maxSkew 1 conflict after
// two rounds and leave pods Pending, as the real scheduler would).
func BenchmarkPlace(b *testing.B) {
	zones := make([]ZoneCapacity, 3)
	for i := range zones {
		zones[i].Name = fmt.Sprintf("zone-%d", i)
	}
	for i := range 999 {
		zones[i%3].Nodes = append(zones[i%3].Nodes, fmt.Sprintf("node-%04d", i))
	}
	for _, sp := range []Spread{both, none} {
		b.Run(fmt.Sprintf("zone%d-host%d", sp.ZoneMaxSkew, sp.HostMaxSkew), func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			for b.Loop() {
				if _, err := Place(zones, 2997, sp); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}
