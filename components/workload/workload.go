package workload

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	autoscalingv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/autoscaling/v2"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
)

// Type is the component's type token.
const Type = "eksbalance:workload:Workload"

// Labels and label keys the template writes.
const (
	// LabelName selects the workload's pods (Deployment, Service, PDB, spread).
	LabelName = "app.kubernetes.io/name"
	// LabelManagedBy marks objects created by this template.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is LabelManagedBy's value.
	ManagedBy = "eksbalance"
	// ReadinessGateLabel on a namespace makes the AWS Load Balancer
	// Controller's webhook add a readiness gate to new pods behind IP target
	// groups, so a rollout waits until each new pod is healthy in the target group.
	ReadinessGateLabel = "elbv2.k8s.aws/pod-readiness-gate-inject"
	// PodSecurityLabel enforces the "restricted" Pod Security Standard on the
	// namespace the template creates; its own pods comply.
	PodSecurityLabel = "pod-security.kubernetes.io/enforce"
	// ZoneKey and HostnameKey are the well-known node labels spread over.
	ZoneKey     = "topology.kubernetes.io/zone"
	HostnameKey = "kubernetes.io/hostname"
	// PodTemplateHashKey is the label the Deployment controller puts on each
	// ReplicaSet generation's pods.
	PodTemplateHashKey = "pod-template-hash"
)

// Probe timing. Readiness reacts fast (out of rotation after 2 failures, 10 s);
// liveness is gentler (restart after 6 failures, 60 s), so a slow moment takes
// a pod out of rotation long before anything restarts it.
const (
	readinessPeriod    = 5 * time.Second
	readinessTimeout   = 2 * time.Second
	readinessFailures  = 2
	livenessPeriod     = 10 * time.Second
	livenessTimeout    = 5 * time.Second
	livenessFailures   = 6
	startupPeriod      = 5 * time.Second
	startupTimeout     = 2 * time.Second
	httpPortName       = "http"
	tmpVolumeName      = "tmp"
	unhealthyEvictions = "AlwaysAllow"
)

// Workload is a service deployed behind an AWS load balancer.
type Workload struct {
	pulumi.ResourceState

	// Namespace the objects are in.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// DeploymentName, ServiceName: the objects' names.
	DeploymentName pulumi.StringOutput `pulumi:"deploymentName"`
	ServiceName    pulumi.StringOutput `pulumi:"serviceName"`
	// IngressName is the ALB's Ingress; empty with an NLB.
	IngressName pulumi.StringOutput `pulumi:"ingressName"`
	// GatewayName is namespace/name of the Gateway a Gateway front's routes
	// attach to (the workload's own or the shared one); RouteNames are the
	// routes. Empty with the other fronts.
	GatewayName pulumi.StringOutput      `pulumi:"gatewayName"`
	RouteNames  pulumi.StringArrayOutput `pulumi:"routeNames"`
	// Hostname is the load balancer's DNS name once the controller has
	// created it (empty in a preview): from the Service's or the Ingress's
	// status, or with a Gateway front from the Gateway's status.addresses
	// (gateway.Gateway.Hostname).
	Hostname pulumi.StringOutput `pulumi:"hostname"`
	// PreStopSeconds and TerminationGracePeriodSeconds are the derived (or
	// given) shutdown timing.
	PreStopSeconds                pulumi.IntOutput `pulumi:"preStopSeconds"`
	TerminationGracePeriodSeconds pulumi.IntOutput `pulumi:"terminationGracePeriodSeconds"`

	// Timing is the full timing, for Go callers (for example a lab that
	// wants the same numbers).
	Timing Timing
}

// NewWorkload defaults and validates args (every problem at once, before
// anything is registered), then creates the Namespace (optional), the Service
// (and Ingress for an ALB), the Deployment, the PodDisruptionBudget and the
// HPA (optional). Pass the cluster's Kubernetes provider in opts
// (pulumi.Providers(k8s)); the children inherit it.
func NewWorkload(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Workload, error) {
	var a Args
	if args != nil {
		a = *args
	}
	a.SetDefaults(name)
	if err := a.Validate(name); err != nil {
		return nil, err
	}
	t := a.Timing()
	comp := &Workload{Timing: t}
	if err := ctx.RegisterComponentResource(Type, name, comp, opts...); err != nil {
		return nil, err
	}
	if a.Container.sample {
		// Rarely meant outside a demo, and otherwise silent: say it in
		// `pulumi preview` and `eksbalance plan`.
		_ = ctx.Log.Warn(fmt.Sprintf("workload %s: Container is empty, so it runs the sample app (%s); set Container (Image, Port, ReadinessPath, Resources) to deploy your own", name, SampleImage), &pulumi.LogArgs{Resource: comp})
	}
	b := builder{ctx: ctx, name: name, a: a, t: t, parent: pulumi.Parent(comp)}
	if err := b.build(comp); err != nil {
		return nil, err
	}
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"namespace":                     comp.Namespace,
		"deploymentName":                comp.DeploymentName,
		"serviceName":                   comp.ServiceName,
		"ingressName":                   comp.IngressName,
		"gatewayName":                   comp.GatewayName,
		"routeNames":                    comp.RouteNames,
		"hostname":                      comp.Hostname,
		"preStopSeconds":                comp.PreStopSeconds,
		"terminationGracePeriodSeconds": comp.TerminationGracePeriodSeconds,
	})
}

type builder struct {
	ctx    *pulumi.Context
	name   string
	a      Args
	t      Timing
	parent pulumi.ResourceOption
}

func (b builder) build(comp *Workload) error {
	a := b.a
	// Everything namespaced waits for the namespace; the pods also wait for
	// the Service (and Ingress): the controller creates the target group
	// binding from them, and the readiness-gate webhook only gates pods
	// created after both the label and the binding exist.
	var podDeps []pulumi.Resource
	var nsDeps []pulumi.Resource
	if *a.CreateNamespace {
		ns, err := corev1.NewNamespace(b.ctx, b.name, &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name:   pulumi.String(a.Namespace),
				Labels: pulumi.ToStringMap(b.namespaceLabels()),
			},
		}, b.parent)
		if err != nil {
			return err
		}
		nsDeps = []pulumi.Resource{ns}
		podDeps = append(podDeps, ns)
	}
	inNS := pulumi.DependsOn(nsDeps)

	svc, err := corev1.NewService(b.ctx, b.name, b.serviceArgs(), b.parent, inNS)
	if err != nil {
		return err
	}
	podDeps = append(podDeps, svc)
	comp.IngressName = pulumi.String("").ToStringOutput()
	comp.GatewayName = pulumi.String("").ToStringOutput()
	comp.RouteNames = pulumi.StringArray{}.ToStringArrayOutput()
	if a.isGatewayFront() {
		deps, err := b.buildGatewayFront(comp, svc, nsDeps)
		if err != nil {
			return err
		}
		podDeps = append(podDeps, deps...)
	}
	if !a.isGatewayFront() { // a Gateway front's hostname is its Gateway's
		comp.Hostname = svc.Status.ApplyT(func(st *corev1.ServiceStatus) string {
			if st == nil || st.LoadBalancer == nil || len(st.LoadBalancer.Ingress) == 0 {
				return "" // not provisioned yet, or a preview
			}
			return deref(st.LoadBalancer.Ingress[0].Hostname)
		}).(pulumi.StringOutput)
	}
	if a.Front == FrontALB {
		ingDeps := append(append([]pulumi.Resource{}, nsDeps...), svc)
		if a.autoMode() {
			class, err := b.autoModeIngressClass()
			if err != nil {
				return err
			}
			ingDeps = append(ingDeps, class)
		}
		ing, err := networkingv1.NewIngress(b.ctx, b.name, b.ingressArgs(), b.parent, pulumi.DependsOn(ingDeps))
		if err != nil {
			return err
		}
		podDeps = append(podDeps, ing)
		comp.IngressName = ing.Metadata.Name().Elem()
		comp.Hostname = ing.Status.ApplyT(func(st *networkingv1.IngressStatus) string {
			if st == nil || st.LoadBalancer == nil || len(st.LoadBalancer.Ingress) == 0 {
				return ""
			}
			return deref(st.LoadBalancer.Ingress[0].Hostname)
		}).(pulumi.StringOutput)
	}

	depOpts := []pulumi.ResourceOption{b.parent, pulumi.DependsOn(podDeps)}
	if a.Autoscaling != nil {
		// The HPA owns the replica count after creation; without this every
		// `pulumi up` would reset it to the initial count.
		depOpts = append(depOpts, pulumi.IgnoreChanges([]string{"spec.replicas"}))
	}
	dep, err := appsv1.NewDeployment(b.ctx, b.name, b.autoModeDeployment(b.deploymentArgs()), depOpts...)
	if err != nil {
		return err
	}

	if _, err := policyv1.NewPodDisruptionBudget(b.ctx, b.name, &policyv1.PodDisruptionBudgetArgs{
		Metadata: b.meta(),
		Spec: &policyv1.PodDisruptionBudgetSpecArgs{
			// One pod at a time, whatever the replica count (it keeps working
			// as the HPA scales, unlike minAvailable), so a node drain never
			// takes more than one pod out of rotation at once.
			MaxUnavailable: pulumi.Int(1),
			Selector:       b.selector(),
			// Pods that are not ready serve nothing; letting them be evicted
			// keeps a crash-looping pod from blocking node drains.
			UnhealthyPodEvictionPolicy: pulumi.String(unhealthyEvictions),
		},
	}, b.parent, inNS); err != nil {
		return err
	}

	if h := a.Autoscaling; h != nil {
		if _, err := autoscalingv2.NewHorizontalPodAutoscaler(b.ctx, b.name, &autoscalingv2.HorizontalPodAutoscalerArgs{
			Metadata: b.meta(),
			Spec: &autoscalingv2.HorizontalPodAutoscalerSpecArgs{
				ScaleTargetRef: &autoscalingv2.CrossVersionObjectReferenceArgs{
					ApiVersion: pulumi.String("apps/v1"),
					Kind:       pulumi.String("Deployment"),
					Name:       pulumi.String(b.name),
				},
				MinReplicas: pulumi.Int(h.MinReplicas),
				MaxReplicas: pulumi.Int(h.MaxReplicas),
				Metrics: autoscalingv2.MetricSpecArray{&autoscalingv2.MetricSpecArgs{
					Type: pulumi.String("Resource"),
					Resource: &autoscalingv2.ResourceMetricSourceArgs{
						Name: pulumi.String("cpu"),
						Target: &autoscalingv2.MetricTargetArgs{
							Type:               pulumi.String("Utilization"),
							AverageUtilization: pulumi.Int(h.TargetCPUUtilization),
						},
					},
				}},
			},
		}, b.parent, pulumi.DependsOn([]pulumi.Resource{dep})); err != nil {
			return err
		}
	}

	comp.Namespace = pulumi.String(a.Namespace).ToStringOutput()
	comp.DeploymentName = dep.Metadata.Name().Elem()
	comp.ServiceName = svc.Metadata.Name().Elem()
	comp.PreStopSeconds = pulumi.Int(secs(b.t.PreStop)).ToIntOutput()
	comp.TerminationGracePeriodSeconds = pulumi.Int(secs(b.t.TerminationGracePeriod)).ToIntOutput()
	return nil
}

func (b builder) namespaceLabels() map[string]string {
	l := map[string]string{
		LabelManagedBy:   ManagedBy,
		PodSecurityLabel: "restricted",
	}
	// Readiness gates exist for IP targets only: with instance targets the
	// target is a node, not the pod. Auto Mode has none (see
	// ControllerEKSAutoMode): the label would promise what nothing delivers.
	if b.a.targetType() == loadbalancer.TargetTypeIP && !b.a.autoMode() {
		l[ReadinessGateLabel] = "enabled"
	}
	for k, v := range b.a.gatewayNamespaceLabels() {
		l[k] = v
	}
	return l
}

func (b builder) selectorLabels() map[string]string { return map[string]string{LabelName: b.name} }

func (b builder) labels() pulumi.StringMap {
	return pulumi.StringMap{LabelName: pulumi.String(b.name), LabelManagedBy: pulumi.String(ManagedBy)}
}

func (b builder) selector() *metav1.LabelSelectorArgs {
	return &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(b.selectorLabels())}
}

// meta names every object explicitly (the offline plan renders objects as
// they are, without Pulumi's auto-naming).
func (b builder) meta() *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{
		Name:      pulumi.String(b.name),
		Namespace: pulumi.String(b.a.Namespace),
		Labels:    b.labels(),
	}
}

func (b builder) serviceArgs() *corev1.ServiceArgs {
	a := b.a
	spec := &corev1.ServiceSpecArgs{
		Selector: pulumi.ToStringMap(b.selectorLabels()),
	}
	if a.TrafficDistribution != "" {
		spec.TrafficDistribution = pulumi.String(string(a.TrafficDistribution))
	}
	meta := b.meta()
	switch a.Front {
	case FrontNLB:
		meta.Annotations = pulumi.ToStringMap(a.NLB.ServiceAnnotations())
		spec.Type = pulumi.String("LoadBalancer")
		spec.LoadBalancerClass = pulumi.String(loadbalancer.LoadBalancerClass)
		if a.autoMode() {
			meta.Annotations = pulumi.ToStringMap(a.NLB.AutoModeServiceAnnotations())
			spec.LoadBalancerClass = pulumi.String(loadbalancer.AutoModeLoadBalancerClass)
		}
		if a.NLB.TargetType == loadbalancer.TargetTypeIP {
			// IP targets reach pods directly: node ports would only be an
			// unused opening on every node.
			spec.AllocateLoadBalancerNodePorts = pulumi.Bool(false)
		}
		// The controller creates one NLB listener per Service port.
		var ports corev1.ServicePortArray
		for _, l := range a.NLB.Listeners {
			ports = append(ports, &corev1.ServicePortArgs{
				Name:       pulumi.String(fmt.Sprintf("%s-%d", strings.ToLower(string(l.Protocol)), l.Port)),
				Port:       pulumi.Int(l.Port),
				Protocol:   pulumi.String("TCP"),
				TargetPort: pulumi.String(httpPortName),
			})
		}
		spec.Ports = ports
	case FrontALB:
		spec.Type = pulumi.String("ClusterIP")
		spec.Ports = corev1.ServicePortArray{&corev1.ServicePortArgs{
			Name:       pulumi.String(httpPortName),
			Port:       pulumi.Int(a.ServicePort),
			Protocol:   pulumi.String("TCP"),
			TargetPort: pulumi.String(httpPortName),
		}}
	case FrontGatewayALB, FrontGatewayNLB:
		// The route's backend: with IP targets the load balancer reaches the
		// pods directly, so a ClusterIP Service is all the controller needs.
		spec.Type = pulumi.String("ClusterIP")
		var ports corev1.ServicePortArray
		for _, p := range b.gatewayServicePorts() {
			ports = append(ports, &corev1.ServicePortArgs{
				Name:       pulumi.String(p.name),
				Port:       pulumi.Int(p.port),
				Protocol:   pulumi.String("TCP"),
				TargetPort: pulumi.String(httpPortName),
			})
		}
		spec.Ports = ports
	}
	return &corev1.ServiceArgs{Metadata: meta, Spec: spec}
}

func (b builder) ingressArgs() *networkingv1.IngressArgs {
	a := b.a
	meta := b.meta()
	meta.Annotations = pulumi.ToStringMap(a.ALB.IngressAnnotations())
	className := loadbalancer.IngressClassName
	if a.autoMode() {
		meta.Annotations = pulumi.ToStringMap(a.ALB.AutoModeIngressAnnotations())
		className = AutoModeIngressClassName(a.Namespace, b.name)
	}
	rule := &networkingv1.IngressRuleArgs{
		Http: &networkingv1.HTTPIngressRuleValueArgs{
			Paths: networkingv1.HTTPIngressPathArray{&networkingv1.HTTPIngressPathArgs{
				Path:     pulumi.String("/"),
				PathType: pulumi.String("Prefix"),
				Backend: &networkingv1.IngressBackendArgs{
					Service: &networkingv1.IngressServiceBackendArgs{
						Name: pulumi.String(b.name),
						Port: &networkingv1.ServiceBackendPortArgs{Number: pulumi.Int(a.ServicePort)},
					},
				},
			}},
		},
	}
	if a.Host != "" {
		rule.Host = pulumi.String(a.Host)
	}
	return &networkingv1.IngressArgs{
		Metadata: meta,
		Spec: &networkingv1.IngressSpecArgs{
			IngressClassName: pulumi.String(className),
			Rules:            networkingv1.IngressRuleArray{rule},
		},
	}
}

func (b builder) deploymentArgs() *appsv1.DeploymentArgs {
	a := b.a
	return &appsv1.DeploymentArgs{
		Metadata: b.meta(),
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(a.Replicas),
			Selector: b.selector(),
			Strategy: &appsv1.DeploymentStrategyArgs{
				Type: pulumi.String("RollingUpdate"),
				RollingUpdate: &appsv1.RollingUpdateDeploymentArgs{
					MaxUnavailable: pulumi.Int(0),
					MaxSurge:       pulumi.Int(a.MaxSurge),
				},
			},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: b.labels()},
				Spec:     b.podSpec(),
			},
		},
	}
}

func (b builder) podSpec() *corev1.PodSpecArgs {
	a := b.a
	c := a.Container
	return &corev1.PodSpecArgs{
		// The app needs no Kubernetes API access: no token in the pod.
		AutomountServiceAccountToken: pulumi.Bool(false),
		// No {SERVICE}_PORT variables for every Service in the namespace: they
		// leak topology and the app finds peers through DNS.
		EnableServiceLinks:            pulumi.Bool(false),
		TerminationGracePeriodSeconds: pulumi.Int(secs(b.t.TerminationGracePeriod)),
		SecurityContext: &corev1.PodSecurityContextArgs{
			RunAsNonRoot:   pulumi.Bool(true),
			RunAsUser:      pulumi.Int(int(c.RunAsUser)),
			RunAsGroup:     pulumi.Int(int(c.RunAsGroup)),
			FsGroup:        pulumi.Int(int(c.RunAsGroup)),
			SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
		},
		TopologySpreadConstraints: b.spread(),
		Containers:                corev1.ContainerArray{b.container()},
		Volumes: corev1.VolumeArray{&corev1.VolumeArgs{
			Name:     pulumi.String(tmpVolumeName),
			EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String(DefaultTmpSize)},
		}},
	}
}

// spread keeps pods even over zones (hard) and nodes (soft).
//
// Zones: maxSkew 1 with DoNotSchedule, so a zone never has two pods more than
// another; minDomains = zone count, so while a zone has no schedulable nodes
// pods stay Pending (and the cluster autoscaler adds nodes there) instead of
// piling into the other zones.
//
// Nodes: maxSkew 1 with ScheduleAnyway: a preference, because a hard rule would
// leave pods Pending whenever there are fewer nodes than pods per zone, and
// the zone rule already guarantees what the load balancer sees.
//
// Both use matchLabelKeys pod-template-hash, so during a rollout each
// generation is spread on its own: otherwise the old pods' positions skew
// where new ones may go, and once the old ones are gone the new generation is
// uneven.
func (b builder) spread() corev1.TopologySpreadConstraintArray {
	hash := pulumi.StringArray{pulumi.String(PodTemplateHashKey)}
	return corev1.TopologySpreadConstraintArray{
		&corev1.TopologySpreadConstraintArgs{
			TopologyKey:       pulumi.String(ZoneKey),
			MaxSkew:           pulumi.Int(1),
			WhenUnsatisfiable: pulumi.String("DoNotSchedule"),
			MinDomains:        pulumi.Int(b.a.ZoneCount),
			LabelSelector:     b.selector(),
			MatchLabelKeys:    hash,
		},
		&corev1.TopologySpreadConstraintArgs{
			TopologyKey:       pulumi.String(HostnameKey),
			MaxSkew:           pulumi.Int(1),
			WhenUnsatisfiable: pulumi.String("ScheduleAnyway"),
			LabelSelector:     b.selector(),
			MatchLabelKeys:    hash,
		},
	}
}

func (b builder) container() *corev1.ContainerArgs {
	a := b.a
	c := a.Container
	var env corev1.EnvVarArray
	derived := b.t.Env()
	for _, k := range sortedEnv(derived) {
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(k), Value: pulumi.String(derived[k])})
	}
	for _, k := range sortedEnv(c.Env) {
		env = append(env, &corev1.EnvVarArgs{Name: pulumi.String(k), Value: pulumi.String(c.Env[k])})
	}
	ca := &corev1.ContainerArgs{
		Name:            pulumi.String(c.Name),
		Image:           pulumi.String(c.Image),
		ImagePullPolicy: pulumi.String("IfNotPresent"),
		Ports: corev1.ContainerPortArray{&corev1.ContainerPortArgs{
			Name:          pulumi.String(httpPortName),
			ContainerPort: pulumi.Int(c.Port),
			Protocol:      pulumi.String("TCP"),
		}},
		Env: env,
		Resources: &corev1.ResourceRequirementsArgs{
			Requests: pulumi.StringMap{"cpu": pulumi.String(c.Resources.CPURequest), "memory": pulumi.String(c.Resources.MemoryRequest)},
			Limits:   pulumi.StringMap{"cpu": pulumi.String(c.Resources.CPULimit), "memory": pulumi.String(c.Resources.MemoryLimit)},
		},
		ReadinessProbe: probe(c.ReadinessPath, readinessPeriod, readinessTimeout, readinessFailures),
		LivenessProbe:  probe(c.LivenessPath, livenessPeriod, livenessTimeout, livenessFailures),
		SecurityContext: &corev1.SecurityContextArgs{
			AllowPrivilegeEscalation: pulumi.Bool(false),
			Privileged:               pulumi.Bool(false),
			ReadOnlyRootFilesystem:   pulumi.Bool(true),
			RunAsNonRoot:             pulumi.Bool(true),
			Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
		},
		VolumeMounts: corev1.VolumeMountArray{&corev1.VolumeMountArgs{
			Name:      pulumi.String(tmpVolumeName),
			MountPath: pulumi.String("/tmp"),
		}},
	}
	if len(c.Command) > 0 {
		ca.Command = pulumi.ToStringArray(c.Command)
	}
	if len(c.Args) > 0 {
		ca.Args = pulumi.ToStringArray(c.Args)
	}
	if c.StartupTime > 0 {
		failures := int((c.StartupTime + startupPeriod - 1) / startupPeriod)
		ca.StartupProbe = probe(c.LivenessPath, startupPeriod, startupTimeout, failures)
	}
	switch a.PreStopMode {
	case PreStopSleep:
		ca.Lifecycle = &corev1.LifecycleArgs{PreStop: &corev1.LifecycleHandlerArgs{
			Sleep: &corev1.SleepActionArgs{Seconds: pulumi.Int(secs(b.t.PreStopHook))},
		}}
	case PreStopExec:
		ca.Lifecycle = &corev1.LifecycleArgs{PreStop: &corev1.LifecycleHandlerArgs{
			Exec: &corev1.ExecActionArgs{Command: pulumi.ToStringArray([]string{"sleep", strconv.Itoa(secs(b.t.PreStopHook))})},
		}}
	}
	return ca
}

func probe(path string, period, timeout time.Duration, failures int) *corev1.ProbeArgs {
	return &corev1.ProbeArgs{
		HttpGet: &corev1.HTTPGetActionArgs{
			Path: pulumi.String(path),
			Port: pulumi.String(httpPortName),
		},
		PeriodSeconds:    pulumi.Int(secs(period)),
		TimeoutSeconds:   pulumi.Int(secs(timeout)),
		FailureThreshold: pulumi.Int(failures),
		SuccessThreshold: pulumi.Int(1),
	}
}
