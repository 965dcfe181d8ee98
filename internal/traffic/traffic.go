// Package traffic derives, from a planned stack, the topology the scheduler will
// produce for each load-balanced workload and asks the traffic model what share
// of requests each pod will get. It reads only the plan: node groups (nodes per
// zone), Deployments (replicas and spread constraints), and the Services and
// Ingresses in front of them (target type, cross-zone, externalTrafficPolicy).
package traffic

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/plan"
	"github.com/eksbalance/eksbalance/serve"
)

// Annotation keys read from Services and Ingresses (AWS Load Balancer Controller).
const (
	annNLBTargetType = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"
	annLBType        = "service.beta.kubernetes.io/aws-load-balancer-type"
	annNLBAttributes = "service.beta.kubernetes.io/aws-load-balancer-attributes"
	annALBTargetType = "alb.ingress.kubernetes.io/target-type"
	annALBTGAttrs    = "alb.ingress.kubernetes.io/target-group-attributes"
	zoneTag          = "k8s.io/cluster-autoscaler/node-template/label/topology.kubernetes.io/zone"
)

// Prediction is the model's view of one load-balanced workload.
type Prediction struct {
	// Workload is namespace/name of the Deployment; Front the Service or Ingress
	// that exposes it; URN the Deployment's resource.
	Workload, Front, URN string
	// Replicas and Spread as the plan declares them.
	Replicas int
	Spread   model.Spread
	// Topology is the placement derived from the node groups and the model's
	// input; Result its prediction.
	Topology model.Topology
	Result   model.Prediction
	// Contrast is the same placement under the toolkit's and Kubernetes' defaults.
	Contrast []model.NamedPrediction
	// Drift is the placement after one pod landed on another node (a rollout or
	// node replacement; the scheduler never rebalances), under the same variants:
	// only ip targets with cross-zone on stay even whatever the layout.
	Drift     []model.NamedPrediction
	DriftNote string
	// Pending is set when the constraints leave replicas unscheduled.
	Pending string
	// Recycling is the workload's connection recycling, read from its
	// container's EKSBALANCE_MAX_CONN_AGE and EKSBALANCE_MAX_CONN_REQUESTS.
	Recycling model.Recycling
	// ZoneLost is the placement with each zone out in turn (shifted away or
	// down).
	ZoneLost []model.ZoneLoss
	// Population is the placement under long-lived callers (Options.Clients),
	// as planned and under the toolkit's default and the usual alternatives.
	Population []model.NamedPopulation
}

// Options are the inputs a plan does not hold.
type Options struct {
	// Clients is who calls the workloads. Default model.DefaultPopulation.
	Clients *model.ClientPopulation
	// Population sets up the long-lived callers' view; its zero value takes
	// model.PopulationOptions' defaults.
	Population model.PopulationOptions
	// SkipPopulation leaves Prediction.Population empty.
	SkipPopulation bool
	// DefaultTargetType is the controller's default target type ("ip" or
	// "instance") for objects that set none, when the caller knows the cluster's
	// controller (eksbalance plan --controller-default-target-type). Empty: the
	// planned controller release's (ControllerDefault), else a stock one's.
	DefaultTargetType string
}

// Predict derives a prediction for every load-balanced Deployment in p. Without
// node groups in the plan there is nothing to place pods on: it returns an
// explanation instead.
func Predict(p *plan.Plan) ([]Prediction, []string, error) {
	return PredictWith(p, Options{})
}

// PredictWith is Predict with the inputs a plan does not hold: who the
// callers are. Without node groups or existing nodes, a workload whose hard
// zone spread names its zones gets a layout derived from it (see
// provisionedCapacity); others are skipped with a note.
func PredictWith(p *plan.Plan, o Options) ([]Prediction, []string, error) {
	planned := capacity(p)
	var notes []string
	def := defaultTargetType(p)
	switch o.DefaultTargetType {
	case "ip":
		def = model.TargetTypeIP
	case "instance":
		def = model.TargetTypeInstance
	}
	fronts := frontsOf(p, def)
	var out []Prediction
	cache := &model.PopulationCache{}
	for _, d := range p.ByType("kubernetes:apps/v1:Deployment") {
		f, ok := fronts.match(d)
		if !ok {
			continue
		}
		replicas := intOf(d.Inputs, "spec.replicas", 1)
		spread := spreadOf(d)
		zones := planned
		if len(zones) == 0 {
			derived, note, ok := provisionedCapacity(p, d, replicas)
			if !ok || !(f.autoMode || autoModeCluster(p)) {
				notes = append(notes, nsName(d.Inputs)+": no node groups in the plan (eks:index:ManagedNodeGroup with a zone tag) and no existing nodes given (eksbalance plan --nodes or --nodes-file): traffic prediction skipped")
				continue
			}
			zones = derived
			notes = append(notes, nsName(d.Inputs)+": "+note)
		}
		placed, err := model.Place(zones, replicas, spread)
		pr := Prediction{Workload: nsName(d.Inputs), Front: f.name, URN: d.URN, Replicas: replicas, Spread: spread}
		if err != nil {
			if pe, ok := err.(*model.UnschedulableError); ok {
				pr.Pending = pe.Error()
			} else {
				return nil, nil, fmt.Errorf("%s: %w", pr.Workload, err)
			}
		}
		pr.Recycling = recyclingOf(d)
		pr.Topology = model.Topology{
			LoadBalancer:          model.LoadBalancer{Kind: f.kind, TargetType: f.targetType, CrossZone: f.crossZone},
			ExternalTrafficPolicy: f.policy,
			Zones:                 placed,
			Clients:               o.Clients,
			Recycling:             pr.Recycling,
		}
		if pr.Topology.TotalPods() == 0 {
			notes = append(notes, pr.Workload+": no pod can be placed; "+pr.Pending)
			continue
		}
		if pr.Result, err = model.Predict(pr.Topology); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", pr.Workload, err)
		}
		if pr.Contrast, err = model.Contrast(f.kind, copyZones(placed)); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", pr.Workload, err)
		}
		if drifted, note, ok := drift(placed); ok {
			if pr.Drift, err = model.Contrast(f.kind, drifted); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", pr.Workload, err)
			}
			pr.DriftNote = note
		}
		if err := pr.clientsAndZones(o, cache); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", pr.Workload, err)
		}
		out = append(out, pr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Workload < out[j].Workload })
	return out, notes, nil
}

// clientsAndZones fills the zone-lost rows and the long-lived callers' view.
func (pr *Prediction) clientsAndZones(o Options, cache *model.PopulationCache) error {
	var err error
	if pr.ZoneLost, err = model.ZoneLost(pr.Topology); err != nil {
		return err
	}
	if o.SkipPopulation {
		return nil
	}
	pr.Population, err = model.PopulationContrast(pr.Topology, model.Duration(workload.DefaultNLBMaxConnAge), o.Population, cache)
	return err
}

// recyclingOf reads the recycling the workload template passes to the app:
// EKSBALANCE_MAX_CONN_AGE (seconds) and EKSBALANCE_MAX_CONN_REQUESTS on the
// first container that sets either.
func recyclingOf(d plan.Resource) model.Recycling {
	raw, _ := d.Get("spec.template.spec.containers")
	containers, _ := raw.([]any)
	for _, c := range containers {
		cm, _ := c.(map[string]any)
		env, _ := cm["env"].([]any)
		var r model.Recycling
		found := false
		for _, e := range env {
			em, _ := e.(map[string]any)
			name, _ := em["name"].(string)
			value, _ := em["value"].(string)
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				continue
			}
			switch name {
			case serve.EnvMaxConnAge:
				r.MaxConnAge, found = model.Duration(time.Duration(n)*time.Second), true
			case serve.EnvMaxConnRequests:
				r.MaxConnRequests, found = n, true
			}
		}
		if found {
			return r
		}
	}
	return model.Recycling{}
}

// drift moves one pod from the last node that has one to the first node of
// another zone: the smallest change a rollout or node replacement makes and the
// scheduler never undoes.
func drift(zones []model.Zone) ([]model.Zone, string, bool) {
	out := copyZones(zones)
	for zi := len(out) - 1; zi >= 0; zi-- {
		for ni := len(out[zi].Nodes) - 1; ni >= 0; ni-- {
			if out[zi].Nodes[ni].Pods == 0 {
				continue
			}
			for zj := range out {
				if zj == zi || len(out[zj].Nodes) == 0 {
					continue
				}
				from, to := &out[zi].Nodes[ni], &out[zj].Nodes[0]
				from.Pods--
				to.Pods++
				return out, fmt.Sprintf("one pod moved from %s (%s) to %s (%s)", from.Name, out[zi].Name, to.Name, out[zj].Name), true
			}
		}
	}
	return nil, "", false
}

func copyZones(zones []model.Zone) []model.Zone {
	out := make([]model.Zone, len(zones))
	for i, z := range zones {
		out[i] = model.Zone{Name: z.Name, Nodes: append([]model.Node(nil), z.Nodes...)}
	}
	return out
}

// capacity lists each zone's nodes: the existing nodes the caller described
// when there are any (they win over node groups), else the managed node
// groups' desired sizes.
func capacity(p *plan.Plan) []model.ZoneCapacity {
	if len(p.ExistingNodes) > 0 {
		out := make([]model.ZoneCapacity, 0, len(p.ExistingNodes))
		for _, z := range p.ExistingNodes {
			if len(z.Nodes) > 0 {
				out = append(out, model.ZoneCapacity{Name: z.Name, Nodes: append([]string(nil), z.Nodes...)})
			}
		}
		return out
	}
	byZone := map[string][]string{}
	for _, g := range p.ByType("eks:index:ManagedNodeGroup") {
		zone := g.String("tags[" + zoneTag + "]")
		if zone == "" {
			continue
		}
		n := intOf(g.Inputs, "scalingConfig.desiredSize", 0)
		for i := 0; i < n; i++ {
			byZone[zone] = append(byZone[zone], fmt.Sprintf("%s-%d", g.Name, i+1))
		}
	}
	names := make([]string, 0, len(byZone))
	for z := range byZone {
		names = append(names, z)
	}
	sort.Strings(names)
	out := make([]model.ZoneCapacity, 0, len(names))
	for _, z := range names {
		out = append(out, model.ZoneCapacity{Name: z, Nodes: byZone[z]})
	}
	return out
}

// front is what the model needs to know of a Service or Ingress.
type front struct {
	name, namespace string
	selector        map[string]string
	kind            model.Kind
	targetType      model.TargetType
	crossZone       bool
	policy          model.Policy
	// autoMode: EKS Auto Mode provisions this front (and so the nodes).
	autoMode bool
}

type frontSet []front

func (fs frontSet) match(d plan.Resource) (front, bool) {
	labels, _ := d.Get("spec.template.metadata.labels")
	lm, _ := labels.(map[string]any)
	ns := d.String("metadata.namespace")
	for _, f := range fs {
		if f.namespace != ns || len(f.selector) == 0 {
			continue
		}
		ok := true
		for k, v := range f.selector {
			if lm[k] != v {
				ok = false
				break
			}
		}
		if ok {
			return f, true
		}
	}
	return front{}, false
}

// frontsOf finds the load-balanced Services: type LoadBalancer ones (an NLB when
// the AWS Load Balancer Controller handles them), those an ALB Ingress routes
// to, and those a route on a controller Gateway sends to (gateway.go). Objects
// that set no target type get def, the controller's default.
func frontsOf(p *plan.Plan, def model.TargetType) frontSet {
	services := map[string]plan.Resource{}
	var out frontSet
	for _, s := range p.ByType("kubernetes:core/v1:Service") {
		services[s.String("metadata.namespace")+"/"+s.String("metadata.name")] = s
		if s.String("spec.type") != "LoadBalancer" || otherClass(s) {
			continue
		}
		f := front{name: "Service " + nsName(s.Inputs), namespace: s.String("metadata.namespace"), selector: selector(s), kind: model.KindNLB}
		ann := func(k string) string { return s.String("metadata.annotations[" + k + "]") }
		f.targetType = def
		f.autoMode = s.String("spec.loadBalancerClass") == autoModeNLBClass
		switch {
		case ann(annNLBTargetType) == "ip" || ann(annLBType) == "nlb-ip" || (f.autoMode && ann(annNLBTargetType) == ""):
			f.targetType = model.TargetTypeIP
		case ann(annNLBTargetType) == "instance":
			f.targetType = model.TargetTypeInstance
		}
		f.crossZone = attr(ann(annNLBAttributes), "load_balancing.cross_zone.enabled") == "true"
		if f.targetType == model.TargetTypeInstance {
			f.policy = model.PolicyCluster
			if s.String("spec.externalTrafficPolicy") == "Local" {
				f.policy = model.PolicyLocal
			}
		}
		out = append(out, f)
	}
	classes := albIngressClasses(p)
	for _, ing := range p.ByType("kubernetes:networking.k8s.io/v1:Ingress") {
		autoMode, known := classes[ing.String("spec.ingressClassName")]
		if !known && ing.String("spec.ingressClassName") != "alb" && ing.String("metadata.annotations[kubernetes.io/ingress.class]") != "alb" {
			continue
		}
		ann := func(k string) string { return ing.String("metadata.annotations[" + k + "]") }
		ns := ing.String("metadata.namespace")
		for _, svcName := range backends(ing) {
			s, ok := services[ns+"/"+svcName]
			if !ok {
				continue
			}
			f := front{name: "Ingress " + nsName(ing.Inputs), namespace: ns, selector: selector(s), kind: model.KindALB, autoMode: autoMode,
				targetType: def, crossZone: attr(ann(annALBTGAttrs), "load_balancing.cross_zone.enabled") != "false"}
			switch {
			case ann(annALBTargetType) == "ip" || (autoMode && ann(annALBTargetType) == ""):
				f.targetType = model.TargetTypeIP
			case ann(annALBTargetType) == "instance":
				f.targetType = model.TargetTypeInstance
			}
			if f.targetType == model.TargetTypeInstance {
				f.policy = model.PolicyCluster
				if s.String("spec.externalTrafficPolicy") == "Local" {
					f.policy = model.PolicyLocal
				}
			}
			out = append(out, f)
		}
	}
	return append(out, gatewayFronts(p, services, def)...)
}

// awsServiceClasses are the Service load-balancer classes AWS serves: the AWS
// Load Balancer Controller's and EKS Auto Mode's.
var awsServiceClasses = map[string]bool{"service.k8s.aws/nlb": true, "eks.amazonaws.com/nlb": true}

// otherClass: the Service names a load-balancer class of another controller
// (tailscale, MetalLB, ...), so no AWS load balancer is in front of it.
func otherClass(s plan.Resource) bool {
	c := s.String("spec.loadBalancerClass")
	return c != "" && !awsServiceClasses[c]
}

func backends(ing plan.Resource) []string {
	var names []string
	if n := ing.String("spec.defaultBackend.service.name"); n != "" {
		names = append(names, n)
	}
	rules, _ := ing.Get("spec.rules")
	rs, _ := rules.([]any)
	for i := range rs {
		paths, _ := ing.Get(fmt.Sprintf("spec.rules[%d].http.paths", i))
		ps, _ := paths.([]any)
		for j := range ps {
			if n := ing.String(fmt.Sprintf("spec.rules[%d].http.paths[%d].backend.service.name", i, j)); n != "" {
				names = append(names, n)
			}
		}
	}
	return names
}

func selector(s plan.Resource) map[string]string {
	raw, _ := s.Get("spec.selector")
	m, _ := raw.(map[string]any)
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// spreadOf reads the hard (DoNotSchedule) zone and hostname constraints; soft
// ones only steer scoring, which Place models as its tie-break.
func spreadOf(d plan.Resource) model.Spread {
	var s model.Spread
	raw, _ := d.Get("spec.template.spec.topologySpreadConstraints")
	list, _ := raw.([]any)
	for _, c := range list {
		m, _ := c.(map[string]any)
		if m == nil {
			continue
		}
		if w, _ := m["whenUnsatisfiable"].(string); w != "" && w != "DoNotSchedule" {
			continue
		}
		skew := intOf(m, "maxSkew", 1)
		switch m["topologyKey"] {
		case "topology.kubernetes.io/zone":
			s.ZoneMaxSkew = skew
		case "kubernetes.io/hostname":
			s.HostMaxSkew = skew
		}
	}
	return s
}

// attr reads key from a comma-separated key=value annotation value.
func attr(list, key string) string {
	for _, kv := range strings.Split(list, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && k == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func intOf(v any, path string, def int) int {
	x, ok := plan.Lookup(v, path)
	if !ok {
		return def
	}
	switch n := x.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case string:
		if i, err := strconv.Atoi(n); err == nil {
			return i
		}
	}
	return def
}

func nsName(obj map[string]any) string {
	ns, _ := plan.Lookup(obj, "metadata.namespace")
	name, _ := plan.Lookup(obj, "metadata.name")
	if ns == nil || ns == "" {
		ns = "default"
	}
	return fmt.Sprintf("%v/%v", ns, name)
}
