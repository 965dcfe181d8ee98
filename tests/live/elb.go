//go:build live

package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/gruntwork-io/terratest/modules/retry"
	"github.com/gruntwork-io/terratest/modules/testing"
)

// awsCallTimeout bounds one ELBv2 API call, so a hung connection cannot
// stall a run whose cluster costs money by the hour.
const awsCallTimeout = time.Minute

func callCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), awsCallTimeout)
}

// NewELBClientE builds an ELBv2 client for region from the default
// credential chain (the same sources Preflight looked for).
func NewELBClientE(t testing.TestingT, region string) (*elbv2.Client, error) {
	ctx, cancel := callCtx()
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("AWS SDK config: %w", err)
	}
	return elbv2.NewFromConfig(cfg), nil
}

// NewELBClient is NewELBClientE, failing the test on error.
func NewELBClient(t testing.TestingT, region string) *elbv2.Client {
	helper(t)
	c, err := NewELBClientE(t, region)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FindLoadBalancerE finds the load balancer whose DNS name is dnsName (the
// hostname the controller wrote into the Service or Ingress status). The
// controller names load balancers by a hash, so the DNS name is the one
// reliable link from the Kubernetes object to the AWS resource.
func FindLoadBalancerE(t testing.TestingT, c *elbv2.Client, dnsName string) (types.LoadBalancer, error) {
	want := strings.TrimSuffix(strings.ToLower(dnsName), ".")
	p := elbv2.NewDescribeLoadBalancersPaginator(c, &elbv2.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		ctx, cancel := callCtx()
		page, err := p.NextPage(ctx)
		cancel()
		if err != nil {
			return types.LoadBalancer{}, fmt.Errorf("DescribeLoadBalancers: %w", err)
		}
		for _, lb := range page.LoadBalancers {
			if strings.TrimSuffix(strings.ToLower(aws.ToString(lb.DNSName)), ".") == want {
				return lb, nil
			}
		}
	}
	return types.LoadBalancer{}, fmt.Errorf("no load balancer has DNS name %s", dnsName)
}

// WaitForLoadBalancerE waits until the load balancer with dnsName exists and
// is active, and returns it.
func WaitForLoadBalancerE(t testing.TestingT, c *elbv2.Client, dnsName string, retries int, sleep time.Duration) (types.LoadBalancer, error) {
	v, err := retry.DoWithRetryInterfaceE(t, "wait for load balancer "+dnsName+" to be active", retries, sleep,
		func() (any, error) {
			lb, err := FindLoadBalancerE(t, c, dnsName)
			if err != nil {
				return nil, err
			}
			if lb.State == nil || lb.State.Code != types.LoadBalancerStateEnumActive {
				return nil, fmt.Errorf("load balancer %s is %v", aws.ToString(lb.LoadBalancerName), lb.State)
			}
			return lb, nil
		})
	if err != nil {
		return types.LoadBalancer{}, err
	}
	return v.(types.LoadBalancer), nil
}

// WaitForLoadBalancer is WaitForLoadBalancerE, failing the test on error.
func WaitForLoadBalancer(t testing.TestingT, c *elbv2.Client, dnsName string, retries int, sleep time.Duration) types.LoadBalancer {
	helper(t)
	lb, err := WaitForLoadBalancerE(t, c, dnsName, retries, sleep)
	if err != nil {
		t.Fatal(err)
	}
	return lb
}

// LoadBalancerZones lists the availability zones the load balancer is
// enabled in.
func LoadBalancerZones(lb types.LoadBalancer) []string {
	var zones []string
	for _, z := range lb.AvailabilityZones {
		zones = append(zones, aws.ToString(z.ZoneName))
	}
	sort.Strings(zones)
	return zones
}

// DescribeE reads everything CheckNLB and CheckALB compare: the load
// balancer's attributes, its listeners with their attributes (listener
// attributes exist on NLB listeners only; an ALB's are not read) and its
// target groups with their health checks and attributes.
func DescribeE(t testing.TestingT, c *elbv2.Client, lb types.LoadBalancer) (Observed, error) {
	arn := lb.LoadBalancerArn
	obs := Observed{Type: string(lb.Type), Scheme: string(lb.Scheme)}

	ctx, cancel := callCtx()
	defer cancel()
	attrs, err := c.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: arn})
	if err != nil {
		return obs, fmt.Errorf("DescribeLoadBalancerAttributes: %w", err)
	}
	obs.Attributes = map[string]string{}
	for _, a := range attrs.Attributes {
		obs.Attributes[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}

	lp := elbv2.NewDescribeListenersPaginator(c, &elbv2.DescribeListenersInput{LoadBalancerArn: arn})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			return obs, fmt.Errorf("DescribeListeners: %w", err)
		}
		for _, l := range page.Listeners {
			ol := ObservedListener{Port: int(aws.ToInt32(l.Port)), Protocol: string(l.Protocol), Attributes: map[string]string{}}
			if lb.Type == types.LoadBalancerTypeEnumNetwork {
				la, err := c.DescribeListenerAttributes(ctx, &elbv2.DescribeListenerAttributesInput{ListenerArn: l.ListenerArn})
				if err != nil {
					return obs, fmt.Errorf("DescribeListenerAttributes %d: %w", ol.Port, err)
				}
				for _, a := range la.Attributes {
					ol.Attributes[aws.ToString(a.Key)] = aws.ToString(a.Value)
				}
			}
			obs.Listeners = append(obs.Listeners, ol)
		}
	}

	tp := elbv2.NewDescribeTargetGroupsPaginator(c, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: arn})
	for tp.HasMorePages() {
		page, err := tp.NextPage(ctx)
		if err != nil {
			return obs, fmt.Errorf("DescribeTargetGroups: %w", err)
		}
		for _, tg := range page.TargetGroups {
			otg := ObservedTargetGroup{
				ARN:                 aws.ToString(tg.TargetGroupArn),
				Name:                aws.ToString(tg.TargetGroupName),
				TargetType:          string(tg.TargetType),
				HealthCheckProtocol: string(tg.HealthCheckProtocol),
				HealthCheckPort:     aws.ToString(tg.HealthCheckPort),
				HealthCheckPath:     aws.ToString(tg.HealthCheckPath),
				HealthCheckInterval: time.Duration(aws.ToInt32(tg.HealthCheckIntervalSeconds)) * time.Second,
				HealthCheckTimeout:  time.Duration(aws.ToInt32(tg.HealthCheckTimeoutSeconds)) * time.Second,
				HealthyThreshold:    int(aws.ToInt32(tg.HealthyThresholdCount)),
				UnhealthyThreshold:  int(aws.ToInt32(tg.UnhealthyThresholdCount)),
				Attributes:          map[string]string{},
			}
			if tg.Matcher != nil {
				otg.SuccessCodes = aws.ToString(tg.Matcher.HttpCode)
			}
			ta, err := c.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
			if err != nil {
				return obs, fmt.Errorf("DescribeTargetGroupAttributes %s: %w", otg.Name, err)
			}
			for _, a := range ta.Attributes {
				otg.Attributes[aws.ToString(a.Key)] = aws.ToString(a.Value)
			}
			obs.TargetGroups = append(obs.TargetGroups, otg)
		}
	}
	return obs, nil
}

// Describe is DescribeE, failing the test on error.
func Describe(t testing.TestingT, c *elbv2.Client, lb types.LoadBalancer) Observed {
	helper(t)
	obs, err := DescribeE(t, c, lb)
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// TargetsHealthyE checks once that every target group holds exactly the
// given IPs as targets and that all of them are healthy; the error lists
// each target that is not, with AWS's reason.
func TargetsHealthyE(t testing.TestingT, c *elbv2.Client, tgARNs, ips []string) error {
	want := slices.Sorted(slices.Values(ips))
	var problems []string
	for _, arn := range tgARNs {
		ctx, cancel := callCtx()
		out, err := c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
		cancel()
		if err != nil {
			return fmt.Errorf("DescribeTargetHealth: %w", err)
		}
		var got []string
		for _, d := range out.TargetHealthDescriptions {
			id := aws.ToString(d.Target.Id)
			got = append(got, id)
			if d.TargetHealth == nil || d.TargetHealth.State != types.TargetHealthStateEnumHealthy {
				state, reason := "unknown", ""
				if d.TargetHealth != nil {
					state, reason = string(d.TargetHealth.State), string(d.TargetHealth.Reason)
				}
				problems = append(problems, fmt.Sprintf("%s %s (%s)", id, state, reason))
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			problems = append(problems, fmt.Sprintf("target group %s has targets %v, the ready pods are %v", arn, got, want))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// WaitUntilTargetsHealthyE retries TargetsHealthyE until it passes.
func WaitUntilTargetsHealthyE(t testing.TestingT, c *elbv2.Client, tgARNs, ips []string, retries int, sleep time.Duration) error {
	_, err := retry.DoWithRetryE(t, fmt.Sprintf("wait for %d healthy targets in %d target group(s)", len(ips), len(tgARNs)), retries, sleep,
		func() (string, error) { return "", TargetsHealthyE(t, c, tgARNs, ips) })
	return err
}

// WaitUntilTargetsHealthy is WaitUntilTargetsHealthyE, failing the test on error.
func WaitUntilTargetsHealthy(t testing.TestingT, c *elbv2.Client, tgARNs, ips []string, retries int, sleep time.Duration) {
	helper(t)
	if err := WaitUntilTargetsHealthyE(t, c, tgARNs, ips, retries, sleep); err != nil {
		t.Fatal(err)
	}
}
