package follow

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/eksbalance/eksbalance/tests/controlplane"
)

// GatePrefix is the condition-type prefix of the AWS Load Balancer Controller's pod
// readiness gates; Controller.GateType uses it so the pods look as they would on EKS.
const GatePrefix = "target-health.elbv2.k8s.aws/"

// Controller keeps haproxy's servers equal to a Service's EndpointSlices, the way the AWS
// Load Balancer Controller keeps an IP target group equal to them.
type Controller struct {
	Client    kubernetes.Interface
	Namespace string
	Service   string
	HAProxy   *HAProxy
	// GateType is the readiness-gate condition the controller sets True once a pod's
	// target passes its health checks. Pods must carry it in spec.readinessGates.
	GateType string
	// DeregistrationDelay is how long a departing target stays draining before it is
	// removed. Default 300 ms: the toolkit's 30 s, scaled.
	DeregistrationDelay time.Duration
	// Logf reports registrations; nil is quiet.
	Logf func(format string, args ...any)

	slices  listersv1.EndpointSliceLister
	kick    chan struct{}
	mu      sync.Mutex
	targets map[string]*target
	errs    []error
	done    chan struct{}
}

type targetState int

const (
	registering targetState = iota // added in maintenance, health checks running
	enabled                        // a check passed; waiting for haproxy to count it UP
	serving                        // UP; the pod's readiness gate is (being) set True
	draining                       // no new connections; removed after the delay
)

type target struct {
	server  string
	addr    string
	pod     string
	podUID  types.UID
	state   targetState
	since   time.Time
	gateSet bool
}

// Start watches the Service's EndpointSlices and reconciles until ctx ends.
func (c *Controller) Start(ctx context.Context) error {
	if c.DeregistrationDelay == 0 {
		c.DeregistrationDelay = 30 * TimeScale
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

// Wait blocks until the reconcile loop has ended (after its context ended).
func (c *Controller) Wait() { <-c.done }

func (c *Controller) loop(ctx context.Context) {
	defer close(c.done)
	// Health-check results arrive without an event; polling at half the check
	// interval notices them in time.
	tick := time.NewTicker(c.HAProxy.Check.Interval / 2)
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

// Errors returns the reconcile errors seen so far.
func (c *Controller) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
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
	want, err := c.desired()
	if err != nil {
		return err
	}
	stats, err := c.HAProxy.Servers()
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for name, w := range want {
		t := c.targets[name]
		if t != nil && t.addr != w.addr && t.state != draining {
			// Same pod name at a new address cannot happen for a Deployment's pods;
			// treat it as a new target rather than guess.
			return fmt.Errorf("pod %s moved from %s to %s", w.pod, t.addr, w.addr)
		}
		if t == nil {
			if err := c.HAProxy.AddServer(name, w.addr); err != nil {
				return err
			}
			w.state, w.since = registering, now
			c.targets[name] = w
			c.logf("controller: registered %s (%s)", w.pod, w.addr)
			continue
		}
		if t.state == registering && stats[name].Check == "L7OK" {
			if err := c.HAProxy.EnableServer(name); err != nil {
				return err
			}
			t.state = enabled
		}
		// The gate opens only once haproxy sends traffic to the target (rise checks
		// passed), so that the Deployment never counts a pod the load balancer does
		// not yet use.
		if t.state == enabled && stats[name].Status == "UP" {
			c.logf("controller: %s healthy %v after registration", t.pod, now.Sub(t.since).Round(time.Millisecond))
			t.state = serving
		}
		if t.state == serving && !t.gateSet {
			if err := c.openGate(ctx, t); err != nil {
				return err
			}
			t.gateSet = true
		}
	}
	for name, t := range c.targets {
		if _, ok := want[name]; ok {
			continue
		}
		switch t.state {
		case registering, enabled, serving:
			if err := c.HAProxy.DrainServer(name); err != nil {
				return err
			}
			t.state, t.since = draining, now
			c.logf("controller: draining %s", t.pod)
		case draining:
			if now.Sub(t.since) >= c.DeregistrationDelay {
				if err := c.HAProxy.DeleteServer(name); err != nil {
					return err
				}
				delete(c.targets, name)
				c.logf("controller: deregistered %s", t.pod)
			}
		}
	}
	return nil
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
	// Serving are the addresses of haproxy servers that are enabled and UP.
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
	stats, err := c.HAProxy.Servers()
	if err != nil {
		return snap, err
	}
	for _, s := range stats {
		if s.Status == "UP" {
			snap.Serving = append(snap.Serving, s.Addr)
		}
	}
	sort.Strings(snap.Endpoints)
	sort.Strings(snap.Serving)
	return snap, nil
}

var unsafeServerChars = regexp.MustCompile(`[^A-Za-z0-9_.:-]`)

// serverName keeps only characters haproxy accepts in a server name.
func serverName(pod string) string { return unsafeServerChars.ReplaceAllString(pod, "_") }
