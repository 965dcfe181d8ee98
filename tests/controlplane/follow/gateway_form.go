package follow

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/eksbalance/eksbalance/tests/awslb"
)

// The Gateway API form of a load balancer in front of a Service: the AWS Load Balancer
// Controller (v3) builds a target group for every Service a route of one of its
// Gateways names as a backend, an NLB's for a TCPRoute and an ALB's for an HTTPRoute,
// configured by the TargetGroupConfiguration whose targetReference is that Service.
var (
	// RouteResources are the route kinds read, with the load balancer each stands for.
	RouteResources = map[schema.GroupVersionResource]awslb.Kind{
		{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "tcproutes"}:  awslb.NLB,
		{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}: awslb.ALB,
	}
	// TargetGroupConfigurations is the controller's gateway.k8s.aws resource.
	TargetGroupConfigurations = schema.GroupVersionResource{Group: "gateway.k8s.aws", Version: "v1", Resource: "targetgroupconfigurations"}
)

// gatewayConfig finds a route whose backend is the Service and reads its target group
// from the Service's TargetGroupConfiguration (the controller's Gateway defaults when
// there is none). errNoFrontYet while no route names the Service, or when the Gateway
// API is not installed or Dynamic is nil.
func (c *Controller) gatewayConfig(ctx context.Context) (awslb.Config, error) {
	if c.Dynamic == nil {
		return awslb.Config{}, errNoFrontYet
	}
	kind, route, err := c.routeFor(ctx)
	if err != nil || route == "" {
		return awslb.Config{}, err
	}
	tgcs, err := c.Dynamic.Resource(TargetGroupConfigurations).Namespace(c.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return awslb.Config{}, err
	}
	var spec map[string]any
	var annotations map[string]string
	var found string
	if tgcs != nil {
		for _, o := range tgcs.Items {
			if targetsService(o, c.Service) {
				if found != "" {
					return awslb.Config{}, fmt.Errorf("TargetGroupConfigurations %s and %s both target service %s", found, o.GetName(), c.Service)
				}
				found, annotations = o.GetName(), o.GetAnnotations()
				spec, _, _ = unstructured.NestedMap(o.Object, "spec")
			}
		}
	}
	cfg, err := awslb.FromTargetGroupConfiguration(kind, spec, annotations)
	if err != nil && found != "" {
		return awslb.Config{}, fmt.Errorf("TargetGroupConfiguration %s/%s (for %s %s): %w", c.Namespace, found, kind, route, err)
	}
	if err == nil {
		c.logf("controller: %s target group of service %s from %s (TargetGroupConfiguration %q)", kind, c.Service, route, found)
	}
	return cfg, err
}

// routeFor returns the kind of load balancer and "kind/name" of the first route in the
// namespace with a backendRef to the Service; "" when there is none.
func (c *Controller) routeFor(ctx context.Context) (awslb.Kind, string, error) {
	for gvr, kind := range RouteResources {
		list, err := c.Dynamic.Resource(gvr).Namespace(c.Namespace).List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			continue // the route kind is not served
		}
		if err != nil {
			return "", "", err
		}
		for _, r := range list.Items {
			if routesTo(r, c.Namespace, c.Service) {
				return kind, r.GetKind() + "/" + r.GetName(), nil
			}
		}
	}
	return "", "", errNoFrontYet
}

// routesTo reports whether a rule of the route has a backendRef to the Service.
func routesTo(route unstructured.Unstructured, namespace, service string) bool {
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	for _, r := range rules {
		refs, _, _ := unstructured.NestedSlice(asMap(r), "backendRefs")
		for _, ref := range refs {
			m := asMap(ref)
			kind, _ := m["kind"].(string)
			group, _ := m["group"].(string)
			name, _ := m["name"].(string)
			ns, _ := m["namespace"].(string)
			if (kind == "" || kind == "Service") && group == "" && name == service && (ns == "" || ns == namespace) {
				return true
			}
		}
	}
	return false
}

// targetsService reports whether the TargetGroupConfiguration's targetReference is the
// Service.
func targetsService(tgc unstructured.Unstructured, service string) bool {
	ref, _, _ := unstructured.NestedMap(tgc.Object, "spec", "targetReference")
	kind, _ := ref["kind"].(string)
	name, _ := ref["name"].(string)
	return (kind == "" || kind == "Service") && name == service
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
