// Package gateway is a Gateway API Gateway served by the AWS Load Balancer
// Controller: an ALB (class aws-alb, HTTPRoutes) or an NLB (class aws-nlb,
// TCPRoutes) with the toolkit's load-balancer settings, carried by a
// LoadBalancerConfiguration the Gateway points at, and, by default, a
// Gateway-wide TargetGroupConfiguration with the toolkit's target-group
// defaults (IP targets, cross-zone, health check, deregistration delay) for
// every backend whose Service has no configuration of its own.
//
// Who owns the Gateway is a choice. A platform team creates one with
// NewGateway and hands its Ref to the workloads that attach routes to it
// (workload.Args.Gateway); a workload without a Ref creates its own Gateway
// with this same component. Either way the load-balancer settings are
// loadbalancer.ALB or loadbalancer.NLB, so a workload behind a shared Gateway
// derives its preStop, grace period and keepalive from the Gateway's real idle
// timeout and deregistration propagation (the Ref carries them), not from a
// copy that could drift.
package gateway

import (
	"fmt"
	"reflect"
	"regexp"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/internal/validation"
)

// Type is the component's type token.
const Type = "eksbalance:gateway:Gateway"

// Kind is the kind of load balancer behind the Gateway.
type Kind string

const (
	// KindALB is an Application Load Balancer: HTTP(S) listeners, HTTPRoutes,
	// requests balanced by least outstanding requests.
	KindALB Kind = "alb"
	// KindNLB is a Network Load Balancer: TCP listeners, TCPRoutes.
	KindNLB Kind = "nlb"
)

// RoutesFrom says from which namespaces routes may attach (a listener's
// allowedRoutes.namespaces.from).
type RoutesFrom string

const (
	// RoutesFromSelector admits routes from namespaces carrying
	// Args.RouteNamespaceLabels. The default: a shared Gateway takes routes
	// only from namespaces that were labelled for it, and the workload
	// component labels the namespaces it creates for the Gateway its Ref names.
	RoutesFromSelector RoutesFrom = "Selector"
	// RoutesFromSame admits routes from the Gateway's own namespace only
	// (the Gateway API's default; what a workload's own Gateway uses).
	RoutesFromSame RoutesFrom = "Same"
	// RoutesFromAll admits routes from every namespace: anyone who can create a
	// route can send this load balancer's traffic to their pods.
	RoutesFromAll RoutesFrom = "All"
)

// AttachLabel is the namespace label a Gateway with RoutesFromSelector admits
// by default, with the Gateway's name as its value.
const AttachLabel = "gateway.eksbalance.io/attach"

// Labels the component writes.
const (
	labelManagedBy = "app.kubernetes.io/managed-by"
	managedBy      = "eksbalance"
)

var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Args configures NewGateway.
type Args struct {
	// Namespace of the Gateway and its configuration objects. Default: the
	// component's name.
	Namespace string
	// CreateNamespace creates the Namespace. Default true; set false to use an
	// existing one (a workload's own Gateway lives in the workload's namespace).
	CreateNamespace *bool
	// Kind is the load balancer: KindALB (default) or KindNLB.
	Kind Kind
	// ALB are the settings of an ALB Gateway; empty fields take the
	// loadbalancer package's defaults. Must be empty with KindNLB.
	ALB loadbalancer.ALB
	// NLB are the settings of an NLB Gateway (TCP listeners only). Must be
	// empty with KindALB.
	NLB loadbalancer.NLB
	// ClassName is the GatewayClass. Default "aws-alb" or "aws-nlb", the
	// classes the lbcontroller component creates.
	ClassName string
	// Routes says which namespaces may attach routes. Default
	// RoutesFromSelector.
	Routes RoutesFrom
	// RouteNamespaceLabels select the namespaces admitted with
	// RoutesFromSelector. Default {AttachLabel: <component name>}. Must be
	// empty with the other modes.
	RouteNamespaceLabels map[string]string
	// DefaultTargetGroup writes a Gateway-wide TargetGroupConfiguration from
	// the settings' target-group part (IP targets, health check, attributes),
	// referenced by the LoadBalancerConfiguration, so a backend whose Service
	// has no configuration of its own still gets IP targets and cross-zone
	// instead of the controller's defaults. Default true. A workload's own
	// Gateway sets it false: the workload writes its Service's configuration.
	DefaultTargetGroup *bool
}

// WaitForAnnotation and WaitForProgrammed make `pulumi up` wait for the load
// balancer. The Kubernetes provider (v4) waits for a LoadBalancer Service's or an
// Ingress's load balancer address before it reports the object created, but
// reports a custom resource such as a Gateway created at once (it awaits one
// only with PULUMI_K8S_AWAIT_ALL=true, and then by kstatus rules, which take a
// Gateway whose Programmed condition is still Unknown as ready: they look only
// at Reconciling, Stalled and status.observedGeneration, none of which a
// Gateway has). With this annotation it waits
// until the controller has set the Gateway's Programmed condition True, which
// the AWS Load Balancer Controller does once the load balancer is active and its
// DNS name is in status.addresses, as `kubectl wait --for=condition=Programmed`
// would; then Hostname is known and the pods that depend on the Gateway start
// only once their load balancer exists, as behind a Service or Ingress front. A
// Gateway the controller never programs fails the up after the provider's
// timeout (10 minutes; pulumi.com/timeoutSeconds) instead of passing unnoticed.
const (
	WaitForAnnotation = "pulumi.com/waitFor"
	WaitForProgrammed = "condition=Programmed"
)

// Gateway is a Gateway, its LoadBalancerConfiguration and (by default) its
// default TargetGroupConfiguration.
type Gateway struct {
	pulumi.ResourceState

	// Name and Namespace of the Gateway object.
	Name      pulumi.StringOutput `pulumi:"name"`
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// Hostname is the load balancer's DNS name, from the Gateway's
	// status.addresses once the controller has programmed it (empty in a
	// preview).
	Hostname pulumi.StringOutput `pulumi:"hostname"`

	ref Ref
}

// Ref is what a workload needs to attach a route to the Gateway: where it is,
// which load balancer it is with which settings (defaulted), which listeners
// it has and which namespace labels admit a route.
type Ref struct {
	Name, Namespace string
	Kind            Kind
	// ALB or NLB are the Gateway's settings, defaulted. A workload takes the
	// load-balancer-level part from here (scheme, listeners, idle timeouts,
	// deregistration propagation) and its timings with it.
	ALB loadbalancer.ALB
	NLB loadbalancer.NLB
	// Listeners are the listener names (sectionName values).
	Listeners []string
	// NamespaceLabels are the labels a route's namespace needs to be admitted
	// (empty unless RoutesFromSelector).
	NamespaceLabels map[string]string
	// SameNamespaceOnly is true with RoutesFromSame.
	SameNamespaceOnly bool
	// Resource is the Gateway object, for routes that must wait for it.
	Resource pulumi.Resource
	// Hostname is the Gateway's load balancer DNS name (Gateway.Hostname); a
	// zero value when the Ref was written by hand.
	Hostname pulumi.StringOutput
}

// Ref returns what a workload needs to attach to the Gateway.
func (g *Gateway) Ref() *Ref { r := g.ref; return &r }

// SetDefaults fills every empty field with its documented default. name is
// the component name.
func (a *Args) SetDefaults(name string) {
	if a.Namespace == "" {
		a.Namespace = name
	}
	if a.CreateNamespace == nil {
		a.CreateNamespace = ptr(true)
	}
	if a.Kind == "" {
		a.Kind = KindALB
	}
	switch a.Kind {
	case KindALB:
		if a.ClassName == "" {
			a.ClassName = loadbalancer.ALBGatewayClassName
		}
		a.ALB.SetDefaults()
	case KindNLB:
		if a.ClassName == "" {
			a.ClassName = loadbalancer.NLBGatewayClassName
		}
		a.NLB.SetDefaults()
	}
	if a.Routes == "" {
		a.Routes = RoutesFromSelector
	}
	if a.Routes == RoutesFromSelector && len(a.RouteNamespaceLabels) == 0 {
		a.RouteNamespaceLabels = map[string]string{AttachLabel: name}
	}
	if a.DefaultTargetGroup == nil {
		a.DefaultTargetGroup = ptr(true)
	}
}

// Validate checks defaulted Args and returns every problem at once.
func (a Args) Validate(name string) error {
	v := validation.New("gateway " + name)
	if len(name) > 63 || !dns1123.MatchString(name) {
		v.Add("name", name, "must be a DNS label of at most 63 characters (it names the Gateway)")
	}
	if len(a.Namespace) > 63 || !dns1123.MatchString(a.Namespace) {
		v.Add("namespace", a.Namespace, "must be a DNS label of at most 63 characters")
	}
	switch a.Kind {
	case KindALB:
		v.Merge("alb", a.ALB.Validate())
		if !reflect.ValueOf(a.NLB).IsZero() {
			v.Add("nlb", "(set)", "must be empty with kind alb: it would be ignored")
		}
	case KindNLB:
		v.Merge("nlb", a.NLB.Validate())
		if !reflect.ValueOf(a.ALB).IsZero() {
			v.Add("alb", "(set)", "must be empty with kind nlb: it would be ignored")
		}
		ValidateNLBListeners(v, "nlb", a.NLB.Listeners)
	default:
		v.Add("kind", a.Kind, "must be %s or %s", KindALB, KindNLB)
	}
	switch a.Routes {
	case RoutesFromSelector:
		for k, val := range a.RouteNamespaceLabels {
			if k == "" || len(val) > 63 {
				v.Add("routeNamespaceLabels", k+"="+val, "must be label keys with values of at most 63 characters")
			}
		}
	case RoutesFromSame, RoutesFromAll:
		if len(a.RouteNamespaceLabels) > 0 {
			v.Add("routeNamespaceLabels", a.RouteNamespaceLabels, "apply only with routes %s", RoutesFromSelector)
		}
	default:
		v.Add("routes", a.Routes, "must be %s, %s or %s", RoutesFromSelector, RoutesFromSame, RoutesFromAll)
	}
	if !dns1123Subdomain.MatchString(a.ClassName) {
		v.Add("className", a.ClassName, "must be a GatewayClass name (lower case letters, digits, '-' and '.')")
	}
	return v.Err()
}

var dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// ValidateNLBListeners adds a problem for every listener an NLB Gateway cannot
// serve with a TCPRoute: TLS termination would need TLSRoutes and a
// certificate reference the toolkit does not write. field prefixes the path.
func ValidateNLBListeners(v *validation.Errors, field string, ls []loadbalancer.Listener) {
	for i, l := range ls {
		if l.Protocol != "" && l.Protocol != loadbalancer.ProtocolTCP {
			v.Add(fmt.Sprintf("%s.listeners[%d].protocol", field, i), l.Protocol,
				"must be TCP on an NLB Gateway (TCPRoute); terminate TLS in the pod, or use the Service front (front nlb) for NLB TLS listeners")
		}
	}
}

// NewGateway defaults and validates args, then creates the Namespace
// (optional), the default TargetGroupConfiguration (optional), the
// LoadBalancerConfiguration and the Gateway. Pass the cluster's Kubernetes
// provider in opts; depend on the lbcontroller component, whose GatewayClasses
// and CRDs the objects need.
func NewGateway(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Gateway, error) {
	var a Args
	if args != nil {
		a = *args
	}
	a.SetDefaults(name)
	if err := a.Validate(name); err != nil {
		return nil, err
	}
	comp := &Gateway{}
	if err := ctx.RegisterComponentResource(Type, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	var deps []pulumi.Resource
	if *a.CreateNamespace {
		ns, err := corev1.NewNamespace(ctx, name, &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name:   pulumi.String(a.Namespace),
				Labels: pulumi.StringMap{labelManagedBy: pulumi.String(managedBy), "pod-security.kubernetes.io/enforce": pulumi.String("restricted")},
			},
		}, parent)
		if err != nil {
			return nil, err
		}
		deps = append(deps, ns)
	}
	inNS := pulumi.DependsOn(deps)

	lbc := a.loadBalancerConfiguration()
	annotations := a.configurationAnnotations()
	if *a.DefaultTargetGroup {
		tgc, err := newObject(ctx, name+"-defaults", loadbalancer.LBCGatewayVersion, loadbalancer.KindTargetGroupConfiguration,
			name+"-defaults", a.Namespace, annotations, a.defaultTargetGroup(), parent, inNS)
		if err != nil {
			return nil, err
		}
		lbc["defaultTargetGroupConfiguration"] = map[string]any{"name": name + "-defaults"}
		deps = append(deps, tgc)
	}
	cfg, err := newObject(ctx, name, loadbalancer.LBCGatewayVersion, loadbalancer.KindLoadBalancerConfiguration,
		name, a.Namespace, annotations, lbc, parent, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	gw, err := newObject(ctx, name, loadbalancer.GatewayAPIVersion, loadbalancer.KindGateway,
		name, a.Namespace, map[string]string{WaitForAnnotation: WaitForProgrammed}, a.gatewaySpec(name),
		parent, pulumi.DependsOn(append(deps, cfg)))
	if err != nil {
		return nil, err
	}

	comp.Name = pulumi.String(name).ToStringOutput()
	comp.Namespace = pulumi.String(a.Namespace).ToStringOutput()
	// The load balancer's DNS name is in the Gateway's status.addresses once
	// the controller has programmed it (kubectl get gateway NAME -n NAMESPACE);
	// the provider returns that status because it waited for Programmed.
	comp.Hostname = gw.OtherFields.ApplyT(func(fields map[string]any) string {
		return StatusHostname(fields)
	}).(pulumi.StringOutput)
	comp.ref = a.ref(name, gw)
	comp.ref.Hostname = comp.Hostname
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"name":      comp.Name,
		"namespace": comp.Namespace,
		"hostname":  comp.Hostname,
	})
}

func (a Args) loadBalancerConfiguration() map[string]any {
	if a.Kind == KindNLB {
		return a.NLB.LoadBalancerConfigurationSpec()
	}
	return a.ALB.LoadBalancerConfigurationSpec()
}

func (a Args) defaultTargetGroup() map[string]any {
	if a.Kind == KindNLB {
		return a.NLB.TargetGroupConfigurationSpec("")
	}
	return a.ALB.TargetGroupConfigurationSpec("")
}

func (a Args) configurationAnnotations() map[string]string {
	if a.Kind == KindNLB {
		return a.NLB.ConfigurationAnnotations()
	}
	return a.ALB.ConfigurationAnnotations()
}

func (a Args) allowedRoutes() map[string]any {
	ns := map[string]any{"from": string(a.Routes)}
	if a.Routes == RoutesFromSelector {
		labels := map[string]any{}
		for k, v := range a.RouteNamespaceLabels {
			labels[k] = v
		}
		ns["selector"] = map[string]any{"matchLabels": labels}
	}
	return map[string]any{"namespaces": ns}
}

func (a Args) gatewaySpec(name string) map[string]any {
	listeners := a.ALB.GatewayListeners(a.allowedRoutes())
	if a.Kind == KindNLB {
		listeners = a.NLB.GatewayListeners(a.allowedRoutes())
	}
	return map[string]any{
		"gatewayClassName": a.ClassName,
		"infrastructure": map[string]any{"parametersRef": map[string]any{
			"group": loadbalancer.LBCGatewayGroup,
			"kind":  loadbalancer.KindLoadBalancerConfiguration,
			"name":  name,
		}},
		"listeners": listeners,
	}
}

func (a Args) ref(name string, gw pulumi.Resource) Ref {
	r := Ref{Name: name, Namespace: a.Namespace, Kind: a.Kind, Resource: gw,
		SameNamespaceOnly: a.Routes == RoutesFromSame}
	ls := a.ALB.Listeners
	if a.Kind == KindNLB {
		r.NLB = a.NLB
		ls = a.NLB.Listeners
	} else {
		r.ALB = a.ALB
	}
	for _, l := range ls {
		r.Listeners = append(r.Listeners, loadbalancer.ListenerName(l))
	}
	if a.Routes == RoutesFromSelector {
		r.NamespaceLabels = map[string]string{}
		for k, v := range a.RouteNamespaceLabels {
			r.NamespaceLabels[k] = v
		}
	}
	return r
}

// newObject creates one Gateway API or gateway.k8s.aws object.
func newObject(ctx *pulumi.Context, resName, apiVersion, kind, name, namespace string, annotations map[string]string,
	spec map[string]any, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	meta := &metav1.ObjectMetaArgs{
		Name:      pulumi.String(name),
		Namespace: pulumi.String(namespace),
		Labels:    pulumi.StringMap{labelManagedBy: pulumi.String(managedBy)},
	}
	if len(annotations) > 0 {
		meta.Annotations = pulumi.ToStringMap(annotations)
	}
	return apiextensions.NewCustomResource(ctx, resName, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(apiVersion),
		Kind:        pulumi.String(kind),
		Metadata:    meta,
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, opts...)
}

// StatusHostname is the first address in a Gateway's status.addresses (the
// load balancer's DNS name the AWS Load Balancer Controller writes there), from
// the object's fields other than apiVersion, kind and metadata; "" when there
// is none yet.
func StatusHostname(fields map[string]any) string {
	status, _ := fields["status"].(map[string]any)
	addresses, _ := status["addresses"].([]any)
	for _, a := range addresses {
		if m, ok := a.(map[string]any); ok {
			if v, ok := m["value"].(string); ok && v != "" {
				return v
			}
		}
	}
	return ""
}

func ptr[T any](v T) *T { return &v }
