package model

// entry is a topology seen from one connection: which zones DNS hands out,
// and for a connection that entered through a zone's load-balancer node, the
// probability of each pod serving it. Averaging a row over the DNS zones gives
// Predict's shares (entry_test.go checks it), which is why Predict is the
// limit of many independent callers.
type entry struct {
	// pods lists every pod in Predict's order, with its zone index.
	pods []entryPod
	// dns lists the indexes of the zones in DNS.
	dns []int
	// cond[z][p] is the probability that a connection entering through zone
	// z's load-balancer node is served by pod p; nil for a zone not in DNS.
	cond [][]float64
	// share is Predict's share of each pod.
	share []float64
	// uniform is true when every DNS zone has the same row (cross-zone on, or
	// kube-proxy's Cluster policy): then which zone a caller resolved to
	// changes nothing.
	uniform bool
	// zonePods counts the pods per zone.
	zonePods []int
}

type entryPod struct {
	zone, node, index int
}

// newEntry computes the rows for a valid topology, with the semantics of the
// package comment: the load-balancer node of zone z spreads evenly over its
// eligible targets (its own zone's with cross-zone off, all with it on); an
// instance target forwards to any pod (Cluster) or its own pods (Local).
func newEntry(t Topology) (entry, error) {
	pred, err := Predict(t)
	if err != nil {
		return entry{}, err
	}
	e := entry{share: make([]float64, len(pred.Pods)), cond: make([][]float64, len(t.Zones)), zonePods: make([]int, len(t.Zones))}
	for i, p := range pred.Pods {
		e.share[i] = p.Share
	}
	policy := t.EffectivePolicy()
	cross := t.LoadBalancer.CrossZone
	podNodes := make([]int, len(t.Zones))
	nodes := make([]int, len(t.Zones))
	totalPodNodes := 0
	for zi, z := range t.Zones {
		for ni, n := range z.Nodes {
			nodes[zi]++
			if n.Pods > 0 {
				podNodes[zi]++
				totalPodNodes++
			}
			for k := range n.Pods {
				e.pods = append(e.pods, entryPod{zone: zi, node: ni, index: k})
				e.zonePods[zi]++
			}
		}
	}
	P := float64(len(e.pods))
	for zi := range t.Zones {
		targets := 0
		switch policy {
		case "":
			targets = e.zonePods[zi]
		case PolicyCluster:
			targets = nodes[zi]
		case PolicyLocal:
			targets = podNodes[zi]
		}
		if !cross && targets == 0 {
			continue // not in DNS: the zone's node fails every health check
		}
		e.dns = append(e.dns, zi)
		row := make([]float64, len(e.pods))
		for pi, p := range e.pods {
			onNode := float64(t.Zones[p.zone].Nodes[p.node].Pods)
			switch {
			case policy == PolicyCluster, policy == "" && cross:
				// kube-proxy picks any pod; or every LB node spreads over
				// every pod.
				row[pi] = 1 / P
			case policy == "":
				if p.zone == zi {
					row[pi] = 1 / float64(e.zonePods[zi])
				}
			case cross: // Local, over every node with a pod
				row[pi] = 1 / float64(totalPodNodes) / onNode
			default: // Local, own zone's nodes with a pod
				if p.zone == zi {
					row[pi] = 1 / float64(podNodes[zi]) / onNode
				}
			}
		}
		e.cond[zi] = row
	}
	e.uniform = cross || policy == PolicyCluster
	return e, nil
}

// dnsAt returns the index in e.dns of zone zi, or -1.
func (e entry) dnsAt(zi int) int {
	for i, z := range e.dns {
		if z == zi {
			return i
		}
	}
	return -1
}
