package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/eksbalance/eksbalance/internal/traffic"
	"github.com/eksbalance/eksbalance/plan"
	"github.com/eksbalance/eksbalance/policies/rules"
)

func init() {
	commands["plan"] = command{
		summary: "run a Pulumi Go program offline and print what it would create, with policy findings and traffic predictions",
		run:     runPlan,
	}
	commands["render"] = command{
		summary: "write the Kubernetes objects of a planned stack as YAML files",
		run:     runRender,
	}
}

func printPlanUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: eksbalance plan [DIR|PLAN.json] [--stack dev] [-o text|json] [--inputs] [--reveal]")
	fmt.Fprintln(w, "                       [--stack-outputs FILE] [--stack-output STACK:KEY=VALUE]...")
	fmt.Fprintln(w, "                       [--nodes ZONE=N,... | --nodes-file FILE] [--clients k=v,...]")
	fmt.Fprintln(w, "                       [--controller-default-target-type ip|instance | --controller-values FILE | --controller-config FILE]")
	fmt.Fprintln(w, "Builds the Pulumi Go program of DIR (default .; the project is the nearest")
	fmt.Fprintln(w, "Pulumi.yaml at or above it, as pulumi finds it) and runs it against mocked cloud")
	fmt.Fprintln(w, "answers, or reads a plan saved with -o json. Text output starts with a verdict")
	fmt.Fprintln(w, "line, then the resource tree (--inputs lists every resource with its inputs),")
	fmt.Fprintln(w, "the policy violations and the traffic prediction.")
	fmt.Fprintln(w, "Stack references (pulumi.NewStackReference) read their outputs from")
	fmt.Fprintln(w, "--stack-outputs, a YAML or JSON file {STACK: {KEY: VALUE}}, and --stack-output.")
	fmt.Fprintln(w, "For a cluster that exists already, --nodes us-east-1a=2,us-east-1b=2 (or a")
	fmt.Fprintln(w, "predict topology file) says what nodes the pods land on.")
	fmt.Fprintln(w, "Objects that set no target type are judged (and predicted) by the cluster's")
	fmt.Fprintln(w, "AWS Load Balancer Controller: a --controller-* flag describes it and wins; without")
	fmt.Fprintln(w, "one, the controller release the plan installs; without that, a stock controller")
	fmt.Fprintln(w, "(instance). A note says which was used. On an existing cluster, give the flag.")
	fmt.Fprintln(w, "Exit 1 on a mandatory violation, 2 on bad usage or a program that fails.")
}

func printRenderUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: eksbalance render [DIR|PLAN.json] [--stack dev] -o OUTDIR")
	fmt.Fprintln(w, "       [--stack-outputs FILE] [--stack-output STACK:KEY=VALUE]...")
	fmt.Fprintln(w, "Writes the planned Kubernetes objects as YAML files in apply order.")
}

// planFlags are the flags plan and render share.
type planFlags struct {
	stack        string
	reveal       bool
	outputsFile  string
	stackOutputs stackOutputFlag
}

func (f *planFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.stack, "stack", "dev", "stack whose Pulumi.<stack>.yaml supplies config")
	fs.BoolVar(&f.reveal, "reveal", false, "show secret inputs instead of "+plan.Redacted)
	fs.StringVar(&f.outputsFile, "stack-outputs", "", "YAML or JSON file of mocked stack reference outputs: {org/project/stack: {key: value}}")
	fs.Var(&f.stackOutputs, "stack-output", "one mocked stack reference output, STACK:KEY=VALUE (VALUE is JSON or a string); repeatable")
}

// outputs merges --stack-outputs and --stack-output (the flag wins).
func (f *planFlags) outputs() (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	if f.outputsFile != "" {
		fromFile, err := readStackOutputs(f.outputsFile)
		if err != nil {
			return nil, err
		}
		out = fromFile
	}
	for _, o := range f.stackOutputs {
		if out[o.stack] == nil {
			out[o.stack] = map[string]any{}
		}
		out[o.stack][o.key] = o.value
	}
	return out, nil
}

// loadPlan plans dir, or reads a plan JSON file when dir is one (so policies and
// predictions can be re-run on a saved plan).
func (f *planFlags) loadPlan(dir string, stderr io.Writer) (*plan.Plan, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		fh, err := os.Open(dir)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		return plan.ReadJSON(fh)
	}
	outs, err := f.outputs()
	if err != nil {
		return nil, err
	}
	root, err := plan.FindProject(dir)
	if err != nil {
		return nil, err
	}
	where := ""
	if abs, err := filepath.Abs(dir); err == nil && abs != root {
		where = fmt.Sprintf(" (project %s)", relOrAbs(root))
	}
	fmt.Fprintf(stderr, "planning %s%s, stack %s: building the program...\n", dir, where, f.stack)
	return plan.Run(context.Background(), plan.Options{Dir: dir, Stack: f.stack, Reveal: f.reveal, StackOutputs: outs})
}

// relOrAbs is path relative to the working directory when that is shorter.
func relOrAbs(path string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil && len(rel) < len(path) {
			return rel
		}
	}
	return path
}

// planCommand parses what plan and render share (--stack, --reveal, stack
// outputs, the optional DIR or saved plan), the command's own flags (added by
// flags, checked by check, which returns why a value is rejected) and loads
// the plan. It returns the exit code to stop with when the plan is nil.
func planCommand(name string, printUsage func(io.Writer), args []string, stderr io.Writer, flags func(*flag.FlagSet), check func() string) (*plan.Plan, int) {
	fs := newFlagSet(name, stderr, printUsage)
	var pf planFlags
	pf.register(fs.FlagSet)
	flags(fs.FlagSet)
	pos, code, done := fs.parse(args, stderr)
	if done {
		return nil, code
	}
	if len(pos) > 1 {
		return nil, usageError(stderr, name, "takes one DIR or saved PLAN.json, got %d: %s", len(pos), strings.Join(pos, " "))
	}
	if why := check(); why != "" {
		return nil, usageError(stderr, name, "%s", why)
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	p, err := pf.loadPlan(dir, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "eksbalance %s: %v\n", name, err)
		return nil, 2
	}
	return p, 0
}

func runPlan(args []string, stdout, stderr io.Writer) int {
	var output string
	var inputs bool
	var nodes nodesFlags
	var clients clientsFlag
	var cf controllerFlags
	var ctrl *rules.Controller
	p, code := planCommand("plan", printPlanUsage, args, stderr,
		func(fs *flag.FlagSet) {
			fs.StringVar(&output, "o", "text", "output format: text or json")
			fs.BoolVar(&inputs, "inputs", false, "text output: list every resource with its inputs instead of the short tree")
			fs.Var(&clients, "clients", clientsUsage)
			nodes.register(fs)
			cf.register(fs)
		},
		func() string {
			if why, ok := oneOf("-o", output, "text", "json"); !ok {
				return why
			}
			// Read before the (slow) plan, so a bad file or value fails at once.
			var err error
			if ctrl, err = cf.controller(); err != nil {
				return err.Error()
			}
			return nodes.check()
		})
	if p == nil {
		return code
	}
	if nodes.parsed != nil {
		p.ExistingNodes = nodes.parsed
	}
	report, err := analyse(p, traffic.Options{Clients: clients.population()}, ctrl)
	if err != nil {
		fmt.Fprintf(stderr, "eksbalance plan: %v\n", err)
		return 2
	}
	if output == "json" {
		if err := writePlanJSON(stdout, p, report); err != nil {
			fmt.Fprintf(stderr, "eksbalance plan: %v\n", err)
			return 2
		}
	} else {
		report.writeText(stdout, inputs)
	}
	if report.mandatory() > 0 {
		return 1
	}
	return 0
}

func runRender(args []string, stdout, stderr io.Writer) int {
	var out string
	p, code := planCommand("render", printRenderUsage, args, stderr,
		func(fs *flag.FlagSet) { fs.StringVar(&out, "o", "", "directory to write the YAML files to (required)") },
		func() string {
			if out == "" {
				return "-o OUTDIR is required: the directory to write the YAML files to"
			}
			return ""
		})
	if p == nil {
		return code
	}
	objs, skipped := p.KubernetesObjects()
	files, err := plan.WriteYAML(out, objs)
	if err != nil {
		fmt.Fprintf(stderr, "eksbalance render: %v\n", err)
		return 2
	}
	for _, s := range skipped {
		fmt.Fprintf(stderr, "skipped %s\n", s)
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return 0
}
