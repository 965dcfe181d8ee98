// Command policies is eksbalance's Pulumi policy pack (PulumiPolicy.yaml,
// runtime go): `pulumi preview --policy-pack ./policies` runs the guardrail
// rules of package rules on every resource a program registers.
//
// The pack hands each resource's type, name and properties to the same embedded
// Rego rules that `eksbalance plan` and `eksbalance check` use, with secret
// values replaced by "[secret]" before they reach Rego. Pulumi's Go policy SDK
// (policyx, sdk v3.205.0) analyzes one resource at a time and does not yet
// implement stack analysis, so only the rules of scope "resource" run here; the
// rules that join resources (a Deployment and the Service in front of it) run
// in plan, check and conftest. README.md lists which is which.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/eksbalance/eksbalance/plan"
	"github.com/eksbalance/eksbalance/policies/rules"
)

const (
	// packName and packVersion are what the analyzer reports; PulumiPolicy.yaml
	// repeats them (a test keeps the two equal).
	packName    = "eksbalance"
	packVersion = "0.1.0"
)

func main() {
	if err := policyx.Main(newPack); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// newPack builds the pack: one policy per resource-scope rule, named by the
// rule ID, mandatory or advisory as the rule is.
func newPack(*pulumi.Context) (policyx.PolicyPack, error) {
	ev, err := rules.NewEvaluator(context.Background())
	if err != nil {
		return nil, err
	}
	a := &analyzer{ev: ev}
	var policies []policyx.Policy
	for _, r := range rules.Catalog() {
		if r.Scope != rules.ScopeResource {
			continue
		}
		level := policyx.EnforcementLevelAdvisory
		if r.Severity == rules.SeverityMandatory {
			level = policyx.EnforcementLevelMandatory
		}
		policies = append(policies, policyx.NewResourceValidationPolicy(r.ID, policyx.ResourceValidationPolicyArgs{
			Description:      fmt.Sprintf("%s [%s]", r.Title, r.ID),
			EnforcementLevel: level,
			ValidateResource: a.validator(r.ID),
			ConfigSchema:     controllerSchema,
		}))
	}
	return policyx.NewPolicyPack(packName, semver.MustParse(packVersion), policyx.EnforcementLevelAdvisory, policies)
}

// analyzer evaluates a resource once for all policies: the engine calls every
// policy in turn on the same resource, so the last result is kept, keyed by URN
// and a digest of the (redacted) properties.
type analyzer struct {
	ev *rules.Evaluator

	mu      sync.Mutex
	lastKey string
	last    []rules.Violation
}

// controllerSchema is every policy's configuration: the cluster's controller
// defaults, so objects relying on them are judged by the controller they will
// meet (pulumi preview --policy-pack ./policies --policy-pack-config FILE with
// {"ip-targets": {"controllerDefaultTargetType": "ip"}, ...}).
var controllerSchema = &policyx.ConfigSchema{Properties: map[string]map[string]any{
	controllerConfigKey: {
		"type": "string",
		"enum": []any{"ip", "instance"},
		"description": "the AWS Load Balancer Controller's --default-target-type in the target cluster " +
			"(chart value defaultTargetType); default: a stock controller's instance",
	},
}}

const controllerConfigKey = "controllerDefaultTargetType"

// controllerOf turns a policy's configuration into the rules' options.
func controllerOf(id string, config map[string]any) rules.Options {
	t, _ := config[controllerConfigKey].(string)
	if t == "" {
		return rules.Options{}
	}
	return rules.Options{Controller: &rules.Controller{
		DefaultTargetType: t,
		Source:            fmt.Sprintf("the policy pack's configuration (%s.%s)", id, controllerConfigKey),
	}}
}

func (a *analyzer) validator(id string) func(context.Context, policyx.ResourceValidationArgs) error {
	return func(ctx context.Context, args policyx.ResourceValidationArgs) error {
		vs, err := a.violations(ctx, args.Resource, controllerOf(id, args.Config))
		if err != nil {
			return err
		}
		for _, v := range vs {
			if v.Rule == id {
				args.Manager.ReportViolation(v.Message, "")
			}
		}
		return nil
	}
}

func (a *analyzer) violations(ctx context.Context, res policyx.AnalyzerResource, opts rules.Options) ([]rules.Violation, error) {
	r := toResource(res)
	body, err := json.Marshal(struct {
		R rules.Resource
		O rules.Options
	}{r, opts})
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s\x00%x", res.URN, sha256.Sum256(body))
	a.mu.Lock()
	if a.lastKey == key {
		vs := a.last
		a.mu.Unlock()
		return vs, nil
	}
	a.mu.Unlock()
	vs, err := a.ev.EvaluateResourceWith(ctx, r, opts)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.lastKey, a.last = key, vs
	a.mu.Unlock()
	return vs, nil
}

// toResource gives the rules what the offline plan gives them: plain JSON
// values with secrets as plan.Redacted, unknowns as null and resource
// references as URNs (plan.Plain).
func toResource(res policyx.AnalyzerResource) rules.Resource {
	props := plan.Plain(resource.ToResourcePropertyMap(res.Properties), false)
	return rules.Resource{Type: res.Type, Name: res.Name, Properties: props}
}
