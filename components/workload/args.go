package workload

import (
	"fmt"
	"reflect"
	"time"

	"github.com/eksbalance/eksbalance/components/gateway"
	"github.com/eksbalance/eksbalance/components/loadbalancer"
)

// Front says how traffic from outside the cluster reaches the pods.
type Front string

const (
	// FrontNLB is a Service of type LoadBalancer handed to the AWS Load
	// Balancer Controller (loadBalancerClass service.k8s.aws/nlb), which creates
	// a Network Load Balancer from Args.NLB. The default: it serves any TCP
	// protocol and keeps the client's address.
	FrontNLB Front = "nlb"
	// FrontALB is a ClusterIP Service plus an Ingress of class alb, from which
	// the controller creates an Application Load Balancer using Args.ALB. Pick
	// it for HTTP services: it balances requests (least outstanding requests),
	// not connections.
	FrontALB Front = "alb"
)

// PreStopMode says how a terminating pod keeps serving until the load balancer
// has stopped sending it new work.
type PreStopMode string

const (
	// PreStopSleep uses the kubelet's native lifecycle.preStop.sleep action
	// (on by default since Kubernetes 1.30). The default: it needs nothing in
	// the image, so it works with distroless and scratch images.
	PreStopSleep PreStopMode = "sleep"
	// PreStopExec runs `sleep N` in the container as an exec preStop hook, for
	// clusters older than 1.30. The image must contain a sleep binary.
	PreStopExec PreStopMode = "exec"
	// PreStopInApp adds no hook: the app itself keeps serving for the preStop
	// duration after SIGTERM, with readiness failing (EKSBALANCE_SHUTDOWN_DELAY,
	// honoured by the serve package). For apps built on serve that run on
	// clusters without the sleep action and images without a shell.
	PreStopInApp PreStopMode = "inApp"
)

// TrafficDistribution is the Service's spec.trafficDistribution. The empty
// value leaves it unset: kube-proxy spreads in-cluster traffic over all ready
// endpoints.
type TrafficDistribution string

const (
	// TrafficDistributionPreferClose keeps in-cluster callers' traffic to the
	// Service's cluster IP in their own zone when that zone has ready
	// endpoints. It saves cross-AZ transfer and latency, but a zone's pods then
	// take exactly that zone's callers' load: if callers are unevenly spread
	// over zones, so is the load on the pods. Load-balancer traffic to IP
	// targets bypasses kube-proxy and is unaffected.
	TrafficDistributionPreferClose TrafficDistribution = "PreferClose"
)

// Defaults and margins chosen by this package. The load balancer's own numbers
// come from loadbalancer.Timings.
const (
	// PreStopMargin is added to the time the load balancer may keep sending
	// new work (loadbalancer.Timings.StopSendingAfter) to get the default
	// preStop: the bound is a worst case measured from the start of
	// termination, and the hook starts a little after it (kubelet sync).
	PreStopMargin = 5 * time.Second
	// CloseWindow is the end of preStop that the app waits out itself, after
	// SIGTERM, with the sleep and exec hooks: the hook sleeps PreStop -
	// CloseWindow, then the app keeps serving for CloseWindow while it fails
	// readiness and answers every request with Connection: close
	// (EKSBALANCE_SHUTDOWN_DELAY). Keepalive clients still holding a
	// connection to the pod (behind an NLB the client's own connection) then
	// open a new one, which the load balancer, done sending here by now,
	// gives to another pod. Without the window the app closes its idle
	// keepalive connections the moment it stops, and a client that reuses one
	// loses that request. Not above PreStopMargin, so by default the window
	// starts after StopSendingAfter.
	CloseWindow = 5 * time.Second
	// GraceMargin is added to preStop + drain time to get the default
	// terminationGracePeriodSeconds, so the process exits on its own before
	// the kubelet's SIGKILL even when the drain uses its whole budget.
	GraceMargin = 5 * time.Second
	// DefaultDrainTime is how long in-flight requests may run after SIGTERM
	// unless Args.DrainTime says otherwise: above the latency of ordinary
	// request/response APIs, well below the 30 s target-group deregistration
	// delay default.
	DefaultDrainTime = 10 * time.Second
	// DefaultNLBMaxConnAge recycles connections behind an NLB after one
	// minute: an NLB balances connections, not requests, so a pod added by a
	// rollout or scale-out gets a share of long-lived keepalive connections
	// only as they are reopened. For ten callers that cache DNS and keep five
	// connections each (model.DefaultPopulation), the model gives the time
	// until the pods of a one-per-zone scale-out (6 to 9) all carry 90% of
	// their share as 4 min at one minute (2-7 min in 95% of runs) against
	// 9 min (5-22) at five minutes, and the busiest pod's per-minute load
	// (p95 of max/mean) as 1.67 against 1.80; the lab measures the same
	// relation in scaled time (tests/lab, TestClientPopulationsMatchModel).
	// Shorter ages buy less (30 s: 3 min, 1.52) for twice the reconnects;
	// one reconnect per connection per minute is a TCP (and TLS) handshake
	// per some thousand requests.
	DefaultNLBMaxConnAge = time.Minute
	// DefaultZoneCount matches the network component's default of three zones.
	DefaultZoneCount = 3
	// DefaultReplicasPerZone is two, so draining one node never leaves a zone
	// without a pod.
	DefaultReplicasPerZone = 2
	// DefaultPort is the container port when the container does not name one.
	DefaultPort = 8080
	// DefaultServicePort is the ClusterIP Service port behind an ALB.
	DefaultServicePort = 80
	// DefaultContainerName names the app container.
	DefaultContainerName = "app"
	// DefaultRunAsID is the uid and gid the container runs as: 65532, the
	// "nonroot" user of distroless images, never a uid that exists on nodes.
	DefaultRunAsID int64 = 65532
	// DefaultTargetCPUUtilization is the HPA target: 70 % leaves room for a
	// zone's share to grow by half when another zone is lost (3 zones), as
	// long as the CPU limit is at least 1.05x the request; Validate holds
	// every target to that (see validateZoneLoss).
	DefaultTargetCPUUtilization = 70
	// DefaultTmpSize bounds the writable /tmp (the root filesystem is read-only).
	DefaultTmpSize = "64Mi"
)

// SampleImage is the sample app: agnhost's netexec serves /hostname (the pod
// name), /healthz (200 while up) and /readyz (503 from SIGTERM on), and with
// --delay-shutdown=N keeps serving N seconds after SIGTERM before exiting.
// 2.53 is the tag the Kubernetes tutorials use.
const SampleImage = "registry.k8s.io/e2e-test-images/agnhost:2.53"

// Resources are the container's requests and limits, as Kubernetes quantities
// ("250m", "256Mi"). All four are required: requests place pods evenly and
// let the HPA compute utilization; limits keep one pod from starving its
// neighbours. No defaults: only the service's owner knows its size.
type Resources struct {
	// CPURequest is what the scheduler reserves and the HPA measures against.
	CPURequest string `json:"cpuRequest,omitempty" yaml:"cpuRequest,omitempty"`
	// MemoryRequest is what the scheduler reserves.
	MemoryRequest string `json:"memoryRequest,omitempty" yaml:"memoryRequest,omitempty"`
	// CPULimit caps CPU use (throttled above it); at least CPURequest.
	CPULimit string `json:"cpuLimit,omitempty" yaml:"cpuLimit,omitempty"`
	// MemoryLimit caps memory (OOM-killed above it); at least MemoryRequest.
	MemoryLimit string `json:"memoryLimit,omitempty" yaml:"memoryLimit,omitempty"`
}

// Container is the app container. Leave it entirely empty for the sample app
// (SampleApp); once any field is set, Image, ReadinessPath and Resources are
// required.
type Container struct {
	// Name of the container. Default "app".
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Image, pinned by tag or digest. Required unless the whole Container is
	// empty (then the sample app's image).
	Image string `json:"image,omitempty" yaml:"image,omitempty"`
	// Command overrides the image's entrypoint. Default: the image's.
	Command []string `json:"command,omitempty" yaml:"command,omitempty"`
	// Args are the container arguments. Default: the image's.
	Args []string `json:"args,omitempty" yaml:"args,omitempty"`
	// Port is the HTTP port the app serves on (named "http"; probes and the
	// Service target it). Default 8080: unprivileged, so no capability is needed.
	Port int `json:"port,omitempty" yaml:"port,omitempty"`
	// ReadinessPath is the readiness probe's HTTP path, and the load
	// balancer's health-check path when that check is HTTP and has no path of
	// its own. Required: a pod must not take traffic before it says it can.
	ReadinessPath string `json:"readinessPath,omitempty" yaml:"readinessPath,omitempty"`
	// LivenessPath is the liveness (and startup) probe's HTTP path. Default
	// ReadinessPath. A separate, cheaper endpoint that does not check
	// dependencies is better: a failing dependency should take a pod out of
	// rotation, not restart it.
	LivenessPath string `json:"livenessPath,omitempty" yaml:"livenessPath,omitempty"`
	// StartupTime is the longest the app may take to start. When set, a
	// startup probe allows that long before liveness checks begin. Default 0
	// (no startup probe): the liveness probe alone tolerates 60 s of failures.
	StartupTime time.Duration `json:"startupTime,omitempty" yaml:"startupTime,omitempty"`
	// Resources are the requests and limits; all four required.
	Resources Resources `json:"resources" yaml:"resources"`
	// Env adds environment variables. Names starting with EKSBALANCE_ are
	// reserved for the values this template derives (see EnvLBIdleTimeout...).
	Env map[string]string `json:"env,omitempty" yaml:"env,omitempty"`
	// RunAsUser is the container's uid. Default 65532; must not be 0.
	RunAsUser int64 `json:"runAsUser,omitempty" yaml:"runAsUser,omitempty"`
	// RunAsGroup is the container's gid (and fsGroup). Default 65532; must not be 0.
	RunAsGroup int64 `json:"runAsGroup,omitempty" yaml:"runAsGroup,omitempty"`

	// sample marks the SampleApp preset, whose arguments are derived from the
	// timings once they are known.
	sample bool
}

// SampleApp is the preset used when Args.Container is empty: agnhost netexec
// on port 8080, ready on /readyz (which fails from SIGTERM on), live on
// /healthz, small requests and limits. Its arguments are filled in from the
// timings: --delay-shutdown is the in-app shutdown delay plus the drain time,
// so the sample keeps serving exactly as long as a real app would drain.
func SampleApp() Container {
	return Container{
		Name:          DefaultContainerName,
		Image:         SampleImage,
		Port:          DefaultPort,
		ReadinessPath: "/readyz",
		LivenessPath:  "/healthz",
		Resources: Resources{
			CPURequest:    "50m",
			MemoryRequest: "32Mi",
			CPULimit:      "200m",
			MemoryLimit:   "64Mi",
		},
		sample: true,
	}
}

// sampleArgs are netexec's arguments for the preset.
func sampleArgs(port int, t Timing) []string {
	return []string{
		"netexec",
		fmt.Sprintf("--http-port=%d", port),
		fmt.Sprintf("--delay-shutdown=%d", secs(t.ShutdownDelay+t.DrainTime)),
	}
}

// Autoscaling configures a HorizontalPodAutoscaler (autoscaling/v2) on CPU.
type Autoscaling struct {
	// MinReplicas is the floor. Default Args.Replicas. Must be a multiple of
	// the zone count (unless Args.AllowUnevenReplicas), so the quiet-hours
	// state is balanced over zones.
	MinReplicas int `json:"minReplicas,omitempty" yaml:"minReplicas,omitempty"`
	// MaxReplicas is the ceiling. Default twice MinReplicas: room for traffic
	// to double while bounding cost; set it from a load test. Between the two
	// the count need not be a multiple of the zone count: the zone spread
	// constraint keeps zones within one pod of each other.
	MaxReplicas int `json:"maxReplicas,omitempty" yaml:"maxReplicas,omitempty"`
	// TargetCPUUtilization is the average CPU use, in percent of requests, the
	// HPA aims for. Default 70.
	TargetCPUUtilization int `json:"targetCpuUtilization,omitempty" yaml:"targetCpuUtilization,omitempty"`
}

// Args configures NewWorkload. The zero value is valid: a sample app behind an
// internal NLB with IP targets, six replicas over three zones.
type Args struct {
	// Namespace the objects go in. Default: the component's name, so each
	// workload's namespace can carry its own readiness-gate label.
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	// CreateNamespace creates the Namespace, labelled
	// elbv2.k8s.aws/pod-readiness-gate-inject=enabled (IP targets) and
	// pod-security.kubernetes.io/enforce=restricted, before any pod exists.
	// Default true: the readiness-gate label only takes effect on pods created
	// after it, so the namespace must be labelled first. Set false to use an
	// existing namespace; label it yourself.
	CreateNamespace *bool `json:"createNamespace,omitempty" yaml:"createNamespace,omitempty"`

	// Front is the kind of load balancer. Default FrontNLB. FrontGatewayALB and
	// FrontGatewayNLB are the Gateway API forms (gateway_front.go).
	Front Front `json:"front,omitempty" yaml:"front,omitempty"`
	// Controller is what provisions the load balancer: the self-managed AWS
	// Load Balancer Controller or EKS Auto Mode (see ControllerEKSAutoMode).
	// Default ControllerLBC. Must match the cluster: Auto Mode clusters have no
	// self-managed controller, and a Service of the other class is never served.
	Controller Controller `json:"controller,omitempty" yaml:"controller,omitempty"`
	// NLB are the Network Load Balancer's settings (Front nlb); empty fields
	// take the loadbalancer package's defaults. Two are filled from the
	// workload when empty: an HTTP(S) health check's path (Container.ReadinessPath)
	// and the deregistration delay (the larger of the package default and
	// DrainTime). Must be empty with Front alb.
	NLB loadbalancer.NLB `json:"nlb,omitempty" yaml:"nlb,omitempty"`
	// ALB are the Application Load Balancer's settings (Front alb), filled as
	// for NLB. Must be empty with Front nlb.
	ALB loadbalancer.ALB `json:"alb,omitempty" yaml:"alb,omitempty"`
	// Host restricts the Ingress rule (Front alb) or the HTTPRoute (Front
	// gateway-alb) to one host name. Default none: any host.
	Host string `json:"host,omitempty" yaml:"host,omitempty"`
	// Gateway, with a Gateway front, attaches the workload's route to a shared
	// Gateway (gateway.NewGateway(...).Ref()) instead of creating one for the
	// workload. The Gateway's load-balancer settings (scheme, listeners, idle
	// timeouts, deregistration propagation, zonal shift) then come from the
	// Ref, and the workload's timings with them; set only target-group
	// settings in ALB or NLB. Default nil: the workload creates its own Gateway.
	Gateway *gateway.Ref `json:"-" yaml:"-"`
	// GatewayListener is the listener (sectionName, e.g. "http-80" or
	// "tcp-9000") of the shared Gateway the route attaches to. Default: every
	// listener of the Gateway (an NLB listener forwards to one target group,
	// so give it when several workloads share an NLB Gateway).
	GatewayListener string `json:"gatewayListener,omitempty" yaml:"gatewayListener,omitempty"`
	// GatewayClass is the class of the workload's own Gateway. Default
	// "aws-alb" or "aws-nlb" (created by the lbcontroller component).
	GatewayClass string `json:"gatewayClass,omitempty" yaml:"gatewayClass,omitempty"`
	// ServicePort is the ClusterIP Service's port behind an ALB. Default 80.
	// With an NLB the Service exposes exactly the NLB's listener ports.
	ServicePort int `json:"servicePort,omitempty" yaml:"servicePort,omitempty"`
	// TrafficDistribution sets the Service's spec.trafficDistribution for
	// in-cluster callers. Default unset: even spread over all pods. See
	// TrafficDistributionPreferSameZone (Kubernetes 1.34+; PreferClose is its
	// deprecated alias) for the trade-off. Rejected with instance
	// targets, where node-port traffic from the load balancer would be steered
	// too.
	TrafficDistribution TrafficDistribution `json:"trafficDistribution,omitempty" yaml:"trafficDistribution,omitempty"`

	// ZoneCount is the number of availability zones the nodes span. Default 3.
	ZoneCount int `json:"zoneCount,omitempty" yaml:"zoneCount,omitempty"`
	// Replicas is the pod count (without autoscaling; with it, the initial
	// count). Default 2 x ZoneCount. Must be a multiple of ZoneCount unless
	// AllowUnevenReplicas: otherwise some zone runs one pod more, and with
	// cross-zone balancing its pods each take a smaller share than the rest,
	// or without it a larger one.
	Replicas int `json:"replicas,omitempty" yaml:"replicas,omitempty"`
	// AllowUnevenReplicas accepts replica counts that are not a multiple of
	// ZoneCount (for example one replica in a dev stack). Default false.
	AllowUnevenReplicas bool `json:"allowUnevenReplicas,omitempty" yaml:"allowUnevenReplicas,omitempty"`
	// MaxSurge is how many extra pods a rollout may start at once (maxUnavailable
	// is always 0: no pod goes before its replacement is ready). Default
	// ZoneCount: one new pod per zone per step, so the new generation grows
	// evenly over zones, while needing only that much spare capacity.
	MaxSurge int `json:"maxSurge,omitempty" yaml:"maxSurge,omitempty"`
	// Autoscaling adds a HorizontalPodAutoscaler. Default none. With it, the
	// Deployment's replica count is set at creation and then left to the HPA.
	Autoscaling *Autoscaling `json:"autoscaling,omitempty" yaml:"autoscaling,omitempty"`

	// Container is the app container. Default: SampleApp().
	Container Container `json:"container,omitempty" yaml:"container,omitempty"`

	// PreStopMode is how the pod waits for the load balancer. Default PreStopSleep.
	PreStopMode PreStopMode `json:"preStopMode,omitempty" yaml:"preStopMode,omitempty"`
	// PreStop is how long a terminating pod keeps accepting new work: from
	// the start of termination until the app closes its listener and drains.
	// With the sleep and exec hooks the hook takes PreStop - CloseWindow and
	// the app the last CloseWindow after SIGTERM; with PreStopInApp the app
	// takes all of it. Default the load balancer's StopSendingAfter rounded
	// up to seconds, plus PreStopMargin. Must exceed StopSendingAfter.
	PreStop time.Duration `json:"preStop,omitempty" yaml:"preStop,omitempty"`
	// DrainTime is how long in-flight requests may take to finish once the app
	// drains (EKSBALANCE_DRAIN_TIMEOUT). Default 10 s. The load balancer's
	// deregistration delay must cover it (with an NLB's connection
	// termination: cover PreStop + DrainTime), or requests are cut off.
	DrainTime time.Duration `json:"drainTime,omitempty" yaml:"drainTime,omitempty"`
	// TerminationGracePeriod is the pod's terminationGracePeriodSeconds.
	// Default PreStop + DrainTime + GraceMargin. Must exceed PreStop +
	// DrainTime, and be at least the load balancer's deregistration delay
	// (a longer delay would only hold connections to a pod already killed).
	TerminationGracePeriod time.Duration `json:"terminationGracePeriod,omitempty" yaml:"terminationGracePeriod,omitempty"`
	// BackendKeepAlive is the app's idle timeout for keepalive connections
	// (EKSBALANCE_IDLE_TIMEOUT). Default the load balancer's
	// RecommendedBackendKeepAlive. Must exceed the LB idle timeout, or the app
	// closes connections the LB is about to reuse (502s on an ALB, resets on an NLB).
	BackendKeepAlive time.Duration `json:"backendKeepAlive,omitempty" yaml:"backendKeepAlive,omitempty"`
	// MaxConnAge makes the app close a connection after this age
	// (EKSBALANCE_MAX_CONN_AGE). Nil means the default: DefaultNLBMaxConnAge
	// behind an NLB, 0 (off) behind an ALB, which balances each request
	// anyway. Point at 0 to turn it off.
	MaxConnAge *time.Duration `json:"maxConnAge,omitempty" yaml:"maxConnAge,omitempty"`
	// MaxConnRequests makes the app close a connection after this many
	// requests (EKSBALANCE_MAX_CONN_REQUESTS). Default 0 (off): age alone
	// bounds how long a connection pins a client to a pod, whatever the rate.
	MaxConnRequests int `json:"maxConnRequests,omitempty" yaml:"maxConnRequests,omitempty"`

	// derivedDelay records that SetDefaults derived the deregistration delay.
	derivedDelay bool
}

// SetDefaults fills every empty field with its documented default, deriving
// the timings from the load balancer's settings. name is the component name.
func (a *Args) SetDefaults(name string) {
	if a.Namespace == "" {
		a.Namespace = name
	}
	if a.CreateNamespace == nil {
		a.CreateNamespace = ptr(true)
	}
	if a.Front == "" {
		a.Front = FrontNLB
	}
	if a.Controller == "" {
		a.Controller = ControllerLBC
	}
	if reflect.ValueOf(a.Container).IsZero() {
		a.Container = SampleApp()
	}
	c := &a.Container
	if c.Name == "" {
		c.Name = DefaultContainerName
	}
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.LivenessPath == "" {
		c.LivenessPath = c.ReadinessPath
	}
	if c.RunAsUser == 0 {
		c.RunAsUser = DefaultRunAsID
	}
	if c.RunAsGroup == 0 {
		c.RunAsGroup = DefaultRunAsID
	}
	if a.DrainTime == 0 {
		a.DrainTime = DefaultDrainTime
	}
	// The deregistration delay is derived last, from preStop and drain; the
	// other settings are defaulted now, and the delay left nil until then.
	switch a.Front {
	case FrontNLB, FrontGatewayNLB:
		if a.Front == FrontGatewayNLB {
			a.fillFromGateway()
		}
		fillHealthCheckPath(&a.NLB.HealthCheck, c.ReadinessPath)
		delay := a.NLB.TargetGroup.DeregistrationDelay
		a.NLB.SetDefaults()
		a.NLB.TargetGroup.DeregistrationDelay = delay
	case FrontALB, FrontGatewayALB:
		if a.Front == FrontGatewayALB {
			a.fillFromGateway()
		}
		if a.ALB.HealthCheck.Protocol == "" {
			// The ALB's default check is HTTP; give it the readiness path
			// instead of the controller's "/".
			a.ALB.HealthCheck.Protocol = loadbalancer.ProtocolHTTP
		}
		fillHealthCheckPath(&a.ALB.HealthCheck, c.ReadinessPath)
		delay := a.ALB.TargetGroup.DeregistrationDelay
		a.ALB.SetDefaults()
		a.ALB.TargetGroup.DeregistrationDelay = delay
	}
	a.gatewayDefaults()
	if a.ServicePort == 0 {
		a.ServicePort = DefaultServicePort
	}
	if a.ZoneCount == 0 {
		a.ZoneCount = DefaultZoneCount
	}
	if a.Replicas == 0 {
		a.Replicas = DefaultReplicasPerZone * a.ZoneCount
		if a.Autoscaling != nil && a.Autoscaling.MinReplicas != 0 {
			a.Replicas = a.Autoscaling.MinReplicas
		}
	}
	if a.MaxSurge == 0 {
		a.MaxSurge = a.ZoneCount
	}
	if a.Autoscaling != nil {
		h := *a.Autoscaling
		if h.MinReplicas == 0 {
			h.MinReplicas = a.Replicas
		}
		if h.MaxReplicas == 0 {
			h.MaxReplicas = 2 * h.MinReplicas
		}
		if h.TargetCPUUtilization == 0 {
			h.TargetCPUUtilization = DefaultTargetCPUUtilization
		}
		a.Autoscaling = &h
	}
	if a.PreStopMode == "" {
		a.PreStopMode = PreStopSleep
	}
	lb, ok := a.lbTimings()
	if ok {
		if a.PreStop == 0 {
			a.PreStop = ceilSeconds(lb.StopSendingAfter) + PreStopMargin
		}
		if a.TerminationGracePeriod == 0 {
			// Rounded so a fractional override is reported once, on its own field.
			a.TerminationGracePeriod = ceilSeconds(a.PreStop) + ceilSeconds(a.DrainTime) + GraceMargin
		}
		if a.BackendKeepAlive == 0 {
			a.BackendKeepAlive = ceilSeconds(lb.RecommendedBackendKeepAlive)
		}
		// Rounded, like grace, so an override is reported on its own field.
		delay := ceilSeconds(lb.DeregistrationDelayBound(ceilSeconds(a.PreStop), ceilSeconds(a.DrainTime)).Value)
		switch a.Front {
		case FrontNLB, FrontGatewayNLB:
			a.derivedDelay = fillDeregistrationDelay(&a.NLB.TargetGroup, delay) || a.derivedDelay
		case FrontALB, FrontGatewayALB:
			a.derivedDelay = fillDeregistrationDelay(&a.ALB.TargetGroup, delay) || a.derivedDelay
		}
	}
	if a.MaxConnAge == nil {
		age := time.Duration(0)
		if a.Front == FrontNLB || a.Front == FrontGatewayNLB {
			age = DefaultNLBMaxConnAge
		}
		a.MaxConnAge = &age
	}
	if c.sample && ok {
		c.Args = sampleArgs(c.Port, a.Timing())
	}
}

// fillHealthCheckPath points an HTTP(S) health check at the readiness path,
// which the workload knows better than the loadbalancer package's "/".
func fillHealthCheckPath(hc *loadbalancer.HealthCheck, readinessPath string) {
	httpCheck := hc.Protocol == loadbalancer.ProtocolHTTP || hc.Protocol == loadbalancer.ProtocolHTTPS
	if httpCheck && hc.Path == "" {
		hc.Path = readinessPath
	}
}

// fillDeregistrationDelay sets an unset deregistration delay to what the pod's
// shutdown needs (loadbalancer.Timings.DeregistrationDelayBound), and never
// below the package default: the load balancer must not give up on work the
// pod still does, and with an NLB's connection termination it must not reset
// connections the app is about to close gracefully.
func fillDeregistrationDelay(tg *loadbalancer.TargetGroup, need time.Duration) bool {
	if tg.DeregistrationDelay != nil {
		return false
	}
	tg.DeregistrationDelay = ptr(max(loadbalancer.DefaultDeregistrationDelay, need))
	return true
}

// lbTimings are the front's derived timings; false for an unknown front.
func (a *Args) lbTimings() (loadbalancer.Timings, bool) {
	switch a.Front {
	case FrontNLB, FrontGatewayNLB:
		return a.NLB.Timings(), true
	case FrontALB, FrontGatewayALB:
		return a.ALB.Timings(), true
	}
	return loadbalancer.Timings{}, false
}

// targetType is the front's target type (after defaults).
func (a *Args) targetType() loadbalancer.TargetType {
	if a.Front == FrontALB || a.Front == FrontGatewayALB {
		return a.ALB.TargetType
	}
	return a.NLB.TargetType
}

func ptr[T any](v T) *T { return &v }
