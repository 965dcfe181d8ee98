package model

import (
	"testing"
	"time"
)

// BenchmarkPopulationContrast is what `plan` adds per load-balanced workload:
// the long-lived callers' view (five rows, the NLB ones simulated: 200 runs of
// 60 + 30 one-minute windows, 10 callers x 5 connections) and the zone-lost
// rows, on the toolkit's 3 x 2 layout. "baseline-exact-rows" is what plan
// computed per workload before it (Predict and the contrast and drift rows),
// to read the figure against in the same run.
func BenchmarkPopulationContrast(b *testing.B) {
	tp := topo(TargetTypeIP, true, "", zs("us-east-1a", 1, 1), zs("us-east-1b", 1, 1), zs("us-east-1c", 1, 1))
	tp.Recycling.MaxConnAge = Duration(time.Minute)
	b.Run("baseline-exact-rows", func(b *testing.B) {
		b.ReportAllocs()
		start := processCPU()
		for b.Loop() {
			if _, err := Predict(tp); err != nil {
				b.Fatal(err)
			}
			for range 2 {
				if _, err := Contrast(KindNLB, tp.Zones); err != nil {
					b.Fatal(err)
				}
			}
		}
		reportCPU(b, start)
	})
	b.Run("population-and-zone-lost", func(b *testing.B) {
		b.ReportAllocs()
		start := processCPU()
		for b.Loop() {
			if _, err := ZoneLost(tp); err != nil {
				b.Fatal(err)
			}
			if _, err := PopulationContrast(tp, Duration(time.Minute), PopulationOptions{}, nil); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	})
}
