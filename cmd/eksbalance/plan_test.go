package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// planOut is the part of `plan -o json` these tests read.
type planOut struct {
	Project   string   `json:"project"`
	Stack     string   `json:"stack"`
	Warnings  []string `json:"warnings"`
	Resources []struct {
		Type   string         `json:"type"`
		Name   string         `json:"name"`
		Inputs map[string]any `json:"inputs"`
	} `json:"resources"`
	Violations []struct {
		Rule, Severity string
	} `json:"violations"`
	Predictions []struct {
		Workload   string `json:"workload"`
		Prediction struct {
			MaxOverMean float64 `json:"maxOverMean"`
			MinOverMean float64 `json:"minOverMean"`
		} `json:"prediction"`
		Drift []struct {
			Prediction struct {
				MaxOverMean float64 `json:"maxOverMean"`
			} `json:"prediction"`
		} `json:"drift"`
	} `json:"predictions"`
}

func planJSONOf(t *testing.T, dir, stack string) planOut {
	t.Helper()
	var out, errb bytes.Buffer
	code := run([]string{"plan", dir, "--stack", stack, "-o", "json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("plan %s --stack %s: exit %d\n%s", dir, stack, code, errb.String())
	}
	var p planOut
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatalf("plan JSON: %v", err)
	}
	return p
}

func (p planOut) count(typ string) int {
	n := 0
	for _, r := range p.Resources {
		if r.Type == typ {
			n++
		}
	}
	return n
}

func (p planOut) annotation(typ, key string) string {
	for _, r := range p.Resources {
		if r.Type != typ {
			continue
		}
		md, _ := r.Inputs["metadata"].(map[string]any)
		ann, _ := md["annotations"].(map[string]any)
		if v, ok := ann[key].(string); ok {
			return v
		}
	}
	return ""
}

func TestPlanStacks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the platform program: skipped with -short")
	}
	t.Parallel()
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			p := planJSONOf(t, "../..", stack)
			if p.Project != "eksbalance" || p.Stack != stack {
				t.Errorf("project/stack = %s/%s", p.Project, p.Stack)
			}
			for typ, want := range map[string]int{
				"eks:index:Cluster":                       1,
				"eks:index:ManagedNodeGroup":              3,
				"aws:ec2/subnet:Subnet":                   6,
				"kubernetes:helm.sh/v3:Release":           1,
				"kubernetes:apps/v1:Deployment":           2,
				"kubernetes:networking.k8s.io/v1:Ingress": 1,
			} {
				if got := p.count(typ); got != want {
					t.Errorf("%d %s, want %d", got, typ, want)
				}
			}
			for _, v := range p.Violations {
				if v.Severity == "mandatory" {
					t.Errorf("mandatory violation on the %s stack: %s", stack, v.Rule)
				}
			}
			// Each node group's Auto Scaling group, found through the remote
			// component's node group, carries the zone's node template.
			tags := 0
			for _, r := range p.Resources {
				if r.Type != "aws:autoscaling/tag:Tag" {
					continue
				}
				tags++
				if asg, _ := r.Inputs["autoscalingGroupName"].(string); !strings.HasPrefix(asg, "eks-eksbalance-"+stack+"-us-east-1") {
					t.Errorf("%s: autoscalingGroupName %q, want the node group's ASG", r.Name, asg)
				}
			}
			if tags != 3 {
				t.Errorf("%d ASG tags, want one node-template tag per zone", tags)
			}
			// dev's API is public, limited to a placeholder it warns about; prod's
			// is private, and the program deploys into it.
			unreachable, placeholder := 0, 0
			for _, w := range p.Warnings {
				if strings.Contains(w, "private-only API endpoint") {
					unreachable++
				}
				if strings.Contains(w, "apiAccessCidrs[0]: 203.0.113.0/24: is a documentation range") {
					placeholder++
				}
			}
			switch {
			case stack == "dev" && (unreachable != 0 || placeholder != 1):
				t.Errorf("dev warnings %q, want the placeholder's and no unreachable endpoint", p.Warnings)
			case stack == "prod" && (unreachable != 1 || placeholder != 0):
				t.Errorf("prod warnings %q, want one unreachable endpoint and no placeholder", p.Warnings)
			}
			if len(p.Predictions) != 2 {
				t.Fatalf("%d predictions, want 2 (NLB and ALB samples)", len(p.Predictions))
			}
			for _, pr := range p.Predictions {
				if pr.Prediction.MaxOverMean != 1 || pr.Prediction.MinOverMean != 1 {
					t.Errorf("%s: max/mean %v min/mean %v with the toolkit's defaults, want exactly 1",
						pr.Workload, pr.Prediction.MaxOverMean, pr.Prediction.MinOverMean)
				}
				uneven := 0
				for _, d := range pr.Drift {
					if d.Prediction.MaxOverMean > 1 {
						uneven++
					}
				}
				if uneven == 0 {
					t.Errorf("%s: drift contrast shows no uneven variant", pr.Workload)
				}
			}
		})
	}
}

// TestPlanFindsProjectAbove: `eksbalance plan stacks` plans the root project
// (Pulumi.yaml's main is stacks/), as pulumi run in stacks/ would.
func TestPlanFindsProjectAbove(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the platform program: skipped with -short")
	}
	t.Parallel()
	var out, errb bytes.Buffer
	code := run([]string{"plan", "../../stacks", "-o", "json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var p planOut
	if err := json.Unmarshal(out.Bytes(), &p); err != nil || p.Project != "eksbalance" || p.count("eks:index:ManagedNodeGroup") != 3 {
		t.Errorf("planned %s with %d node groups (%v)", p.Project, p.count("eks:index:ManagedNodeGroup"), err)
	}
	if !strings.Contains(errb.String(), "planning ../../stacks (project ../..") {
		t.Errorf("stderr does not say which project: %s", errb.String())
	}
}

func TestPlanExamplesShowLoadBalancerSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example programs: skipped with -short")
	}
	t.Parallel()
	cases := []struct {
		dir, typ, key, want string
	}{
		{"../../examples/nlb-service", "kubernetes:core/v1:Service", "service.beta.kubernetes.io/aws-load-balancer-listener-attributes.TCP-80", "tcp.idle_timeout.seconds=600"},
		{"../../examples/nlb-service", "kubernetes:core/v1:Service", "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type", "ip"},
		{"../../examples/alb-ingress", "kubernetes:networking.k8s.io/v1:Ingress", "alb.ingress.kubernetes.io/target-type", "ip"},
	}
	plans := map[string]planOut{}
	for _, dir := range []string{"../../examples/nlb-service", "../../examples/alb-ingress"} {
		plans[dir] = planJSONOf(t, dir, "dev")
		if len(plans[dir].Predictions) != 1 || plans[dir].Predictions[0].Prediction.MaxOverMean != 1 {
			t.Errorf("%s: predictions %+v", dir, plans[dir].Predictions)
		}
	}
	for _, tc := range cases {
		if got := plans[tc.dir].annotation(tc.typ, tc.key); got != tc.want {
			t.Errorf("%s: %s = %q, want %q", tc.dir, tc.key, got, tc.want)
		}
	}
	if got := plans["../../examples/alb-ingress"].annotation("kubernetes:networking.k8s.io/v1:Ingress", "alb.ingress.kubernetes.io/load-balancer-attributes"); !strings.Contains(got, "idle_timeout.timeout_seconds=120") {
		t.Errorf("ALB example idle timeout not in annotations: %q", got)
	}
}

func TestPlanTextAndRenderCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an example program: skipped with -short")
	}
	t.Parallel()
	dir := t.TempDir()
	// Save the plan once, then feed it to plan (text) and render without rebuilding.
	var js, errb bytes.Buffer
	if code := run([]string{"plan", "../../examples/nlb-service", "-o", "json"}, &js, &errb); code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errb.String())
	}
	saved := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(saved, js.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if code := run([]string{"plan", saved}, &text, &errb); code != 0 {
		t.Fatalf("plan of saved JSON: exit %d: %s", code, errb.String())
	}
	for _, want := range []string{
		"eks:index:ManagedNodeGroup",
		"├─ ",
		"~ traffic: 6 pods, max/mean 1.000",
		"ip targets, cross-zone on (toolkit default)",
		"instance, Cluster, cross-zone off (K8s default)",
		"After drift",
		"Policies: 0 mandatory",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("plan text lacks %q", want)
		}
	}
	out := filepath.Join(dir, "yaml")
	var files bytes.Buffer
	if code := run([]string{"render", saved, "-o", out}, &files, &errb); code != 0 {
		t.Fatalf("render: exit %d: %s", code, errb.String())
	}
	names := files.String()
	for _, kind := range []string{"-namespace-", "-service-", "-deployment-", "-poddisruptionbudget-"} {
		if !strings.Contains(names, kind) {
			t.Errorf("render wrote no %s file: %s", kind, names)
		}
	}
	if !strings.HasPrefix(filepath.Base(strings.Split(names, "\n")[0]), "00-namespace") {
		t.Errorf("namespace is not first in apply order: %s", names)
	}
	// The rendered objects pass the guardrails on their own.
	var chk bytes.Buffer
	if code := run([]string{"check", out}, &chk, &errb); code != 0 {
		t.Errorf("check on rendered example: exit %d\n%s%s", code, chk.String(), errb.String())
	}
}

// TestUsageErrors: every rejected argument gets exit 2 and one line that says
// why, names the command and points at its help; no usage dump.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"plan", "-o", "yaml"}, `eksbalance plan: -o is "yaml": want text or json (see 'eksbalance help plan')`},
		{[]string{"plan", "a", "b"}, "eksbalance plan: takes one DIR or saved PLAN.json, got 2: a b"},
		{[]string{"plan", "--nodes", "us-east-1a=two"}, `eksbalance plan: --nodes "us-east-1a=two": "us-east-1a=two": the node count must be a whole number >= 0`},
		{[]string{"plan", "--nodes", "a=1", "--nodes-file", seedFile}, "eksbalance plan: --nodes and --nodes-file both describe the existing nodes: give one"},
		{[]string{"plan", "--stack-output", "platform/prod"}, `eksbalance plan: invalid value "platform/prod" for flag -stack-output: "platform/prod": want STACK:KEY=VALUE`},
		{[]string{"plan", "--inputs=maybe"}, "eksbalance plan: invalid boolean value \"maybe\" for -inputs"},
		{[]string{"render", "."}, "eksbalance render: -o OUTDIR is required: the directory to write the YAML files to"},
		{[]string{"predict", seedFile, seedFile}, "eksbalance predict: takes one topology FILE, got 2"},
		{[]string{"check"}, "eksbalance check: a PATH is required"},
		{[]string{"plna"}, `eksbalance: unknown command "plna" (did you mean "plan"?); run 'eksbalance help' for the list`},
		{[]string{"help", "chek"}, `eksbalance help: unknown command "chek" (did you mean "check"?); commands: check, plan, predict, render`},
		{nil, "eksbalance: a command is required"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		first, _, _ := strings.Cut(errb.String(), "\n")
		if code != 2 || !strings.Contains(first, tt.want) {
			t.Errorf("%q: exit %d, first stderr line %q, want exit 2 and %q", tt.args, code, first, tt.want)
		}
		if tt.args != nil && strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%q: stderr is not one line:\n%s", tt.args, errb.String())
		}
		if out.Len() != 0 {
			t.Errorf("%q: wrote to stdout: %s", tt.args, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"plan", t.TempDir()}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "no Pulumi.yaml there or in any directory above it") {
		t.Errorf("plan of a dir without a project: exit %d, stderr %q", code, errb.String())
	}
}

// TestHelp: `eksbalance help COMMAND` prints that command's usage and flags to
// stdout, not the top-level usage.
func TestHelp(t *testing.T) {
	t.Parallel()
	for name := range commands {
		var out, errb bytes.Buffer
		if code := run([]string{"help", name}, &out, &errb); code != 0 {
			t.Errorf("help %s: exit %d: %s", name, code, errb.String())
		}
		if !strings.HasPrefix(out.String(), "usage: eksbalance "+name) || !strings.Contains(out.String(), "flags:") || strings.Contains(out.String(), "commands:") {
			t.Errorf("help %s printed:\n%s", name, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "commands:") {
		t.Errorf("help: exit %d\n%s", code, out.String())
	}
	out.Reset()
	if code := run([]string{"help", "plan"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "--nodes") || !strings.Contains(out.String(), "-stack-outputs") {
		t.Errorf("help plan lacks the existing-cluster flags:\n%s", out.String())
	}
}
