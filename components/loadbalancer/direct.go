package loadbalancer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// Type tokens of the components in this package.
const (
	NetworkLoadBalancerType     = "eksbalance:loadbalancer:NetworkLoadBalancer"
	ApplicationLoadBalancerType = "eksbalance:loadbalancer:ApplicationLoadBalancer"
)

// TargetGroupBinding's API version and kind (AWS Load Balancer Controller CRD).
const (
	TargetGroupBindingAPIVersion = "elbv2.k8s.aws/v1beta1"
	TargetGroupBindingKind       = "TargetGroupBinding"
)

// Binding asks for a TargetGroupBinding, so the AWS Load Balancer Controller
// registers the pods behind a Service into the stack's target group and
// deregisters them as they terminate.
type Binding struct {
	// Provider is the Kubernetes provider of the cluster running the
	// controller. Required: the ambient kubeconfig could point at any cluster.
	Provider pulumi.ProviderResource
	// Namespace of the Service and of the binding. Default "default".
	Namespace string
	// ServiceName is the Service whose ready endpoints become targets. Required.
	ServiceName string
	// ServicePort is the Service port whose endpoints are registered. Required.
	ServicePort int
}

// NetworkLoadBalancerArgs configures NewNetworkLoadBalancer.
type NetworkLoadBalancerArgs struct {
	// Settings are the NLB's settings; empty fields take their documented defaults.
	Settings NLB
	// VpcId is the VPC of the target group. Required.
	VpcId pulumi.StringInput
	// SubnetIds are the subnets the NLB gets a node in, one per zone: private
	// subnets for an internal NLB, public ones for internet-facing. Required.
	SubnetIds pulumi.StringArrayInput
	// SecurityGroupIds are attached to the NLB and, through the binding, allowed
	// to reach the pods. Optional, but AWS only lets an NLB have security
	// groups if it was created with some. Default none.
	SecurityGroupIds pulumi.StringArrayInput
	// CertificateArn, when set, is served on TLS listeners instead of
	// Settings.TLS.CertificateARN (for a certificate the stack creates).
	CertificateArn pulumi.StringInput
	// TargetPort is the port the pods serve on (the Service's targetPort): the
	// target group's port and the port the binding opens to the load
	// balancer. Required: it rarely equals the listener port.
	TargetPort int
	// Binding, when set, creates a TargetGroupBinding. Default none: the
	// caller registers targets some other way.
	Binding *Binding
	// Tags go on every AWS resource. Default none.
	Tags map[string]string
}

// ApplicationLoadBalancerArgs configures NewApplicationLoadBalancer.
type ApplicationLoadBalancerArgs struct {
	// Settings are the ALB's settings; empty fields take their documented defaults.
	Settings ALB
	// VpcId is the VPC of the target group. Required.
	VpcId pulumi.StringInput
	// SubnetIds are the ALB's subnets, at least two in different zones
	// (AWS's rule): private for internal, public for internet-facing. Required.
	SubnetIds pulumi.StringArrayInput
	// SecurityGroupIds are attached to the ALB and, through the binding,
	// allowed to reach the pods. Required: without them AWS attaches the VPC's
	// default security group, which is not least privilege.
	SecurityGroupIds pulumi.StringArrayInput
	// CertificateArn, when set, is served on HTTPS listeners instead of
	// Settings.TLS.CertificateARN (for a certificate the stack creates).
	CertificateArn pulumi.StringInput
	// TargetPort is the port the pods serve on (the Service's targetPort).
	// Required.
	TargetPort int
	// Binding, when set, creates a TargetGroupBinding. Default none.
	Binding *Binding
	// Tags go on every AWS resource. Default none.
	Tags map[string]string
}

// NetworkLoadBalancer is an NLB, its target group and listeners, and
// optionally the TargetGroupBinding that feeds it pods, owned by the stack.
type NetworkLoadBalancer struct {
	pulumi.ResourceState

	LoadBalancerArn pulumi.StringOutput      `pulumi:"loadBalancerArn"`
	DnsName         pulumi.StringOutput      `pulumi:"dnsName"`
	ZoneId          pulumi.StringOutput      `pulumi:"zoneId"`
	TargetGroupArn  pulumi.StringOutput      `pulumi:"targetGroupArn"`
	ListenerArns    pulumi.StringArrayOutput `pulumi:"listenerArns"`

	// Timings are the settings' derived timings, for sizing the workload.
	Timings Timings
}

// ApplicationLoadBalancer is an ALB, its target group and listeners, and
// optionally the TargetGroupBinding that feeds it pods, owned by the stack.
type ApplicationLoadBalancer struct {
	pulumi.ResourceState

	LoadBalancerArn pulumi.StringOutput      `pulumi:"loadBalancerArn"`
	DnsName         pulumi.StringOutput      `pulumi:"dnsName"`
	ZoneId          pulumi.StringOutput      `pulumi:"zoneId"`
	TargetGroupArn  pulumi.StringOutput      `pulumi:"targetGroupArn"`
	ListenerArns    pulumi.StringArrayOutput `pulumi:"listenerArns"`

	// Timings are the settings' derived timings, for sizing the workload.
	Timings Timings
}

// NewNetworkLoadBalancer validates args (every problem at once, before
// anything is registered) and creates the NLB, target group, listeners and,
// if asked, the TargetGroupBinding.
func NewNetworkLoadBalancer(ctx *pulumi.Context, name string, args *NetworkLoadBalancerArgs, opts ...pulumi.ResourceOption) (*NetworkLoadBalancer, error) {
	if args == nil {
		args = &NetworkLoadBalancerArgs{}
	}
	a := *args
	a.Settings.SetDefaults()
	if err := a.validate(name); err != nil {
		return nil, err
	}
	comp := &NetworkLoadBalancer{Timings: a.Settings.Timings()}
	if err := ctx.RegisterComponentResource(NetworkLoadBalancerType, name, comp, opts...); err != nil {
		return nil, err
	}
	s := a.Settings
	tg := s.TargetGroup
	out, err := build(ctx, name, comp, common{
		lbType:         "network",
		scheme:         s.Scheme,
		crossZone:      *s.CrossZone,
		targetType:     s.TargetType,
		tgProtocol:     ProtocolTCP,
		listeners:      s.Listeners,
		tls:            s.TLS,
		healthCheck:    s.HealthCheck,
		vpcID:          a.VpcId,
		subnetIDs:      a.SubnetIds,
		securityGroups: a.SecurityGroupIds,
		certificateArn: a.CertificateArn,
		targetPort:     a.TargetPort,
		binding:        a.Binding,
		tags:           a.Tags,
	}, func(lbArgs *lb.LoadBalancerArgs, tgArgs *lb.TargetGroupArgs) {
		tgArgs.DeregistrationDelay = pulumi.IntPtr(int(*tg.DeregistrationDelay / time.Second))
		tgArgs.ConnectionTermination = pulumi.BoolPtr(*tg.ConnectionTermination)
		tgArgs.PreserveClientIp = pulumi.StringPtr(strconv.FormatBool(*tg.PreserveClientIP))
		tgArgs.ProxyProtocolV2 = pulumi.BoolPtr(tg.ProxyProtocolV2)
		lbArgs.EnableZonalShift = pulumi.BoolPtr(*s.ZonalShift)
		tgArgs.TargetHealthStates = nlbTargetHealthStates(tg)
	})
	if err != nil {
		return nil, err
	}
	comp.LoadBalancerArn, comp.DnsName, comp.ZoneId = out.lbArn, out.dnsName, out.zoneID
	comp.TargetGroupArn, comp.ListenerArns = out.tgArn, out.listenerArns
	if err := ctx.RegisterResourceOutputs(comp, out.exports()); err != nil {
		return nil, err
	}
	return comp, nil
}

// NewApplicationLoadBalancer validates args (every problem at once, before
// anything is registered) and creates the ALB, target group, listeners and,
// if asked, the TargetGroupBinding.
func NewApplicationLoadBalancer(ctx *pulumi.Context, name string, args *ApplicationLoadBalancerArgs, opts ...pulumi.ResourceOption) (*ApplicationLoadBalancer, error) {
	if args == nil {
		args = &ApplicationLoadBalancerArgs{}
	}
	a := *args
	a.Settings.SetDefaults()
	if err := a.validate(name); err != nil {
		return nil, err
	}
	comp := &ApplicationLoadBalancer{Timings: a.Settings.Timings()}
	if err := ctx.RegisterComponentResource(ApplicationLoadBalancerType, name, comp, opts...); err != nil {
		return nil, err
	}
	s := a.Settings
	tg := s.TargetGroup
	out, err := build(ctx, name, comp, common{
		lbType:         "application",
		scheme:         s.Scheme,
		crossZone:      *s.CrossZone,
		targetType:     s.TargetType,
		tgProtocol:     ProtocolHTTP,
		listeners:      s.Listeners,
		tls:            s.TLS,
		healthCheck:    s.HealthCheck,
		vpcID:          a.VpcId,
		subnetIDs:      a.SubnetIds,
		securityGroups: a.SecurityGroupIds,
		certificateArn: a.CertificateArn,
		targetPort:     a.TargetPort,
		binding:        a.Binding,
		tags:           a.Tags,
	}, func(lbArgs *lb.LoadBalancerArgs, tgArgs *lb.TargetGroupArgs) {
		// An ALB is always cross-zone at the load-balancer level; the
		// setting acts on the target group only.
		lbArgs.EnableCrossZoneLoadBalancing = pulumi.BoolPtr(true)
		lbArgs.IdleTimeout = pulumi.IntPtr(int(s.IdleTimeout / time.Second))
		lbArgs.ClientKeepAlive = pulumi.IntPtr(int(s.ClientKeepAlive / time.Second))
		tgArgs.DeregistrationDelay = pulumi.IntPtr(int(*tg.DeregistrationDelay / time.Second))
		tgArgs.LoadBalancingAlgorithmType = pulumi.StringPtr(string(tg.Algorithm))
		tgArgs.SlowStart = pulumi.IntPtr(int(*tg.SlowStart / time.Second))
		lbArgs.EnableZonalShift = pulumi.BoolPtr(*s.ZonalShift)
	})
	if err != nil {
		return nil, err
	}
	comp.LoadBalancerArn, comp.DnsName, comp.ZoneId = out.lbArn, out.dnsName, out.zoneID
	comp.TargetGroupArn, comp.ListenerArns = out.tgArn, out.listenerArns
	if err := ctx.RegisterResourceOutputs(comp, out.exports()); err != nil {
		return nil, err
	}
	return comp, nil
}

// Validate checks defaulted args (on a copy) the way NewNetworkLoadBalancer
// does, so callers can report problems before running a program.
func (a NetworkLoadBalancerArgs) Validate(name string) error {
	a.Settings.SetDefaults()
	return a.validate(name)
}

// Validate checks defaulted args (on a copy) the way NewApplicationLoadBalancer does.
func (a ApplicationLoadBalancerArgs) Validate(name string) error {
	a.Settings.SetDefaults()
	return a.validate(name)
}

func (a NetworkLoadBalancerArgs) validate(name string) error {
	v := validation.New("NetworkLoadBalancer " + name)
	v.Merge("settings", a.Settings.validate(a.CertificateArn != nil).Err())
	validateDirect(v, name, a.VpcId, a.SubnetIds, 1, a.CertificateArn, a.Settings.Listeners, a.Settings.TargetType, a.TargetPort, a.Binding)
	return v.Err()
}

func (a ApplicationLoadBalancerArgs) validate(name string) error {
	v := validation.New("ApplicationLoadBalancer " + name)
	v.Merge("settings", a.Settings.validate(a.CertificateArn != nil).Err())
	validateDirect(v, name, a.VpcId, a.SubnetIds, 2, a.CertificateArn, a.Settings.Listeners, a.Settings.TargetType, a.TargetPort, a.Binding)
	if plain, ok := a.SecurityGroupIds.(pulumi.StringArray); a.SecurityGroupIds == nil || ok && len(plain) == 0 {
		v.Add("securityGroupIds", "", "is required for an ALB: without it AWS attaches the VPC's default security group")
	}
	return v.Err()
}

// dns1123 is a Kubernetes object name (DNS-1123 subdomain, simplified to labels).
var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

func validateDirect(v *validation.Errors, name string, vpcID pulumi.StringInput, subnets pulumi.StringArrayInput, minSubnets int,
	cert pulumi.StringInput, listeners []Listener, targetType TargetType, targetPort int, b *Binding) {
	if name == "" {
		v.Add("name", name, "is required")
	}
	if targetType == TargetTypeInstance {
		// Instance targets would need the Service's NodePort, which only
		// Kubernetes knows; and pod IPs are the point of owning the target group.
		v.Add("settings.targetType", targetType, "must be ip for a directly managed load balancer: its TargetGroupBinding registers pod IPs")
	}
	if vpcID == nil {
		v.Add("vpcId", "", "is required")
	}
	if subnets == nil {
		v.Add("subnetIds", "", "is required")
	} else if plain, ok := subnets.(pulumi.StringArray); ok && len(plain) < minSubnets {
		v.Add("subnetIds", len(plain), "needs at least %d subnet(s) in different zones", minSubnets)
	}
	if cert != nil && !hasTLS(listeners) {
		v.Add("certificateArn", "(input)", "is set but no listener is TLS/HTTPS, so it would be ignored")
	}
	validatePort(v, "targetPort", targetPort)
	if b == nil {
		return
	}
	if b.Provider == nil {
		v.Add("binding.provider", "", "is required: the TargetGroupBinding must land in the cluster running the controller")
	}
	if b.ServiceName == "" || !dns1123.MatchString(b.ServiceName) {
		v.Add("binding.serviceName", b.ServiceName, "must be a Service name (lower-case DNS-1123)")
	}
	if b.Namespace != "" && !dns1123.MatchString(b.Namespace) {
		v.Add("binding.namespace", b.Namespace, "must be a namespace name (lower-case DNS-1123)")
	}
	validatePort(v, "binding.servicePort", b.ServicePort)
	if len(name) > 253 || !dns1123.MatchString(name) {
		v.Add("name", name, "names the TargetGroupBinding too, so it must be lower-case DNS-1123")
	}
}

// common is what building either kind needs, already defaulted and validated.
type common struct {
	lbType         string
	scheme         Scheme
	crossZone      bool
	targetType     TargetType
	tgProtocol     Protocol
	listeners      []Listener
	tls            TLS
	healthCheck    HealthCheck
	vpcID          pulumi.StringInput
	subnetIDs      pulumi.StringArrayInput
	securityGroups pulumi.StringArrayInput
	certificateArn pulumi.StringInput
	targetPort     int
	binding        *Binding
	tags           map[string]string
}

type built struct {
	lbArn, dnsName, zoneID, tgArn pulumi.StringOutput
	listenerArns                  pulumi.StringArrayOutput
}

func (b built) exports() pulumi.Map {
	return pulumi.Map{
		"loadBalancerArn": b.lbArn,
		"dnsName":         b.dnsName,
		"zoneId":          b.zoneID,
		"targetGroupArn":  b.tgArn,
		"listenerArns":    b.listenerArns,
	}
}

// build creates the children; kind fills the kind-specific arguments.
func build(ctx *pulumi.Context, name string, parent pulumi.Resource, c common, kind func(*lb.LoadBalancerArgs, *lb.TargetGroupArgs)) (built, error) {
	var tags pulumi.StringMapInput // nil, not an empty map, when there are none
	if len(c.tags) > 0 {
		tags = pulumi.ToStringMap(c.tags)
	}
	lbArgs := &lb.LoadBalancerArgs{
		LoadBalancerType:             pulumi.String(c.lbType),
		Internal:                     pulumi.Bool(c.scheme == SchemeInternal),
		Subnets:                      c.subnetIDs,
		SecurityGroups:               c.securityGroups,
		EnableCrossZoneLoadBalancing: pulumi.Bool(c.crossZone),
		Tags:                         tags,
	}
	hc := c.healthCheck
	hcArgs := &lb.TargetGroupHealthCheckArgs{
		Enabled:            pulumi.Bool(true),
		Protocol:           pulumi.String(string(hc.Protocol)),
		Port:               pulumi.String(hc.Port),
		Interval:           pulumi.Int(int(hc.Interval / time.Second)),
		Timeout:            pulumi.Int(int(hc.Timeout / time.Second)),
		HealthyThreshold:   pulumi.Int(hc.HealthyThreshold),
		UnhealthyThreshold: pulumi.Int(hc.UnhealthyThreshold),
	}
	if hc.Path != "" {
		hcArgs.Path = pulumi.String(hc.Path)
	}
	if hc.SuccessCodes != "" {
		hcArgs.Matcher = pulumi.String(hc.SuccessCodes)
	}
	tgArgs := &lb.TargetGroupArgs{
		TargetType:                    pulumi.String(string(c.targetType)),
		Protocol:                      pulumi.String(string(c.tgProtocol)),
		Port:                          pulumi.Int(c.targetPort),
		VpcId:                         c.vpcID.ToStringOutput(),
		LoadBalancingCrossZoneEnabled: pulumi.String(strconv.FormatBool(c.crossZone)),
		HealthCheck:                   hcArgs,
		Tags:                          tags,
	}
	kind(lbArgs, tgArgs)

	parentOpt := pulumi.Parent(parent)
	loadBalancer, err := lb.NewLoadBalancer(ctx, name+"-lb", lbArgs, parentOpt)
	if err != nil {
		return built{}, err
	}
	targetGroup, err := lb.NewTargetGroup(ctx, name+"-tg", tgArgs, parentOpt)
	if err != nil {
		return built{}, err
	}
	var listenerArns pulumi.StringArray
	for _, l := range c.listeners {
		la := &lb.ListenerArgs{
			LoadBalancerArn: loadBalancer.Arn,
			Port:            pulumi.Int(l.Port),
			Protocol:        pulumi.String(string(l.Protocol)),
			DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
				Type:           pulumi.String("forward"),
				TargetGroupArn: targetGroup.Arn,
			}},
			Tags: tags,
		}
		switch l.Protocol {
		case ProtocolTCP:
			la.TcpIdleTimeoutSeconds = pulumi.IntPtr(int(l.IdleTimeout / time.Second))
		case ProtocolTLS, ProtocolHTTPS:
			if c.certificateArn != nil {
				la.CertificateArn = c.certificateArn.ToStringOutput()
			} else {
				la.CertificateArn = pulumi.String(c.tls.CertificateARN)
			}
			la.SslPolicy = pulumi.String(c.tls.SSLPolicy)
		}
		listenerName := fmt.Sprintf("%s-%s-%d", name, strings.ToLower(string(l.Protocol)), l.Port)
		listener, err := lb.NewListener(ctx, listenerName, la, parentOpt)
		if err != nil {
			return built{}, err
		}
		listenerArns = append(listenerArns, listener.Arn)
	}
	if c.binding != nil {
		if err := bindTargetGroup(ctx, name, parent, c, targetGroup.Arn); err != nil {
			return built{}, err
		}
	}
	return built{
		lbArn:        loadBalancer.Arn,
		dnsName:      loadBalancer.DnsName,
		zoneID:       loadBalancer.ZoneId,
		tgArn:        targetGroup.Arn,
		listenerArns: listenerArns.ToStringArrayOutput(),
	}, nil
}

// bindTargetGroup creates the TargetGroupBinding. With security groups on the
// load balancer it also asks the controller to open the pods' port to them
// (spec.networking), so traffic flows without a hand-written rule.
func bindTargetGroup(ctx *pulumi.Context, name string, parent pulumi.Resource, c common, tgArn pulumi.StringOutput) error {
	b := c.binding
	namespace := b.Namespace
	if namespace == "" {
		namespace = "default"
	}
	spec := pulumi.Map{
		"serviceRef": pulumi.Map{
			"name": pulumi.String(b.ServiceName),
			"port": pulumi.Int(b.ServicePort),
		},
		"targetGroupARN": tgArn,
		"targetType":     pulumi.String(string(c.targetType)),
	}
	if c.securityGroups != nil {
		port := c.targetPort
		spec["networking"] = pulumi.Map{
			"ingress": pulumi.Array{pulumi.Map{
				"from": c.securityGroups.ToStringArrayOutput().ApplyT(func(ids []string) []any {
					peers := make([]any, len(ids))
					for i, id := range ids {
						peers[i] = map[string]any{"securityGroup": map[string]any{"groupID": id}}
					}
					return peers
				}).(pulumi.ArrayOutput),
				"ports": pulumi.Array{pulumi.Map{
					"protocol": pulumi.String("TCP"),
					"port":     pulumi.Int(port),
				}},
			}},
		}
	}
	_, err := apiextensions.NewCustomResource(ctx, name+"-tgb", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(TargetGroupBindingAPIVersion),
		Kind:       pulumi.String(TargetGroupBindingKind),
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(name),
			Namespace: pulumi.String(namespace),
		},
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, pulumi.Parent(parent), pulumi.Provider(b.Provider))
	return err
}
