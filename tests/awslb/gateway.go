package awslb

import (
	"fmt"
	"time"
)

// The Gateway API form: the AWS Load Balancer Controller (v3) takes a Gateway
// backend's target group from the TargetGroupConfiguration (gateway.k8s.aws)
// whose targetReference is the backend Service, not from annotations. Its
// defaults for a Gateway backend differ from the Service and Ingress ones
// (pkg/gateway/model, v3.5.0; components/loadbalancer carries the same
// numbers): a 15 s interval, a 5 s timeout and thresholds of 3.
const (
	gatewayInterval  = 15 * time.Second
	gatewayTimeout   = 5 * time.Second
	gatewayThreshold = 3
)

// FromTargetGroupConfiguration reads a Gateway backend's target group of the
// given kind (NLB behind a TCPRoute, ALB behind an HTTPRoute) from a
// TargetGroupConfiguration's spec (nil: none exists, the controller's Gateway
// defaults apply) and annotations (the toolkit's propagation and unhealthy-lag
// annotations, as on a Service or Ingress). Only spec.defaultConfiguration is
// read: the toolkit writes no per-route configuration. Numbers may be int64
// (a dynamic client's objects) or float64 (decoded JSON).
func FromTargetGroupConfiguration(kind Kind, spec map[string]any, annotations map[string]string) (Config, error) {
	c := Config{Kind: kind, DeregistrationDelay: DefaultDeregistrationDelay,
		HealthCheck: HealthCheck{Interval: gatewayInterval, Timeout: gatewayTimeout,
			HealthyThreshold: gatewayThreshold, UnhealthyThreshold: gatewayThreshold, Path: "/"}}
	switch kind {
	case NLB:
		c.Propagation, c.UnhealthyLag = DefaultNLBPropagation, DefaultNLBUnhealthyLag
		c.HealthCheck.Protocol, c.HealthCheck.SuccessCodes = ProtocolTCP, "200-399"
	case ALB:
		c.Propagation, c.UnhealthyLag, c.Algorithm = DefaultALBPropagation, DefaultALBUnhealthyLag, "round_robin"
		c.HealthCheck.Protocol, c.HealthCheck.SuccessCodes = ProtocolHTTP, "200"
	default:
		return Config{}, fmt.Errorf("kind %q: must be NLB or ALB", kind)
	}
	const field = "TargetGroupConfiguration spec.defaultConfiguration"
	def, _ := spec["defaultConfiguration"].(map[string]any)
	hc, _ := def["healthCheckConfig"].(map[string]any)
	var err error
	num := func(key string) (float64, bool) {
		v, ok := hc[key]
		if !ok || err != nil {
			return 0, false
		}
		switch n := v.(type) {
		case int64:
			return float64(n), true
		case int:
			return float64(n), true
		case float64:
			return n, true
		}
		err = fmt.Errorf("%s.healthCheckConfig.%s=%v: must be a number", field, key, v)
		return 0, false
	}
	if n, ok := num("healthCheckInterval"); ok {
		c.HealthCheck.Interval = time.Duration(n * float64(time.Second))
	}
	if n, ok := num("healthCheckTimeout"); ok {
		c.HealthCheck.Timeout = time.Duration(n * float64(time.Second))
	}
	if n, ok := num("healthyThresholdCount"); ok {
		c.HealthCheck.HealthyThreshold = int(n)
	}
	if n, ok := num("unhealthyThresholdCount"); ok {
		c.HealthCheck.UnhealthyThreshold = int(n)
	}
	if err != nil {
		return Config{}, err
	}
	if p, ok := hc["healthCheckProtocol"].(string); ok && p != "" {
		c.HealthCheck.Protocol = p
	}
	if p, ok := hc["healthCheckPath"].(string); ok && p != "" {
		c.HealthCheck.Path = p
	}
	if m, ok := hc["matcher"].(map[string]any); ok {
		if code, ok := m["httpCode"].(string); ok && code != "" {
			c.HealthCheck.SuccessCodes = code
		}
	}
	// The attributes travel as [{key, value}]; read them as the annotation
	// list the other forms use, so both are parsed by the same code.
	attrs := ""
	list, _ := def["targetGroupAttributes"].([]any)
	for i, item := range list {
		kv, _ := item.(map[string]any)
		k, _ := kv["key"].(string)
		v, _ := kv["value"].(string)
		if k == "" {
			return Config{}, fmt.Errorf("%s.targetGroupAttributes[%d]=%v: must be {key, value}", field, i, item)
		}
		if attrs != "" {
			attrs += ","
		}
		attrs += k + "=" + v
	}
	a := map[string]string{}
	for k, v := range annotations {
		a[k] = v
	}
	const attrKey = field + ".targetGroupAttributes"
	if attrs != "" {
		a[attrKey] = attrs
	}
	r := reader{a: a}
	r.targetGroup(attrKey, &c)
	r.seconds(annPropagation, &c.Propagation)
	r.seconds(annUnhealthyLag, &c.UnhealthyLag)
	c.HealthCheck.Protocol = normalizeProtocol(c.HealthCheck.Protocol)
	if r.err != nil {
		return Config{}, r.err
	}
	return c, c.Validate()
}
