package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/eksbalance/eksbalance/policies/manifests"
	"github.com/eksbalance/eksbalance/policies/rules"
)

func init() {
	commands["check"] = command{
		summary: "check Kubernetes YAML against the guardrail rules",
		run:     runCheck,
	}
}

// checkJSON is the -o json document. violations keeps the shape of issue 6
// (rule, severity, resource, message) and adds where each object was read.
type checkJSON struct {
	Violations []checkViolation `json:"violations"`
	// Unreadable lists the inputs that could not be read or parsed; check
	// exits 2 when it is not empty, after checking everything else.
	Unreadable []checkProblem `json:"unreadable"`
	// Notes are documents left out on purpose (no kind, a kind no rule reads).
	Notes  []checkProblem `json:"notes"`
	Counts checkCounts    `json:"counts"`
}

type checkViolation struct {
	rules.Violation
	// File and Line locate the object the violation is about ("<stdin>" for
	// standard input); Source is the helm template it was rendered from.
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Source string `json:"source,omitempty"`
}

type checkProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

type checkCounts struct {
	Files      int `json:"files"`
	Objects    int `json:"objects"`
	Mandatory  int `json:"mandatory"`
	Advisory   int `json:"advisory"`
	Unreadable int `json:"unreadable"`
}

func printCheckUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: eksbalance check PATH... [-o text|json|sarif]")
	fmt.Fprintln(w, "         [--controller-default-target-type ip|instance | --controller-values FILE | --controller-config FILE]")
	fmt.Fprintln(w, "       eksbalance check --rules [-o text|json]")
	fmt.Fprintln(w, "PATH is a YAML or JSON file (multi-document, List kinds), a directory (read")
	fmt.Fprintln(w, "recursively for .yaml, .yml and .json), or - for standard input:")
	fmt.Fprintln(w, "  helm template my-release ./chart | eksbalance check -")
	fmt.Fprintln(w, "A file that cannot be parsed is reported and the others are still checked;")
	fmt.Fprintln(w, "empty standard input and a directory without YAML or JSON are bad input too.")
	fmt.Fprintln(w, "-o json adds file, line and counts; -o sarif writes SARIF 2.1.0 for code-scanning")
	fmt.Fprintln(w, "UIs (paths relative to the directory check runs in).")
	fmt.Fprintln(w, "Exit 0 clean or advisory only, 1 on a mandatory violation, 2 on bad usage or")
	fmt.Fprintln(w, "when any input could not be read.")
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	return checkWith(args, os.Stdin, stdout, stderr)
}

// checkWith is check with stdin standing for the path "-".
func checkWith(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", stderr, printCheckUsage)
	output := fs.String("o", "text", "output format: text, json or sarif")
	list := fs.Bool("rules", false, "list the rules (ID, severity, scope, title, doc) instead of checking")
	var cf controllerFlags
	cf.register(fs.FlagSet)
	pos, code, done := fs.parse(args, stderr)
	if done {
		return code
	}
	if *list {
		if why, ok := oneOf("-o", *output, "text", "json"); !ok {
			return usageError(stderr, "check", "%s with --rules", why)
		}
		if len(pos) > 0 {
			return usageError(stderr, "check", "--rules takes no PATH, got %q", pos[0])
		}
		return writeCatalog(stdout, stderr, *output)
	}
	if why, ok := oneOf("-o", *output, "text", "json", "sarif"); !ok {
		return usageError(stderr, "check", "%s", why)
	}
	if len(pos) == 0 {
		return usageError(stderr, "check", "a PATH is required: a file, a directory, or - for standard input")
	}
	stdinUses := 0
	for _, p := range pos {
		if p == manifests.Stdin {
			stdinUses++
		}
	}
	if stdinUses > 1 {
		return usageError(stderr, "check", "- (standard input) given %d times; it can be read once", stdinUses)
	}

	objs, notes, readErr := manifests.ReadFrom(stdin, pos...)
	var unreadable manifests.Errors
	if readErr != nil && !errors.As(readErr, &unreadable) {
		fmt.Fprintf(stderr, "eksbalance check: %v\n", readErr)
		return 2
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
	r := newCheckReport(vs, objs, notes, unreadable)

	switch *output {
	case "json":
		err = writeJSON(stdout, r.json())
	case "sarif":
		err = writeJSON(stdout, r.sarif())
	default:
		r.writeText(stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "eksbalance check: %v\n", err)
		return 2
	}
	switch {
	case len(unreadable) > 0:
		if *output != "text" {
			// The document says so; stderr still gets one line for the log.
			fmt.Fprintf(stderr, "eksbalance check: %d input(s) could not be read; see \"unreadable\"\n", len(unreadable))
		}
		return 2
	case rules.HasMandatory(vs):
		return 1
	}
	return 0
}

// checkReport is what check found, with each violation located at the object
// it is about.
type checkReport struct {
	violations []checkViolation
	objects    int
	files      int
	notes      []manifests.Note
	unreadable manifests.Errors
}

func newCheckReport(vs []rules.Violation, objs []manifests.Object, notes []manifests.Note, unreadable manifests.Errors) *checkReport {
	where := map[rules.Ref]manifests.Object{}
	files := map[string]bool{}
	for _, o := range objs {
		files[o.Path] = true
		ref := refOf(o.Resource())
		if _, seen := where[ref]; !seen {
			where[ref] = o
		}
	}
	for _, n := range notes {
		files[n.Path] = true
	}
	r := &checkReport{objects: len(objs), files: len(files), notes: notes, unreadable: unreadable}
	for _, v := range vs {
		cv := checkViolation{Violation: v}
		if o, ok := where[v.Resource]; ok {
			cv.File, cv.Line, cv.Source = o.Path, o.Line, o.Source
		}
		r.violations = append(r.violations, cv)
	}
	return r
}

func (r *checkReport) counts() checkCounts {
	c := checkCounts{Files: r.files, Objects: r.objects, Unreadable: len(r.unreadable)}
	for _, v := range r.violations {
		if v.Severity == rules.SeverityMandatory {
			c.Mandatory++
		} else {
			c.Advisory++
		}
	}
	return c
}

func (r *checkReport) json() checkJSON {
	doc := checkJSON{Violations: r.violations, Unreadable: []checkProblem{}, Notes: []checkProblem{}, Counts: r.counts()}
	if doc.Violations == nil {
		doc.Violations = []checkViolation{}
	}
	for _, e := range r.unreadable {
		doc.Unreadable = append(doc.Unreadable, checkProblem{File: e.Path, Line: e.Line, Message: e.Err.Error()})
	}
	for _, n := range r.notes {
		doc.Notes = append(doc.Notes, checkProblem{File: n.Path, Line: n.Line, Message: n.Message})
	}
	return doc
}

// writeText prints one line per violation, prefixed with the file and line of
// the object it is about, then the counts; notes and unreadable inputs go to
// stderr.
func (r *checkReport) writeText(stdout, stderr io.Writer) {
	for _, n := range r.notes {
		fmt.Fprintf(stderr, "note: %s\n", n)
	}
	for _, e := range r.unreadable {
		fmt.Fprintf(stderr, "eksbalance check: %v\n", e)
	}
	for _, v := range r.violations {
		loc := "-"
		if v.File != "" {
			loc = v.File
			if v.Line > 0 {
				loc = fmt.Sprintf("%s:%d", v.File, v.Line)
			}
			if v.Source != "" {
				loc += " (" + v.Source + ")"
			}
		}
		fmt.Fprintf(stdout, "%s: %s %s: %s\n", loc, v.Severity, v.Rule, v.Message)
	}
	c := r.counts()
	fmt.Fprintf(stdout, "%d object(s) checked in %d file(s): %d mandatory, %d advisory violation(s)", c.Objects, c.Files, c.Mandatory, c.Advisory)
	if c.Unreadable > 0 {
		fmt.Fprintf(stdout, "; %d input(s) could not be read", c.Unreadable)
	}
	fmt.Fprintln(stdout)
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
		if err := writeJSON(stdout, cat); err != nil {
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

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
