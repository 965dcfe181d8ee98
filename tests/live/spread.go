package live

import (
	"fmt"
	"math"
	"sort"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/tests/measure"
)

// Thresholds of the spread check. The live run is a regression alarm, not an
// experiment: the hypothesis "traffic follows the model" is what the toolkit
// was built to make true, and a red CI job costs someone an afternoon, so the
// bar for "this is not noise" is set high.
const (
	// Alpha is the chi-square test's significance: the run fails when a
	// spread at least this uneven would arise by chance less than once in a
	// thousand runs of a correct deployment. 0.05 would fail one healthy run
	// in twenty; at 0.001 a failure means something, and the sample size
	// (SampleSize) is raised so the test still has the power to see a real
	// imbalance.
	Alpha = 0.001
	// DetectImbalance and Power size the sample: one pod getting 15% more
	// (or less) than its expected share is caught with probability 0.9 at
	// Alpha. 15% is where an uneven spread starts to matter for capacity
	// planning (a pod running 15% hotter than its peers reaches its CPU
	// target first), and a smaller effect would need tens of thousands of
	// requests through an internet-facing load balancer per run.
	DetectImbalance = 0.15
	Power           = 0.9
	// NoiseZ is how many standard errors of sampling noise MaxOverMeanBound
	// allows above the model's own max/mean: 4 makes a false alarm about
	// 3e-5 per pod, so a handful of pods stays far below Alpha.
	NoiseZ = 4.0
)

// PodPlacement is where Kubernetes put one ready pod.
type PodPlacement struct {
	// Pod is the pod's name, which the sample app answers on /hostname.
	Pod string
	// Node is the node's name.
	Node string
	// Zone is the node's topology.kubernetes.io/zone label.
	Zone string
	// IP is the pod IP: with ip targets, the target the load balancer registers.
	IP string
}

// TopologyFor is the model's view of an actual placement: lb in front of the
// zones the load balancer is enabled in (lbZones) and the zones of nodes
// (node name -> zone, every node of the cluster, so instance targets under
// externalTrafficPolicy Cluster would see pod-less nodes too) with the ready
// pods on each. Zones and nodes are sorted by name, so the same placement
// always gives the same topology.
func TopologyFor(lb model.LoadBalancer, lbZones []string, nodes map[string]string, pods []PodPlacement) model.Topology {
	perNode := map[string]int{}
	zoneNodes := map[string]map[string]bool{}
	addNode := func(zone, node string) {
		if zoneNodes[zone] == nil {
			zoneNodes[zone] = map[string]bool{}
		}
		zoneNodes[zone][node] = true
	}
	for _, z := range lbZones {
		if zoneNodes[z] == nil {
			zoneNodes[z] = map[string]bool{}
		}
	}
	for node, zone := range nodes {
		addNode(zone, node)
	}
	for _, p := range pods {
		perNode[p.Node]++
		addNode(p.Zone, p.Node)
	}
	t := model.Topology{LoadBalancer: lb}
	for _, z := range sortedKeys(zoneNodes) {
		zone := model.Zone{Name: z, Nodes: []model.Node{}}
		for _, n := range sortedKeys(zoneNodes[z]) {
			zone.Nodes = append(zone.Nodes, model.Node{Name: n, Pods: perNode[n]})
		}
		t.Zones = append(t.Zones, zone)
	}
	return t
}

// ExpectedShares runs the model on t and names each predicted share after
// the pod it belongs to: the model numbers the pods on a node 0..k-1, and
// the placement's pods on that node are taken in name order.
func ExpectedShares(t model.Topology, pods []PodPlacement) (map[string]float64, model.Prediction, error) {
	pred, err := model.Predict(t)
	if err != nil {
		return nil, model.Prediction{}, err
	}
	byNode := map[string][]string{}
	for _, p := range pods {
		byNode[p.Node] = append(byNode[p.Node], p.Pod)
	}
	for _, names := range byNode {
		sort.Strings(names)
	}
	shares := make(map[string]float64, len(pods))
	for _, ps := range pred.Pods {
		names := byNode[ps.Node]
		if ps.Index >= len(names) {
			return nil, pred, fmt.Errorf("model lists pod %d on node %s, the placement has %d", ps.Index, ps.Node, len(names))
		}
		shares[names[ps.Index]] = ps.Share
	}
	if len(shares) != len(pods) {
		return nil, pred, fmt.Errorf("model gave shares to %d pods, the placement has %d (duplicate pod names?)", len(shares), len(pods))
	}
	return shares, pred, nil
}

// SampleSize is the number of requests the spread check sends: enough that a
// pod off by DetectImbalance is caught with probability Power at Alpha, and
// never fewer than MinRequests.
func SampleSize(shares map[string]float64) (int, error) {
	n, err := measure.SampleSizeForImbalance(shares, DetectImbalance, Alpha, Power)
	if err != nil {
		return 0, err
	}
	return min(max(n, MinRequests), MaxRequests), nil
}

// MaxOverMeanBound is the largest measured max/mean (busiest pod's count
// over the mean count of the pods that should serve) accepted from n
// requests: for each pod, its expected share relative to the mean plus
// NoiseZ standard errors of its sampling noise, the largest over the pods.
// With the toolkit's settings the model says 1.0 for every placement (ip
// targets, cross-zone on), so the bound is 1 plus noise: about 1.11 for six
// pods and the 6,491 requests SampleSize gives them. It tightens as n grows,
// so a larger sample can only make the check stricter.
func MaxOverMeanBound(shares map[string]float64, n int) float64 {
	k := 0
	for _, p := range shares {
		if p > 0 {
			k++
		}
	}
	bound := 0.0
	for _, p := range shares {
		if p <= 0 {
			continue
		}
		se := math.Sqrt(p * (1 - p) / float64(n))
		bound = math.Max(bound, float64(k)*(p+NoiseZ*se))
	}
	return bound
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
