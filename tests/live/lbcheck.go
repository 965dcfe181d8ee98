package live

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
)

// Observed is a load balancer as the ELBv2 API describes it, in plain types so
// that the comparison with the component's settings is testable without AWS.
// The live build fills it from DescribeLoadBalancers, -Attributes,
// DescribeListeners, -Attributes, DescribeTargetGroups and -Attributes.
type Observed struct {
	// Type is "network" or "application".
	Type string
	// Scheme is "internal" or "internet-facing".
	Scheme string
	// Attributes are the load balancer's attributes by key.
	Attributes map[string]string
	// Listeners are the load balancer's listeners.
	Listeners []ObservedListener
	// TargetGroups are the target groups the load balancer forwards to.
	TargetGroups []ObservedTargetGroup
}

// ObservedListener is one listener.
type ObservedListener struct {
	Port     int
	Protocol string
	// Attributes are the listener's attributes (DescribeListenerAttributes).
	Attributes map[string]string
}

// ObservedTargetGroup is one target group with its health check.
type ObservedTargetGroup struct {
	ARN, Name  string
	TargetType string

	HealthCheckProtocol string
	HealthCheckPort     string
	HealthCheckPath     string
	// SuccessCodes is the matcher's HTTP codes ("" for a TCP check).
	SuccessCodes        string
	HealthCheckInterval time.Duration
	HealthCheckTimeout  time.Duration
	HealthyThreshold    int
	UnhealthyThreshold  int

	// Attributes are the target group's attributes by key.
	Attributes map[string]string
}

// Mismatch is one setting where the deployed load balancer differs from what
// the component asked for.
type Mismatch struct {
	Setting, Want, Got string
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s: want %s, got %s", m.Setting, m.Want, m.Got)
}

// Attribute keys compared.
const (
	attrCrossZone        = "load_balancing.cross_zone.enabled"
	attrTCPIdle          = "tcp.idle_timeout.seconds"
	attrALBIdle          = "idle_timeout.timeout_seconds"
	attrALBKeepAlive     = "client_keep_alive.seconds"
	attrDeregDelay       = "deregistration_delay.timeout_seconds"
	attrConnTermination  = "deregistration_delay.connection_termination.enabled"
	attrPreserveClientIP = "preserve_client_ip.enabled"
	attrProxyProtocolV2  = "proxy_protocol_v2.enabled"
	attrAlgorithm        = "load_balancing.algorithm.type"
	attrSlowStart        = "slow_start.duration_seconds"
	// useLBConfig is a target group's cross-zone value that defers to the
	// load balancer's attribute (an NLB target group's default).
	useLBConfig = "use_load_balancer_configuration"
)

// CheckNLB compares a deployed Network Load Balancer with the settings the
// component asked for (defaulted here, so the numbers come from the
// loadbalancer package and nowhere else) and returns every difference.
func CheckNLB(want loadbalancer.NLB, got Observed) []Mismatch {
	want.SetDefaults()
	tm := want.Timings()
	var c checker
	c.eq("load balancer type", "network", got.Type)
	c.eq("scheme", string(want.Scheme), got.Scheme)
	c.eq("load balancer attribute "+attrCrossZone, strconv.FormatBool(*want.CrossZone), got.Attributes[attrCrossZone])
	for _, l := range want.Listeners {
		gl, ok := c.listener(got, l.Port)
		if !ok {
			continue
		}
		name := fmt.Sprintf("listener %d", l.Port)
		c.eq(name+" protocol", string(l.Protocol), gl.Protocol)
		if l.Protocol == loadbalancer.ProtocolTCP {
			c.eq(name+" attribute "+attrTCPIdle, secs(l.IdleTimeout), gl.Attributes[attrTCPIdle])
		}
	}
	c.targetGroups(got, func(name string, tg ObservedTargetGroup) {
		c.eq(name+" target type", string(want.TargetType), tg.TargetType)
		c.healthCheck(name, want.HealthCheck, tm, tg)
		c.eq(name+" attribute "+attrDeregDelay, secs(tm.DeregistrationDelay), tg.Attributes[attrDeregDelay])
		c.eq(name+" attribute "+attrConnTermination, strconv.FormatBool(*want.TargetGroup.ConnectionTermination), tg.Attributes[attrConnTermination])
		c.eq(name+" attribute "+attrPreserveClientIP, strconv.FormatBool(*want.TargetGroup.PreserveClientIP), tg.Attributes[attrPreserveClientIP])
		c.eq(name+" attribute "+attrProxyProtocolV2, strconv.FormatBool(want.TargetGroup.ProxyProtocolV2), tg.Attributes[attrProxyProtocolV2])
		c.crossZone(name, *want.CrossZone, got.Attributes[attrCrossZone] == "true", tg.Attributes[attrCrossZone])
	})
	return c.out
}

// CheckALB compares a deployed Application Load Balancer with the settings
// the component asked for, like CheckNLB.
func CheckALB(want loadbalancer.ALB, got Observed) []Mismatch {
	want.SetDefaults()
	tm := want.Timings()
	var c checker
	c.eq("load balancer type", "application", got.Type)
	c.eq("scheme", string(want.Scheme), got.Scheme)
	c.eq("load balancer attribute "+attrALBIdle, secs(tm.IdleTimeout), got.Attributes[attrALBIdle])
	c.eq("load balancer attribute "+attrALBKeepAlive, secs(want.ClientKeepAlive), got.Attributes[attrALBKeepAlive])
	for _, l := range want.Listeners {
		if gl, ok := c.listener(got, l.Port); ok {
			c.eq(fmt.Sprintf("listener %d protocol", l.Port), string(l.Protocol), gl.Protocol)
		}
	}
	c.targetGroups(got, func(name string, tg ObservedTargetGroup) {
		c.eq(name+" target type", string(want.TargetType), tg.TargetType)
		c.healthCheck(name, want.HealthCheck, tm, tg)
		c.eq(name+" attribute "+attrDeregDelay, secs(tm.DeregistrationDelay), tg.Attributes[attrDeregDelay])
		c.eq(name+" attribute "+attrAlgorithm, string(want.TargetGroup.Algorithm), tg.Attributes[attrAlgorithm])
		c.eq(name+" attribute "+attrSlowStart, secs(*want.TargetGroup.SlowStart), tg.Attributes[attrSlowStart])
		// An ALB is always cross-zone at the load-balancer level; only the
		// target group can turn it off.
		c.crossZone(name, *want.CrossZone, true, tg.Attributes[attrCrossZone])
	})
	return c.out
}

// CheckAnnotations compares the annotations the component rendered (want)
// with those on the live object: every wanted key must be there with the
// same value; keys others add (controllers, kubectl) are ignored. A
// difference means the deployed example no longer matches the settings this
// suite derives its expectations from, so every other check would compare
// against the wrong numbers.
func CheckAnnotations(want, got map[string]string) []Mismatch {
	var c checker
	for _, k := range sortedKeys(want) {
		g, ok := got[k]
		if !ok {
			g = "(absent)"
		}
		c.eq("annotation "+k, want[k], g)
	}
	return c.out
}

type checker struct{ out []Mismatch }

func (c *checker) eq(setting, want, got string) {
	if want == got {
		return
	}
	if got == "" {
		got = "(absent)"
	}
	c.out = append(c.out, Mismatch{Setting: setting, Want: want, Got: got})
}

func (c *checker) listener(got Observed, port int) (ObservedListener, bool) {
	for _, l := range got.Listeners {
		if l.Port == port {
			return l, true
		}
	}
	c.out = append(c.out, Mismatch{Setting: fmt.Sprintf("listener %d", port), Want: "present", Got: "(absent)"})
	return ObservedListener{}, false
}

func (c *checker) targetGroups(got Observed, check func(name string, tg ObservedTargetGroup)) {
	if len(got.TargetGroups) == 0 {
		c.out = append(c.out, Mismatch{Setting: "target groups", Want: "at least 1", Got: "0"})
		return
	}
	tgs := append([]ObservedTargetGroup(nil), got.TargetGroups...)
	sort.Slice(tgs, func(i, j int) bool { return tgs[i].Name < tgs[j].Name })
	for _, tg := range tgs {
		check("target group "+tg.Name, tg)
	}
}

func (c *checker) healthCheck(name string, hc loadbalancer.HealthCheck, tm loadbalancer.Timings, tg ObservedTargetGroup) {
	c.eq(name+" health check protocol", string(hc.Protocol), tg.HealthCheckProtocol)
	c.eq(name+" health check port", hc.Port, tg.HealthCheckPort)
	c.eq(name+" health check interval (s)", secs(tm.HealthCheckInterval), secs(tg.HealthCheckInterval))
	c.eq(name+" health check timeout (s)", secs(tm.HealthCheckTimeout), secs(tg.HealthCheckTimeout))
	c.eq(name+" healthy threshold", strconv.Itoa(tm.HealthyThreshold), strconv.Itoa(tg.HealthyThreshold))
	c.eq(name+" unhealthy threshold", strconv.Itoa(tm.UnhealthyThreshold), strconv.Itoa(tg.UnhealthyThreshold))
	if hc.Path != "" {
		c.eq(name+" health check path", hc.Path, tg.HealthCheckPath)
	}
	if hc.SuccessCodes != "" {
		c.eq(name+" health check success codes", hc.SuccessCodes, tg.SuccessCodes)
	}
}

// crossZone compares the effective cross-zone setting of a target group: its
// own attribute when "true" or "false", the load balancer's when absent or
// deferring to it (use_load_balancer_configuration). Any other value is a
// mismatch of its own: it is not a setting AWS knows (a lenient emulator
// stores it), and reading it as a deferral would pass what AWS rejects.
func (c *checker) crossZone(name string, want, lbLevel bool, tgAttr string) {
	effective := lbLevel
	switch tgAttr {
	case "true":
		effective = true
	case "false":
		effective = false
	case "", useLBConfig:
	default:
		c.out = append(c.out, Mismatch{
			Setting: name + " cross-zone (effective)",
			Want:    strconv.FormatBool(want),
			Got:     fmt.Sprintf("%q (target group attribute %s is neither true, false nor %s)", tgAttr, attrCrossZone, useLBConfig),
		})
		return
	}
	if effective == want {
		return
	}
	if tgAttr == "" {
		tgAttr = useLBConfig + " (absent)"
	}
	c.out = append(c.out, Mismatch{
		Setting: name + " cross-zone (effective)",
		Want:    strconv.FormatBool(want),
		Got:     fmt.Sprintf("%t (target group %s, load balancer %t)", effective, tgAttr, lbLevel),
	})
}

// secs renders whole seconds, the unit of every ELBv2 timing attribute.
func secs(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
