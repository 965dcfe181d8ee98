package controlplane

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// LoadBalancer kinds and target types, spelled as the traffic model's topology file
// spells them (`eksbalance predict`).
const (
	KindNLB            = "nlb"
	KindALB            = "alb"
	TargetTypeIP       = "ip"
	TargetTypeInstance = "instance"
)

// Annotations the AWS Load Balancer Controller reads, and from which the topology's
// load-balancer settings are derived.
const (
	annNLBTargetType  = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"
	annNLBAttributes  = "service.beta.kubernetes.io/aws-load-balancer-attributes"
	annALBTargetType  = "alb.ingress.kubernetes.io/target-type"
	annALBTGAttribute = "alb.ingress.kubernetes.io/target-group-attributes"
	crossZoneKey      = "load_balancing.cross_zone.enabled"
)

// Topology is the traffic model's input file (see `eksbalance predict`).
type Topology struct {
	LoadBalancer          TopologyLB     `json:"loadBalancer"`
	ExternalTrafficPolicy string         `json:"externalTrafficPolicy,omitempty"`
	Zones                 []TopologyZone `json:"zones"`
}

// TopologyLB is the load balancer part of a Topology.
type TopologyLB struct {
	Kind       string `json:"kind"`
	TargetType string `json:"targetType"`
	CrossZone  bool   `json:"crossZone"`
}

// TopologyZone is one zone and its nodes.
type TopologyZone struct {
	Name  string         `json:"name"`
	Nodes []TopologyNode `json:"nodes"`
}

// TopologyNode is one node and its number of ready pods.
type TopologyNode struct {
	Name string `json:"name"`
	Pods int    `json:"pods"`
}

// Prediction is `eksbalance predict -o json` output.
type Prediction struct {
	Pods              []PodShare `json:"pods"`
	MaxOverMean       float64    `json:"maxOverMean"`
	MinOverMean       float64    `json:"minOverMean"`
	CrossZoneFraction float64    `json:"crossZoneFraction"`
	ExtraHopFraction  float64    `json:"extraHopFraction"`
}

// PodShare is one pod's predicted share of requests.
type PodShare struct {
	Zone  string  `json:"zone"`
	Node  string  `json:"node"`
	Index int     `json:"index"`
	Share float64 `json:"share"`
}

// LBFromService derives the model's load balancer from a Service of type LoadBalancer
// as the AWS Load Balancer Controller reads it: NLB; target type from the
// nlb-target-type annotation (the controller's default is instance); cross-zone only
// when the attributes annotation turns it on (NLB's default is off). The returned
// externalTrafficPolicy is empty for ip targets, where it does not apply.
func LBFromService(svc *corev1.Service) (TopologyLB, string, error) {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return TopologyLB{}, "", fmt.Errorf("service %s: spec.type %q: an NLB needs type LoadBalancer", svc.Name, svc.Spec.Type)
	}
	lb := TopologyLB{Kind: KindNLB, TargetType: TargetTypeInstance}
	if tt := svc.Annotations[annNLBTargetType]; tt != "" {
		lb.TargetType = tt
	}
	if lb.TargetType != TargetTypeIP && lb.TargetType != TargetTypeInstance {
		return TopologyLB{}, "", fmt.Errorf("service %s: annotation %s=%q: must be ip or instance", svc.Name, annNLBTargetType, lb.TargetType)
	}
	cz, err := attribute(svc.Annotations[annNLBAttributes], crossZoneKey, false)
	if err != nil {
		return TopologyLB{}, "", fmt.Errorf("service %s: annotation %s: %w", svc.Name, annNLBAttributes, err)
	}
	lb.CrossZone = cz
	etp := ""
	if lb.TargetType == TargetTypeInstance {
		etp = string(svc.Spec.ExternalTrafficPolicy)
		if etp == "" {
			etp = string(corev1.ServiceExternalTrafficPolicyCluster)
		}
	}
	return lb, etp, nil
}

// LBFromIngress derives the model's load balancer from an ALB Ingress: target type from
// the target-type annotation (controller default instance); cross-zone on, as ALB always
// is, unless the target-group attributes turn it off. With instance targets the
// externalTrafficPolicy comes from the backend Service.
func LBFromIngress(ing *networkingv1.Ingress, backend *corev1.Service) (TopologyLB, string, error) {
	lb := TopologyLB{Kind: KindALB, TargetType: TargetTypeInstance}
	if tt := ing.Annotations[annALBTargetType]; tt != "" {
		lb.TargetType = tt
	}
	if lb.TargetType != TargetTypeIP && lb.TargetType != TargetTypeInstance {
		return TopologyLB{}, "", fmt.Errorf("ingress %s: annotation %s=%q: must be ip or instance", ing.Name, annALBTargetType, lb.TargetType)
	}
	cz, err := attribute(ing.Annotations[annALBTGAttribute], crossZoneKey, true)
	if err != nil {
		return TopologyLB{}, "", fmt.Errorf("ingress %s: annotation %s: %w", ing.Name, annALBTGAttribute, err)
	}
	lb.CrossZone = cz
	etp := ""
	if lb.TargetType == TargetTypeInstance && backend != nil {
		etp = string(backend.Spec.ExternalTrafficPolicy)
		if etp == "" {
			etp = string(corev1.ServiceExternalTrafficPolicyCluster)
		}
	}
	return lb, etp, nil
}

// attribute reads a boolean key from a "k=v,k=v" annotation value.
func attribute(list, key string, def bool) (bool, error) {
	for _, kv := range strings.Split(list, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		switch strings.TrimSpace(v) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		default:
			return false, fmt.Errorf("%s=%q: must be true or false", key, v)
		}
	}
	return def, nil
}

// Topology turns the placement into the model's input.
func (p Placement) Topology(lb TopologyLB, externalTrafficPolicy string) Topology {
	t := Topology{LoadBalancer: lb, ExternalTrafficPolicy: externalTrafficPolicy}
	for _, z := range p.Zones {
		tz := TopologyZone{Name: z.Name, Nodes: []TopologyNode{}}
		for _, n := range z.Nodes {
			tz.Nodes = append(tz.Nodes, TopologyNode{Name: n.Name, Pods: len(n.Pods)})
		}
		t.Zones = append(t.Zones, tz)
	}
	return t
}

// PredictE writes the topology to dir/name.yaml and runs `eksbalance predict FILE -o json`.
func PredictE(bin, dir, name string, topo Topology) (Prediction, string, error) {
	data, err := yaml.Marshal(topo)
	if err != nil {
		return Prediction{}, "", err
	}
	file := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return Prediction{}, "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "predict", file, "-o", "json")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Prediction{}, file, fmt.Errorf("%s predict %s -o json: %w\nstderr: %s\ntopology:\n%s", bin, file, err, stderr.String(), data)
	}
	var pred Prediction
	if err := json.Unmarshal(stdout.Bytes(), &pred); err != nil {
		return Prediction{}, file, fmt.Errorf("predict output is not the expected JSON: %w\n%s", err, stdout.String())
	}
	if len(pred.Pods) == 0 {
		return Prediction{}, file, fmt.Errorf("predict output has no pods:\n%s", stdout.String())
	}
	return pred, file, nil
}

// String renders a prediction as a small table with one bar per pod.
func (p Prediction) String() string {
	var b strings.Builder
	mean := 0.0
	for _, s := range p.Pods {
		mean += s.Share
	}
	if len(p.Pods) > 0 {
		mean /= float64(len(p.Pods))
	}
	for _, s := range p.Pods {
		bar := 0
		if mean > 0 {
			bar = int(s.Share/mean*20 + 0.5)
		}
		fmt.Fprintf(&b, "  %-12s %-22s #%d  %6.2f%%  %s\n", s.Zone, s.Node, s.Index, s.Share*100, strings.Repeat("#", bar))
	}
	fmt.Fprintf(&b, "  max/mean %.3f  min/mean %.3f  cross-AZ %.1f%%  extra hop %.1f%%\n",
		p.MaxOverMean, p.MinOverMean, p.CrossZoneFraction*100, p.ExtraHopFraction*100)
	return b.String()
}
