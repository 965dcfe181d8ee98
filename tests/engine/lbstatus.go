package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
)

// LocalHostname is the load balancer DNS name the stand-in reports for a Service,
// Ingress or Gateway. It is under .invalid (RFC 2606), so nothing can ever resolve or dial it:
// clients of the local target reach the load balancer at its haproxy address instead.
func LocalHostname(namespace, name string) string {
	return fmt.Sprintf("k8s-%s-%s.elb.invalid", namespace, name)
}

// ReportLoadBalancers plays the part of the AWS Load Balancer Controller that writes
// the load balancer's DNS name into status.loadBalancer.ingress once the load
// balancer exists: for every Service of class service.k8s.aws/nlb and every Ingress
// of class alb, polled every 200 ms until ctx ends. The Pulumi Kubernetes provider
// waits for exactly this before it reports a LoadBalancer Service or an Ingress
// created, and the workload component exports it as its hostname. Errors are sent to
// errs (non-blocking; a full channel drops them).
func ReportLoadBalancers(ctx context.Context, client kubernetes.Interface, errs chan<- error) {
	poll(ctx, errs, func(report func(error)) {
		svcs, err := client.CoreV1().Services("").List(ctx, metav1.ListOptions{})
		if err != nil {
			report(err)
			return
		}
		for _, s := range svcs.Items {
			if s.Spec.Type != corev1.ServiceTypeLoadBalancer || s.Spec.LoadBalancerClass == nil ||
				*s.Spec.LoadBalancerClass != loadbalancer.LoadBalancerClass || len(s.Status.LoadBalancer.Ingress) > 0 {
				continue
			}
			if err := patchStatus(ctx, func(p []byte) error {
				_, err := client.CoreV1().Services(s.Namespace).Patch(ctx, s.Name, types.MergePatchType, p, metav1.PatchOptions{}, "status")
				return err
			}, LocalHostname(s.Namespace, s.Name)); err != nil {
				report(fmt.Errorf("service %s/%s status: %w", s.Namespace, s.Name, err))
			}
		}
		ings, err := client.NetworkingV1().Ingresses("").List(ctx, metav1.ListOptions{})
		if err != nil {
			report(err)
			return
		}
		for _, i := range ings.Items {
			if !isALB(i) || len(i.Status.LoadBalancer.Ingress) > 0 {
				continue
			}
			if err := patchStatus(ctx, func(p []byte) error {
				_, err := client.NetworkingV1().Ingresses(i.Namespace).Patch(ctx, i.Name, types.MergePatchType, p, metav1.PatchOptions{}, "status")
				return err
			}, LocalHostname(i.Namespace, i.Name)); err != nil {
				report(fmt.Errorf("ingress %s/%s status: %w", i.Namespace, i.Name, err))
			}
		}
	})
}

func isALB(i networkingv1.Ingress) bool {
	return i.Spec.IngressClassName != nil && *i.Spec.IngressClassName == loadbalancer.IngressClassName
}

func patchStatus(ctx context.Context, patch func([]byte) error, hostname string) error {
	p, err := json.Marshal(map[string]any{"status": map[string]any{"loadBalancer": map[string]any{
		"ingress": []map[string]string{{"hostname": hostname}},
	}}})
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	return patch(p)
}

// Gateway API resources the Gateway stand-in reads and writes.
var (
	GatewayClasses = schema.GroupVersionResource{Group: loadbalancer.GatewayAPIGroup, Version: "v1", Resource: "gatewayclasses"}
	Gateways       = schema.GroupVersionResource{Group: loadbalancer.GatewayAPIGroup, Version: "v1", Resource: "gateways"}
)

// CreateGatewayClassesE creates the AWS Load Balancer Controller's GatewayClasses
// (aws-alb and aws-nlb, served by gateway.k8s.aws/alb and gateway.k8s.aws/nlb), the
// platform's part that the lbcontroller component plays on EKS. The Gateway API CRDs
// must be installed first (controlplane.Cluster.InstallCRDsE).
func CreateGatewayClassesE(ctx context.Context, dyn dynamic.Interface) error {
	for name, controller := range map[string]string{
		loadbalancer.ALBGatewayClassName: loadbalancer.ALBGatewayController,
		loadbalancer.NLBGatewayClassName: loadbalancer.NLBGatewayController,
	} {
		gc := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": loadbalancer.GatewayAPIVersion, "kind": loadbalancer.KindGatewayClass,
			"metadata": map[string]any{"name": name},
			"spec":     map[string]any{"controllerName": controller},
		}}
		if _, err := dyn.Resource(GatewayClasses).Create(ctx, gc, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("GatewayClass %s: %w", name, err)
		}
	}
	return nil
}

// ReportGateways plays the part of the AWS Load Balancer Controller that reports a
// Gateway's load balancer: for every Gateway whose GatewayClass the controller serves
// (controllerName gateway.k8s.aws/alb or /nlb) and that is not yet Programmed, it
// writes the load balancer's DNS name into status.addresses and sets the Accepted and
// Programmed conditions True for the Gateway's generation, as the controller does once
// the load balancer is active; polled every 200 ms until ctx ends. The workload
// component's Gateway carries pulumi.com/waitFor: condition=Programmed, so the
// Kubernetes provider reports it created only after this, and its hostname output is
// the address written here. Errors are sent to errs (non-blocking).
func ReportGateways(ctx context.Context, dyn dynamic.Interface, errs chan<- error) {
	poll(ctx, errs, func(report func(error)) {
		classes, err := dyn.Resource(GatewayClasses).List(ctx, metav1.ListOptions{})
		if err != nil {
			if ctx.Err() == nil {
				report(fmt.Errorf("gatewayclasses: %w", err))
			}
			return
		}
		ours := map[string]bool{}
		for _, c := range classes.Items {
			controller, _, _ := unstructured.NestedString(c.Object, "spec", "controllerName")
			ours[c.GetName()] = controller == loadbalancer.ALBGatewayController || controller == loadbalancer.NLBGatewayController
		}
		gws, err := dyn.Resource(Gateways).Namespace("").List(ctx, metav1.ListOptions{})
		if err != nil {
			if ctx.Err() == nil {
				report(fmt.Errorf("gateways: %w", err))
			}
			return
		}
		for _, gw := range gws.Items {
			class, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName")
			if !ours[class] || Programmed(gw) {
				continue
			}
			patch, err := json.Marshal(gatewayStatus(gw, LocalHostname(gw.GetNamespace(), gw.GetName()), metav1.Now()))
			if err != nil || ctx.Err() != nil {
				continue
			}
			if _, err := dyn.Resource(Gateways).Namespace(gw.GetNamespace()).Patch(ctx, gw.GetName(), types.MergePatchType, patch,
				metav1.PatchOptions{}, "status"); err != nil && ctx.Err() == nil {
				report(fmt.Errorf("gateway %s/%s status: %w", gw.GetNamespace(), gw.GetName(), err))
			}
		}
	})
}

// Programmed reports whether the Gateway's Programmed condition is True for its
// current generation.
func Programmed(gw unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(gw.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Programmed" && m["status"] == "True" {
			observed, _, _ := unstructured.NestedInt64(m, "observedGeneration")
			return observed == gw.GetGeneration()
		}
	}
	return false
}

// gatewayStatus is the merge patch of a programmed Gateway's status.
func gatewayStatus(gw unstructured.Unstructured, hostname string, now metav1.Time) map[string]any {
	cond := func(typ, reason, message string) map[string]any {
		return map[string]any{"type": typ, "status": "True", "reason": reason, "message": message,
			"observedGeneration": gw.GetGeneration(), "lastTransitionTime": now.UTC().Format(time.RFC3339)}
	}
	return map[string]any{"status": map[string]any{
		"addresses": []any{map[string]any{"type": "Hostname", "value": hostname}},
		"conditions": []any{
			cond("Accepted", "Accepted", "accepted by the load-balancer stand-in"),
			cond("Programmed", "Programmed", "load balancer "+hostname+" (stand-in) is active"),
		},
	}}
}

// poll calls once every 200 ms until ctx ends, with report sending an error to errs
// without blocking (a full channel drops it).
func poll(ctx context.Context, errs chan<- error, once func(report func(error))) {
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		once(report)
	}
}
