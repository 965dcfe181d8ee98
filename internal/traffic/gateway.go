package traffic

import (
	"fmt"
	"strings"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/plan"
)

// The Gateway API fronts and the controller's defaults, read from the plan the
// same way the guardrails read them (policies/rules/lib_gateway.rego): a
// Gateway of the AWS Load Balancer Controller's ALB or NLB class, the routes
// attached to it, and the target type and cross-zone setting its backends get
// from their TargetGroupConfiguration or the Gateway's LoadBalancerConfiguration.

// Chart is the Helm chart of the AWS Load Balancer Controller.
const lbcChart = "aws-load-balancer-controller"

// gatewayClassLB are the GatewayClasses the toolkit creates and the ones the
// controller's guides use, when the plan holds no GatewayClass of that name.
var gatewayClassLB = map[string]model.Kind{
	"aws-alb": model.KindALB, "aws-nlb": model.KindNLB,
	"aws-alb-gateway-class": model.KindALB, "aws-nlb-gateway-class": model.KindNLB,
}

var gatewayControllerLB = map[string]model.Kind{"gateway.k8s.aws/alb": model.KindALB, "gateway.k8s.aws/nlb": model.KindNLB}

// ControllerDefault is the default target type of the controller a plan
// installs (its Helm release's defaultTargetType, or the chart's instance), and
// where it came from; ok is false when the plan installs no controller.
func ControllerDefault(p *plan.Plan) (targetType, source string, ok bool) {
	for _, r := range p.ByType("kubernetes:helm.sh/v3:Release") {
		// The chart as helm takes it: bare with a repository option,
		// repo/chart, or an OCI or chart URL ending in the chart's name.
		if c := r.String("chart"); c != lbcChart && !strings.HasSuffix(c, "/"+lbcChart) {
			continue
		}
		if t := r.String("values.defaultTargetType"); t != "" {
			return t, fmt.Sprintf("the planned controller (Helm release %s, values.defaultTargetType %s)", r.Name, t), true
		}
		return "instance", fmt.Sprintf("the planned controller (Helm release %s sets no defaultTargetType: the chart's instance)", r.Name), true
	}
	return "", "", false
}

// defaultTargetType is the target type objects without one get in this plan.
func defaultTargetType(p *plan.Plan) model.TargetType {
	if t, _, ok := ControllerDefault(p); ok && t == "ip" {
		return model.TargetTypeIP
	}
	return model.TargetTypeInstance
}

// gatewayFronts finds every Service a route on a controller Gateway sends to.
func gatewayFronts(p *plan.Plan, services map[string]plan.Resource, def model.TargetType) frontSet {
	classes := map[string]model.Kind{}
	for _, c := range p.ByType("kubernetes:gateway.networking.k8s.io/v1:GatewayClass") {
		if k, ok := gatewayControllerLB[c.String("spec.controllerName")]; ok {
			classes[c.String("metadata.name")] = k
		}
	}
	kindOf := func(class string) (model.Kind, bool) {
		if k, ok := classes[class]; ok {
			return k, true
		}
		k, ok := gatewayClassLB[class]
		return k, ok
	}
	gateways := map[string]plan.Resource{}
	for _, g := range p.ByType("kubernetes:gateway.networking.k8s.io/v1:Gateway") {
		gateways[g.String("metadata.namespace")+"/"+g.String("metadata.name")] = g
	}
	configs := map[string]plan.Resource{}
	for _, c := range p.ByType("kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration") {
		configs[c.String("metadata.namespace")+"/"+c.String("metadata.name")] = c
	}
	tgcByService := map[string]plan.Resource{}
	tgcByName := map[string]plan.Resource{}
	for _, c := range p.ByType("kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration") {
		ns := c.String("metadata.namespace")
		tgcByName[ns+"/"+c.String("metadata.name")] = c
		if n := c.String("spec.targetReference.name"); n != "" {
			tgcByService[ns+"/"+n] = c
		}
	}
	var out frontSet
	for _, routeType := range []string{"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "kubernetes:gateway.networking.k8s.io/v1:TCPRoute"} {
		want := model.KindALB
		if routeType == "kubernetes:gateway.networking.k8s.io/v1:TCPRoute" {
			want = model.KindNLB
		}
		for _, r := range p.ByType(routeType) {
			ns := r.String("metadata.namespace")
			for i := 0; ; i++ {
				pref := fmt.Sprintf("spec.parentRefs[%d]", i)
				name := r.String(pref + ".name")
				if name == "" {
					break
				}
				gns := r.String(pref + ".namespace")
				if gns == "" {
					gns = ns
				}
				g, ok := gateways[gns+"/"+name]
				if !ok {
					continue
				}
				lb, ok := kindOf(g.String("spec.gatewayClassName"))
				if !ok || lb != want {
					continue
				}
				lbcs := gatewayConfigs(g, configs)
				for _, svcName := range routeBackends(r) {
					s, ok := services[ns+"/"+svcName]
					if !ok {
						continue
					}
					layers := tgLayers(tgcByService[ns+"/"+svcName], lbcs, tgcByName)
					f := front{name: fmt.Sprintf("Gateway %s/%s (%s %s)", gns, name, r.String("kind"), nsName(r.Inputs)),
						namespace: ns, selector: selector(s), kind: lb, targetType: def}
					if t := layerValue(layers, "targetType"); t != "" {
						f.targetType = model.TargetType(t)
					}
					f.crossZone = gatewayCrossZone(lb, layers, lbcs)
					if f.targetType == model.TargetTypeInstance {
						f.policy = model.PolicyCluster
						if s.String("spec.externalTrafficPolicy") == "Local" {
							f.policy = model.PolicyLocal
						}
					}
					out = append(out, f)
				}
			}
		}
	}
	return out
}

func routeBackends(r plan.Resource) []string {
	var names []string
	for i := 0; ; i++ {
		rule := fmt.Sprintf("spec.rules[%d]", i)
		if _, ok := r.Get(rule); !ok {
			return names
		}
		for j := 0; ; j++ {
			b := fmt.Sprintf("%s.backendRefs[%d]", rule, j)
			n := r.String(b + ".name")
			if n == "" {
				break
			}
			if k := r.String(b + ".kind"); k == "" || k == "Service" {
				names = append(names, n)
			}
		}
	}
}

// gatewayConfigs are the Gateway's LoadBalancerConfigurations (its own; the
// class's are rare in a planned stack and left out).
func gatewayConfigs(g plan.Resource, configs map[string]plan.Resource) []plan.Resource {
	if g.String("spec.infrastructure.parametersRef.kind") != "LoadBalancerConfiguration" {
		return nil
	}
	c, ok := configs[g.String("metadata.namespace")+"/"+g.String("spec.infrastructure.parametersRef.name")]
	if !ok {
		return nil
	}
	return []plan.Resource{c}
}

// tgLayers are the target-group property maps, highest priority first: the
// Service's configuration, then the Gateway's default configuration.
func tgLayers(service plan.Resource, lbcs []plan.Resource, byName map[string]plan.Resource) []map[string]any {
	var out []map[string]any
	if v, ok := service.Get("spec.defaultConfiguration"); ok {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	for _, c := range lbcs {
		if n := c.String("spec.defaultTargetGroupConfiguration.name"); n != "" {
			if t, ok := byName[c.String("metadata.namespace")+"/"+n]; ok {
				if v, ok := t.Get("spec.defaultConfiguration"); ok {
					if m, ok := v.(map[string]any); ok {
						out = append(out, m)
					}
				}
			}
		}
	}
	return out
}

func layerValue(layers []map[string]any, key string) string {
	for _, l := range layers {
		if s, ok := l[key].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

func layerAttribute(layers []map[string]any, key string) string {
	for _, l := range layers {
		if v := attributeOf(l["targetGroupAttributes"], key); v != "" {
			return v
		}
	}
	return ""
}

func attributeOf(list any, key string) string {
	items, _ := list.([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		if m["key"] == key {
			s, _ := m["value"].(string)
			return s
		}
	}
	return ""
}

// gatewayCrossZone: a target-group attribute decides; otherwise an ALB is
// cross-zone and an NLB follows its load balancer's attribute (default off).
func gatewayCrossZone(lb model.Kind, layers []map[string]any, lbcs []plan.Resource) bool {
	switch layerAttribute(layers, "load_balancing.cross_zone.enabled") {
	case "true":
		return true
	case "false":
		return false
	}
	if lb == model.KindALB {
		return true
	}
	for _, c := range lbcs {
		v, _ := c.Get("spec.loadBalancerAttributes")
		if attributeOf(v, "load_balancing.cross_zone.enabled") == "true" {
			return true
		}
	}
	return false
}
