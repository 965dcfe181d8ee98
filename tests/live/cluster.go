//go:build live

package live

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/gruntwork-io/terratest/modules/testing"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/model"
)

// ServiceSelectorE returns the Service's pod selector as a label selector
// string ("k=v,k2=v2"), so the suite counts exactly the pods the Service (and
// so the load balancer) sends to.
func ServiceSelectorE(t testing.TestingT, opts *k8s.KubectlOptions, service string) (string, error) {
	svc, err := k8s.GetServiceE(t, opts, service)
	if err != nil {
		return "", err
	}
	if len(svc.Spec.Selector) == 0 {
		return "", fmt.Errorf("service %s has no selector", service)
	}
	parts := make([]string, 0, len(svc.Spec.Selector))
	for k, v := range svc.Spec.Selector {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ","), nil
}

// ServiceSelector is ServiceSelectorE, failing the test on error.
func ServiceSelector(t testing.TestingT, opts *k8s.KubectlOptions, service string) string {
	helper(t)
	s, err := ServiceSelectorE(t, opts, service)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FrontAnnotationsE returns the annotations of the object the AWS Load
// Balancer Controller builds the load balancer from: the Service for an NLB,
// the Ingress for an ALB.
func FrontAnnotationsE(t testing.TestingT, opts *k8s.KubectlOptions, kind model.Kind, name string) (map[string]string, error) {
	if kind == model.KindALB {
		ing, err := k8s.GetIngressE(t, opts, name)
		if err != nil {
			return nil, err
		}
		return ing.Annotations, nil
	}
	svc, err := k8s.GetServiceE(t, opts, name)
	if err != nil {
		return nil, err
	}
	return svc.Annotations, nil
}

// WaitForHostnameE waits until the controller has written the load
// balancer's DNS name into the Service's (NLB) or Ingress's (ALB) status and
// returns it.
func WaitForHostnameE(t testing.TestingT, opts *k8s.KubectlOptions, kind model.Kind, name string, retries int, sleep time.Duration) (string, error) {
	return retry.DoWithRetryE(t, fmt.Sprintf("wait for the load balancer hostname of %s %s", kind, name), retries, sleep,
		func() (string, error) {
			var host string
			if kind == model.KindALB {
				ing, err := k8s.GetIngressE(t, opts, name)
				if err != nil {
					return "", err
				}
				if lb := ing.Status.LoadBalancer.Ingress; len(lb) > 0 {
					host = lb[0].Hostname
				}
			} else {
				svc, err := k8s.GetServiceE(t, opts, name)
				if err != nil {
					return "", err
				}
				if lb := svc.Status.LoadBalancer.Ingress; len(lb) > 0 {
					host = lb[0].Hostname
				}
			}
			if host == "" {
				return "", errors.New("no hostname in status yet")
			}
			return host, nil
		})
}

// WaitForHostname is WaitForHostnameE, failing the test on error.
func WaitForHostname(t testing.TestingT, opts *k8s.KubectlOptions, kind model.Kind, name string, retries int, sleep time.Duration) string {
	helper(t)
	h, err := WaitForHostnameE(t, opts, kind, name, retries, sleep)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// ReadyPlacementE lists the ready, non-terminating pods matching selector
// with their node, the node's zone (label topology.kubernetes.io/zone) and
// IP, and every node of the cluster with its zone: the placement Kubernetes
// actually made, which the model's expectation is built from.
func ReadyPlacementE(t testing.TestingT, opts *k8s.KubectlOptions, selector string) ([]PodPlacement, map[string]string, error) {
	nodes, err := k8s.GetNodesE(t, opts)
	if err != nil {
		return nil, nil, err
	}
	nodeZone := make(map[string]string, len(nodes))
	for _, n := range nodes {
		z := n.Labels[workload.ZoneKey]
		if z == "" {
			return nil, nil, fmt.Errorf("node %s has no %s label", n.Name, workload.ZoneKey)
		}
		nodeZone[n.Name] = z
	}
	pods, err := k8s.ListPodsE(t, opts, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, nil, err
	}
	var out []PodPlacement
	for _, p := range pods {
		if !podServing(p) {
			continue
		}
		z, ok := nodeZone[p.Spec.NodeName]
		if !ok {
			return nil, nil, fmt.Errorf("pod %s runs on node %q, which the node list does not have", p.Name, p.Spec.NodeName)
		}
		out = append(out, PodPlacement{Pod: p.Name, Node: p.Spec.NodeName, Zone: z, IP: p.Status.PodIP})
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("no ready pod matches %q in namespace %s", selector, opts.Namespace)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pod < out[j].Pod })
	return out, nodeZone, nil
}

// ReadyPlacement is ReadyPlacementE, failing the test on error.
func ReadyPlacement(t testing.TestingT, opts *k8s.KubectlOptions, selector string) ([]PodPlacement, map[string]string) {
	helper(t)
	pods, nodes, err := ReadyPlacementE(t, opts, selector)
	if err != nil {
		t.Fatal(err)
	}
	return pods, nodes
}

// podServing is a pod the load balancer should send to: running, ready (with
// IP targets readiness includes the controller's readiness gate, i.e. healthy
// in the target group) and not terminating.
func podServing(p corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func podState(p corev1.Pod) string {
	switch {
	case p.DeletionTimestamp != nil:
		return "terminating"
	case podServing(p):
		return "ready"
	default:
		return string(p.Status.Phase)
	}
}

// RolloutRestart returns the restart step of a measure.Rollout: `kubectl
// rollout restart` of the Deployment, `kubectl rollout status` until the new
// pods are available, then a wait (at most settle) until the old pods are
// gone, because the risk of a rollout is in the old pods' end (preStop,
// deregistration, exit), which outlasts `rollout status` by the termination
// grace period. Every pod state change (new, ready, terminating, gone) is
// marked on the load's time axis, so each failed request can be read against
// what the pods were doing.
func RolloutRestart(t testing.TestingT, opts *k8s.KubectlOptions, deployment, selector string, timeout, settle time.Duration) func(ctx context.Context, mark func(string)) error {
	return func(ctx context.Context, mark func(string)) error {
		stop := watchPods(ctx, t, opts, selector, mark)
		defer stop()
		mark("kubectl rollout restart deployment/" + deployment)
		if err := k8s.RunKubectlE(t, opts, "rollout", "restart", "deployment/"+deployment); err != nil {
			return err
		}
		if err := k8s.RunKubectlE(t, opts, "rollout", "status", "deployment/"+deployment,
			fmt.Sprintf("--timeout=%ds", int(timeout.Seconds()))); err != nil {
			return err
		}
		mark("rollout status: new pods available")
		// A plain poll rather than the retry module: it must stop as soon as
		// ctx is cancelled (the rollout check ran out of time).
		deadline := time.Now().Add(settle)
		for {
			pods, err := k8s.ListPodsE(t, opts, metav1.ListOptions{LabelSelector: selector})
			if err == nil {
				terminating := 0
				for _, p := range pods {
					if p.DeletionTimestamp != nil {
						terminating++
					}
				}
				if terminating == 0 {
					mark("old pods gone")
					return nil
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("old pods of deployment/%s still terminating %v after the rollout (last error: %v)", deployment, settle, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(3 * time.Second):
			}
		}
	}
}

// watchPods polls the pods every few seconds and marks each state change
// until stop is called. Polling rather than a watch keeps to Terratest's
// helpers; a change shorter than the period can be missed, which only
// coarsens the timeline.
func watchPods(ctx context.Context, t testing.TestingT, opts *k8s.KubectlOptions, selector string, mark func(string)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		state := map[string]string{}
		first := true
		for {
			if pods, err := k8s.ListPodsE(t, opts, metav1.ListOptions{LabelSelector: selector}); err == nil {
				seen := map[string]bool{}
				for _, p := range pods {
					seen[p.Name] = true
					s := podState(p)
					if state[p.Name] != s && !first {
						mark(fmt.Sprintf("pod %s %s (node %s)", p.Name, s, p.Spec.NodeName))
					}
					state[p.Name] = s
				}
				for name := range state {
					if !seen[name] {
						mark("pod " + name + " gone")
						delete(state, name)
					}
				}
				first = false
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(3 * time.Second):
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}
