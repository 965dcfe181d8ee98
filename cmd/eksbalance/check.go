package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/eksbalance/eksbalance/policies/manifests"
	"github.com/eksbalance/eksbalance/policies/rules"
)

func init() {
	commands["check"] = command{
		summary: "check Kubernetes YAML against the guardrail rules",
		run:     runCheck,
	}
}

// checkJSON is the -o json document; its shape is a contract (issue 6).
type checkJSON struct {
	Violations []rules.Violation `json:"violations"`
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	output := fs.String("o", "text", "output format: text or json")
	list := fs.Bool("rules", false, "list the rules (ID, severity, scope, title, doc) instead of checking")
	var cf controllerFlags
	cf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: eksbalance check PATH... [-o text|json] [--controller-default-target-type ip|instance | --controller-values FILE | --controller-config FILE]")
		fmt.Fprintln(stderr, "       eksbalance check --rules [-o text|json]")
		fmt.Fprintln(stderr, "PATH is a YAML or JSON file (multi-document, List kinds) or a directory, read")
		fmt.Fprintln(stderr, "recursively for .yaml, .yml and .json. Exit 1 on a mandatory violation, 2 on")
		fmt.Fprintln(stderr, "unreadable input.")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if *output != "text" && *output != "json" {
		fmt.Fprintf(stderr, "eksbalance check: -o is %q, want text or json\n", *output)
		return 2
	}
	if *list {
		return writeCatalog(stdout, stderr, *output)
	}
	if len(pos) == 0 {
		fs.Usage()
		return 2
	}

	objs, notes, err := manifests.Read(pos...)
	if err != nil {
		fmt.Fprintf(stderr, "eksbalance check: %v\n", err)
		return 2
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "note: %s\n", n)
	}
	ctx := context.Background()
	ev, err := rules.NewEvaluator(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "eksbalance check: %v\n", err)
		return 2
	}
	resources := make([]rules.Resource, len(objs))
	for i, o := range objs {
		resources[i] = o.Resource()
	}
	ctrl, err := cf.controller()
	if err != nil {
		fmt.Fprintf(stderr, "eksbalance check: %v\n", err)
		return 2
	}
	vs, err := ev.EvaluateWith(ctx, resources, rules.Options{Controller: ctrl})
	if err != nil {
		fmt.Fprintf(stderr, "eksbalance check: %v\n", err)
		return 2
	}

	if *output == "json" {
		doc := checkJSON{Violations: vs}
		if doc.Violations == nil {
			doc.Violations = []rules.Violation{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			fmt.Fprintf(stderr, "eksbalance check: %v\n", err)
			return 2
		}
	} else {
		writeViolations(stdout, vs, objs)
	}
	if rules.HasMandatory(vs) {
		return 1
	}
	return 0
}

// writeViolations prints one line per violation, prefixed with the file and
// line of the object it is about.
func writeViolations(w io.Writer, vs []rules.Violation, objs []manifests.Object) {
	where := map[rules.Ref]string{}
	for _, o := range objs {
		ref := refOf(o.Resource())
		if _, seen := where[ref]; !seen {
			where[ref] = fmt.Sprintf("%s:%d", o.Path, o.Line)
		}
	}
	mandatory := 0
	for _, v := range vs {
		if v.Severity == rules.SeverityMandatory {
			mandatory++
		}
		loc := where[v.Resource]
		if loc == "" {
			loc = "-"
		}
		fmt.Fprintf(w, "%s: %s %s: %s\n", loc, v.Severity, v.Rule, v.Message)
	}
	fmt.Fprintf(w, "%d object(s) checked: %d mandatory, %d advisory violation(s)\n", len(objs), mandatory, len(vs)-mandatory)
}

// refOf names an object the way violations do (namespace "default" when unset,
// empty for cluster-scoped kinds, which the rules also leave empty).
func refOf(r rules.Resource) rules.Ref {
	kind, _ := r.Properties["kind"].(string)
	ns := ""
	if md, ok := r.Properties["metadata"].(map[string]any); ok {
		ns, _ = md["namespace"].(string)
	}
	switch {
	case kind == "Namespace" || kind == "IngressClass":
		ns = ""
	case ns == "":
		ns = "default"
	}
	return rules.Ref{Kind: kind, Namespace: ns, Name: r.Name}
}

func writeCatalog(stdout, stderr io.Writer, output string) int {
	cat := rules.Catalog()
	if output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cat); err != nil {
			fmt.Fprintf(stderr, "eksbalance check: %v\n", err)
			return 2
		}
		return 0
	}
	for _, r := range cat {
		fmt.Fprintf(stdout, "%s (%s, %s): %s\n    %s\n", r.ID, r.Severity, r.Scope, r.Title, r.Doc)
	}
	return 0
}
