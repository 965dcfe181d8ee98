//go:build live

package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/eksbalance/eksbalance/internal/ci"
	"github.com/eksbalance/eksbalance/model"
)

// TestELBAttributesOnMoto runs the live suite's ELBv2 helpers (NewELBClientE,
// WaitForLoadBalancerE, DescribeE, CheckNLB, CheckALB, TargetsHealthyE) against
// moto_server on loopback instead of AWS. The load balancers are made the way the AWS
// Load Balancer Controller makes them from the toolkit's rendered annotations (the
// Service's for the NLB, the Ingress's for the ALB, the LoadBalancerConfiguration's and
// TargetGroupConfiguration's for the Gateway NLB, exactly as the live suite expects
// them): each key=value of the attribute annotations becomes an ELBv2 attribute, the
// health-check annotations the target group's check. moto rejects unknown attribute
// keys and out-of-range delays, so a misspelt key in an annotation fails here. Then the
// checkers must pass, and must fail on a load balancer with one wrong value: moto
// accepts some values AWS would not ("maybe" for cross-zone), so the checker, not moto,
// is what has to catch them.
func TestELBAttributesOnMoto(t *testing.T) {
	endpoint := startMoto(t)
	// The live suite's own client constructor, pointed at moto through the SDK's
	// standard endpoint variable; moto takes any credentials.
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "moto")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "moto")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	elb, err := NewELBClientE(t, DefaultRegion)
	if err != nil {
		t.Fatal(err)
	}
	// Signed requests: moto_server tells the services apart by the signature's scope.
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "moto", SecretAccessKey: "moto", Source: "moto"}, nil
	})
	ec2c := ec2.NewFromConfig(aws.Config{Region: DefaultRegion, BaseEndpoint: aws.String(endpoint), Credentials: creds})
	vpc, subnets := motoNetwork(t, ec2c)

	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			exp := expect(ex)
			p := provisioned{name: "moto-" + strings.ToLower(ex.name)}
			switch {
			case ex.gateway:
				p.fromGatewayConfigurations(t, elb, exp.configurations, vpc, subnets)
			case ex.kind == model.KindNLB:
				p.fromServiceAnnotations(t, elb, exp.annotations, vpc, subnets)
			default:
				p.fromIngressAnnotations(t, elb, exp.annotations, vpc, subnets)
			}
			lb := WaitForLoadBalancer(t, elb, p.dnsName, 10, time.Second)
			obs := Describe(t, elb, lb)
			t.Logf("%s on moto: %d LB attributes, %d listener(s), %d target group(s) with %d attributes", ex.name,
				len(obs.Attributes), len(obs.Listeners), len(obs.TargetGroups), len(obs.TargetGroups[0].Attributes))
			if ms := exp.check(obs); len(ms) > 0 {
				for _, m := range ms {
					t.Errorf("%s: %s", ex.name, m)
				}
				t.FailNow()
			}
			t.Logf("%s: every setting the component asked for reads back from moto", ex.name)

			// Targets: the pods' IPs, registered and healthy (moto reports healthy at
			// once); one IP the target group does not hold must make the check fail.
			ips := []string{"10.0.1.10", "10.0.2.10", "10.0.3.10"}
			targets := make([]types.TargetDescription, len(ips))
			for i, ip := range ips {
				targets[i] = types.TargetDescription{Id: aws.String(ip), Port: aws.Int32(8080)}
			}
			ctx, cancel := callCtx()
			_, err := elb.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(p.tgArn), Targets: targets})
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			if err := TargetsHealthyE(t, elb, []string{p.tgArn}, ips); err != nil {
				t.Errorf("TargetsHealthyE with the registered IPs: %v", err)
			}
			if err := TargetsHealthyE(t, elb, []string{p.tgArn}, append(ips, "10.0.1.99")); err == nil {
				t.Errorf("TargetsHealthyE passed with a ready pod the target group does not hold")
			}

			// The failing side: one wrong value at a time, written through the same
			// API, must make the checker name that setting and nothing else; then the
			// right value is put back.
			for _, w := range wrongValues(ex.kind, obs) {
				if err := p.set(elb, w.level, w.key, w.value); err != nil {
					t.Fatalf("%s: set %s=%s: %v", w.level, w.key, w.value, err)
				}
				ms := exp.check(Describe(t, elb, lb))
				if len(ms) != 1 || !strings.Contains(ms[0].Setting, w.finds) {
					t.Errorf("%s %s=%q: the checker reported %v, want one mismatch naming %q", w.level, w.key, w.value, ms, w.finds)
				} else {
					t.Logf("%s %s=%q is caught: %s", w.level, w.key, w.value, ms[0])
				}
				if err := p.set(elb, w.level, w.key, w.restore); err != nil {
					t.Fatal(err)
				}
			}
			if ms := exp.check(Describe(t, elb, lb)); len(ms) > 0 {
				t.Errorf("after restoring every value: %v", ms)
			}
		})
	}
}

// wrongValue is one attribute set to a value the component did not ask for.
type wrongValue struct {
	level          string // "load balancer", "listener" or "target group"
	key, value     string
	restore, finds string
}

// wrongValues picks, from what was read back, one wrong value per attribute the
// toolkit depends on for even traffic and lossless rollouts.
func wrongValues(kind model.Kind, obs Observed) []wrongValue {
	tg := obs.TargetGroups[0].Attributes
	plusOne := func(v string) string { n, _ := strconv.Atoi(v); return strconv.Itoa(n + 1) }
	ws := []wrongValue{
		// moto accepts this; AWS would not. Only the checker can catch it.
		{"target group", attrCrossZone, "maybe", tg[attrCrossZone], "cross-zone"},
		{"target group", attrDeregDelay, plusOne(tg[attrDeregDelay]), tg[attrDeregDelay], attrDeregDelay},
	}
	if kind == model.KindNLB {
		lis := obs.Listeners[0].Attributes
		ws = append(ws,
			wrongValue{"load balancer", attrCrossZone, "maybe", obs.Attributes[attrCrossZone], attrCrossZone},
			wrongValue{"listener", attrTCPIdle, plusOne(lis[attrTCPIdle]), lis[attrTCPIdle], attrTCPIdle},
		)
	} else {
		ws = append(ws,
			wrongValue{"load balancer", attrALBIdle, plusOne(obs.Attributes[attrALBIdle]), obs.Attributes[attrALBIdle], attrALBIdle},
			wrongValue{"target group", attrSlowStart, "0", tg[attrSlowStart], attrSlowStart},
		)
	}
	return ws
}

// provisioned is one load balancer made on moto, with its target group and listener.
type provisioned struct {
	name                    string
	lbArn, tgArn, listenArn string
	dnsName                 string
}

// attributes parses an annotation value "k1=v1,k2=v2" the way the controller does.
func attributes(t *testing.T, annotation, value string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, kv := range strings.Split(value, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			t.Fatalf("annotation %s: %q is not key=value", annotation, kv)
		}
		out[k] = v
	}
	return out
}

func need(t *testing.T, ann map[string]string, key string) string {
	t.Helper()
	v, ok := ann[key]
	if !ok {
		t.Fatalf("the rendered annotations have no %s", key)
	}
	return v
}

func atoi32(t *testing.T, s string) *int32 {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a number: %v", s, err)
	}
	return aws.Int32(int32(n))
}

// fromServiceAnnotations makes the NLB a Service with these annotations gets.
func (p *provisioned) fromServiceAnnotations(t *testing.T, c *elbv2.Client, ann map[string]string, vpc string, subnets []string) {
	const pre = "service.beta.kubernetes.io/aws-load-balancer-"
	p.createLB(t, c, types.LoadBalancerTypeEnumNetwork, need(t, ann, pre+"scheme"), subnets)
	p.modify(t, c, "load balancer", attributes(t, pre+"attributes", need(t, ann, pre+"attributes")))
	in := &elbv2.CreateTargetGroupInput{
		Name: aws.String(p.name + "-tg"), Protocol: types.ProtocolEnumTcp, Port: aws.Int32(8080), VpcId: aws.String(vpc),
		TargetType:                 types.TargetTypeEnum(need(t, ann, pre+"nlb-target-type")),
		HealthCheckProtocol:        types.ProtocolEnum(need(t, ann, pre+"healthcheck-protocol")),
		HealthCheckPort:            aws.String(need(t, ann, pre+"healthcheck-port")),
		HealthCheckIntervalSeconds: atoi32(t, need(t, ann, pre+"healthcheck-interval")),
		HealthCheckTimeoutSeconds:  atoi32(t, need(t, ann, pre+"healthcheck-timeout")),
		HealthyThresholdCount:      atoi32(t, need(t, ann, pre+"healthcheck-healthy-threshold")),
		UnhealthyThresholdCount:    atoi32(t, need(t, ann, pre+"healthcheck-unhealthy-threshold")),
	}
	if v, ok := ann[pre+"healthcheck-path"]; ok {
		in.HealthCheckPath = aws.String(v)
	}
	if v, ok := ann[pre+"healthcheck-success-codes"]; ok {
		in.Matcher = &types.Matcher{HttpCode: aws.String(v)}
	}
	p.createTG(t, c, in)
	p.modify(t, c, "target group", attributes(t, pre+"target-group-attributes", need(t, ann, pre+"target-group-attributes")))
	// One listener per listener-attributes annotation (aws-load-balancer-listener-attributes.TCP-80).
	var keys []string
	for k := range ann {
		if strings.HasPrefix(k, pre+"listener-attributes.") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) != 1 {
		t.Fatalf("want one listener-attributes annotation, have %v", keys)
	}
	proto, port, ok := strings.Cut(strings.TrimPrefix(keys[0], pre+"listener-attributes."), "-")
	if !ok {
		t.Fatalf("annotation %s: no PROTOCOL-PORT suffix", keys[0])
	}
	p.createListener(t, c, types.ProtocolEnum(proto), *atoi32(t, port))
	p.modify(t, c, "listener", attributes(t, keys[0], ann[keys[0]]))
}

// fromIngressAnnotations makes the ALB an Ingress with these annotations gets.
func (p *provisioned) fromIngressAnnotations(t *testing.T, c *elbv2.Client, ann map[string]string, vpc string, subnets []string) {
	const pre = "alb.ingress.kubernetes.io/"
	p.createLB(t, c, types.LoadBalancerTypeEnumApplication, need(t, ann, pre+"scheme"), subnets)
	p.modify(t, c, "load balancer", attributes(t, pre+"load-balancer-attributes", need(t, ann, pre+"load-balancer-attributes")))
	p.createTG(t, c, &elbv2.CreateTargetGroupInput{
		Name: aws.String(p.name + "-tg"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String(vpc),
		TargetType:                 types.TargetTypeEnum(need(t, ann, pre+"target-type")),
		HealthCheckProtocol:        types.ProtocolEnum(need(t, ann, pre+"healthcheck-protocol")),
		HealthCheckPort:            aws.String(need(t, ann, pre+"healthcheck-port")),
		HealthCheckPath:            aws.String(need(t, ann, pre+"healthcheck-path")),
		HealthCheckIntervalSeconds: atoi32(t, need(t, ann, pre+"healthcheck-interval-seconds")),
		HealthCheckTimeoutSeconds:  atoi32(t, need(t, ann, pre+"healthcheck-timeout-seconds")),
		HealthyThresholdCount:      atoi32(t, need(t, ann, pre+"healthy-threshold-count")),
		UnhealthyThresholdCount:    atoi32(t, need(t, ann, pre+"unhealthy-threshold-count")),
		Matcher:                    &types.Matcher{HttpCode: aws.String(need(t, ann, pre+"success-codes"))},
	})
	p.modify(t, c, "target group", attributes(t, pre+"target-group-attributes", need(t, ann, pre+"target-group-attributes")))
	var ports []map[string]int
	if err := json.Unmarshal([]byte(need(t, ann, pre+"listen-ports")), &ports); err != nil || len(ports) != 1 || len(ports[0]) != 1 {
		t.Fatalf("listen-ports %q: want one {\"PROTOCOL\":port}: %v", ann[pre+"listen-ports"], err)
	}
	for proto, port := range ports[0] {
		p.createListener(t, c, types.ProtocolEnum(proto), int32(port))
	}
}

// fromGatewayConfigurations makes the NLB the controller builds for an NLB
// Gateway from its LoadBalancerConfiguration and the backend's
// TargetGroupConfiguration (specs by kubectl resource name, as expect renders
// them): the same load balancer as the Service front's, from other fields.
func (p *provisioned) fromGatewayConfigurations(t *testing.T, c *elbv2.Client, specs map[string]map[string]any, vpc string, subnets []string) {
	t.Helper()
	lbc, ok := specs["loadbalancerconfigurations.gateway.k8s.aws"]
	tgc, ok2 := specs["targetgroupconfigurations.gateway.k8s.aws"]
	if !ok || !ok2 {
		t.Fatalf("the Gateway front rendered no LoadBalancerConfiguration or TargetGroupConfiguration: %v", specs)
	}
	p.createLB(t, c, types.LoadBalancerTypeEnumNetwork, fmt.Sprint(lbc["scheme"]), subnets)
	p.modify(t, c, "load balancer", attributeList(t, "loadBalancerAttributes", lbc["loadBalancerAttributes"]))
	dc, _ := tgc["defaultConfiguration"].(map[string]any)
	hc, _ := dc["healthCheckConfig"].(map[string]any)
	num := func(k string) *int32 {
		v, ok := hc[k]
		if !ok {
			t.Fatalf("healthCheckConfig has no %s", k)
		}
		return atoi32(t, fmt.Sprint(v))
	}
	in := &elbv2.CreateTargetGroupInput{
		Name: aws.String(p.name + "-tg"), Protocol: types.ProtocolEnumTcp, Port: aws.Int32(8080), VpcId: aws.String(vpc),
		TargetType:                 types.TargetTypeEnum(fmt.Sprint(dc["targetType"])),
		HealthCheckProtocol:        types.ProtocolEnum(fmt.Sprint(hc["healthCheckProtocol"])),
		HealthCheckPort:            aws.String("traffic-port"),
		HealthCheckIntervalSeconds: num("healthCheckInterval"),
		HealthCheckTimeoutSeconds:  num("healthCheckTimeout"),
		HealthyThresholdCount:      num("healthyThresholdCount"),
		UnhealthyThresholdCount:    num("unhealthyThresholdCount"),
	}
	if v, ok := hc["healthCheckPort"]; ok {
		in.HealthCheckPort = aws.String(fmt.Sprint(v))
	}
	if v, ok := hc["healthCheckPath"]; ok {
		in.HealthCheckPath = aws.String(fmt.Sprint(v))
	}
	p.createTG(t, c, in)
	p.modify(t, c, "target group", attributeList(t, "targetGroupAttributes", dc["targetGroupAttributes"]))
	lcs, _ := lbc["listenerConfigurations"].([]any)
	if len(lcs) != 1 {
		t.Fatalf("want one listenerConfiguration, have %v", lcs)
	}
	lc, _ := lcs[0].(map[string]any)
	proto, port, ok := strings.Cut(fmt.Sprint(lc["protocolPort"]), ":")
	if !ok {
		t.Fatalf("protocolPort %v is not PROTOCOL:PORT", lc["protocolPort"])
	}
	p.createListener(t, c, types.ProtocolEnum(proto), *atoi32(t, port))
	p.modify(t, c, "listener", attributeList(t, "listenerAttributes", lc["listenerAttributes"]))
}

// attributeList reads a configuration's [{key, value}] list.
func attributeList(t *testing.T, field string, list any) map[string]string {
	t.Helper()
	items, ok := list.([]any)
	if !ok || len(items) == 0 {
		t.Fatalf("%s: want a non-empty [{key, value}] list, have %#v", field, list)
	}
	out := map[string]string{}
	for _, it := range items {
		m, _ := it.(map[string]any)
		k, _ := m["key"].(string)
		v, _ := m["value"].(string)
		if k == "" {
			t.Fatalf("%s: item %#v has no key", field, it)
		}
		out[k] = v
	}
	return out
}

func (p *provisioned) createLB(t *testing.T, c *elbv2.Client, typ types.LoadBalancerTypeEnum, scheme string, subnets []string) {
	t.Helper()
	ctx, cancel := callCtx()
	defer cancel()
	out, err := c.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{
		Name: aws.String(p.name), Type: typ, Scheme: types.LoadBalancerSchemeEnum(scheme), Subnets: subnets,
	})
	if err != nil {
		t.Fatalf("CreateLoadBalancer %s: %v", p.name, err)
	}
	p.lbArn, p.dnsName = aws.ToString(out.LoadBalancers[0].LoadBalancerArn), aws.ToString(out.LoadBalancers[0].DNSName)
}

func (p *provisioned) createTG(t *testing.T, c *elbv2.Client, in *elbv2.CreateTargetGroupInput) {
	t.Helper()
	ctx, cancel := callCtx()
	defer cancel()
	out, err := c.CreateTargetGroup(ctx, in)
	if err != nil {
		t.Fatalf("CreateTargetGroup %s: %v", aws.ToString(in.Name), err)
	}
	p.tgArn = aws.ToString(out.TargetGroups[0].TargetGroupArn)
}

func (p *provisioned) createListener(t *testing.T, c *elbv2.Client, proto types.ProtocolEnum, port int32) {
	t.Helper()
	ctx, cancel := callCtx()
	defer cancel()
	out, err := c.CreateListener(ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: aws.String(p.lbArn), Protocol: proto, Port: aws.Int32(port),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(p.tgArn)}},
	})
	if err != nil {
		t.Fatalf("CreateListener %s %d: %v", proto, port, err)
	}
	p.listenArn = aws.ToString(out.Listeners[0].ListenerArn)
}

// modify applies attributes at one level, each key on its own call so that an error
// names the key moto refused.
func (p *provisioned) modify(t *testing.T, c *elbv2.Client, level string, attrs map[string]string) {
	t.Helper()
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := p.set(c, level, k, attrs[k]); err != nil {
			t.Fatalf("%s attribute %s=%s from the toolkit's annotations: %v", level, k, attrs[k], err)
		}
	}
}

func (p *provisioned) set(c *elbv2.Client, level, key, value string) error {
	ctx, cancel := callCtx()
	defer cancel()
	var err error
	switch level {
	case "load balancer":
		_, err = c.ModifyLoadBalancerAttributes(ctx, &elbv2.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(p.lbArn),
			Attributes: []types.LoadBalancerAttribute{{Key: aws.String(key), Value: aws.String(value)}}})
	case "target group":
		_, err = c.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(p.tgArn),
			Attributes: []types.TargetGroupAttribute{{Key: aws.String(key), Value: aws.String(value)}}})
	case "listener":
		_, err = c.ModifyListenerAttributes(ctx, &elbv2.ModifyListenerAttributesInput{ListenerArn: aws.String(p.listenArn),
			Attributes: []types.ListenerAttribute{{Key: aws.String(key), Value: aws.String(value)}}})
	default:
		err = fmt.Errorf("unknown level %q", level)
	}
	return err
}

// motoNetwork makes a VPC with one subnet per zone of the examples' region.
func motoNetwork(t *testing.T, c *ec2.Client) (string, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil || vpc.Vpc == nil {
		t.Fatalf("CreateVpc: %v (%+v)", err, vpc)
	}
	vpcID := aws.ToString(vpc.Vpc.VpcId)
	var subnets []string
	for i, z := range []string{"a", "b", "c"} {
		s, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID),
			CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/24", i+1)), AvailabilityZone: aws.String(DefaultRegion + z)})
		if err != nil || s.Subnet == nil {
			t.Fatalf("CreateSubnet: %v", err)
		}
		subnets = append(subnets, aws.ToString(s.Subnet.SubnetId))
	}
	return vpcID, subnets
}

// startMoto starts moto_server on a free loopback port for the test and returns its
// URL. Without moto_server the test skips, or fails when CI is set.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		ci.SkipOrFail(t, "moto_server is not on PATH (moto 5.x, pip package moto[server])")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logPath := filepath.Join(t.TempDir(), "moto.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("---- moto_server log ----\n%s", tail(string(b), 40))
			}
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("moto_server exited: %v", err)
		default:
		}
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not listen on %s within 60 s", addr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
