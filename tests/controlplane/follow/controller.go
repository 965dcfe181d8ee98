package follow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/eksbalance/eksbalance/tests/awslb"
	"github.com/eksbalance/eksbalance/tests/controlplane"
)

// GatePrefix is the condition-type prefix of the AWS Load Balancer Controller's pod
// readiness gates; Controller.GateType uses it so the pods look as they would on EKS.
const GatePrefix = "target-health.elbv2.k8s.aws/"

// Controller keeps haproxy's servers equal to a Service's EndpointSlices, the way the AWS
// Load Balancer Controller keeps an IP target group equal to them, and plays the target
// group itself with the awslb stand-in: health checks, deregistration propagation and
// delay, connection termination and the unhealthy lag, as the Service's (NLB) or the
// Ingress's (ALB) annotations ask, or, for a Gateway backend, the Service's
// TargetGroupConfiguration (gateway_form.go), scaled by TimeScale.
type Controller struct {
	Client    kubernetes.Interface
	Namespace string
	Service   string
	// Ingress names the ALB Ingress in front of the Service; its annotations (under the
	// Service's, which win, as in the controller) describe the target group. Empty: the
	// Ingress in the namespace whose backend is the Service, if there is one, else the
	// Service's own annotations (an NLB).
	Ingress string
	HAProxy *HAProxy
	// Dynamic reads the Gateway API form (routes and TargetGroupConfigurations, which
	// have no typed client). Nil: only Services and Ingresses are read.
	Dynamic dynamic.Interface
	// GateType is the readiness-gate condition the controller sets True once a pod's
	// target takes traffic. Pods must carry it in spec.readinessGates.
	GateType string
	// TimeScale is how long one second of the annotations lasts here. Default
	// TimeScale.
	TimeScale time.Duration
	// DeregistrationDelay, when set, replaces the delay the annotations ask for (wall
	// time, already scaled).
	DeregistrationDelay time.Duration
	// TerminatingSince, when set, says when the kubelet began a pod's shutdown
	// (Kubelet.TerminatingSince). A deregistration learnt later than one scaled second
	// after that is then dated to that second, as AWS's controller makes it about a
	// second after the pod starts terminating. Without it, the harness's own reaction
	// (the EndpointSlice controller and two watches: real milliseconds, 100-500 when
	// the Pulumi engine, three fronts and their load share two cores) would count in
	// scaled time as seconds of extra propagation that no EKS cluster adds.
	TerminatingSince func(pod string) (time.Time, bool)
	// Logf reports registrations; nil is quiet.
	Logf func(format string, args ...any)

	tg      *awslb.TargetGroup
	slices  listersv1.EndpointSliceLister
	kick    chan struct{}
	mu      sync.Mutex
	targets map[string]*target
	errs    []error
	done    chan struct{}
}

type target struct {
	server       string
	addr         string
	pod          string
	podUID       types.UID
	deregistered bool
	gateSet      bool
}

// Start watches the Service's EndpointSlices and reconciles until ctx ends. The target
// group is set up from the annotations as soon as the Service (and Ingress) exist, so
// Start may come before the objects are applied.
func (c *Controller) Start(ctx context.Context) error {
	if c.TimeScale == 0 {
		c.TimeScale = TimeScale
	}
	c.targets = map[string]*target{}
	c.kick = make(chan struct{}, 1)
	c.done = make(chan struct{})
	f := informers.NewSharedInformerFactoryWithOptions(c.Client, 0, informers.WithNamespace(c.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = discoveryv1.LabelServiceName + "=" + c.Service
		}))
	inf := f.Discovery().V1().EndpointSlices()
	kick := func(any) {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: kick, UpdateFunc: func(_, o any) { kick(o) }, DeleteFunc: kick,
	}); err != nil {
		return err
	}
	c.slices = inf.Lister()
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.Informer().HasSynced) {
		return fmt.Errorf("EndpointSlice informer did not sync")
	}
	go c.loop(ctx)
	return nil
}

// targetGroupConfig reads the annotations as the AWS Load Balancer Controller does.
func (c *Controller) targetGroupConfig(ctx context.Context) (awslb.Config, error) {
	svc, err := c.Client.CoreV1().Services(c.Namespace).Get(ctx, c.Service, metav1.GetOptions{})
	if err != nil {
		return awslb.Config{}, err
	}
	ingress := c.Ingress
	if ingress == "" {
		if ingress, err = c.ingressFor(ctx); err != nil {
			return awslb.Config{}, err
		}
	}
	var cfg awslb.Config
	switch {
	case ingress == "" && svc.Spec.Type != corev1.ServiceTypeLoadBalancer:
		// Not an NLB's Service: a Gateway route's backend, or its ALB Ingress is still
		// to come.
		if cfg, err = c.gatewayConfig(ctx); err != nil {
			return awslb.Config{}, err
		}
	case ingress == "":
		cfg, err = awslb.FromServiceAnnotations(svc.Annotations)
	default:
		ing, gerr := c.Client.NetworkingV1().Ingresses(c.Namespace).Get(ctx, ingress, metav1.GetOptions{})
		if gerr != nil {
			return awslb.Config{}, gerr
		}
		a := map[string]string{}
		for k, v := range ing.Annotations {
			a[k] = v
		}
		for k, v := range svc.Annotations {
			a[k] = v
		}
		cfg, err = awslb.FromIngressAnnotations(a)
	}
	if err != nil {
		return awslb.Config{}, fmt.Errorf("service %s/%s: %w", c.Namespace, c.Service, err)
	}
	cfg.TimeScale = c.TimeScale
	if c.DeregistrationDelay != 0 {
		cfg.DeregistrationDelay = c.DeregistrationDelay * time.Second / c.TimeScale
	}
	return cfg, nil
}

// errNoFrontYet: the Service exists but nothing in front of it does yet.
var errNoFrontYet = errors.New("no load balancer in front of the Service yet")

// ingressFor finds the Ingress whose default backend or a rule's backend is the
// Service, as the AWS controller finds the Services an Ingress routes to; "" when none.
func (c *Controller) ingressFor(ctx context.Context) (string, error) {
	list, err := c.Client.NetworkingV1().Ingresses(c.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	for _, ing := range list.Items {
		if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil && b.Service.Name == c.Service {
			return ing.Name, nil
		}
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.Backend.Service != nil && p.Backend.Service.Name == c.Service {
					return ing.Name, nil
				}
			}
		}
	}
	return "", nil
}

// TargetGroup is the stand-in playing the load balancer's target group; nil until the
// Service (and Ingress) exist.
func (c *Controller) TargetGroup() *awslb.TargetGroup {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tg
}

// ensureTargetGroup sets the target group up from the annotations once the objects
// exist; false while they do not.
func (c *Controller) ensureTargetGroup(ctx context.Context) (bool, error) {
	c.mu.Lock()
	ready := c.tg != nil
	c.mu.Unlock()
	if ready {
		return true, nil
	}
	cfg, err := c.targetGroupConfig(ctx)
	if apierrors.IsNotFound(err) || errors.Is(err, errNoFrontYet) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	c.tg = &awslb.TargetGroup{Config: cfg, Dataplane: c.HAProxy.Standin(), Logf: c.Logf}
	c.mu.Unlock()
	return true, nil
}

// Wait blocks until the reconcile loop has ended (after its context ended).
func (c *Controller) Wait() { <-c.done }

func (c *Controller) loop(ctx context.Context) {
	defer close(c.done)
	defer func() {
		if tg := c.TargetGroup(); tg != nil {
			tg.Close()
		}
	}()
	// Health-check results and the stand-in's timers arrive without an event; polling
	// notices them in time to open readiness gates and free released servers.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		case <-tick.C:
		}
		if err := c.reconcile(ctx); err != nil {
			c.mu.Lock()
			c.errs = append(c.errs, err)
			c.mu.Unlock()
			c.logf("controller: %v", err)
		}
	}
}

// Errors returns the reconcile errors and the stand-in's data-plane errors seen so far.
func (c *Controller) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]error(nil), c.errs...)
	if c.tg != nil {
		out = append(out, c.tg.Errors()...)
	}
	return out
}

func (c *Controller) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
	}
}

// desired is the target set the EndpointSlices ask for: every endpoint that is not
// terminating, ready or not. A pod waiting for its readiness gate is not ready, and must
// be registered precisely so that its health check can open the gate.
func (c *Controller) desired() (map[string]*target, error) {
	slices, err := c.slices.EndpointSlices(c.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	want := map[string]*target{}
	for _, s := range slices {
		if len(s.Ports) == 0 || s.Ports[0].Port == nil {
			continue
		}
		port := int(*s.Ports[0].Port)
		for _, e := range s.Endpoints {
			if e.Conditions.Terminating != nil && *e.Conditions.Terminating {
				continue
			}
			if e.TargetRef == nil || e.TargetRef.Kind != "Pod" || len(e.Addresses) == 0 {
				continue
			}
			ip, err := controlplane.LoopbackFor(e.Addresses[0])
			if err != nil {
				return nil, err
			}
			name := serverName(e.TargetRef.Name)
			want[name] = &target{server: name, addr: net.JoinHostPort(ip, strconv.Itoa(port)), pod: e.TargetRef.Name, podUID: e.TargetRef.UID}
		}
	}
	return want, nil
}

func (c *Controller) reconcile(ctx context.Context) error {
	if ok, err := c.ensureTargetGroup(ctx); !ok || err != nil {
		return err
	}
	want, err := c.desired()
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, w := range want {
		t := c.targets[name]
		if t != nil && t.addr != w.addr && !t.deregistered {
			// Same pod name at a new address cannot happen for a Deployment's pods;
			// treat it as a new target rather than guess.
			return fmt.Errorf("pod %s moved from %s to %s", w.pod, t.addr, w.addr)
		}
		if t == nil {
			if err := c.HAProxy.addStandinServer(name, w.addr); err != nil {
				return err
			}
			if err := c.tg.Register(awslb.Target{Name: name, Addr: w.addr, Servers: []string{"svc/" + name}}); err != nil {
				return err
			}
			c.targets[name] = w
			c.logf("controller: registered %s (%s)", w.pod, w.addr)
			continue
		}
		// The gate opens only once the load balancer sends the target traffic, so that
		// the Deployment never counts a pod the load balancer does not yet use.
		if st, ok := c.tg.State(name); ok && st.Routing && !t.gateSet {
			if err := c.openGate(ctx, t); err != nil {
				return err
			}
			t.gateSet = true
		}
	}
	var stats map[string]awslb.ServerStat
	for name, t := range c.targets {
		if _, ok := want[name]; ok {
			continue
		}
		if !t.deregistered {
			// As the AWS controller does the moment the endpoint turns terminating.
			if err := c.tg.DeregisterAt(name, c.deregisteredAt(t.pod)); err != nil {
				return err
			}
			t.deregistered = true
			c.logf("controller: deregistering %s", t.pod)
			continue
		}
		if st, ok := c.tg.State(name); !ok || !st.Released {
			continue
		}
		// Released: free the server once nothing is open on it.
		if stats == nil {
			if stats, err = c.HAProxy.Standin().Stats(); err != nil {
				return err
			}
		}
		if stats["svc/"+name].Sessions > 0 {
			continue
		}
		if err := c.HAProxy.Standin().DeleteServer("svc/" + name); err != nil {
			return err
		}
		delete(c.targets, name)
		c.logf("controller: deregistered %s", t.pod)
	}
	return nil
}

// deregisteredAt is when the target group counts the pod's deregistration from:
// now, or one scaled second after the kubelet began its shutdown when that is
// earlier (see TerminatingSince).
func (c *Controller) deregisteredAt(pod string) time.Time {
	now := time.Now()
	if c.TerminatingSince == nil {
		return now
	}
	if since, ok := c.TerminatingSince(pod); ok {
		if aws := since.Add(c.TimeScale); aws.Before(now) {
			return aws
		}
	}
	return now
}

// openGate sets the pod's readiness-gate condition, and Ready with it when the
// containers are ready: the kubelet's part, which kwok does not play here.
func (c *Controller) openGate(ctx context.Context, t *target) error {
	pod, err := c.Client.CoreV1().Pods(c.Namespace).Get(ctx, t.pod, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if pod.UID != t.podUID || pod.DeletionTimestamp != nil {
		return nil
	}
	now := metav1.Now()
	conds := []corev1.PodCondition{{Type: corev1.PodConditionType(c.GateType), Status: corev1.ConditionTrue, LastTransitionTime: now}}
	containersReady := false
	for _, cond := range pod.Status.Conditions {
		if cond.Type == corev1.ContainersReady && cond.Status == corev1.ConditionTrue {
			containersReady = true
		}
	}
	if containersReady {
		conds = append(conds, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": conds}})
	if err != nil {
		return err
	}
	_, err = c.Client.CoreV1().Pods(c.Namespace).Patch(ctx, t.pod, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	return err
}

// Snapshot is the controller's view at one moment, for tests to compare.
type Snapshot struct {
	// Endpoints are the loopback addresses of the Service's ready, non-terminating
	// endpoints.
	Endpoints []string
	// Serving are the addresses of the targets the load balancer sends new work to
	// (not deregistered).
	Serving []string
}

// SnapshotE reads both sides now.
func (c *Controller) SnapshotE() (Snapshot, error) {
	var snap Snapshot
	slices, err := c.slices.EndpointSlices(c.Namespace).List(labels.Everything())
	if err != nil {
		return snap, err
	}
	for _, s := range slices {
		if len(s.Ports) == 0 || s.Ports[0].Port == nil {
			continue
		}
		for _, e := range s.Endpoints {
			ready := e.Conditions.Ready != nil && *e.Conditions.Ready
			terminating := e.Conditions.Terminating != nil && *e.Conditions.Terminating
			if !ready || terminating || len(e.Addresses) == 0 {
				continue
			}
			ip, err := controlplane.LoopbackFor(e.Addresses[0])
			if err != nil {
				return snap, err
			}
			snap.Endpoints = append(snap.Endpoints, net.JoinHostPort(ip, strconv.Itoa(int(*s.Ports[0].Port))))
		}
	}
	tg := c.TargetGroup()
	if tg == nil {
		return snap, fmt.Errorf("no target group yet: service %s/%s not found", c.Namespace, c.Service)
	}
	for _, st := range tg.Snapshot() {
		if st.Routing && !st.Deregistered {
			snap.Serving = append(snap.Serving, st.Addr)
		}
	}
	sort.Strings(snap.Endpoints)
	sort.Strings(snap.Serving)
	return snap, nil
}

var unsafeServerChars = regexp.MustCompile(`[^A-Za-z0-9_.:-]`)

// serverName keeps only characters haproxy accepts in a server name.
func serverName(pod string) string { return unsafeServerChars.ReplaceAllString(pod, "_") }
