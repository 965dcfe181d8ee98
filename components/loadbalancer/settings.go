package loadbalancer

import "time"

// TargetType says what the load balancer registers as targets.
type TargetType string

const (
	// TargetTypeIP registers pod IPs directly (VPC CNI): no kube-proxy hop, no
	// dependence on how many pods sit on each node, real readiness gates. The
	// EKS best-practices guide recommends it, and it is the default here.
	TargetTypeIP TargetType = "ip"
	// TargetTypeInstance registers nodes and lets kube-proxy pick a pod. Shares
	// per pod become uneven with externalTrafficPolicy Local and cost an extra,
	// often cross-zone, hop with Cluster.
	TargetTypeInstance TargetType = "instance"
)

// Scheme says who can reach the load balancer.
type Scheme string

const (
	// SchemeInternal gives the load balancer private addresses only. The
	// default: nothing is public unless the caller asks for it.
	SchemeInternal Scheme = "internal"
	// SchemeInternetFacing gives the load balancer public addresses. Always an
	// explicit choice.
	SchemeInternetFacing Scheme = "internet-facing"
)

// Protocol is a listener or health-check protocol.
type Protocol string

const (
	// ProtocolTCP is a plain TCP listener (NLB) or a TCP connect health check.
	ProtocolTCP Protocol = "TCP"
	// ProtocolTLS is an NLB listener that terminates TLS with an ACM
	// certificate and forwards TCP to the targets. Its idle timeout is fixed
	// by AWS at 350 s.
	ProtocolTLS Protocol = "TLS"
	// ProtocolHTTP is an ALB listener or an HTTP health check.
	ProtocolHTTP Protocol = "HTTP"
	// ProtocolHTTPS is an ALB listener terminating TLS, or an HTTPS health check.
	ProtocolHTTPS Protocol = "HTTPS"
)

// Algorithm is an ALB target group's routing algorithm.
type Algorithm string

const (
	// AlgorithmLeastOutstandingRequests sends each request to the target with
	// the fewest requests in flight, so slow or busy pods get less: the
	// default, because it evens out load that round robin cannot see.
	AlgorithmLeastOutstandingRequests Algorithm = "least_outstanding_requests"
	// AlgorithmRoundRobin sends requests to targets in turn, blind to load.
	AlgorithmRoundRobin Algorithm = "round_robin"
	// AlgorithmWeightedRandom picks targets at random, weighted by AWS's
	// anomaly detection. AWS does not support slow start with it.
	AlgorithmWeightedRandom Algorithm = "weighted_random"
)

// HealthCheckTrafficPort makes the health check use the port the target
// receives traffic on.
const HealthCheckTrafficPort = "traffic-port"

// LoadBalancerClass is the Service spec.loadBalancerClass that hands a Service
// of type LoadBalancer to the AWS Load Balancer Controller (which then creates
// an NLB) instead of the in-tree cloud provider (which would create a legacy
// instance-target NLB or CLB and ignore these annotations).
const LoadBalancerClass = "service.k8s.aws/nlb"

// IngressClassName is the Ingress spec.ingressClassName served by the AWS Load
// Balancer Controller's default IngressClass.
const IngressClassName = "alb"

// Defaults, one place, each with the reason it was chosen on the field that uses it.
const (
	// DefaultNLBTCPIdleTimeout is AWS's NLB TCP idle timeout and the fixed TLS one.
	DefaultNLBTCPIdleTimeout = 350 * time.Second
	// DefaultALBIdleTimeout is AWS's ALB idle timeout.
	DefaultALBIdleTimeout = 60 * time.Second
	// DefaultALBClientKeepAlive is AWS's ALB client keepalive duration.
	DefaultALBClientKeepAlive = 3600 * time.Second
	// DefaultDeregistrationDelay is how long a deregistered target keeps its
	// in-flight work.
	DefaultDeregistrationDelay = 30 * time.Second
	// DefaultSlowStart is the ALB slow-start ramp for new targets.
	DefaultSlowStart = 30 * time.Second
	// DefaultSSLPolicy is AWS's recommended TLS 1.3 / 1.2 policy.
	DefaultSSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
	// DefaultNLBDeregistrationPropagation bounds how long an NLB keeps opening
	// new connections to an IP target after it was deregistered: about two
	// minutes in public measurements (aws-load-balancer-controller issues 2366
	// and 3270).
	DefaultNLBDeregistrationPropagation = 120 * time.Second
	// DefaultALBDeregistrationPropagation bounds how long an ALB keeps sending
	// new requests to an IP target after the pod started terminating. An
	// unmeasured assumption: no source measures it; with the controller's health
	// check (35 s to unhealthy) it does not set the bound. Measure yours.
	DefaultALBDeregistrationPropagation = 15 * time.Second
	// DefaultNLBUnhealthyLag is how long an NLB keeps opening new connections
	// to a target after its health check marked it unhealthy: 30-40 s measured
	// (aws/containers-roadmap issue 470); the upper end is taken.
	DefaultNLBUnhealthyLag = 40 * time.Second
	// DefaultALBUnhealthyLag is the same lag for an ALB: none is assumed. An
	// unmeasured assumption: no public figure exists for the ALB.
	DefaultALBUnhealthyLag = 0
)

// Controller defaults for health checks (AWS Load Balancer Controller docs).
// They are ours too, so a Service or Ingress behaves the same whether or not
// the annotations reach the controller.
const (
	DefaultNLBHealthCheckInterval = 10 * time.Second
	DefaultNLBHealthCheckTimeout  = 10 * time.Second
	DefaultNLBHealthyThreshold    = 3
	DefaultNLBUnhealthyThreshold  = 3
	DefaultNLBSuccessCodes        = "200-399"

	DefaultALBHealthCheckInterval = 15 * time.Second
	DefaultALBHealthCheckTimeout  = 5 * time.Second
	DefaultALBHealthyThreshold    = 2
	DefaultALBUnhealthyThreshold  = 2
	DefaultALBSuccessCodes        = "200"
	DefaultHealthCheckPath        = "/"
)

// Listener is one port the load balancer listens on.
type Listener struct {
	// Port is the listener port, 1-65535. Default: 80 on the single default
	// listener. With the controller, the Service (NLB) must expose this port.
	Port int `json:"port" yaml:"port"`
	// Protocol is TCP or TLS on an NLB, HTTP or HTTPS on an ALB. Default: TCP
	// (NLB) / HTTP (ALB), because TLS needs a certificate only the caller has.
	Protocol Protocol `json:"protocol,omitempty" yaml:"protocol,omitempty"`
	// IdleTimeout is the NLB TCP listener's idle timeout (listener attribute
	// tcp.idle_timeout.seconds), 60-6000 s. Default 350 s, AWS's own, long
	// enough for ordinary keepalive pools; raise it for long-idle protocols
	// rather than relying on TCP keepalives. Must stay zero on TLS listeners
	// (fixed at 350 s by AWS) and on ALB listeners (ALB.IdleTimeout is
	// load-balancer wide).
	IdleTimeout time.Duration `json:"idleTimeout,omitempty" yaml:"idleTimeout,omitempty"`
}

// TLS configures TLS termination on TLS (NLB) and HTTPS (ALB) listeners.
type TLS struct {
	// CertificateARN is the ACM certificate served on every TLS/HTTPS listener.
	// Required when there is one; must be empty when there is none (it would
	// be silently ignored). No default: only the caller owns a certificate.
	CertificateARN string `json:"certificateArn,omitempty" yaml:"certificateArn,omitempty"`
	// SSLPolicy is the ELB security policy. Default
	// ELBSecurityPolicy-TLS13-1-2-2021-06 (TLS 1.3 and 1.2 only, AWS's
	// recommendation) when a TLS/HTTPS listener exists.
	SSLPolicy string `json:"sslPolicy,omitempty" yaml:"sslPolicy,omitempty"`
}

// HealthCheck is the target group's active health check.
type HealthCheck struct {
	// Protocol is TCP, HTTP or HTTPS (NLB) or HTTP or HTTPS (ALB). Default TCP
	// (NLB: a connect check needs no endpoint in the app) / HTTP (ALB).
	Protocol Protocol `json:"protocol,omitempty" yaml:"protocol,omitempty"`
	// Port is "traffic-port" or a port number. Default traffic-port, so the
	// check follows the port that actually serves.
	Port string `json:"port,omitempty" yaml:"port,omitempty"`
	// Path is the HTTP(S) check path, starting with "/". Default "/" (the
	// controller's); set it to the app's readiness path. Must be empty for a
	// TCP check, where it would be ignored.
	Path string `json:"path,omitempty" yaml:"path,omitempty"`
	// SuccessCodes are the HTTP codes counted healthy. Default "200-399" (NLB)
	// / "200" (ALB), the controller's. Must be empty for a TCP check.
	SuccessCodes string `json:"successCodes,omitempty" yaml:"successCodes,omitempty"`
	// Interval between checks, 5-300 s. Default 10 s (NLB) / 15 s (ALB), the
	// controller's defaults. Shorter finds failed pods sooner.
	Interval time.Duration `json:"interval,omitempty" yaml:"interval,omitempty"`
	// Timeout of one check, 2-120 s. Default 10 s (NLB, not above the
	// interval) / 5 s (ALB, below the interval), the controller's defaults.
	// NLB allows timeout = interval; ALB requires timeout < interval.
	Timeout time.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// HealthyThreshold is the consecutive successes before a target gets
	// traffic, 2-10. Default 3 (NLB) / 2 (ALB), the controller's.
	HealthyThreshold int `json:"healthyThreshold,omitempty" yaml:"healthyThreshold,omitempty"`
	// UnhealthyThreshold is the consecutive failures before a target stops
	// getting traffic, 2-10. Default 3 (NLB) / 2 (ALB), the controller's.
	UnhealthyThreshold int `json:"unhealthyThreshold,omitempty" yaml:"unhealthyThreshold,omitempty"`
}

// TargetGroup holds target-group attributes. Both kinds share the struct; a
// field one kind does not support is an error on that kind (not silently
// dropped), so settings copied from an NLB to an ALB fail loudly.
type TargetGroup struct {
	// DeregistrationDelay is how long a deregistering target keeps its
	// in-flight requests/connections, 0-3600 s. Default 30 s instead of AWS's
	// 300 s: long enough for ordinary requests to finish, short enough that a
	// rollout does not leave draining targets for five minutes. Nil means
	// default; point at 0 to drop in-flight work at once.
	DeregistrationDelay *time.Duration `json:"deregistrationDelay,omitempty" yaml:"deregistrationDelay,omitempty"`
	// ConnectionTermination (NLB only) closes connections still open when the
	// deregistration delay ends. Default true: otherwise connections to a pod
	// that is gone hang until the client's own timeout instead of failing fast.
	// With it on, the delay must outlast the pod's preStop + drain, counted
	// from deregistration (see Timings.DeregistrationDelayBound): the NLB
	// resets whatever is still open when the delay ends, keepalive
	// connections included.
	ConnectionTermination *bool `json:"connectionTermination,omitempty" yaml:"connectionTermination,omitempty"`
	// PreserveClientIP (NLB only) lets targets see the client's address.
	// Default true: pods log and rate-limit on real addresses and security
	// groups can filter on them. Caveat: with it on, a pod that connects to
	// the NLB and is hashed to itself (hairpin) times out.
	PreserveClientIP *bool `json:"preserveClientIp,omitempty" yaml:"preserveClientIp,omitempty"`
	// ProxyProtocolV2 (NLB only) prepends a PROXY v2 header to each
	// connection. Default false: the server must parse it, and a server that
	// does not would read garbage. An error on an ALB, which has no such option.
	ProxyProtocolV2 bool `json:"proxyProtocolV2,omitempty" yaml:"proxyProtocolV2,omitempty"`
	// Algorithm (ALB only) is the routing algorithm. Default
	// least_outstanding_requests: spreads requests by load, not by turn.
	Algorithm Algorithm `json:"algorithm,omitempty" yaml:"algorithm,omitempty"`
	// SlowStart (ALB only) ramps a new target's share up over this long, 0 or
	// 30-900 s. Default 30 s: with least outstanding requests a fresh, idle
	// pod would otherwise be handed a burst while its caches and JIT are
	// cold. Nil means default; point at 0 to turn it off.
	SlowStart *time.Duration `json:"slowStart,omitempty" yaml:"slowStart,omitempty"`
	// UnhealthyConnectionTermination (NLB only) resets a target's established
	// connections when it fails its health check
	// (target_health_state.unhealthy.connection_termination.enabled). Default
	// false while zonal shift and cross-zone are both on, because AWS refuses
	// zonal shift on a cross-zone NLB otherwise; true (AWS's default) else.
	UnhealthyConnectionTermination *bool `json:"unhealthyConnectionTermination,omitempty" yaml:"unhealthyConnectionTermination,omitempty"`
	// UnhealthyDrainingInterval (NLB only, with UnhealthyConnectionTermination
	// false) is how long a failing target keeps its established connections
	// before the NLB closes them, 0-360000 s
	// (target_health_state.unhealthy.draining_interval_seconds). Default the
	// deregistration delay: a failing target drains exactly as long as a
	// deregistered one.
	UnhealthyDrainingInterval *time.Duration `json:"unhealthyDrainingInterval,omitempty" yaml:"unhealthyDrainingInterval,omitempty"`
}

// NLB is a Network Load Balancer's settings.
type NLB struct {
	// Scheme is internal or internet-facing. Default internal: nothing is
	// public unless configured.
	Scheme Scheme `json:"scheme,omitempty" yaml:"scheme,omitempty"`
	// TargetType is ip or instance. Default ip: traffic goes straight to pods,
	// evenly per pod whatever the pods per node.
	TargetType TargetType `json:"targetType,omitempty" yaml:"targetType,omitempty"`
	// CrossZone enables cross-zone load balancing (LB and target group).
	// Default true (AWS's NLB default is off): with it off each zone gets
	// ~1/zones of the traffic whatever its number of targets.
	CrossZone *bool `json:"crossZone,omitempty" yaml:"crossZone,omitempty"`
	// AcceptUnevenInstanceTargets acknowledges that instance targets with
	// cross-zone off spread traffic unevenly (per zone, then per node). Without
	// it that combination is an error. Default false.
	AcceptUnevenInstanceTargets bool `json:"acceptUnevenInstanceTargets,omitempty" yaml:"acceptUnevenInstanceTargets,omitempty"`
	// ZonalShift opts the NLB into ARC zonal shift (load-balancer attribute
	// zonal_shift.config.enabled), so an operator or zonal autoshift can move
	// its traffic out of an impaired zone. Default true: it costs nothing until
	// a shift starts. With cross-zone on, AWS requires
	// TargetGroup.UnhealthyConnectionTermination false (see zonalshift.go).
	ZonalShift *bool `json:"zonalShift,omitempty" yaml:"zonalShift,omitempty"`
	// Listeners are the ports served, TCP or TLS. Default one TCP listener
	// on port 80 with a 350 s idle timeout.
	Listeners []Listener `json:"listeners,omitempty" yaml:"listeners,omitempty"`
	// TLS is the certificate and policy for TLS listeners.
	TLS TLS `json:"tls,omitempty" yaml:"tls,omitempty"`
	// HealthCheck is the target group's health check (see HealthCheck).
	HealthCheck HealthCheck `json:"healthCheck,omitempty" yaml:"healthCheck,omitempty"`
	// TargetGroup holds the target-group attributes (see TargetGroup).
	TargetGroup TargetGroup `json:"targetGroup,omitempty" yaml:"targetGroup,omitempty"`
	// DeregistrationPropagation is not sent to AWS: it is the bound this
	// package assumes for how long the NLB keeps opening new connections to a
	// pod after its termination started (controller reconcile, then AWS
	// propagation), 1-600 s (0 means the default). Default 120 s: AWS documents "immediately", but
	// repeated public measurements (aws-load-balancer-controller issues 2366
	// and 3270, containers-roadmap issue 470) saw NLBs send new connections
	// for about two minutes after DeregisterTargets, whatever the
	// deregistration delay. Lower it only after measuring.
	DeregistrationPropagation time.Duration `json:"deregistrationPropagation,omitempty" yaml:"deregistrationPropagation,omitempty"`
	// UnhealthyLag is not sent to AWS either: the bound this package assumes
	// for how long the NLB keeps opening new connections to a target after
	// its health check marked it unhealthy, 1-600 s (0 means the default).
	// Default 40 s: containers-roadmap issue 470 measured 30-40 s.
	UnhealthyLag time.Duration `json:"unhealthyLag,omitempty" yaml:"unhealthyLag,omitempty"`
}

// ALB is an Application Load Balancer's settings.
type ALB struct {
	// Scheme is internal or internet-facing. Default internal: nothing is
	// public unless configured.
	Scheme Scheme `json:"scheme,omitempty" yaml:"scheme,omitempty"`
	// TargetType is ip or instance. Default ip: requests go straight to pods.
	TargetType TargetType `json:"targetType,omitempty" yaml:"targetType,omitempty"`
	// CrossZone enables cross-zone load balancing on the target group (an ALB
	// is always cross-zone at the load-balancer level). Default true.
	CrossZone *bool `json:"crossZone,omitempty" yaml:"crossZone,omitempty"`
	// AcceptUnevenInstanceTargets acknowledges that instance targets with
	// cross-zone off spread traffic unevenly. Without it that combination is
	// an error. Default false.
	AcceptUnevenInstanceTargets bool `json:"acceptUnevenInstanceTargets,omitempty" yaml:"acceptUnevenInstanceTargets,omitempty"`
	// ZonalShift opts the ALB into ARC zonal shift (load-balancer attribute
	// zonal_shift.config.enabled). Default true: AWS supports it on ALBs with
	// cross-zone on or off, and it costs nothing until a shift starts.
	ZonalShift *bool `json:"zonalShift,omitempty" yaml:"zonalShift,omitempty"`
	// Listeners are the ports served, HTTP or HTTPS. Default one HTTP
	// listener on port 80.
	Listeners []Listener `json:"listeners,omitempty" yaml:"listeners,omitempty"`
	// TLS is the certificate and policy for HTTPS listeners.
	TLS TLS `json:"tls,omitempty" yaml:"tls,omitempty"`
	// IdleTimeout is the ALB idle timeout (idle_timeout.timeout_seconds),
	// 1-4000 s, applied to client and target connections alike. Default 60 s,
	// AWS's: backends then need a keepalive above it (see Timings).
	IdleTimeout time.Duration `json:"idleTimeout,omitempty" yaml:"idleTimeout,omitempty"`
	// ClientKeepAlive is the longest the ALB keeps a client connection open
	// whatever its activity (client_keep_alive.seconds), 60-604800 s. Default
	// 3600 s, AWS's.
	ClientKeepAlive time.Duration `json:"clientKeepAlive,omitempty" yaml:"clientKeepAlive,omitempty"`
	// HealthCheck is the target group's health check (see HealthCheck).
	HealthCheck HealthCheck `json:"healthCheck,omitempty" yaml:"healthCheck,omitempty"`
	// TargetGroup holds the target-group attributes (see TargetGroup).
	TargetGroup TargetGroup `json:"targetGroup,omitempty" yaml:"targetGroup,omitempty"`
	// DeregistrationPropagation is not sent to AWS: it is the bound this
	// package assumes for how long the ALB keeps sending new requests to a pod
	// after its termination started (controller reconcile plus AWS
	// propagation), 1-600 s (0 means the default). Default 15 s, an unmeasured
	// assumption: unlike the NLB's 120 s, no published measurement backs it
	// (it is below the ALB's default time to unhealthy, 35 s, so it does not
	// set the bound with default health checks). Measure it before relying on
	// a shorter health check.
	DeregistrationPropagation time.Duration `json:"deregistrationPropagation,omitempty" yaml:"deregistrationPropagation,omitempty"`
	// UnhealthyLag is not sent to AWS: the bound assumed for how long the ALB
	// keeps sending new requests to a target after marking it unhealthy,
	// 0-600 s. Default 0: no public measurement exists for the ALB, so none
	// is assumed; set it if you measure one.
	UnhealthyLag time.Duration `json:"unhealthyLag,omitempty" yaml:"unhealthyLag,omitempty"`
}

// SetDefaults fills every empty field of s with its documented default.
func (s *NLB) SetDefaults() {
	if s.Scheme == "" {
		s.Scheme = SchemeInternal
	}
	if s.TargetType == "" {
		s.TargetType = TargetTypeIP
	}
	if s.CrossZone == nil {
		s.CrossZone = ptr(true)
	}
	if len(s.Listeners) == 0 {
		s.Listeners = []Listener{{Port: 80}}
	} else {
		s.Listeners = append([]Listener(nil), s.Listeners...)
	}
	for i := range s.Listeners {
		l := &s.Listeners[i]
		if l.Protocol == "" {
			l.Protocol = ProtocolTCP
		}
		if l.Protocol == ProtocolTCP && l.IdleTimeout == 0 {
			l.IdleTimeout = DefaultNLBTCPIdleTimeout
		}
	}
	setTLSDefaults(&s.TLS, s.Listeners)
	hc := &s.HealthCheck
	if hc.Protocol == "" {
		hc.Protocol = ProtocolTCP
	}
	if hc.Interval == 0 {
		hc.Interval = DefaultNLBHealthCheckInterval
	}
	if hc.Timeout == 0 {
		// NLB accepts a timeout equal to the interval, never above it.
		hc.Timeout = min(DefaultNLBHealthCheckTimeout, hc.Interval)
	}
	if hc.HealthyThreshold == 0 {
		hc.HealthyThreshold = DefaultNLBHealthyThreshold
	}
	if hc.UnhealthyThreshold == 0 {
		hc.UnhealthyThreshold = DefaultNLBUnhealthyThreshold
	}
	setHealthCheckPathDefaults(hc, DefaultNLBSuccessCodes)
	tg := &s.TargetGroup
	if tg.DeregistrationDelay == nil {
		tg.DeregistrationDelay = ptr(DefaultDeregistrationDelay)
	}
	if tg.ConnectionTermination == nil {
		tg.ConnectionTermination = ptr(true)
	}
	if tg.PreserveClientIP == nil {
		tg.PreserveClientIP = ptr(true)
	}
	if s.DeregistrationPropagation == 0 {
		s.DeregistrationPropagation = DefaultNLBDeregistrationPropagation
	}
	if s.UnhealthyLag == 0 {
		s.UnhealthyLag = DefaultNLBUnhealthyLag
	}
	s.setZonalShiftDefaults()
}

// SetDefaults fills every empty field of s with its documented default.
func (s *ALB) SetDefaults() {
	if s.Scheme == "" {
		s.Scheme = SchemeInternal
	}
	if s.TargetType == "" {
		s.TargetType = TargetTypeIP
	}
	if s.CrossZone == nil {
		s.CrossZone = ptr(true)
	}
	if len(s.Listeners) == 0 {
		s.Listeners = []Listener{{Port: 80}}
	} else {
		s.Listeners = append([]Listener(nil), s.Listeners...)
	}
	for i := range s.Listeners {
		if s.Listeners[i].Protocol == "" {
			s.Listeners[i].Protocol = ProtocolHTTP
		}
	}
	setTLSDefaults(&s.TLS, s.Listeners)
	if s.IdleTimeout == 0 {
		s.IdleTimeout = DefaultALBIdleTimeout
	}
	if s.ClientKeepAlive == 0 {
		s.ClientKeepAlive = DefaultALBClientKeepAlive
	}
	hc := &s.HealthCheck
	if hc.Protocol == "" {
		hc.Protocol = ProtocolHTTP
	}
	if hc.Interval == 0 {
		hc.Interval = DefaultALBHealthCheckInterval
	}
	if hc.Timeout == 0 {
		// ALB wants the timeout strictly below the interval; keep the
		// default valid when only a short interval was chosen.
		hc.Timeout = max(min(DefaultALBHealthCheckTimeout, hc.Interval-time.Second), 2*time.Second)
	}
	if hc.HealthyThreshold == 0 {
		hc.HealthyThreshold = DefaultALBHealthyThreshold
	}
	if hc.UnhealthyThreshold == 0 {
		hc.UnhealthyThreshold = DefaultALBUnhealthyThreshold
	}
	setHealthCheckPathDefaults(hc, DefaultALBSuccessCodes)
	tg := &s.TargetGroup
	if tg.DeregistrationDelay == nil {
		tg.DeregistrationDelay = ptr(DefaultDeregistrationDelay)
	}
	if tg.Algorithm == "" {
		tg.Algorithm = AlgorithmLeastOutstandingRequests
	}
	if tg.SlowStart == nil {
		if tg.Algorithm == AlgorithmWeightedRandom {
			tg.SlowStart = ptr(time.Duration(0)) // AWS rejects slow start with weighted random
		} else {
			tg.SlowStart = ptr(DefaultSlowStart)
		}
	}
	if s.DeregistrationPropagation == 0 {
		s.DeregistrationPropagation = DefaultALBDeregistrationPropagation
	}
	s.setZonalShiftDefaults()
}

func setTLSDefaults(t *TLS, listeners []Listener) {
	if t.SSLPolicy == "" && hasTLS(listeners) {
		t.SSLPolicy = DefaultSSLPolicy
	}
}

func setHealthCheckPathDefaults(hc *HealthCheck, successCodes string) {
	if hc.Port == "" {
		hc.Port = HealthCheckTrafficPort
	}
	if hc.Protocol == ProtocolHTTP || hc.Protocol == ProtocolHTTPS {
		if hc.Path == "" {
			hc.Path = DefaultHealthCheckPath
		}
		if hc.SuccessCodes == "" {
			hc.SuccessCodes = successCodes
		}
	}
}

func hasTLS(listeners []Listener) bool {
	for _, l := range listeners {
		if l.Protocol == ProtocolTLS || l.Protocol == ProtocolHTTPS {
			return true
		}
	}
	return false
}

// withDefaults returns a defaulted copy, leaving s (and its slices) untouched.
func (s NLB) withDefaults() NLB { s.SetDefaults(); return s }

func (s ALB) withDefaults() ALB { s.SetDefaults(); return s }

func ptr[T any](v T) *T { return &v }
