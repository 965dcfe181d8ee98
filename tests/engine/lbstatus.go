package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
)

// LocalHostname is the load balancer DNS name the stand-in reports for a Service or
// Ingress. It is under .invalid (RFC 2606), so nothing can ever resolve or dial it:
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
		svcs, err := client.CoreV1().Services("").List(ctx, metav1.ListOptions{})
		if err != nil {
			report(err)
			continue
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
			continue
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
	}
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
