package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/eksbalance/eksbalance/plan"
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

// planFlags are the flags plan and render share.
type planFlags struct {
	stack  string
	reveal bool
}

func (f *planFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.stack, "stack", "dev", "stack whose Pulumi.<stack>.yaml supplies config")
	fs.BoolVar(&f.reveal, "reveal", false, "show secret inputs instead of "+plan.Redacted)
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
	fmt.Fprintf(stderr, "planning %s (stack %s): building the program...\n", dir, f.stack)
	p, err := plan.Run(context.Background(), plan.Options{Dir: dir, Stack: f.stack, Reveal: f.reveal})
	if p != nil {
		for _, w := range p.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
	}
	return p, err
}

// planCommand parses what plan and render share (--stack, --reveal, the
// optional DIR or saved plan), the command's own flags (added by flags, checked
// by valid) and loads the plan. It returns the exit code to stop with when the
// plan is nil.
func planCommand(name, usage string, args []string, stderr io.Writer, flags func(*flag.FlagSet), valid func() bool) (*plan.Plan, int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf planFlags
	pf.register(fs)
	flags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: eksbalance "+usage)
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, 0
	}
	if err != nil {
		return nil, 2
	}
	if len(pos) > 1 || !valid() {
		fs.Usage()
		return nil, 2
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
	p, code := planCommand("plan", "plan [DIR|PLAN.json] [--stack dev] [-o text|json] [--inputs=false] [--reveal]", args, stderr,
		func(fs *flag.FlagSet) {
			fs.StringVar(&output, "o", "text", "output format: text or json")
			fs.BoolVar(&inputs, "inputs", true, "text output: show each resource's inputs")
		},
		func() bool { return output == "text" || output == "json" })
	if p == nil {
		return code
	}
	report, err := analyse(p)
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
		plan.WriteText(stdout, p, plan.TextOptions{Inputs: inputs, Notes: report.annotations()})
		report.writeText(stdout)
	}
	if report.mandatory() > 0 {
		return 1
	}
	return 0
}

func runRender(args []string, stdout, stderr io.Writer) int {
	var out string
	p, code := planCommand("render", "render [DIR|PLAN.json] [--stack dev] -o OUTDIR", args, stderr,
		func(fs *flag.FlagSet) { fs.StringVar(&out, "o", "", "directory to write the YAML files to (required)") },
		func() bool { return out != "" })
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
