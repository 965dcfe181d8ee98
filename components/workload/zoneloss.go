package workload

import (
	"fmt"
	"math"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/internal/validation"
	"github.com/eksbalance/eksbalance/model"
)

// zoneLossPeak is the traffic model's answer for replicas spread over zones
// with maxSkew 1 (the first replicas%zones zones one pod ahead): the largest
// load, over the zones that could be lost, of the busiest surviving pod
// relative to the average load before the loss, and the lost zone's pods. ok
// is false when some zone would hold every pod (a loss is then an outage, not
// a load shift).
func zoneLossPeak(replicas, zones int, crossZone bool, tt loadbalancer.TargetType) (peak float64, lostPods int, ok bool) {
	t := model.Topology{LoadBalancer: model.LoadBalancer{Kind: model.KindNLB, TargetType: model.TargetTypeIP, CrossZone: crossZone}}
	if tt == loadbalancer.TargetTypeInstance {
		// The template leaves externalTrafficPolicy at Kubernetes' Cluster.
		t.LoadBalancer.TargetType, t.ExternalTrafficPolicy = model.TargetTypeInstance, model.PolicyCluster
	}
	for z := range zones {
		pods := replicas / zones
		if z < replicas%zones {
			pods++
		}
		t.Zones = append(t.Zones, model.Zone{Name: fmt.Sprintf("zone-%d", z+1), Nodes: []model.Node{{Name: fmt.Sprintf("node-%d", z+1), Pods: pods}}})
	}
	peak, zone, err := model.WorstZoneLoss(t)
	if err != nil {
		return 0, 0, false
	}
	for _, z := range t.Zones {
		if z.Name == zone {
			lostPods = z.Nodes[0].Pods
		}
	}
	return peak, lostPods, true
}

// validateZoneLoss holds the autoscaling target to the traffic model's
// zone-lost row: right after a zone is shifted away or goes down, the busiest
// surviving pod carries PeakOverMean times the average load the HPA held at
// its target (1.5x with 3 even zones), until the HPA adds pods. At the target
// that pod must stay within its CPU limit (CPU taken as proportional to
// requests served), or it is throttled exactly when the service is short of a
// zone. The check runs over every replica count the HPA may hold: for each
// count modulo the zone count the smallest is the worst, so minReplicas and
// the zoneCount-1 counts above it cover them all.
func (a Args) validateZoneLoss(v *validation.Errors) {
	h := a.Autoscaling
	if h == nil || a.ZoneCount < 2 || h.MinReplicas < 1 || h.MaxReplicas < h.MinReplicas || h.TargetCPUUtilization < 1 {
		return
	}
	req, err1 := resource.ParseQuantity(a.Container.Resources.CPURequest)
	lim, err2 := resource.ParseQuantity(a.Container.Resources.CPULimit)
	if err1 != nil || err2 != nil || req.Sign() <= 0 || lim.Sign() <= 0 {
		return // validateContainer reports it
	}
	cross := true
	switch a.Front {
	case FrontNLB:
		cross = a.NLB.CrossZone == nil || *a.NLB.CrossZone
	case FrontALB:
		cross = a.ALB.CrossZone == nil || *a.ALB.CrossZone
	}
	worst, worstAt, worstLost := 0.0, 0, 0
	for n := h.MinReplicas; n <= min(h.MaxReplicas, h.MinReplicas+a.ZoneCount-1); n++ {
		if peak, lost, ok := zoneLossPeak(n, a.ZoneCount, cross, a.targetType()); ok && peak > worst {
			worst, worstAt, worstLost = peak, n, lost
		}
	}
	if worst == 0 {
		return
	}
	target := float64(h.TargetCPUUtilization) / 100
	reqMilli, limMilli := float64(req.MilliValue()), float64(lim.MilliValue())
	if target*worst*reqMilli <= limMilli*(1+1e-9) {
		return
	}
	maxTarget := int(math.Floor(100 * limMilli / (reqMilli * worst) * (1 + 1e-9)))
	minLimit := int64(math.Ceil(target * worst * reqMilli * (1 - 1e-9)))
	v.Add("autoscaling.targetCpuUtilization", h.TargetCPUUtilization,
		"with %d replicas over %d zones, losing a zone with %d of them leaves the busiest survivor %.2fx the average load the HPA holds at the target: "+
			"%d%% x %.2f = %.0f%% of cpuRequest %s (%dm), above cpuLimit %s; lower the target to at most %d, or raise container.resources.cpuLimit to at least %dm",
		worstAt, a.ZoneCount, worstLost, worst, h.TargetCPUUtilization, worst, 100*target*worst,
		a.Container.Resources.CPURequest, int64(math.Round(target*worst*reqMilli)), a.Container.Resources.CPULimit, maxTarget, minLimit)
}
