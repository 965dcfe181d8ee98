package workload

import (
	"reflect"
	"regexp"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/internal/validation"
)

var (
	// dns1035 is a Service name: lower-case alphanumerics and '-', starting
	// with a letter; every object shares the component's name, so the
	// strictest rule of them applies.
	dns1035 = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	// dns1123 is a namespace or container name.
	dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// envName is a portable environment variable name.
	envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Namespaces the template refuses to create: they exist already and belong
// to the cluster.
var systemNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

// Validate checks defaulted Args (see SetDefaults) and returns every problem
// at once as *validation.Errors, with field paths such as
// "container.resources.cpuLimit" or "nlb.healthCheck.interval". name is the
// component name, which every Kubernetes object is named after.
func (a Args) Validate(name string) error {
	v := validation.New("workload " + name)
	if len(name) > 63 || !dns1035.MatchString(name) {
		v.Add("name", name, "must be a DNS label of at most 63 characters starting with a letter (it names the Service and every other object)")
	}
	if len(a.Namespace) > 63 || !dns1123.MatchString(a.Namespace) {
		v.Add("namespace", a.Namespace, "must be a DNS label of at most 63 characters")
	} else if a.CreateNamespace != nil && *a.CreateNamespace && systemNamespaces[a.Namespace] {
		v.Add("namespace", a.Namespace, "is a namespace the cluster owns and cannot be created; set createNamespace false to use it")
	}

	lbOK := a.validateFront(v)
	a.validatePlacement(v)
	a.validateContainer(v)
	a.validateZoneLoss(v)

	switch a.PreStopMode {
	case PreStopSleep, PreStopExec, PreStopInApp:
	default:
		v.Add("preStopMode", a.PreStopMode, "must be %s, %s or %s", PreStopSleep, PreStopExec, PreStopInApp)
	}
	timingsOK := true
	for _, d := range []struct {
		field string
		value time.Duration
	}{
		{"preStop", a.PreStop},
		{"drainTime", a.DrainTime},
		{"terminationGracePeriod", a.TerminationGracePeriod},
		{"backendKeepAlive", a.BackendKeepAlive},
		{"maxConnAge", deref(a.MaxConnAge)},
	} {
		if !wholeNonNegative(v, d.field, d.value) {
			timingsOK = false
		}
	}
	if a.MaxConnRequests < 0 {
		v.Add("maxConnRequests", a.MaxConnRequests, "must be 0 (off) or positive")
	}
	// The chain only means something once each number is well formed and the
	// load balancer's own settings are valid.
	if lbOK && timingsOK {
		a.Timing().Check(v, string(a.Front)+".targetGroup.deregistrationDelay")
	}
	return v.Err()
}

// validateFront checks the load balancer settings and the Service options and
// reports whether the settings are valid enough to derive timings from.
func (a Args) validateFront(v *validation.Errors) bool {
	ok := true
	switch a.Front {
	case FrontNLB:
		if err := a.NLB.Validate(); err != nil {
			v.Merge("nlb", err)
			ok = false
		}
		if !reflect.ValueOf(a.ALB).IsZero() {
			v.Add("alb", "(set)", "must be empty with front nlb: it would be ignored")
		}
		if a.Host != "" {
			v.Add("host", a.Host, "applies to the ALB's Ingress only and would be ignored with front nlb")
		}
	case FrontALB:
		if err := a.ALB.Validate(); err != nil {
			v.Merge("alb", err)
			ok = false
		}
		if !reflect.ValueOf(a.NLB).IsZero() {
			v.Add("nlb", "(set)", "must be empty with front alb: it would be ignored")
		}
	case FrontGatewayALB:
		if err := a.ALB.Validate(); err != nil {
			v.Merge("alb", err)
			ok = false
		}
		if !reflect.ValueOf(a.NLB).IsZero() {
			v.Add("nlb", "(set)", "must be empty with front %s: it would be ignored", a.Front)
		}
		a.validateGatewayFront(v)
	case FrontGatewayNLB:
		if err := a.NLB.Validate(); err != nil {
			v.Merge("nlb", err)
			ok = false
		}
		if !reflect.ValueOf(a.ALB).IsZero() {
			v.Add("alb", "(set)", "must be empty with front %s: it would be ignored", a.Front)
		}
		a.validateGatewayFront(v)
	default:
		v.Add("front", a.Front, "must be %s, %s, %s or %s", FrontNLB, FrontALB, FrontGatewayALB, FrontGatewayNLB)
		ok = false
	}
	if !a.isGatewayFront() && (a.Gateway != nil || a.GatewayListener != "" || a.GatewayClass != "") {
		v.Add("gateway", "(set)", "gateway, gatewayListener and gatewayClass apply to the Gateway fronts (%s, %s) only", FrontGatewayALB, FrontGatewayNLB)
	}
	a.validateController(v)
	if a.ServicePort < 1 || a.ServicePort > 65535 {
		v.Add("servicePort", a.ServicePort, "must be between 1 and 65535")
	}
	switch a.TrafficDistribution {
	case "":
	case TrafficDistributionPreferSameZone, TrafficDistributionPreferClose:
		if ok && a.targetType() == loadbalancer.TargetTypeInstance {
			v.Add("trafficDistribution", a.TrafficDistribution,
				"must be unset with instance targets: load-balancer traffic enters through node ports and would be steered to same-zone pods too, skewing per-pod shares")
		}
	default:
		v.Add("trafficDistribution", a.TrafficDistribution, "must be empty, %s or %s (its deprecated alias)", TrafficDistributionPreferSameZone, TrafficDistributionPreferClose)
	}
	return ok
}

func (a Args) validatePlacement(v *validation.Errors) {
	zonesOK := a.ZoneCount >= 1
	if !zonesOK {
		v.Add("zoneCount", a.ZoneCount, "must be at least 1")
	}
	if a.Replicas < 1 {
		v.Add("replicas", a.Replicas, "must be at least 1")
	} else if zonesOK && a.Replicas%a.ZoneCount != 0 && !a.AllowUnevenReplicas {
		v.Add("replicas", a.Replicas, "must be a multiple of zoneCount %d so every zone runs as many pods (or set allowUnevenReplicas)", a.ZoneCount)
	}
	if a.MaxSurge < 1 {
		v.Add("maxSurge", a.MaxSurge, "must be at least 1: maxUnavailable is 0, so a rollout can only proceed by surging")
	}
	if h := a.Autoscaling; h != nil {
		if h.MinReplicas < 1 {
			v.Add("autoscaling.minReplicas", h.MinReplicas, "must be at least 1")
		} else if zonesOK && h.MinReplicas%a.ZoneCount != 0 && !a.AllowUnevenReplicas {
			v.Add("autoscaling.minReplicas", h.MinReplicas, "must be a multiple of zoneCount %d so the scaled-in state is balanced over zones (or set allowUnevenReplicas)", a.ZoneCount)
		}
		if h.MaxReplicas < h.MinReplicas {
			v.Add("autoscaling.maxReplicas", h.MaxReplicas, "must be at least minReplicas %d", h.MinReplicas)
		}
		if h.TargetCPUUtilization < 1 || h.TargetCPUUtilization > 100 {
			v.Add("autoscaling.targetCpuUtilization", h.TargetCPUUtilization, "must be between 1 and 100 percent")
		}
		if a.Replicas < h.MinReplicas || a.Replicas > h.MaxReplicas {
			v.Add("replicas", a.Replicas, "must be between autoscaling.minReplicas %d and maxReplicas %d", h.MinReplicas, h.MaxReplicas)
		}
	}
}

func (a Args) validateContainer(v *validation.Errors) {
	c := a.Container
	const f = "container."
	if len(c.Name) > 63 || !dns1123.MatchString(c.Name) {
		v.Add(f+"name", c.Name, "must be a DNS label of at most 63 characters")
	}
	if c.Image == "" {
		v.Add(f+"image", "", "is required (leave the whole container empty for the sample app)")
	} else if strings.ContainsAny(c.Image, " \t\n") {
		v.Add(f+"image", c.Image, "must not contain whitespace")
	}
	if c.Port < 1 || c.Port > 65535 {
		v.Add(f+"port", c.Port, "must be between 1 and 65535")
	}
	if c.ReadinessPath == "" {
		v.Add(f+"readinessPath", "", "is required: a pod must not take traffic before it says it can")
	} else if !strings.HasPrefix(c.ReadinessPath, "/") {
		v.Add(f+"readinessPath", c.ReadinessPath, "must start with /")
	}
	if c.LivenessPath != "" && !strings.HasPrefix(c.LivenessPath, "/") {
		v.Add(f+"livenessPath", c.LivenessPath, "must start with /")
	}
	if wholeNonNegative(v, f+"startupTime", c.StartupTime) && c.StartupTime != 0 && c.StartupTime < startupPeriod {
		v.Add(f+"startupTime", fmtDur(c.StartupTime), "must be 0 (no startup probe) or at least the probe period %s", fmtDur(startupPeriod))
	}
	if c.RunAsUser <= 0 {
		v.Add(f+"runAsUser", c.RunAsUser, "must be a non-root uid (above 0)")
	}
	if c.RunAsGroup <= 0 {
		v.Add(f+"runAsGroup", c.RunAsGroup, "must be a non-root gid (above 0)")
	}
	for _, k := range sortedEnv(c.Env) {
		switch {
		case strings.HasPrefix(k, EnvPrefix):
			v.Add(f+"env["+k+"]", c.Env[k], "is reserved: the template derives EKSBALANCE_* from the timing fields; set those instead")
		case !envName.MatchString(k):
			v.Add(f+"env["+k+"]", c.Env[k], "name must be letters, digits and _, not starting with a digit")
		}
	}
	r := c.Resources
	const rf = f + "resources."
	cpuReq := quantity(v, rf+"cpuRequest", r.CPURequest)
	memReq := quantity(v, rf+"memoryRequest", r.MemoryRequest)
	cpuLim := quantity(v, rf+"cpuLimit", r.CPULimit)
	memLim := quantity(v, rf+"memoryLimit", r.MemoryLimit)
	if cpuReq != nil && cpuLim != nil && cpuReq.Cmp(*cpuLim) > 0 {
		v.Add(rf+"cpuRequest", r.CPURequest, "must not exceed cpuLimit %s", r.CPULimit)
	}
	if memReq != nil && memLim != nil && memReq.Cmp(*memLim) > 0 {
		v.Add(rf+"memoryRequest", r.MemoryRequest, "must not exceed memoryLimit %s", r.MemoryLimit)
	}
}

// quantity parses a required, positive Kubernetes quantity; nil on a problem.
func quantity(v *validation.Errors, field, s string) *resource.Quantity {
	if s == "" {
		v.Add(field, "", "is required: requests and limits must both be set")
		return nil
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		v.Add(field, s, "must be a Kubernetes quantity such as 250m or 256Mi")
		return nil
	}
	if q.Sign() <= 0 {
		v.Add(field, s, "must be positive")
		return nil
	}
	return &q
}

// wholeNonNegative reports whether d is a usable number of seconds, adding a
// problem when it is not.
func wholeNonNegative(v *validation.Errors, field string, d time.Duration) bool {
	switch {
	case d < 0:
		v.Add(field, fmtDur(d), "must not be negative")
	case d%time.Second != 0:
		v.Add(field, fmtDur(d), "must be a whole number of seconds (Kubernetes takes integer seconds)")
	default:
		return true
	}
	return false
}

// deref is *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
