package controlplane_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/eksbalance/eksbalance/tests/controlplane"
)

// stackZones are the dev stack's availability zones: one managed node group per zone.
var stackZones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// layout is a cluster shape plus an optional change to the workload, and what the
// checks must conclude about it.
type layout struct {
	name   string
	why    string
	groups []controlplane.NodeGroup
	// breakWorkload changes the rendered objects before they are applied.
	breakWorkload func(t *testing.T, objs []*unstructured.Unstructured)
	// expect says what must happen, given the pod template the toolkit rendered.
	expect func(intended corev1.PodTemplateSpec) expectation
}

// expectation is what the checks must conclude for one layout and workload.
type expectation struct {
	// available: the Deployment becomes available. Otherwise the scheduler must leave
	// pods Pending because of the spread constraints.
	available bool
	// spreadErr is a substring the spread check's error must contain; empty means the
	// placement must pass it.
	spreadErr string
	// skewedModel: with cross-zone off the model must predict max/mean above 1.1. For a
	// placement that passes the spread check the model must predict exactly even shares.
	skewedModel bool
}

func layouts() []layout {
	return []layout{
		{
			name:   "balanced",
			why:    "the dev stack as built: one m6i.large node group per zone, two nodes each",
			groups: controlplane.EvenNodeGroups("dev", "m6i.large", 2, stackZones...),
			expect: func(corev1.PodTemplateSpec) expectation { return expectation{available: true} },
		},
		{
			name: "missing-zone",
			why: "the node group of us-east-1c is missing, so Kubernetes only knows two zones; " +
				"the stack declared three",
			groups: controlplane.EvenNodeGroups("dev", "m6i.large", 2, stackZones[:2]...),
			expect: func(tmpl corev1.PodTemplateSpec) expectation {
				zc := constraintOn(tmpl, controlplane.LabelZone)
				if zc != nil && zc.WhenUnsatisfiable == corev1.DoNotSchedule && zc.MinDomains != nil && *zc.MinDomains > 2 {
					// minDomains makes the scheduler count the absent zone as empty and
					// refuse to pile the remaining pods into two zones.
					return expectation{available: false, spreadErr: "pods not scheduled"}
				}
				// Without minDomains the scheduler spreads 3/3 over the zones it knows,
				// within maxSkew for it; only the declared third zone shows the gap.
				return expectation{available: true, spreadErr: "topologyKey=" + controlplane.LabelZone}
			},
		},
		{
			name: "no-spread",
			why: "topologySpreadConstraints removed and the node groups uneven (4/1/1 nodes): " +
				"the scheduler's default spreading follows the nodes, not the zones",
			groups: []controlplane.NodeGroup{
				{Name: "dev-us-east-1a", Zone: "us-east-1a", InstanceType: "m6i.large", Nodes: 4},
				{Name: "dev-us-east-1b", Zone: "us-east-1b", InstanceType: "m6i.large", Nodes: 1},
				{Name: "dev-us-east-1c", Zone: "us-east-1c", InstanceType: "m6i.large", Nodes: 1},
			},
			breakWorkload: removeSpreadConstraints,
			expect: func(corev1.PodTemplateSpec) expectation {
				return expectation{available: true, spreadErr: "topologyKey=" + controlplane.LabelZone, skewedModel: true}
			},
		},
	}
}

func constraintOn(tmpl corev1.PodTemplateSpec, key string) *corev1.TopologySpreadConstraint {
	for i, c := range tmpl.Spec.TopologySpreadConstraints {
		if c.TopologyKey == key {
			return &tmpl.Spec.TopologySpreadConstraints[i]
		}
	}
	return nil
}

// TestExamplesOnRealScheduler applies the rendered examples to a real control plane in
// each layout and checks what the scheduler, the API server and the traffic model make
// of them.
func TestExamplesOnRealScheduler(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test starts a control plane")
	}
	bin := controlplane.RequireBinaries(t)
	eks, eksErr := controlplane.FindEksbalanceE()
	if eksErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set: %v", eksErr)
		}
		t.Logf("no traffic-model predictions: %v", eksErr)
		eks = ""
	}
	examples := []controlplane.Example{
		controlplane.LoadExample(t, eks, "nlb-service", "EKSBALANCE_RENDERED_NLB"),
		controlplane.LoadExample(t, eks, "alb-ingress", "EKSBALANCE_RENDERED_ALB"),
	}

	for _, l := range layouts() {
		t.Run(l.name, func(t *testing.T) {
			t.Logf("layout %s: %s", l.name, l.why)
			c := controlplane.Start(t, controlplane.Options{BinDir: bin, NodeGroups: l.groups})
			// The load balancer controller's Helm chart installs this IngressClass; the
			// rendered Ingress names it.
			createIngressClass(t, c, "alb", "ingress.k8s.aws/alb")
			for _, ex := range examples {
				t.Run(ex.Name, func(t *testing.T) { checkExample(t, c, ex, l, eks) })
			}
			if l.name == "balanced" {
				// Once per run is enough: strictness does not depend on the layout.
				t.Run("strict-validation", func(t *testing.T) { checkStrictValidation(t, c, examples[0]) })
			}
		})
	}
}

func checkExample(t *testing.T, c *controlplane.Cluster, ex controlplane.Example, l layout, eks string) {
	objs := controlplane.DeepCopyObjects(ex.Objs)
	deploys := controlplane.Find(objs, "Deployment")
	require.Len(t, deploys, 1, "example %s: want exactly one Deployment", ex.Name)
	intended, err := controlplane.FromUnstructured[appsv1.Deployment](deploys[0].DeepCopy())
	require.NoError(t, err)
	ns := intended.Namespace
	if ns == "" {
		ns = "default"
	}
	replicas := int(ptrOr(intended.Spec.Replicas, 1))

	notes, err := controlplane.StripLBReadinessGates(objs)
	require.NoError(t, err)
	for _, n := range notes {
		t.Log(n)
	}
	if l.breakWorkload != nil {
		l.breakWorkload(t, objs)
	}
	t.Cleanup(func() { deleteNamespaces(t, c, objs) })

	exp := l.expect(intended.Spec.Template)
	c.Apply(t, objs)
	opts := c.KubectlOptions(ns)
	if exp.available {
		k8s.WaitUntilDeploymentAvailable(t, opts, intended.Name, 90, time.Second)
	} else {
		reasons := waitUntilSchedulerGaveUp(t, c, ns, intended, replicas)
		assert.False(t, k8s.IsDeploymentAvailable(k8s.GetDeployment(t, opts, intended.Name)), "Deployment must not become available")
		require.NotEmpty(t, reasons, "some pods must be unschedulable")
		for _, r := range reasons {
			assert.Contains(t, r, "topology spread constraints", "pods are pending because of the spread, not for another reason")
		}
		t.Logf("the scheduler leaves %d of %d pods Pending: %s", len(reasons), replicas, reasons[0])
	}

	nodes, err := c.NodesE()
	require.NoError(t, err)
	pods, err := c.PodsOfE(ns, intended.Spec.Selector)
	require.NoError(t, err)
	placement, err := controlplane.PlacementOf(nodes, pods, stackZones)
	require.NoError(t, err)
	t.Logf("%s/%s placed by kube-scheduler %s:\n%s", ex.Name, l.name, controlplane.KubernetesVersion, placement)
	placed := placement.Total()
	if exp.available {
		require.Equal(t, replicas, placed, "every replica is scheduled and running")
	}

	// The spread check judges the placement by the constraints the toolkit rendered,
	// even where the layout removed them from what was applied.
	check := controlplane.SpreadCheck{
		Template:        intended.Spec.Template,
		Namespace:       ns,
		DeclaredDomains: map[string][]string{controlplane.LabelZone: stackZones},
	}
	spreadErr := check.Check(nodes, pods)
	if exp.spreadErr == "" {
		require.NoError(t, spreadErr, "placement must be within the spread constraints")
	} else {
		require.Error(t, spreadErr, "the spread check must reject this layout's placement")
		require.Contains(t, spreadErr.Error(), exp.spreadErr, "rejected for the expected reason")
		t.Logf("spread check rejects the placement, as it must:\n%v", spreadErr)
	}

	checkPDB(t, c, objs, ns, replicas, placed)
	svcs := checkServices(t, c, objs, placed)
	ings := checkIngresses(t, c, objs)

	if eks == "" {
		return
	}
	lb, etp := lbOf(t, svcs, ings)
	predictions := map[string]controlplane.Prediction{}
	variants := []struct {
		name string
		lb   controlplane.TopologyLB
	}{{"as rendered", lb}}
	if lb.CrossZone {
		// NLB's own default: each zone's LB node serves only its zone's targets. This is
		// where an uneven placement turns into uneven traffic.
		off := lb
		off.CrossZone = false
		variants = append(variants, struct {
			name string
			lb   controlplane.TopologyLB
		}{"cross-zone off", off})
	}
	for _, v := range variants {
		topo := placement.Topology(v.lb, etp)
		name := strings.ReplaceAll(ex.Name+"-"+l.name+"-"+v.name, " ", "-")
		pred, file, err := controlplane.PredictE(eks, t.TempDir(), name, topo)
		require.NoError(t, err)
		predictions[v.name] = pred
		t.Logf("model prediction for %s/%s, %s (%s, targets %s, cross-zone %t; %s):\n%s",
			ex.Name, l.name, v.name, v.lb.Kind, v.lb.TargetType, v.lb.CrossZone, filepath.Base(file), pred)
	}
	worst := predictions["as rendered"]
	if p, ok := predictions["cross-zone off"]; ok {
		worst = p
	}
	switch {
	case exp.skewedModel:
		assert.Greater(t, worst.MaxOverMean, 1.1, "the model must show this placement's imbalance with cross-zone off")
	case exp.spreadErr == "":
		for name, p := range predictions {
			assert.InDelta(t, 1.0, p.MaxOverMean, 1e-6, "%s: an even placement gets even traffic", name)
			assert.InDelta(t, 1.0, p.MinOverMean, 1e-6, "%s: an even placement gets even traffic", name)
		}
	}
}

// removeSpreadConstraints is the "forgot the spread constraints" mistake.
func removeSpreadConstraints(t *testing.T, objs []*unstructured.Unstructured) {
	for _, d := range controlplane.Find(objs, "Deployment") {
		_, found, err := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "topologySpreadConstraints")
		require.NoError(t, err)
		require.True(t, found, "rendered Deployment %s has no topologySpreadConstraints to remove", d.GetName())
		unstructured.RemoveNestedField(d.Object, "spec", "template", "spec", "topologySpreadConstraints")
	}
}

func checkPDB(t *testing.T, c *controlplane.Cluster, objs []*unstructured.Unstructured, ns string, replicas, healthy int) {
	pdbs := controlplane.Find(objs, "PodDisruptionBudget")
	require.NotEmpty(t, pdbs, "the example renders a PodDisruptionBudget")
	for _, u := range pdbs {
		name := u.GetName()
		// The disruption controller fills the status once it has seen the pods.
		c.WaitUntil(t, "PDB "+name+" status", 60*time.Second, func() error {
			pdb, err := c.Clientset.PolicyV1().PodDisruptionBudgets(ns).Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			s := pdb.Status
			if s.ObservedGeneration != pdb.Generation || int(s.ExpectedPods) != replicas || int(s.CurrentHealthy) != healthy {
				return fmt.Errorf("PDB %s: expectedPods %d currentHealthy %d (want %d and %d), observedGeneration %d/%d",
					name, s.ExpectedPods, s.CurrentHealthy, replicas, healthy, s.ObservedGeneration, pdb.Generation)
			}
			if healthy == replicas && s.DisruptionsAllowed < 1 {
				return fmt.Errorf("PDB %s allows no disruption with all %d pods healthy: it would block every node drain", name, replicas)
			}
			return nil
		})
	}
}

// waitUntilSchedulerGaveUp waits until every replica exists and is either running and
// ready or marked Unschedulable by the scheduler, and returns the Unschedulable messages.
func waitUntilSchedulerGaveUp(t *testing.T, c *controlplane.Cluster, ns string, d *appsv1.Deployment, replicas int) []string {
	var reasons []string
	c.WaitUntil(t, "pods of "+d.Name+" settled", 90*time.Second, func() error {
		pods, err := c.PodsOfE(ns, d.Spec.Selector)
		if err != nil {
			return err
		}
		reasons = nil
		settled := 0
		for _, p := range pods {
			if p.DeletionTimestamp != nil {
				continue
			}
			for _, cond := range p.Status.Conditions {
				switch {
				case cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse && cond.Reason == corev1.PodReasonUnschedulable:
					reasons = append(reasons, cond.Message)
					settled++
				case cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue:
					settled++
				}
			}
		}
		if settled != replicas {
			return fmt.Errorf("%d of %d pods ready or unschedulable", settled, replicas)
		}
		return nil
	})
	return reasons
}

// checkServices reads each rendered Service back and checks that the API server kept
// its annotations and ports, allocated its addresses, and that the EndpointSlice
// controller lists every ready pod once, with its node and zone, at an address from its
// node's pod CIDR (which controlplane.LoopbackFor maps to 127.0.0.0/8).
func checkServices(t *testing.T, c *controlplane.Cluster, objs []*unstructured.Unstructured, ready int) []*corev1.Service {
	var out []*corev1.Service
	for _, u := range controlplane.Find(objs, "Service") {
		want, err := controlplane.FromUnstructured[corev1.Service](u)
		require.NoError(t, err)
		ns := nsOf(want.Namespace)
		got, err := c.Clientset.CoreV1().Services(ns).Get(context.Background(), want.Name, metav1.GetOptions{})
		require.NoError(t, err)
		for k, v := range want.Annotations {
			assert.Equal(t, v, got.Annotations[k], "Service %s annotation %s", want.Name, k)
		}
		assert.Equal(t, want.Spec.Type, got.Spec.Type, "Service %s type", want.Name)
		require.Len(t, got.Spec.Ports, len(want.Spec.Ports))
		assert.NotEmpty(t, got.Spec.ClusterIP, "Service %s has a ClusterIP", want.Name)
		if got.Spec.Type == corev1.ServiceTypeLoadBalancer && (got.Spec.AllocateLoadBalancerNodePorts == nil || *got.Spec.AllocateLoadBalancerNodePorts) {
			for _, p := range got.Spec.Ports {
				assert.NotZero(t, p.NodePort, "Service %s port %s has a node port", want.Name, p.Name)
			}
		}
		zoneOf, cidrOf := map[string]string{}, map[string]*net.IPNet{}
		for _, n := range c.Nodes {
			zoneOf[n.Name] = n.Labels[controlplane.LabelZone]
			_, cidrOf[n.Name], _ = net.ParseCIDR(n.Spec.PodCIDR)
		}
		c.WaitUntil(t, "EndpointSlices of "+want.Name, 60*time.Second, func() error {
			slices, err := c.Clientset.DiscoveryV1().EndpointSlices(ns).List(context.Background(),
				metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + want.Name})
			if err != nil {
				return err
			}
			seen := map[string]bool{}
			for _, s := range slices.Items {
				for _, e := range s.Endpoints {
					if e.Conditions.Ready == nil || !*e.Conditions.Ready {
						continue
					}
					if e.NodeName == nil || e.Zone == nil || zoneOf[*e.NodeName] != *e.Zone {
						return fmt.Errorf("endpoint %v: node %v zone %v do not match the node's zone label", e.Addresses, e.NodeName, e.Zone)
					}
					for _, a := range e.Addresses {
						if cidr := cidrOf[*e.NodeName]; cidr == nil || !cidr.Contains(net.ParseIP(a)) {
							return fmt.Errorf("endpoint address %s is not in node %s's pod CIDR", a, *e.NodeName)
						}
						if _, err := controlplane.LoopbackFor(a); err != nil {
							return err
						}
						if seen[a] {
							return fmt.Errorf("endpoint address %s listed twice", a)
						}
						seen[a] = true
					}
				}
			}
			if len(seen) != ready {
				return fmt.Errorf("%d ready endpoints, want %d", len(seen), ready)
			}
			return nil
		})
		out = append(out, got)
	}
	require.NotEmpty(t, out, "the example renders a Service")
	return out
}

// checkIngresses reads each rendered Ingress back: class, annotations, and a backend
// Service that exists with the named port.
func checkIngresses(t *testing.T, c *controlplane.Cluster, objs []*unstructured.Unstructured) []*networkingv1.Ingress {
	var out []*networkingv1.Ingress
	for _, u := range controlplane.Find(objs, "Ingress") {
		want, err := controlplane.FromUnstructured[networkingv1.Ingress](u)
		require.NoError(t, err)
		ns := nsOf(want.Namespace)
		got, err := c.Clientset.NetworkingV1().Ingresses(ns).Get(context.Background(), want.Name, metav1.GetOptions{})
		require.NoError(t, err)
		for k, v := range want.Annotations {
			assert.Equal(t, v, got.Annotations[k], "Ingress %s annotation %s", want.Name, k)
		}
		require.NotNil(t, got.Spec.IngressClassName, "Ingress %s names its class", want.Name)
		assert.Equal(t, "alb", *got.Spec.IngressClassName)
		for _, r := range got.Spec.Rules {
			require.NotNil(t, r.HTTP)
			for _, p := range r.HTTP.Paths {
				b := p.Backend.Service
				require.NotNil(t, b, "Ingress %s path %s has a Service backend", want.Name, p.Path)
				svc, err := c.Clientset.CoreV1().Services(ns).Get(context.Background(), b.Name, metav1.GetOptions{})
				require.NoError(t, err, "Ingress %s backend Service %s exists", want.Name, b.Name)
				found := false
				for _, sp := range svc.Spec.Ports {
					if (b.Port.Name != "" && sp.Name == b.Port.Name) || (b.Port.Number != 0 && sp.Port == b.Port.Number) {
						found = true
					}
				}
				assert.True(t, found, "Ingress %s backend port %+v exists on Service %s", want.Name, b.Port, b.Name)
			}
		}
		out = append(out, got)
	}
	return out
}

// lbOf derives the model's load balancer from what the API server holds: the ALB
// Ingress when there is one, else the Service of type LoadBalancer.
func lbOf(t *testing.T, svcs []*corev1.Service, ings []*networkingv1.Ingress) (controlplane.TopologyLB, string) {
	if len(ings) > 0 {
		var backend *corev1.Service
		for _, s := range svcs {
			if rule := ings[0].Spec.Rules; len(rule) > 0 && rule[0].HTTP != nil && len(rule[0].HTTP.Paths) > 0 &&
				rule[0].HTTP.Paths[0].Backend.Service != nil && rule[0].HTTP.Paths[0].Backend.Service.Name == s.Name {
				backend = s
			}
		}
		lb, etp, err := controlplane.LBFromIngress(ings[0], backend)
		require.NoError(t, err)
		return lb, etp
	}
	for _, s := range svcs {
		if s.Spec.Type == corev1.ServiceTypeLoadBalancer {
			lb, etp, err := controlplane.LBFromService(s)
			require.NoError(t, err)
			return lb, etp
		}
	}
	t.Fatalf("the example has neither an Ingress nor a Service of type LoadBalancer")
	return controlplane.TopologyLB{}, ""
}

func createIngressClass(t *testing.T, c *controlplane.Cluster, name, controller string) {
	_, err := c.Clientset.NetworkingV1().IngressClasses().Create(context.Background(), &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       networkingv1.IngressClassSpec{Controller: controller},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// deleteNamespaces deletes the example's namespaces and waits until they are gone, so
// the next example in the same cluster is placed on empty nodes.
func deleteNamespaces(t *testing.T, c *controlplane.Cluster, objs []*unstructured.Unstructured) {
	set := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			set[o.GetName()] = true
		} else if ns := o.GetNamespace(); ns != "" && ns != "default" {
			set[ns] = true
		}
	}
	ctx := context.Background()
	for ns := range set {
		err := c.Clientset.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete namespace %s: %v", ns, err)
		}
	}
	for ns := range set {
		if err := c.WaitUntilE(t, "namespace "+ns+" deleted", 90*time.Second, func() error {
			_, err := c.Clientset.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			return fmt.Errorf("namespace %s still exists", ns)
		}); err != nil {
			t.Errorf("%v", err)
		}
	}
}

func nsOf(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// checkStrictValidation proves that apply really validates strictly on the server: an
// unknown field in a rendered object is rejected, and a TargetGroupBinding is checked
// against the CRD installed for it.
func checkStrictValidation(t *testing.T, c *controlplane.Cluster, ex controlplane.Example) {
	var svc *unstructured.Unstructured
	for _, o := range ex.Objs {
		if o.GetKind() == "Service" {
			svc = o.DeepCopy()
		}
	}
	require.NotNil(t, svc, "example %s has a Service", ex.Name)
	ns := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "strict-validation"},
	}}
	svc.SetNamespace("strict-validation")
	t.Cleanup(func() { deleteNamespaces(t, c, []*unstructured.Unstructured{ns}) })
	require.NoError(t, c.ApplyE(t, []*unstructured.Unstructured{ns, svc}), "the rendered Service applies as is")

	broken := svc.DeepCopy()
	require.NoError(t, unstructured.SetNestedField(broken.Object, "Cluster", "spec", "externalTrafficPolicyy"))
	err := c.ApplyE(t, []*unstructured.Unstructured{broken})
	require.Error(t, err, "an unknown field must be rejected")
	assert.Contains(t, err.Error(), "externalTrafficPolicyy")

	tgb := func(targetType string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "elbv2.k8s.aws/v1beta1", "kind": "TargetGroupBinding",
			"metadata": map[string]any{"name": svc.GetName(), "namespace": "strict-validation"},
			"spec": map[string]any{
				"serviceRef":     map[string]any{"name": svc.GetName(), "port": int64(80)},
				"targetGroupARN": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/echo/0123456789abcdef",
				"targetType":     targetType,
			},
		}}
	}
	require.NoError(t, c.ApplyE(t, []*unstructured.Unstructured{tgb("ip")}), "a TargetGroupBinding applies once its CRD is installed")
	err = c.ApplyE(t, []*unstructured.Unstructured{tgb("pod")})
	require.Error(t, err, "the CRD's schema must reject targetType pod")
	assert.Contains(t, err.Error(), "targetType")
}
