package workload

import (
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
)

func TestZeroArgsAreValid(t *testing.T) {
	t.Parallel()
	for _, a := range []Args{{}, {Front: FrontALB}, {Container: customContainer()}} {
		if err := validate(a); err != nil {
			t.Errorf("%+v: %v", a, err)
		}
	}
}

// TestValidation starts from a valid custom container and breaks one field
// per row.
func TestValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mutate   func(*Args)
		fields   []string
		fragment string
	}{
		{
			name:     "resources missing",
			mutate:   func(a *Args) { a.Container.Resources = Resources{} },
			fields:   []string{"container.resources.cpuRequest", "container.resources.memoryRequest", "container.resources.cpuLimit", "container.resources.memoryLimit"},
			fragment: "requests and limits must both be set",
		},
		{
			name:     "cpu limit missing",
			mutate:   func(a *Args) { a.Container.Resources.CPULimit = "" },
			fields:   []string{"container.resources.cpuLimit"},
			fragment: "is required",
		},
		{
			name:     "memory limit missing",
			mutate:   func(a *Args) { a.Container.Resources.MemoryLimit = "" },
			fields:   []string{"container.resources.memoryLimit"},
			fragment: "is required",
		},
		{
			name:     "bad quantity",
			mutate:   func(a *Args) { a.Container.Resources.MemoryRequest = "lots" },
			fields:   []string{"container.resources.memoryRequest"},
			fragment: "must be a Kubernetes quantity",
		},
		{
			name:     "request above limit",
			mutate:   func(a *Args) { a.Container.Resources.CPURequest = "2" },
			fields:   []string{"container.resources.cpuRequest"},
			fragment: "must not exceed cpuLimit 1",
		},
		{
			name:     "image missing",
			mutate:   func(a *Args) { a.Container.Image = "" },
			fields:   []string{"container.image"},
			fragment: "is required",
		},
		{
			name:     "readiness path missing",
			mutate:   func(a *Args) { a.Container.ReadinessPath = "" },
			fields:   []string{"container.readinessPath"},
			fragment: "is required",
		},
		{
			name:     "readiness path relative",
			mutate:   func(a *Args) { a.Container.ReadinessPath = "ready" },
			fields:   []string{"container.readinessPath"},
			fragment: "must start with /",
		},
		{
			name:     "port out of range",
			mutate:   func(a *Args) { a.Container.Port = 70000 },
			fields:   []string{"container.port"},
			fragment: "between 1 and 65535",
		},
		{
			name:     "negative uid",
			mutate:   func(a *Args) { a.Container.RunAsUser = -1 },
			fields:   []string{"container.runAsUser"},
			fragment: "non-root",
		},
		{
			name:     "reserved env",
			mutate:   func(a *Args) { a.Container.Env = map[string]string{EnvIdleTimeout: "10"} },
			fields:   []string{"container.env[EKSBALANCE_IDLE_TIMEOUT]"},
			fragment: "is reserved",
		},
		{
			name:     "startup time shorter than a period",
			mutate:   func(a *Args) { a.Container.StartupTime = 2 * time.Second },
			fields:   []string{"container.startupTime"},
			fragment: "at least the probe period 5s",
		},
		{
			name:     "replicas not a multiple of zones",
			mutate:   func(a *Args) { a.Replicas = 4 },
			fields:   []string{"replicas"},
			fragment: "must be a multiple of zoneCount 3",
		},
		{
			name:     "negative replicas",
			mutate:   func(a *Args) { a.Replicas = -3 },
			fields:   []string{"replicas"},
			fragment: "at least 1",
		},
		{
			name:     "negative zone count",
			mutate:   func(a *Args) { a.ZoneCount = -1; a.Replicas = 3; a.MaxSurge = 1 },
			fields:   []string{"zoneCount"},
			fragment: "at least 1",
		},
		{
			name:     "negative surge",
			mutate:   func(a *Args) { a.MaxSurge = -1 },
			fields:   []string{"maxSurge"},
			fragment: "maxUnavailable is 0",
		},
		{
			name:     "autoscaling floor uneven",
			mutate:   func(a *Args) { a.Autoscaling = &Autoscaling{MinReplicas: 4}; a.Replicas = 6 },
			fields:   []string{"autoscaling.minReplicas"},
			fragment: "must be a multiple of zoneCount 3",
		},
		{
			name:     "autoscaling ceiling below floor",
			mutate:   func(a *Args) { a.Autoscaling = &Autoscaling{MinReplicas: 6, MaxReplicas: 3} },
			fields:   []string{"autoscaling.maxReplicas", "replicas"},
			fragment: "must be at least minReplicas 6",
		},
		{
			name:     "autoscaling target above 100",
			mutate:   func(a *Args) { a.Autoscaling = &Autoscaling{TargetCPUUtilization: 150} },
			fields:   []string{"autoscaling.targetCpuUtilization"},
			fragment: "between 1 and 100",
		},
		{
			name:     "unknown front",
			mutate:   func(a *Args) { a.Front = "clb" },
			fields:   []string{"front"},
			fragment: "must be nlb, alb, gateway-alb or gateway-nlb",
		},
		{
			name:     "NLB settings with an ALB front",
			mutate:   func(a *Args) { a.Front = FrontALB; a.NLB.Scheme = loadbalancer.SchemeInternetFacing },
			fields:   []string{"nlb"},
			fragment: "must be empty with front alb",
		},
		{
			name:     "host with an NLB front",
			mutate:   func(a *Args) { a.Host = "api.example.com" },
			fields:   []string{"host"},
			fragment: "Ingress only",
		},
		{
			name: "invalid ALB settings",
			mutate: func(a *Args) {
				a.Front = FrontALB
				a.ALB.HealthCheck.Interval = time.Second
			},
			fields:   []string{"alb.healthCheck.interval"},
			fragment: "between 5 and 300 seconds",
		},
		{
			name:     "invalid NLB settings",
			mutate:   func(a *Args) { a.NLB.Listeners = []loadbalancer.Listener{{Port: 80, IdleTimeout: 10 * time.Second}} },
			fields:   []string{"nlb.listeners[0].idleTimeout"},
			fragment: "between 60 and 6000 seconds",
		},
		{
			name:     "system namespace",
			mutate:   func(a *Args) { a.Namespace = "kube-system" },
			fields:   []string{"namespace"},
			fragment: "createNamespace false",
		},
		{
			name:     "bad namespace",
			mutate:   func(a *Args) { a.Namespace = "Shop" },
			fields:   []string{"namespace"},
			fragment: "DNS label",
		},
		{
			name:     "unknown preStop mode",
			mutate:   func(a *Args) { a.PreStopMode = "hook" },
			fields:   []string{"preStopMode"},
			fragment: "must be sleep, exec or inApp",
		},
		{
			name:     "fractional preStop",
			mutate:   func(a *Args) { a.PreStop = 150500 * time.Millisecond },
			fields:   []string{"preStop"},
			fragment: "whole number of seconds",
		},
		{
			name:     "negative drain",
			mutate:   func(a *Args) { a.DrainTime = -time.Second },
			fields:   []string{"drainTime"},
			fragment: "must not be negative",
		},
		{
			name:     "negative max connection requests",
			mutate:   func(a *Args) { a.MaxConnRequests = -1 },
			fields:   []string{"maxConnRequests"},
			fragment: "0 (off) or positive",
		},
		{
			name:     "unknown traffic distribution",
			mutate:   func(a *Args) { a.TrafficDistribution = "PreferZone" },
			fields:   []string{"trafficDistribution"},
			fragment: "must be empty, PreferSameZone or PreferClose",
		},
		{
			name: "PreferClose with instance targets",
			mutate: func(a *Args) {
				a.TrafficDistribution = TrafficDistributionPreferClose
				a.NLB.TargetType = loadbalancer.TargetTypeInstance
			},
			fields:   []string{"trafficDistribution"},
			fragment: "node ports",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := Args{Container: customContainer()}
			tc.mutate(&a)
			expectOnly(t, validate(a), tc.fields, tc.fragment)
		})
	}
}

func TestBadName(t *testing.T) {
	t.Parallel()
	a := Args{Namespace: "shop"}
	a.SetDefaults("Web_1")
	expectOnly(t, a.Validate("Web_1"), []string{"name"}, "DNS label")
}

// TestUnevenReplicasAcknowledged: the acknowledgement turns the rule off.
func TestUnevenReplicasAcknowledged(t *testing.T) {
	t.Parallel()
	for _, a := range []Args{
		{Replicas: 1, AllowUnevenReplicas: true},
		{Replicas: 4, AllowUnevenReplicas: true, Autoscaling: &Autoscaling{MinReplicas: 2, MaxReplicas: 5}},
	} {
		if err := validate(a); err != nil {
			t.Errorf("replicas %d acknowledged, still rejected: %v", a.Replicas, err)
		}
	}
}

// TestEveryProblemAtOnce: independent problems are all reported together.
func TestEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	a := Args{Container: customContainer(), Replicas: 5, PreStopMode: "hook"}
	a.Container.Resources.MemoryLimit = ""
	a.Container.Env = map[string]string{EnvDrainTimeout: "1"}
	expectOnly(t, validate(a), []string{
		"replicas", "container.env[EKSBALANCE_DRAIN_TIMEOUT]", "container.resources.memoryLimit", "preStopMode",
	})
}

// TestInvalidArgsRegisterNothing: a rejected workload leaves no trace, not
// even the component.
func TestInvalidArgsRegisterNothing(t *testing.T) {
	t.Parallel()
	tests := map[string]Args{
		"missing limits":    {Container: Container{Image: "x:1", ReadinessPath: "/r"}},
		"broken chain":      {PreStop: 20 * time.Second},
		"uneven replicas":   {Replicas: 4},
		"invalid LB fields": {Front: FrontALB, ALB: loadbalancer.ALB{IdleTimeout: 9000 * time.Second}},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := pulumitest.Run(t, func(ctx *pulumi.Context) error {
				_, err := NewWorkload(ctx, testName, &args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "invalid workload "+testName) {
				t.Fatalf("err = %v, want the validation error", err)
			}
			if all := c.All(); len(all) != 0 {
				t.Errorf("registered %d resources: %v", len(all), all)
			}
		})
	}
}
