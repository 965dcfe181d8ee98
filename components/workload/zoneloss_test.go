package workload

import (
	"fmt"
	"testing"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
)

// TestZoneLossHoldsTheHPATarget: with requests equal to limits (Guaranteed
// QoS), the HPA target must leave room for the survivors of a lost zone. 6
// replicas over 3 zones: losing 2 leaves each survivor 1.5x the average, so
// 66% passes (99%) and 67% fails (100.5%). Between 6 and 12 replicas the worst
// count is 7 (3+2+2): losing the zone of 3 leaves 4 pods with 7/4 = 1.75x, so
// 57% passes (99.75%) and 58% fails (101.5%). The toolkit's defaults (70%,
// the sample app's 50m request and 200m limit) pass.
func TestZoneLossHoldsTheHPATarget(t *testing.T) {
	t.Parallel()
	guaranteed := customContainer()
	guaranteed.Resources.CPURequest, guaranteed.Resources.CPULimit = "1", "1"
	tests := []struct {
		min, max, target int
		front            Front
		crossZone        bool
		fails            string
	}{
		{min: 6, max: 6, target: 66},
		{min: 6, max: 6, target: 67, fails: "1.50x"},
		{min: 6, max: 12, target: 57},
		{min: 6, max: 12, target: 58, fails: "with 7 replicas over 3 zones, losing a zone with 3 of them leaves the busiest survivor 1.75x"},
		{min: 6, max: 12, target: 58, front: FrontALB, crossZone: true, fails: "lower the target to at most 57, or raise container.resources.cpuLimit to at least 1015m"},
		// Cross-zone off is worse: at 8 replicas (3+3+2), losing a zone of 3
		// sends half the traffic to the zone of 2, 1/4 per pod over the mean
		// 1/8: 2x. 50% passes, 51% fails.
		{min: 6, max: 12, target: 50, front: FrontNLB},
		{min: 6, max: 12, target: 51, front: FrontNLB, fails: "with 8 replicas over 3 zones, losing a zone with 3 of them leaves the busiest survivor 2.00x"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d-%d at %d%% %s", tc.min, tc.max, tc.target, tc.front), func(t *testing.T) {
			t.Parallel()
			a := Args{Container: guaranteed, Front: tc.front, Autoscaling: &Autoscaling{MinReplicas: tc.min, MaxReplicas: tc.max, TargetCPUUtilization: tc.target}}
			if tc.front == FrontNLB && !tc.crossZone {
				off := false
				a.NLB = loadbalancer.NLB{CrossZone: &off}
			}
			err := validate(a)
			if tc.fails == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			expectOnly(t, err, []string{"autoscaling.targetCpuUtilization"}, tc.fails)
		})
	}
	if err := validate(Args{Autoscaling: &Autoscaling{}}); err != nil {
		t.Errorf("the toolkit's defaults with autoscaling are rejected: %v", err)
	}
}
