// Package rules is eksbalance's guardrail rule set: Rego rules (the *.rego files
// beside this one, embedded) that catch load-balancing and rollout mistakes in
// Kubernetes objects, AWS load balancers and EKS node groups, and the Go code
// that evaluates them with the OPA library.
//
// Three entry points share it: `eksbalance plan` (planned Pulumi resources),
// `eksbalance check` (Kubernetes YAML, read by policies/manifests) and the
// Pulumi policy pack in policies/ (one resource at a time). The same directory
// also works as a conftest policy directory (package main in conftest.rego).
//
// Every resource is handed to Rego as {"type", "name", "properties"}: the Pulumi
// type token, the resource name and its inputs (for Kubernetes, the object).
package rules

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

//go:embed *.rego
var files embed.FS

// Severity says whether a violation blocks (mandatory) or informs (advisory).
type Severity string

const (
	// SeverityMandatory violations make plan and check exit 1 and block
	// `pulumi preview --policy-pack`.
	SeverityMandatory Severity = "mandatory"
	// SeverityAdvisory violations are printed but do not change the exit code.
	SeverityAdvisory Severity = "advisory"
)

// Scope says what a rule needs to see to judge.
type Scope string

const (
	// ScopeResource rules judge one resource alone, so the policy pack (which
	// sees one resource at a time) runs them.
	ScopeResource Scope = "resource"
	// ScopeSet rules join resources (a Deployment and the Service selecting it)
	// and only run where the whole set is visible: plan, check, conftest --combine.
	ScopeSet Scope = "set"
)

// Resource is one object to check.
type Resource struct {
	// Type is the Pulumi type token, e.g. kubernetes:apps/v1:Deployment or
	// aws:lb/listener:Listener.
	Type string `json:"type"`
	// Name is the resource name; for Kubernetes objects metadata.name wins
	// when set.
	Name string `json:"name"`
	// Properties are the resource inputs (camelCase, as Pulumi sees them); for
	// Kubernetes resources the object itself (apiVersion, kind, metadata, spec).
	Properties map[string]any `json:"properties"`
}

// FromKubernetes wraps a Kubernetes object: the type token is
// kubernetes:<group or core>/<version>:<Kind> and the name metadata.name.
func FromKubernetes(obj map[string]any) Resource {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	name := ""
	if md, ok := obj["metadata"].(map[string]any); ok {
		name, _ = md["name"].(string)
	}
	return Resource{Type: KubernetesType(apiVersion, kind), Name: name, Properties: obj}
}

// KubernetesType is the Pulumi type token of a Kubernetes apiVersion and kind:
// v1 Service is kubernetes:core/v1:Service, apps/v1 Deployment is
// kubernetes:apps/v1:Deployment.
func KubernetesType(apiVersion, kind string) string {
	if !strings.Contains(apiVersion, "/") {
		apiVersion = "core/" + apiVersion
	}
	return "kubernetes:" + apiVersion + ":" + kind
}

// Ref names the resource a violation is about.
type Ref struct {
	// Kind is the Kubernetes kind, or the Pulumi type token for other resources.
	Kind string `json:"kind"`
	// Namespace is the Kubernetes namespace ("default" when unset); empty for
	// cluster-scoped and non-Kubernetes resources.
	Namespace string `json:"namespace"`
	// Name is metadata.name, or the resource name.
	Name string `json:"name"`
}

// Violation is one rule failing on one resource.
type Violation struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Resource Ref      `json:"resource"`
	// Message names the resource, the field, the value found and what to do.
	Message string `json:"message"`
}

// Rule describes one rule, for `eksbalance check --rules` and the README.
type Rule struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Scope    Scope    `json:"scope"`
	Title    string   `json:"title"`
	Doc      string   `json:"doc"`
}

// HasMandatory reports whether any violation is mandatory (exit 1).
func HasMandatory(vs []Violation) bool {
	for _, v := range vs {
		if v.Severity == SeverityMandatory {
			return true
		}
	}
	return false
}

// Evaluator holds the rules compiled once; it is safe for concurrent use.
type Evaluator struct {
	violations rego.PreparedEvalQuery
	ttu        rego.PreparedEvalQuery
}

const (
	violationsQuery = "data.eksbalance.report.violations"
	catalogQuery    = "data.eksbalance.report.catalog"
	kindsQuery      = "data.eksbalance.report.kubernetes_kinds"
	ttuQuery        = "data.eksbalance.lib.time_to_unhealthy(input.interval, input.timeout, input.unhealthy)"
)

// Modules returns the embedded Rego files by name, for tools that load them
// elsewhere (a conftest directory, opa eval).
func Modules() map[string]string {
	out := map[string]string{}
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err == nil {
			out[e.Name()] = string(b)
		}
	}
	return out
}

var (
	compileOnce sync.Once
	compiler    *ast.Compiler
	compileErr  error
)

// compiled parses and compiles the embedded modules once per process; every
// prepared query shares the result and only compiles its own query.
func compiled() (*ast.Compiler, error) {
	compileOnce.Do(func() {
		compiler, compileErr = ast.CompileModules(Modules())
	})
	return compiler, compileErr
}

func prepare(ctx context.Context, query string) (rego.PreparedEvalQuery, error) {
	c, err := compiled()
	if err != nil {
		return rego.PreparedEvalQuery{}, err
	}
	return rego.New(rego.Compiler(c), rego.Query(query)).PrepareForEval(ctx)
}

// NewEvaluator compiles the embedded rules. Compile once and reuse: preparing
// costs far more than evaluating.
func NewEvaluator(ctx context.Context) (*Evaluator, error) {
	v, err := prepare(ctx, violationsQuery)
	if err != nil {
		return nil, fmt.Errorf("rules: compile: %w", err)
	}
	t, err := prepare(ctx, ttuQuery)
	if err != nil {
		return nil, fmt.Errorf("rules: compile: %w", err)
	}
	return &Evaluator{violations: v, ttu: t}, nil
}

// Evaluate checks a complete set of resources (every rule runs, including the
// ones that join resources) and returns the violations sorted by resource,
// then rule, then message.
func (e *Evaluator) Evaluate(ctx context.Context, resources []Resource) ([]Violation, error) {
	return e.eval(ctx, resources, false)
}

// EvaluateResource checks one resource on its own, as the policy pack sees it:
// only ScopeResource rules run, and they draw no conclusion from neighbours
// that are not there.
func (e *Evaluator) EvaluateResource(ctx context.Context, r Resource) ([]Violation, error) {
	return e.eval(ctx, []Resource{r}, true)
}

func (e *Evaluator) eval(ctx context.Context, resources []Resource, partial bool) ([]Violation, error) {
	return e.evalWith(ctx, resources, partial, Options{})
}

func (e *Evaluator) evalWith(ctx context.Context, resources []Resource, partial bool, opts Options) ([]Violation, error) {
	items := make([]*ast.Term, 0, len(resources))
	for _, r := range resources {
		props, err := ast.InterfaceToValue(normalize(r.Properties))
		if err != nil {
			return nil, fmt.Errorf("rules: resource %s %q: %w", r.Type, r.Name, err)
		}
		items = append(items, ast.ObjectTerm(
			ast.Item(ast.StringTerm("type"), ast.StringTerm(r.Type)),
			ast.Item(ast.StringTerm("name"), ast.StringTerm(r.Name)),
			ast.Item(ast.StringTerm("properties"), ast.NewTerm(props)),
		))
	}
	input := ast.NewObject(
		ast.Item(ast.StringTerm("resources"), ast.ArrayTerm(items...)),
		ast.Item(ast.StringTerm("partial"), ast.BooleanTerm(partial)),
	)
	if c := opts.Controller; c != nil {
		src := c.Source
		if src == "" {
			src = "the controller defaults given"
		}
		input.Insert(ast.StringTerm("controller"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("defaultTargetType"), ast.StringTerm(c.DefaultTargetType)),
			ast.Item(ast.StringTerm("source"), ast.StringTerm(src)),
		))
	}
	rs, err := e.violations.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, fmt.Errorf("rules: evaluate: %w", err)
	}
	var out []Violation
	if len(rs) > 0 && len(rs[0].Expressions) > 0 {
		if err := remarshal(rs[0].Expressions[0].Value, &out); err != nil {
			return nil, fmt.Errorf("rules: decode violations: %w", err)
		}
	}
	Sort(out)
	return out, nil
}

// Sort orders violations by resource (kind, namespace, name), then rule, then
// message, so output is stable.
func Sort(vs []Violation) {
	sort.Slice(vs, func(i, j int) bool {
		a, b := vs[i], vs[j]
		switch {
		case a.Resource.Kind != b.Resource.Kind:
			return a.Resource.Kind < b.Resource.Kind
		case a.Resource.Namespace != b.Resource.Namespace:
			return a.Resource.Namespace < b.Resource.Namespace
		case a.Resource.Name != b.Resource.Name:
			return a.Resource.Name < b.Resource.Name
		case a.Rule != b.Rule:
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

// TimeToUnhealthy evaluates the rules' own arithmetic
// (data.eksbalance.lib.time_to_unhealthy), in seconds, so a test can hold it
// against components/loadbalancer's Timings.
func (e *Evaluator) TimeToUnhealthy(ctx context.Context, intervalSeconds, timeoutSeconds float64, unhealthyThreshold int) (float64, error) {
	rs, err := e.ttu.Eval(ctx, rego.EvalInput(map[string]any{
		"interval": intervalSeconds, "timeout": timeoutSeconds, "unhealthy": unhealthyThreshold,
	}))
	if err != nil {
		return 0, fmt.Errorf("rules: time_to_unhealthy: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return 0, fmt.Errorf("rules: time_to_unhealthy: no result")
	}
	n, ok := rs[0].Expressions[0].Value.(json.Number)
	if !ok {
		return 0, fmt.Errorf("rules: time_to_unhealthy: result %v is not a number", rs[0].Expressions[0].Value)
	}
	return n.Float64()
}

var (
	staticOnce sync.Once
	catalog    []Rule
	kinds      map[string]bool
	staticErr  error
)

// loadStatic evaluates the rule metadata once; the embedded files are fixed at
// build time, so a failure here is a bug the package tests catch.
func loadStatic() {
	ctx := context.Background()
	q, err := prepare(ctx, catalogQuery)
	if err != nil {
		staticErr = err
		return
	}
	rs, err := q.Eval(ctx)
	if err != nil || len(rs) == 0 {
		staticErr = fmt.Errorf("rules: catalog: %v", err)
		return
	}
	if err := remarshal(rs[0].Expressions[0].Value, &catalog); err != nil {
		staticErr = err
		return
	}
	sort.Slice(catalog, func(i, j int) bool { return catalog[i].ID < catalog[j].ID })
	q, err = prepare(ctx, kindsQuery)
	if err != nil {
		staticErr = err
		return
	}
	rs, err = q.Eval(ctx)
	if err != nil || len(rs) == 0 {
		staticErr = fmt.Errorf("rules: kinds: %v", err)
		return
	}
	var ks []string
	if err := remarshal(rs[0].Expressions[0].Value, &ks); err != nil {
		staticErr = err
		return
	}
	kinds = map[string]bool{}
	for _, k := range ks {
		kinds[k] = true
	}
}

// Catalog returns every rule's ID, severity, scope, title and doc, sorted by ID.
func Catalog() []Rule {
	staticOnce.Do(loadStatic)
	if staticErr != nil {
		panic(staticErr)
	}
	return append([]Rule(nil), catalog...)
}

// ReadsKind reports whether some rule reads Kubernetes objects of this kind;
// check skips the others with a note.
func ReadsKind(kind string) bool {
	staticOnce.Do(loadStatic)
	if staticErr != nil {
		panic(staticErr)
	}
	return kinds[kind]
}

func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// normalize turns decoded YAML into values OPA accepts: map keys become
// strings, integer kinds int64, anything else its string form.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case nil, bool, string, float64, json.Number, int, int64:
		return x
	case int32:
		return int64(x)
	case uint64:
		return x
	case uint:
		return uint64(x)
	case float32:
		return float64(x)
	default:
		return fmt.Sprint(x)
	}
}
