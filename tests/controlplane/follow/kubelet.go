package follow

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/eksbalance/eksbalance/tests/controlplane"
)

// TimeScale is the default of how long one second of a manifest lasts here: preStop
// 125 s becomes 5 s, a 120 s deregistration propagation 4.8 s. Every duration in the
// chain shrinks by the same factor, so the inequalities the toolkit maintains keep
// holding. What does not shrink is the control plane's own reaction (watches, the
// EndpointSlice controller), real milliseconds, 10-100 under load, which the chain
// sees as seconds: at 40 ms the tightest margin, the NLB's 5 s between propagation
// and preStop, is 200 ms, above it (at 10 ms it was 50 ms). Kubelet.TimeScale and
// Controller.TimeScale choose another.
const TimeScale = 40 * time.Millisecond

// AbruptAnnotation on a pod template makes its pods' backends exit the moment SIGTERM
// lands (the lab backend's -abrupt): the anti-pattern a zero-loss check must catch.
const AbruptAnnotation = "lab.eksbalance.dev/abrupt"

// scaled turns seconds from a manifest into lab time.
func (k *Kubelet) scaled(seconds int64) time.Duration { return time.Duration(seconds) * k.timeScale() }

func (k *Kubelet) timeScale() time.Duration {
	if k.TimeScale == 0 {
		return TimeScale
	}
	return k.TimeScale
}

// Kubelet runs one lab backend process per pod of a workload, at the loopback twin of
// the pod's address, and carries out the pod's termination as a kubelet would.
type Kubelet struct {
	Client    kubernetes.Interface
	Namespace string
	// Selector picks the workload's pods (a label selector string).
	Selector string
	// Backend is the lab backend binary (tests/lab/backend).
	Backend string
	// Dir receives one log file per pod.
	Dir string
	// Work is how long each request takes in the backend. Default 20 ms: long enough
	// that a pod killed mid-request shows as a failed request, short enough that a
	// draining pod finishes its work well within its grace period.
	Work time.Duration
	// TimeScale is how long one second of the pod spec lasts here. Default TimeScale.
	TimeScale time.Duration
	// MaxConnRequests, when set, makes every backend recycle a connection after that
	// many requests (serve's EKSBALANCE_MAX_CONN_REQUESTS), so keepalive clients keep
	// opening connections during a scaled rollout, as a client population does.
	MaxConnRequests int
	// Logf reports what the kubelet does; nil is quiet.
	Logf func(format string, args ...any)

	mu          sync.Mutex
	pods        map[types.UID]*podProcess
	terminating map[string]time.Time // pod name: when its shutdown began
	wg          sync.WaitGroup
	stopped     bool
}

type podProcess struct {
	pod         string
	node        string
	addr        string
	proc        *controlplane.Process
	preStop     time.Duration
	grace       time.Duration
	terminating bool
}

// Start watches the workload's pods until ctx ends. Stop kills what is still running.
func (k *Kubelet) Start(ctx context.Context) error {
	k.pods = map[types.UID]*podProcess{}
	k.terminating = map[string]time.Time{}
	f := informers.NewSharedInformerFactoryWithOptions(k.Client, 0, informers.WithNamespace(k.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = k.Selector }))
	inf := f.Core().V1().Pods().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { k.sync(obj.(*corev1.Pod), false) },
		UpdateFunc: func(_, obj any) { k.sync(obj.(*corev1.Pod), false) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok {
				k.sync(p, true)
			}
		},
	})
	if err != nil {
		return err
	}
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return fmt.Errorf("pod informer did not sync")
	}
	return nil
}

// Stop kills every backend still running and waits for the termination goroutines.
func (k *Kubelet) Stop() {
	k.mu.Lock()
	k.stopped = true
	procs := make([]*podProcess, 0, len(k.pods))
	for _, pp := range k.pods {
		procs = append(procs, pp)
	}
	k.mu.Unlock()
	for _, pp := range procs {
		pp.proc.Stop(time.Second)
	}
	k.wg.Wait()
}

func (k *Kubelet) work() time.Duration {
	if k.Work == 0 {
		return 20 * time.Millisecond
	}
	return k.Work
}

func (k *Kubelet) logf(format string, args ...any) {
	if k.Logf != nil {
		k.Logf(format, args...)
	}
}

func (k *Kubelet) sync(pod *corev1.Pod, deleted bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	pp := k.pods[pod.UID]
	if pp == nil {
		if deleted || pod.DeletionTimestamp != nil || pod.Status.PodIP == "" {
			return
		}
		var err error
		if pp, err = k.start(pod); err != nil {
			k.logf("kubelet: pod %s: %v", pod.Name, err)
			return
		}
		k.pods[pod.UID] = pp
		return
	}
	if (deleted || pod.DeletionTimestamp != nil) && !pp.terminating {
		pp.terminating = true
		k.terminating[pod.Name] = time.Now()
		k.wg.Add(1)
		go k.terminate(pod, pp)
	}
}

// TerminatingSince returns when the kubelet began the pod's shutdown (its preStop
// hook), if it has.
func (k *Kubelet) TerminatingSince(pod string) (time.Time, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	at, ok := k.terminating[pod]
	return at, ok
}

// start runs the backend for a pod: address from the pod IP, port from the container,
// timings from the container's EKSBALANCE_* variables, scaled.
func (k *Kubelet) start(pod *corev1.Pod) (*podProcess, error) {
	if len(pod.Spec.Containers) == 0 {
		return nil, fmt.Errorf("no containers")
	}
	ctr := pod.Spec.Containers[0]
	if len(ctr.Ports) == 0 {
		return nil, fmt.Errorf("container %s has no port", ctr.Name)
	}
	ip, err := controlplane.LoopbackFor(pod.Status.PodIP)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(int(ctr.Ports[0].ContainerPort)))
	env := map[string]string{}
	var envList []string
	for _, e := range ctr.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
			envList = append(envList, e.Name+"="+e.Value)
		}
	}
	seconds := func(name string) int64 {
		n, _ := strconv.ParseInt(env[name], 10, 64)
		return n
	}
	args := []string{
		"-addr", addr, "-name", pod.Name,
		"-shutdown-delay", k.scaled(seconds("EKSBALANCE_SHUTDOWN_DELAY")).String(),
		"-drain-timeout", k.scaled(seconds("EKSBALANCE_DRAIN_TIMEOUT")).String(),
		"-work", k.work().String(),
	}
	if k.MaxConnRequests > 0 {
		args = append(args, "-max-conn-requests", strconv.Itoa(k.MaxConnRequests))
	}
	if pod.Annotations[AbruptAnnotation] == "true" {
		args = append(args, "-abrupt")
	}
	proc, err := controlplane.StartProcess(pod.Name, k.Backend, args, envList, filepath.Join(k.Dir, pod.Name+".log"))
	if err != nil {
		return nil, err
	}
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = *pod.Spec.TerminationGracePeriodSeconds
	}
	var preStop int64
	if ctr.Lifecycle != nil && ctr.Lifecycle.PreStop != nil && ctr.Lifecycle.PreStop.Sleep != nil {
		preStop = ctr.Lifecycle.PreStop.Sleep.Seconds
	}
	k.logf("kubelet: started %s at %s (preStop %v, grace %v)", pod.Name, addr, k.scaled(preStop), k.scaled(grace))
	return &podProcess{pod: pod.Name, node: pod.Spec.NodeName, addr: addr, proc: proc, preStop: k.scaled(preStop), grace: k.scaled(grace)}, nil
}

// terminate is the kubelet's pod shutdown: preStop hook, SIGTERM, and SIGKILL when the
// grace period (which counts from the start of preStop) runs out; then the pod object
// is removed, which frees its address.
func (k *Kubelet) terminate(pod *corev1.Pod, pp *podProcess) {
	defer k.wg.Done()
	start := time.Now()
	select {
	case <-time.After(pp.preStop):
	case <-pp.proc.Done():
	}
	_ = pp.proc.Signal(syscall.SIGTERM)
	left := pp.grace - time.Since(start)
	select {
	case <-pp.proc.Done():
	case <-time.After(left):
		k.logf("kubelet: %s outlived its grace period, killing it", pod.Name)
		pp.proc.Stop(0)
	}
	pp.proc.Stop(0) // closes the log; the process has exited
	k.logf("kubelet: %s stopped %v after deletion", pod.Name, time.Since(start).Round(time.Millisecond))
	zero := int64(0)
	err := k.Client.CoreV1().Pods(pod.Namespace).Delete(context.Background(), pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero,
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		k.logf("kubelet: remove pod %s: %v", pod.Name, err)
	}
}

// KillPodsOn kills, at once and without any shutdown, the backends of the pods on the
// named nodes, as when their zone fails, and returns the pods' names. The pods' objects
// are left to the caller.
func (k *Kubelet) KillPodsOn(nodes ...string) []string {
	on := map[string]bool{}
	for _, n := range nodes {
		on[n] = true
	}
	k.mu.Lock()
	var killed []*podProcess
	for _, pp := range k.pods {
		if on[pp.node] {
			killed = append(killed, pp)
		}
	}
	k.mu.Unlock()
	var names []string
	for _, pp := range killed {
		_ = pp.proc.Signal(syscall.SIGKILL)
		names = append(names, pp.pod)
	}
	for _, pp := range killed {
		pp.proc.Stop(time.Second)
	}
	sort.Strings(names)
	return names
}
