package workload

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/gateway"
	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/internal/validation"
)

// The Gateway API fronts. They carry the same settings as the Service and
// Ingress fronts (IP targets, cross-zone, idle timeouts, health check,
// deregistration delay, least outstanding requests on an ALB, readiness gates),
// from the same loadbalancer.ALB or loadbalancer.NLB, so the timings come from
// the same loadbalancer.Timings. Only the objects differ:
//
//   - a ClusterIP Service (the backend; IP targets need no node ports);
//   - a TargetGroupConfiguration naming that Service: target type, health
//     check and target-group attributes;
//   - an HTTPRoute (ALB) or one TCPRoute per listener (NLB) to the Service;
//   - unless Args.Gateway names a shared Gateway: the workload's own Gateway
//     and its LoadBalancerConfiguration (the gateway component, in the
//     workload's namespace, admitting routes from that namespace only).
const (
	// FrontGatewayALB is a Gateway of the controller's ALB class with an
	// HTTPRoute to the workload: what FrontALB does, in the Gateway API.
	FrontGatewayALB Front = "gateway-alb"
	// FrontGatewayNLB is a Gateway of the controller's NLB class with a
	// TCPRoute per listener: what FrontNLB does, in the Gateway API.
	FrontGatewayNLB Front = "gateway-nlb"
)

// isGatewayFront reports whether the front is one of the Gateway API forms.
func (a *Args) isGatewayFront() bool {
	return a.Front == FrontGatewayALB || a.Front == FrontGatewayNLB
}

// fillFromGateway takes the load-balancer-level settings of a shared Gateway
// into the workload's settings where the caller left them empty. Validate
// rejects a caller value that differs from the Gateway's.
func (a *Args) fillFromGateway() {
	g := a.Gateway
	if g == nil {
		return
	}
	switch a.Front {
	case FrontGatewayALB:
		s, from := &a.ALB, g.ALB
		orElse(&s.Scheme, from.Scheme)
		s.Listeners = listenersOrElse(s.Listeners, from.Listeners)
		orElse(&s.TLS, from.TLS)
		orElse(&s.IdleTimeout, from.IdleTimeout)
		orElse(&s.ClientKeepAlive, from.ClientKeepAlive)
		orElse(&s.DeregistrationPropagation, from.DeregistrationPropagation)
		orElse(&s.UnhealthyLag, from.UnhealthyLag)
		s.ZonalShift = flagOrElse(s.ZonalShift, from.ZonalShift)
	case FrontGatewayNLB:
		s, from := &a.NLB, g.NLB
		orElse(&s.Scheme, from.Scheme)
		s.Listeners = listenersOrElse(s.Listeners, from.Listeners)
		orElse(&s.TLS, from.TLS)
		orElse(&s.DeregistrationPropagation, from.DeregistrationPropagation)
		orElse(&s.UnhealthyLag, from.UnhealthyLag)
		// Zonal shift is the load balancer's; the workload's target group
		// follows it (unhealthy connection termination, which AWS requires
		// off on every target group of a zonal-shift, cross-zone NLB).
		s.ZonalShift = flagOrElse(s.ZonalShift, from.ZonalShift)
	}
}

// listenersOrElse is ls, or a copy of the Gateway's when ls is empty.
func listenersOrElse(ls, from []loadbalancer.Listener) []loadbalancer.Listener {
	if len(ls) == 0 {
		return append([]loadbalancer.Listener(nil), from...)
	}
	return ls
}

// flagOrElse is b, or a pointer of its own to the Gateway's value when b is unset.
func flagOrElse(b, from *bool) *bool {
	if b == nil && from != nil {
		return ptr(*from)
	}
	return b
}

// orElse sets *dst to from when *dst is the zero value.
func orElse[T comparable](dst *T, from T) {
	var zero T
	if *dst == zero {
		*dst = from
	}
}

// gatewayDefaults fills the Gateway front fields.
func (a *Args) gatewayDefaults() {
	if !a.isGatewayFront() || a.Gateway != nil || a.GatewayClass != "" {
		return
	}
	a.GatewayClass = loadbalancer.ALBGatewayClassName
	if a.Front == FrontGatewayNLB {
		a.GatewayClass = loadbalancer.NLBGatewayClassName
	}
}

// validateGatewayFront checks what only the Gateway fronts have: the shared
// Gateway's kind and listeners, settings that belong to the Gateway, and NLB
// listeners a TCPRoute can serve.
func (a Args) validateGatewayFront(v *validation.Errors) {
	kind := gateway.KindALB
	field := "alb"
	if a.Front == FrontGatewayNLB {
		kind, field = gateway.KindNLB, "nlb"
		gateway.ValidateNLBListeners(v, "nlb", a.NLB.Listeners)
		if a.Host != "" {
			v.Add("host", a.Host, "applies to HTTP routes only and would be ignored with front %s", a.Front)
		}
	}
	g := a.Gateway
	if g == nil {
		if a.GatewayListener != "" {
			v.Add("gatewayListener", a.GatewayListener, "applies to a shared Gateway (gateway) only")
		}
		if !dns1035.MatchString(a.GatewayClass) && !strings.Contains(a.GatewayClass, ".") {
			v.Add("gatewayClass", a.GatewayClass, "must be a GatewayClass name")
		}
		return
	}
	if a.GatewayClass != "" {
		v.Add("gatewayClass", a.GatewayClass, "applies to the workload's own Gateway; the shared Gateway %s/%s has its class", g.Namespace, g.Name)
	}
	if g.Kind != kind {
		v.Add("gateway", g.Namespace+"/"+g.Name, "is an %s Gateway; front %s needs an %s one", strings.ToUpper(string(g.Kind)), a.Front, strings.ToUpper(string(kind)))
		return
	}
	if g.Name == "" || g.Namespace == "" {
		v.Add("gateway", g.Namespace+"/"+g.Name, "must name the Gateway and its namespace (use gateway.NewGateway(...).Ref())")
	}
	if a.GatewayListener != "" && !slices.Contains(g.Listeners, a.GatewayListener) {
		v.Add("gatewayListener", a.GatewayListener, "must be one of the Gateway's listeners %v", g.Listeners)
	}
	if g.SameNamespaceOnly && g.Namespace != a.Namespace {
		v.Add("namespace", a.Namespace, "must be the shared Gateway's namespace %s: it admits routes from its own namespace only", g.Namespace)
	}
	for _, c := range a.gatewayOwned() {
		if !reflect.DeepEqual(c.ours, c.gateways) {
			v.Add(field+"."+c.field, fmt.Sprint(c.ours), "is the shared Gateway %s/%s's setting (%v); set it on the Gateway, not the workload", g.Namespace, g.Name, c.gateways)
		}
	}
}

type ownedSetting struct {
	field          string
	ours, gateways any
}

// gatewayOwned are the load-balancer-level settings a shared Gateway decides.
func (a Args) gatewayOwned() []ownedSetting {
	g := a.Gateway
	if a.Front == FrontGatewayNLB {
		s, from := a.NLB, g.NLB
		return []ownedSetting{
			{"scheme", s.Scheme, from.Scheme},
			{"listeners", s.Listeners, from.Listeners},
			{"tls", s.TLS, from.TLS},
			{"deregistrationPropagation", s.DeregistrationPropagation, from.DeregistrationPropagation},
			{"zonalShift", boolOf(s.ZonalShift), boolOf(from.ZonalShift)},
		}
	}
	s, from := a.ALB, g.ALB
	return []ownedSetting{
		{"scheme", s.Scheme, from.Scheme},
		{"listeners", s.Listeners, from.Listeners},
		{"tls", s.TLS, from.TLS},
		{"idleTimeout", s.IdleTimeout, from.IdleTimeout},
		{"clientKeepAlive", s.ClientKeepAlive, from.ClientKeepAlive},
		{"deregistrationPropagation", s.DeregistrationPropagation, from.DeregistrationPropagation},
		{"zonalShift", boolOf(s.ZonalShift), boolOf(from.ZonalShift)},
	}
}

// boolOf is *p, or "unset" for nil, for comparing and showing optional flags.
func boolOf(p *bool) any {
	if p == nil {
		return "unset"
	}
	return *p
}

// gatewayNamespaceLabels are the labels the workload's namespace needs to be
// admitted by a shared Gateway.
func (a Args) gatewayNamespaceLabels() map[string]string {
	if !a.isGatewayFront() || a.Gateway == nil {
		return nil
	}
	return a.Gateway.NamespaceLabels
}

// servicePorts are the backend Service's ports for a Gateway front: the
// ServicePort behind an ALB, one port per listener behind an NLB (a TCPRoute
// forwards a listener to one Service port).
func (b builder) gatewayServicePorts() []servicePort {
	a := b.a
	if a.Front == FrontGatewayALB {
		return []servicePort{{name: httpPortName, port: a.ServicePort}}
	}
	var out []servicePort
	for _, l := range a.NLB.Listeners {
		out = append(out, servicePort{name: loadbalancer.ListenerName(l), port: l.Port})
	}
	return out
}

type servicePort struct {
	name string
	port int
}

// buildGatewayFront creates the TargetGroupConfiguration, the route(s) and,
// without a shared Gateway, the workload's own Gateway. It returns what the
// pods must wait for.
func (b builder) buildGatewayFront(comp *Workload, svc pulumi.Resource, nsDeps []pulumi.Resource) ([]pulumi.Resource, error) {
	a := b.a
	inNS := pulumi.DependsOn(append(append([]pulumi.Resource{}, nsDeps...), svc))
	var tgcSpec map[string]any
	var annotations map[string]string
	if a.Front == FrontGatewayALB {
		tgcSpec, annotations = a.ALB.TargetGroupConfigurationSpec(b.name), a.ALB.ConfigurationAnnotations()
	} else {
		tgcSpec, annotations = a.NLB.TargetGroupConfigurationSpec(b.name), a.NLB.ConfigurationAnnotations()
	}
	tgc, err := b.customResource(b.name, loadbalancer.LBCGatewayVersion, loadbalancer.KindTargetGroupConfiguration,
		b.name, annotations, tgcSpec, inNS)
	if err != nil {
		return nil, err
	}

	ref := a.Gateway
	var gwDeps []pulumi.Resource
	if ref == nil {
		ga := &gateway.Args{
			Namespace:          a.Namespace,
			CreateNamespace:    ptr(false),
			ClassName:          a.GatewayClass,
			Routes:             gateway.RoutesFromSame,
			DefaultTargetGroup: ptr(false),
		}
		if a.Front == FrontGatewayALB {
			ga.Kind, ga.ALB = gateway.KindALB, a.ALB
		} else {
			ga.Kind, ga.NLB = gateway.KindNLB, a.NLB
		}
		// A child of the workload: it inherits the Kubernetes provider.
		gw, err := gateway.NewGateway(b.ctx, b.name, ga, b.parent, pulumi.DependsOn(nsDeps))
		if err != nil {
			return nil, err
		}
		ref = gw.Ref()
		gwDeps = append(gwDeps, gw)
	} else if ref.Resource != nil {
		gwDeps = append(gwDeps, ref.Resource)
	}
	comp.GatewayName = pulumi.String(ref.Namespace + "/" + ref.Name).ToStringOutput()
	// The load balancer's DNS name is the Gateway's (its status.addresses); a
	// Ref written by hand carries none.
	comp.Hostname = pulumi.String("").ToStringOutput()
	if ref.Hostname != (pulumi.StringOutput{}) {
		comp.Hostname = ref.Hostname
	}

	routeDeps := pulumi.DependsOn(append(append(append([]pulumi.Resource{}, nsDeps...), svc, tgc), gwDeps...))
	routes := b.routes(ref)
	var names []string
	deps := []pulumi.Resource{tgc}
	for _, r := range routes {
		route, err := b.customResource(r.name, loadbalancer.GatewayAPIVersion, r.kind, r.name, nil, r.spec, routeDeps)
		if err != nil {
			return nil, err
		}
		names = append(names, r.name)
		deps = append(deps, route)
	}
	comp.RouteNames = pulumi.ToStringArray(names).ToStringArrayOutput()
	return append(deps, gwDeps...), nil
}

type routeObject struct {
	name, kind string
	spec       map[string]any
}

// routes are the HTTPRoute (ALB) or the TCPRoutes, one per listener (NLB).
func (b builder) routes(ref *gateway.Ref) []routeObject {
	a := b.a
	parent := func(section string) map[string]any {
		p := map[string]any{"group": loadbalancer.GatewayAPIGroup, "kind": loadbalancer.KindGateway, "name": ref.Name}
		if ref.Namespace != a.Namespace {
			p["namespace"] = ref.Namespace
		}
		if section != "" {
			p["sectionName"] = section
		}
		return p
	}
	backend := func(port int) []any {
		return []any{map[string]any{"group": "", "kind": "Service", "name": b.name, "port": port, "weight": 1}}
	}
	if a.Front == FrontGatewayALB {
		spec := map[string]any{
			"parentRefs": []any{parent(a.GatewayListener)},
			"rules": []any{map[string]any{
				"matches":     []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": "/"}}},
				"backendRefs": backend(a.ServicePort),
			}},
		}
		if a.Host != "" {
			spec["hostnames"] = []any{a.Host}
		}
		return []routeObject{{name: b.name, kind: loadbalancer.KindHTTPRoute, spec: spec}}
	}
	var out []routeObject
	for _, l := range a.NLB.Listeners {
		section := loadbalancer.ListenerName(l)
		if a.GatewayListener != "" && section != a.GatewayListener {
			continue
		}
		out = append(out, routeObject{
			name: b.name + "-" + section,
			kind: loadbalancer.KindTCPRoute,
			spec: map[string]any{
				"parentRefs": []any{parent(section)},
				"rules":      []any{map[string]any{"backendRefs": backend(l.Port)}},
			},
		})
	}
	return out
}

// customResource creates one Gateway API or gateway.k8s.aws object in the
// workload's namespace.
func (b builder) customResource(resName, apiVersion, kind, name string, annotations map[string]string, spec map[string]any, deps pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	meta := b.meta()
	meta.Name = pulumi.String(name)
	if len(annotations) > 0 {
		meta.Annotations = pulumi.ToStringMap(annotations)
	}
	return apiextensions.NewCustomResource(b.ctx, resName, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(apiVersion),
		Kind:        pulumi.String(kind),
		Metadata:    meta,
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, b.parent, deps)
}
