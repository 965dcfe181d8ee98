package awslb

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the load balancer played.
type Kind string

const (
	// NLB: connections are balanced; a target's connections are the client's.
	NLB Kind = "NLB"
	// ALB: requests are balanced; clients' connections end at the load balancer.
	ALB Kind = "ALB"
)

// Protocols of a health check.
const (
	ProtocolTCP  = "TCP"
	ProtocolHTTP = "HTTP"
)

// Defaults the stand-in assumes where a Service or Ingress says nothing. The
// toolkit's components/loadbalancer carries the same numbers (a test holds
// them equal); the health-check and delay defaults are the AWS Load Balancer
// Controller's and AWS's.
const (
	DefaultNLBPropagation  = 120 * time.Second
	DefaultALBPropagation  = 15 * time.Second
	DefaultNLBUnhealthyLag = 40 * time.Second
	DefaultALBUnhealthyLag = 0
	// DefaultDeregistrationDelay is AWS's, used when no attribute sets one.
	DefaultDeregistrationDelay = 300 * time.Second
)

// HealthCheck is a target group's active health check.
type HealthCheck struct {
	// Protocol is TCP or HTTP (HTTPS is probed as HTTP: the lab has no TLS).
	Protocol string
	// Path is the HTTP path.
	Path string
	// SuccessCodes are the HTTP codes counted healthy: "200", "200-399",
	// "200,202".
	SuccessCodes       string
	Interval, Timeout  time.Duration
	HealthyThreshold   int
	UnhealthyThreshold int
}

// Config is how a target group behaves, in the settings' own seconds.
type Config struct {
	Kind        Kind
	HealthCheck HealthCheck
	// DeregistrationDelay counts from deregistration.
	DeregistrationDelay time.Duration
	// ConnectionTermination resets what is still open when the delay ends.
	ConnectionTermination bool
	// Propagation is how long new work keeps arriving after deregistration.
	Propagation time.Duration
	// UnhealthyLag is how long new work keeps arriving after the health
	// check marked a target unhealthy.
	UnhealthyLag time.Duration
	// Algorithm is the ALB's load_balancing.algorithm.type, for the data
	// plane to pick its balancing ("" on an NLB).
	Algorithm string
	// TimeScale is how long one second of the settings lasts here: 10 ms
	// plays a 120 s propagation in 1.2 s. 0 means real time.
	TimeScale time.Duration
}

// Scaled turns a duration of the settings into wall time.
func (c Config) Scaled(d time.Duration) time.Duration {
	if c.TimeScale == 0 {
		return d
	}
	return time.Duration(int64(d) * int64(c.TimeScale) / int64(time.Second))
}

// TimeToUnhealthy is interval x unhealthy threshold + timeout, unscaled.
func (c Config) TimeToUnhealthy() time.Duration {
	h := c.HealthCheck
	return h.Interval*time.Duration(h.UnhealthyThreshold) + h.Timeout
}

// StopSendingAfter is the later of the health-check path (time to unhealthy
// plus the lag) and the deregistration path, unscaled: the preStop bound.
func (c Config) StopSendingAfter() time.Duration {
	return max(c.TimeToUnhealthy()+c.UnhealthyLag, c.Propagation)
}

// PropagationSource says what backs Propagation, for messages: a default is an
// assumption (the NLB's 120 s from public measurements, LBC issues 2366 and 3270;
// the ALB's 15 s unmeasured), anything else the settings' own figure.
func (c Config) PropagationSource() string {
	switch {
	case c.Kind == NLB && c.Propagation == DefaultNLBPropagation:
		return "the NLB default, assumed from public measurements: LBC issues 2366 and 3270"
	case c.Kind == ALB && c.Propagation == DefaultALBPropagation:
		return "the ALB default, an unmeasured assumption"
	}
	return "as configured"
}

// Validate reports the first setting the stand-in cannot play.
func (c Config) Validate() error {
	h := c.HealthCheck
	switch {
	case c.Kind != NLB && c.Kind != ALB:
		return fmt.Errorf("kind %q: must be NLB or ALB", c.Kind)
	case h.Protocol != ProtocolTCP && h.Protocol != ProtocolHTTP:
		return fmt.Errorf("health check protocol %q: must be TCP or HTTP", h.Protocol)
	case h.Interval <= 0 || h.Timeout <= 0:
		return fmt.Errorf("health check interval %v and timeout %v must be positive", h.Interval, h.Timeout)
	case h.HealthyThreshold < 1 || h.UnhealthyThreshold < 1:
		return fmt.Errorf("health check thresholds %d/%d must be at least 1", h.HealthyThreshold, h.UnhealthyThreshold)
	case c.DeregistrationDelay < 0 || c.Propagation < 0 || c.UnhealthyLag < 0 || c.TimeScale < 0:
		return fmt.Errorf("durations must not be negative")
	}
	if h.Protocol == ProtocolHTTP {
		if _, err := parseCodes(h.SuccessCodes); err != nil {
			return err
		}
	}
	return nil
}

const (
	svc     = "service.beta.kubernetes.io/"
	ingress = "alb.ingress.kubernetes.io/"
	// Annotations the toolkit writes when a stack chooses its own bounds
	// (components/loadbalancer); the AWS controller ignores them.
	annPropagation  = "eksbalance.io/deregistration-propagation-seconds"
	annUnhealthyLag = "eksbalance.io/unhealthy-lag-seconds"
)

// FromServiceAnnotations reads an NLB target group from a Service's AWS Load
// Balancer Controller annotations, with the controller's defaults (and AWS's
// for the target-group attributes) where one is absent.
func FromServiceAnnotations(a map[string]string) (Config, error) {
	c := Config{Kind: NLB, Propagation: DefaultNLBPropagation, UnhealthyLag: DefaultNLBUnhealthyLag,
		DeregistrationDelay: DefaultDeregistrationDelay,
		HealthCheck: HealthCheck{Protocol: ProtocolTCP, Interval: 10 * time.Second, Timeout: 10 * time.Second,
			HealthyThreshold: 3, UnhealthyThreshold: 3, Path: "/", SuccessCodes: "200-399"}}
	return fromAnnotations(a, c, annotationKeys{
		protocol: svc + "aws-load-balancer-healthcheck-protocol", path: svc + "aws-load-balancer-healthcheck-path",
		codes: svc + "aws-load-balancer-healthcheck-success-codes", interval: svc + "aws-load-balancer-healthcheck-interval",
		timeout: svc + "aws-load-balancer-healthcheck-timeout", healthy: svc + "aws-load-balancer-healthcheck-healthy-threshold",
		unhealthy: svc + "aws-load-balancer-healthcheck-unhealthy-threshold", attributes: svc + "aws-load-balancer-target-group-attributes",
	})
}

// FromIngressAnnotations reads an ALB target group from an Ingress's AWS Load
// Balancer Controller annotations (merge the backend Service's over them
// first: the controller lets the Service's win), with the controller's
// defaults where one is absent.
func FromIngressAnnotations(a map[string]string) (Config, error) {
	c := Config{Kind: ALB, Propagation: DefaultALBPropagation, UnhealthyLag: DefaultALBUnhealthyLag,
		DeregistrationDelay: DefaultDeregistrationDelay, Algorithm: "round_robin",
		HealthCheck: HealthCheck{Protocol: ProtocolHTTP, Interval: 15 * time.Second, Timeout: 5 * time.Second,
			HealthyThreshold: 2, UnhealthyThreshold: 2, Path: "/", SuccessCodes: "200"}}
	return fromAnnotations(a, c, annotationKeys{
		protocol: ingress + "healthcheck-protocol", path: ingress + "healthcheck-path", codes: ingress + "success-codes",
		interval: ingress + "healthcheck-interval-seconds", timeout: ingress + "healthcheck-timeout-seconds",
		healthy: ingress + "healthy-threshold-count", unhealthy: ingress + "unhealthy-threshold-count",
		attributes: ingress + "target-group-attributes",
	})
}

// annotationKeys are the annotation names one kind of load balancer reads.
type annotationKeys struct {
	protocol, path, codes, interval, timeout, healthy, unhealthy, attributes string
}

// fromAnnotations reads the annotations over the defaults in c.
func fromAnnotations(a map[string]string, c Config, k annotationKeys) (Config, error) {
	r := reader{a: a}
	hc := &c.HealthCheck
	r.str(k.protocol, &hc.Protocol)
	r.str(k.path, &hc.Path)
	r.str(k.codes, &hc.SuccessCodes)
	r.seconds(k.interval, &hc.Interval)
	r.seconds(k.timeout, &hc.Timeout)
	r.count(k.healthy, &hc.HealthyThreshold)
	r.count(k.unhealthy, &hc.UnhealthyThreshold)
	r.targetGroup(k.attributes, &c)
	r.seconds(annPropagation, &c.Propagation)
	r.seconds(annUnhealthyLag, &c.UnhealthyLag)
	hc.Protocol = normalizeProtocol(hc.Protocol)
	if r.err != nil {
		return Config{}, r.err
	}
	return c, c.Validate()
}

func normalizeProtocol(p string) string {
	if strings.EqualFold(p, "HTTPS") || strings.EqualFold(p, "HTTP") {
		return ProtocolHTTP
	}
	return strings.ToUpper(p)
}

// reader parses annotations, keeping the first error.
type reader struct {
	a   map[string]string
	err error
}

func (r *reader) fail(key, val, rule string) {
	if r.err == nil {
		r.err = fmt.Errorf("annotation %s=%q: %s", key, val, rule)
	}
}

func (r *reader) str(key string, out *string) {
	if v, ok := r.a[key]; ok && v != "" {
		*out = v
	}
}

func (r *reader) seconds(key string, out *time.Duration) {
	v, ok := r.a[key]
	if !ok {
		return
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || n < 0 {
		r.fail(key, v, "must be a number of seconds")
		return
	}
	*out = time.Duration(n * float64(time.Second))
}

func (r *reader) count(key string, out *int) {
	v, ok := r.a[key]
	if !ok {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, v, "must be a whole number")
		return
	}
	*out = n
}

// targetGroup reads the attributes the stand-in plays from a "k=v,k=v" list.
func (r *reader) targetGroup(key string, c *Config) {
	list, ok := r.a[key]
	if !ok {
		return
	}
	for _, kv := range strings.Split(list, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(kv), "=")
		if !found {
			continue
		}
		switch k {
		case "deregistration_delay.timeout_seconds":
			sub := reader{a: map[string]string{key + " " + k: v}}
			sub.seconds(key+" "+k, &c.DeregistrationDelay)
			if sub.err != nil && r.err == nil {
				r.err = sub.err
			}
		case "deregistration_delay.connection_termination.enabled":
			b, err := strconv.ParseBool(v)
			if err != nil {
				r.fail(key, list, k+" must be true or false")
			}
			c.ConnectionTermination = b
		case "load_balancing.algorithm.type":
			c.Algorithm = v
		}
	}
}

// parseCodes turns "200", "200-399" or "200,202" into ranges.
func parseCodes(s string) ([][2]int, error) {
	var out [][2]int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a > b {
			return nil, fmt.Errorf("success codes %q: must be codes or ranges like 200-399", s)
		}
		out = append(out, [2]int{a, b})
	}
	return out, nil
}
