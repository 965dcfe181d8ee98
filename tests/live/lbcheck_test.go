package live

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
)

// The observed load balancers below are written out by hand, as the ELBv2
// API reports a correct deployment of the default settings (the controller
// defaults and this toolkit's, see aws-lb-facts.md), not derived from the
// loadbalancer package: otherwise a wrong default would check against itself.

func defaultNLBObserved() Observed {
	return Observed{
		Type:       "network",
		Scheme:     "internal",
		Attributes: map[string]string{"load_balancing.cross_zone.enabled": "true", "deletion_protection.enabled": "false"},
		Listeners: []ObservedListener{
			{Port: 80, Protocol: "TCP", Attributes: map[string]string{"tcp.idle_timeout.seconds": "350"}},
		},
		TargetGroups: []ObservedTargetGroup{{
			ARN:  "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-echo-echo-0a1b2c3d4e/0123456789abcdef",
			Name: "k8s-echo-echo-0a1b2c3d4e", TargetType: "ip",
			HealthCheckProtocol: "TCP", HealthCheckPort: "traffic-port",
			HealthCheckInterval: 10 * time.Second, HealthCheckTimeout: 10 * time.Second,
			HealthyThreshold: 3, UnhealthyThreshold: 3,
			Attributes: map[string]string{
				"deregistration_delay.timeout_seconds":                "30",
				"deregistration_delay.connection_termination.enabled": "true",
				"preserve_client_ip.enabled":                          "true",
				"proxy_protocol_v2.enabled":                           "false",
				"load_balancing.cross_zone.enabled":                   "true",
				"stickiness.enabled":                                  "false",
			},
		}},
	}
}

func defaultALBObserved() Observed {
	return Observed{
		Type:   "application",
		Scheme: "internal",
		Attributes: map[string]string{
			"idle_timeout.timeout_seconds":      "60",
			"client_keep_alive.seconds":         "3600",
			"load_balancing.cross_zone.enabled": "true",
		},
		Listeners: []ObservedListener{{Port: 80, Protocol: "HTTP", Attributes: map[string]string{}}},
		TargetGroups: []ObservedTargetGroup{{
			ARN:  "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-echo-echo-5f6a7b8c9d/fedcba9876543210",
			Name: "k8s-echo-echo-5f6a7b8c9d", TargetType: "ip",
			HealthCheckProtocol: "HTTP", HealthCheckPort: "traffic-port", HealthCheckPath: "/", SuccessCodes: "200",
			HealthCheckInterval: 15 * time.Second, HealthCheckTimeout: 5 * time.Second,
			HealthyThreshold: 2, UnhealthyThreshold: 2,
			Attributes: map[string]string{
				"deregistration_delay.timeout_seconds": "30",
				"load_balancing.algorithm.type":        "least_outstanding_requests",
				"slow_start.duration_seconds":          "30",
				"load_balancing.cross_zone.enabled":    "true",
			},
		}},
	}
}

func settings(m []Mismatch) []string {
	var out []string
	for _, x := range m {
		out = append(out, x.Setting)
	}
	return out
}

func TestCheckNLB(t *testing.T) {
	t.Parallel()
	const tg = "target group k8s-echo-echo-0a1b2c3d4e"
	tests := []struct {
		name   string
		want   loadbalancer.NLB
		change func(*Observed)
		// mismatch is the one setting expected to differ; "" for none.
		mismatch string
		wantGot  string
	}{
		{name: "matches the defaults"},
		{name: "target group defers cross-zone to the load balancer",
			change: func(o *Observed) {
				o.TargetGroups[0].Attributes["load_balancing.cross_zone.enabled"] = "use_load_balancer_configuration"
			}},
		{name: "cross-zone off on the load balancer",
			change:   func(o *Observed) { o.Attributes["load_balancing.cross_zone.enabled"] = "false" },
			mismatch: "load balancer attribute load_balancing.cross_zone.enabled", wantGot: "false"},
		{name: "cross-zone off through the target group's deferral",
			change: func(o *Observed) {
				o.Attributes["load_balancing.cross_zone.enabled"] = "false"
				o.TargetGroups[0].Attributes["load_balancing.cross_zone.enabled"] = "use_load_balancer_configuration"
			},
			// Both the load balancer attribute and the effective value differ.
			mismatch: "load balancer attribute load_balancing.cross_zone.enabled," + tg + " cross-zone (effective)"},
		{name: "cross-zone off on the target group",
			change:   func(o *Observed) { o.TargetGroups[0].Attributes["load_balancing.cross_zone.enabled"] = "false" },
			mismatch: tg + " cross-zone (effective)", wantGot: "false (target group false, load balancer true)"},
		{name: "target group cross-zone neither true, false nor deferring",
			change:   func(o *Observed) { o.TargetGroups[0].Attributes["load_balancing.cross_zone.enabled"] = "maybe" },
			mismatch: tg + " cross-zone (effective)"},
		{name: "wrong kind", change: func(o *Observed) { o.Type = "application" }, mismatch: "load balancer type", wantGot: "application"},
		{name: "public by mistake", change: func(o *Observed) { o.Scheme = "internet-facing" }, mismatch: "scheme", wantGot: "internet-facing"},
		{name: "asked internet-facing", want: loadbalancer.NLB{Scheme: loadbalancer.SchemeInternetFacing},
			mismatch: "scheme", wantGot: "internal"},
		{name: "idle timeout left at AWS's default",
			want:     loadbalancer.NLB{Listeners: []loadbalancer.Listener{{Port: 80, IdleTimeout: 10 * time.Minute}}},
			mismatch: "listener 80 attribute tcp.idle_timeout.seconds", wantGot: "350"},
		{name: "idle timeout as the example asks",
			want:   loadbalancer.NLB{Listeners: []loadbalancer.Listener{{Port: 80, IdleTimeout: 10 * time.Minute}}},
			change: func(o *Observed) { o.Listeners[0].Attributes["tcp.idle_timeout.seconds"] = "600" }},
		{name: "listener attribute not reported",
			change:   func(o *Observed) { delete(o.Listeners[0].Attributes, "tcp.idle_timeout.seconds") },
			mismatch: "listener 80 attribute tcp.idle_timeout.seconds", wantGot: "(absent)"},
		{name: "listener missing", change: func(o *Observed) { o.Listeners[0].Port = 443 }, mismatch: "listener 80", wantGot: "(absent)"},
		{name: "listener protocol", change: func(o *Observed) { o.Listeners[0].Protocol = "TLS" }, mismatch: "listener 80 protocol", wantGot: "TLS"},
		{name: "instance targets", change: func(o *Observed) { o.TargetGroups[0].TargetType = "instance" }, mismatch: tg + " target type", wantGot: "instance"},
		{name: "health check protocol", change: func(o *Observed) { o.TargetGroups[0].HealthCheckProtocol = "HTTP" }, mismatch: tg + " health check protocol"},
		{name: "health check port", change: func(o *Observed) { o.TargetGroups[0].HealthCheckPort = "8080" }, mismatch: tg + " health check port"},
		{name: "health check interval", change: func(o *Observed) { o.TargetGroups[0].HealthCheckInterval = 30 * time.Second },
			mismatch: tg + " health check interval (s)", wantGot: "30"},
		{name: "health check timeout", change: func(o *Observed) { o.TargetGroups[0].HealthCheckTimeout = 6 * time.Second },
			mismatch: tg + " health check timeout (s)", wantGot: "6"},
		{name: "healthy threshold", change: func(o *Observed) { o.TargetGroups[0].HealthyThreshold = 5 }, mismatch: tg + " healthy threshold"},
		{name: "unhealthy threshold", change: func(o *Observed) { o.TargetGroups[0].UnhealthyThreshold = 2 }, mismatch: tg + " unhealthy threshold"},
		{name: "deregistration delay left at AWS's 300 s",
			change:   func(o *Observed) { o.TargetGroups[0].Attributes["deregistration_delay.timeout_seconds"] = "300" },
			mismatch: tg + " attribute deregistration_delay.timeout_seconds", wantGot: "300"},
		{name: "connection termination off",
			change: func(o *Observed) {
				o.TargetGroups[0].Attributes["deregistration_delay.connection_termination.enabled"] = "false"
			},
			mismatch: tg + " attribute deregistration_delay.connection_termination.enabled"},
		{name: "client IP not preserved",
			change:   func(o *Observed) { o.TargetGroups[0].Attributes["preserve_client_ip.enabled"] = "false" },
			mismatch: tg + " attribute preserve_client_ip.enabled"},
		{name: "proxy protocol on",
			change:   func(o *Observed) { o.TargetGroups[0].Attributes["proxy_protocol_v2.enabled"] = "true" },
			mismatch: tg + " attribute proxy_protocol_v2.enabled"},
		{name: "no target group", change: func(o *Observed) { o.TargetGroups = nil }, mismatch: "target groups", wantGot: "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obs := defaultNLBObserved()
			if tc.change != nil {
				tc.change(&obs)
			}
			got := CheckNLB(tc.want, obs)
			checkMismatches(t, got, tc.mismatch, tc.wantGot)
		})
	}
}

// The caller's settings (the expectation shared by the spread and rollout
// steps) must not pick up defaults through a shared listener slice.
func TestCheckNLBLeavesSettingsAlone(t *testing.T) {
	t.Parallel()
	want := loadbalancer.NLB{Listeners: []loadbalancer.Listener{{Port: 80}}}
	CheckNLB(want, defaultNLBObserved())
	if l := want.Listeners[0]; l.Protocol != "" || l.IdleTimeout != 0 || want.CrossZone != nil {
		t.Errorf("CheckNLB changed its argument: %+v", want)
	}
}

func TestCheckALB(t *testing.T) {
	t.Parallel()
	const tg = "target group k8s-echo-echo-5f6a7b8c9d"
	tests := []struct {
		name     string
		want     loadbalancer.ALB
		change   func(*Observed)
		mismatch string
		wantGot  string
	}{
		{name: "matches the defaults"},
		{name: "cross-zone deferred to the ALB, which is always on",
			change: func(o *Observed) {
				o.TargetGroups[0].Attributes["load_balancing.cross_zone.enabled"] = "use_load_balancer_configuration"
			}},
		{name: "cross-zone off on the target group",
			change:   func(o *Observed) { o.TargetGroups[0].Attributes["load_balancing.cross_zone.enabled"] = "false" },
			mismatch: tg + " cross-zone (effective)"},
		{name: "wrong kind", change: func(o *Observed) { o.Type = "network" }, mismatch: "load balancer type"},
		{name: "idle timeout as the example asks", want: loadbalancer.ALB{IdleTimeout: 2 * time.Minute},
			change: func(o *Observed) { o.Attributes["idle_timeout.timeout_seconds"] = "120" }},
		{name: "idle timeout left at AWS's default", want: loadbalancer.ALB{IdleTimeout: 2 * time.Minute},
			mismatch: "load balancer attribute idle_timeout.timeout_seconds", wantGot: "60"},
		{name: "client keepalive", change: func(o *Observed) { o.Attributes["client_keep_alive.seconds"] = "60" },
			mismatch: "load balancer attribute client_keep_alive.seconds", wantGot: "60"},
		{name: "listener protocol", change: func(o *Observed) { o.Listeners[0].Protocol = "HTTPS" }, mismatch: "listener 80 protocol"},
		{name: "instance targets", change: func(o *Observed) { o.TargetGroups[0].TargetType = "instance" }, mismatch: tg + " target type"},
		{name: "health check path", want: loadbalancer.ALB{HealthCheck: loadbalancer.HealthCheck{Path: "/readyz"}},
			mismatch: tg + " health check path", wantGot: "/"},
		{name: "success codes", change: func(o *Observed) { o.TargetGroups[0].SuccessCodes = "200-399" }, mismatch: tg + " health check success codes"},
		{name: "health check interval", change: func(o *Observed) { o.TargetGroups[0].HealthCheckInterval = 30 * time.Second }, mismatch: tg + " health check interval (s)"},
		{name: "round robin", change: func(o *Observed) { o.TargetGroups[0].Attributes["load_balancing.algorithm.type"] = "round_robin" },
			mismatch: tg + " attribute load_balancing.algorithm.type", wantGot: "round_robin"},
		{name: "no slow start", change: func(o *Observed) { o.TargetGroups[0].Attributes["slow_start.duration_seconds"] = "0" },
			mismatch: tg + " attribute slow_start.duration_seconds"},
		{name: "deregistration delay", change: func(o *Observed) { o.TargetGroups[0].Attributes["deregistration_delay.timeout_seconds"] = "300" },
			mismatch: tg + " attribute deregistration_delay.timeout_seconds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obs := defaultALBObserved()
			if tc.change != nil {
				tc.change(&obs)
			}
			checkMismatches(t, CheckALB(tc.want, obs), tc.mismatch, tc.wantGot)
		})
	}
}

// checkMismatches wants exactly the comma-separated settings in want (none
// when empty) and, when wantGot is set, that the first one reports it.
func checkMismatches(t *testing.T, got []Mismatch, want, wantGot string) {
	t.Helper()
	var wantList []string
	if want != "" {
		wantList = strings.Split(want, ",")
	}
	if !reflect.DeepEqual(settings(got), wantList) {
		t.Fatalf("mismatches %q, want %q\n%v", settings(got), wantList, got)
	}
	if wantGot != "" && got[0].Got != wantGot {
		t.Errorf("%s: got %q reported, want %q", got[0].Setting, got[0].Got, wantGot)
	}
	for _, m := range got {
		if m.Want == "" || m.Got == "" || !strings.Contains(m.String(), m.Setting) {
			t.Errorf("mismatch %+v does not say what was wanted and found", m)
		}
	}
}

func TestCheckAnnotations(t *testing.T) {
	t.Parallel()
	want := loadbalancer.NLB{}.ServiceAnnotations()
	live := func() map[string]string {
		m := map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"}
		for k, v := range want {
			m[k] = v
		}
		return m
	}
	if ms := CheckAnnotations(want, live()); len(ms) != 0 {
		t.Errorf("identical annotations (plus one added by a tool) give mismatches: %v", ms)
	}

	const key = "service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval"
	changed := live()
	changed[key] = "30"
	ms := CheckAnnotations(want, changed)
	if len(ms) != 1 || ms[0].Setting != "annotation "+key || ms[0].Want != "10" || ms[0].Got != "30" {
		t.Errorf("changed annotation: %v", ms)
	}

	missing := live()
	delete(missing, key)
	ms = CheckAnnotations(want, missing)
	if len(ms) != 1 || ms[0].Got != "(absent)" {
		t.Errorf("missing annotation: %v", ms)
	}
}
