package main

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/plan"
	"github.com/eksbalance/eksbalance/policies/rules"
)

// docTables names the table of docs/plan-format.md that documents each type
// the plan JSON is written from.
var docTables = map[reflect.Type]string{
	reflect.TypeOf(planJSON{}):                "document",
	reflect.TypeOf(plan.Resource{}):           "resource",
	reflect.TypeOf(plan.Zone{}):               "zone",
	reflect.TypeOf(rules.Violation{}):         "violation",
	reflect.TypeOf(rules.Ref{}):               "ref",
	reflect.TypeOf(predictionJSON{}):          "prediction",
	reflect.TypeOf(model.Topology{}):          "topology",
	reflect.TypeOf(model.LoadBalancer{}):      "load balancer",
	reflect.TypeOf(model.Zone{}):              "topology zone",
	reflect.TypeOf(model.Node{}):              "node",
	reflect.TypeOf(model.Prediction{}):        "model prediction",
	reflect.TypeOf(model.PodShare{}):          "pod share",
	reflect.TypeOf(model.NamedPrediction{}):   "variant prediction",
	reflect.TypeOf(model.Variant{}):           "variant",
	reflect.TypeOf(model.ClientPopulation{}):  "clients",
	reflect.TypeOf(model.Recycling{}):         "recycling",
	reflect.TypeOf(model.ZoneLoss{}):          "zone loss",
	reflect.TypeOf(model.NamedPopulation{}):   "population",
	reflect.TypeOf(model.PopulationResult{}):  "population result",
	reflect.TypeOf(model.PopulationOptions{}): "population options",
	reflect.TypeOf(model.WindowStats{}):       "window stats",
	reflect.TypeOf(model.Interval{}):          "interval",
	reflect.TypeOf(model.Band{}):              "band",
	reflect.TypeOf(model.ShareStats{}):        "share stats",
	reflect.TypeOf(model.ScaleOutResult{}):    "scale-out",
	reflect.TypeOf(model.Delay{}):             "delay",
}

// jsonField is one field as encoding/json writes it.
type jsonField struct {
	name     string
	optional bool
	typ      reflect.Type
}

// jsonFields lists the fields encoding/json writes for struct t, embedded
// structs flattened (an outer field hides an inner one of the same name).
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	seen := map[string]bool{}
	var walk func(t reflect.Type, depth int)
	type pending struct {
		t     reflect.Type
		depth int
	}
	var embedded []pending
	walk = func(t reflect.Type, depth int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				embedded = append(embedded, pending{ft, depth + 1})
				continue
			}
			if name == "" {
				name = f.Name
			}
			if seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, jsonField{name: name, optional: strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero"), typ: f.Type})
		}
	}
	walk(t, 0)
	for len(embedded) > 0 {
		e := embedded[0]
		embedded = embedded[1:]
		walk(e.t, e.depth)
	}
	return out
}

// structOf is the struct type a field's values are (through pointers, slices
// and maps), or nil for leaves (strings, numbers, free-form maps).
func structOf(t reflect.Type) reflect.Type {
	for {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			t = t.Elem()
		case reflect.Struct:
			return t
		default:
			return nil
		}
	}
}

var (
	tableMarker = regexp.MustCompile(`(?m)^<!-- fields: (.+?) -->\n((?:\|.*\n)+)`)
	tableField  = regexp.MustCompile("`([^`]+)`")
)

type docField struct {
	optional bool
}

func readDocTables(t *testing.T, doc string) map[string]map[string]docField {
	t.Helper()
	out := map[string]map[string]docField{}
	for _, m := range tableMarker.FindAllStringSubmatch(doc, -1) {
		fields := map[string]docField{}
		for _, row := range strings.Split(strings.TrimSpace(m[2]), "\n")[2:] {
			cells := strings.Split(row, "|")
			if len(cells) < 3 {
				t.Fatalf("table %q: bad row %q", m[1], row)
			}
			for _, f := range tableField.FindAllStringSubmatch(cells[1], -1) {
				fields[f[1]] = docField{optional: strings.Contains(cells[2], "*optional*")}
			}
		}
		out[m[1]] = fields
	}
	return out
}

// TestPlanFormatDoc holds docs/plan-format.md to the JSON `plan -o json`
// writes: every field of every object is documented (with *optional* exactly
// when it is left out when empty), nothing documented is missing from the
// output, and the example parses and uses only real fields.
func TestPlanFormatDoc(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docs/plan-format.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	tables := readDocTables(t, doc)
	used := map[string]bool{}
	visited := map[reflect.Type]bool{}
	var visit func(typ reflect.Type)
	visit = func(typ reflect.Type) {
		if visited[typ] {
			return
		}
		visited[typ] = true
		label, ok := docTables[typ]
		if !ok {
			t.Errorf("the plan JSON holds %s objects, which docs/plan-format.md has no table for; add one and name it in docTables", typ)
			return
		}
		table, ok := tables[label]
		if !ok {
			t.Errorf("docs/plan-format.md has no table <!-- fields: %s --> for %s", label, typ)
			return
		}
		used[label] = true
		inJSON := map[string]bool{}
		for _, f := range jsonFields(typ) {
			inJSON[f.name] = true
			d, ok := table[f.name]
			switch {
			case !ok:
				t.Errorf("%s: field %q is in the JSON but not in the doc's %q table", typ, f.name, label)
			case d.optional != f.optional:
				t.Errorf("%s: field %q is optional in the JSON: %v, in the doc: %v", typ, f.name, f.optional, d.optional)
			}
			if s := structOf(f.typ); s != nil {
				visit(s)
			}
		}
		for name := range table {
			if !inJSON[name] {
				t.Errorf("the doc's %q table documents %q, which %s does not write", label, name, typ)
			}
		}
	}
	visit(reflect.TypeOf(planJSON{}))
	var unused []string
	for label := range tables {
		if !used[label] {
			unused = append(unused, label)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("doc tables for no type of the JSON: %v", unused)
	}

	// The example: valid JSON whose every key is a field of its object.
	ex := regexp.MustCompile("(?s)```json\n(.*?)```").FindStringSubmatch(doc)
	if ex == nil {
		t.Fatal("no JSON example")
	}
	var example any
	if err := json.Unmarshal([]byte(ex[1]), &example); err != nil {
		t.Fatalf("the example is not JSON: %v", err)
	}
	var check func(v any, typ reflect.Type, path string)
	check = func(v any, typ reflect.Type, path string) {
		switch x := v.(type) {
		case map[string]any:
			st := structOf(typ)
			if st == nil {
				return // free-form (inputs)
			}
			fields := map[string]reflect.Type{}
			for _, f := range jsonFields(st) {
				fields[f.name] = f.typ
			}
			for k, e := range x {
				ft, ok := fields[k]
				if !ok {
					t.Errorf("example: %s.%s is not a field of %s", path, k, st)
					continue
				}
				check(e, ft, path+"."+k)
			}
		case []any:
			for _, e := range x {
				check(e, typ, path+"[]")
			}
		}
	}
	check(example, reflect.TypeOf(planJSON{}), "")
}

// TestPlanFormatDocMatchesOutput: a real plan's JSON, with every optional
// field filled, has only documented keys, and the keys the doc marks required
// are all there.
func TestPlanFormatDocMatchesOutput(t *testing.T) {
	t.Parallel()
	_, js, errOut := runOut(t, "plan", savedPlan(t, true), "-o", "json", "--nodes", "us-east-1a=2,us-east-1b=2,us-east-1c=2")
	var out map[string]any
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for _, k := range []string{"project", "stack", "resources", "existingNodes", "violations", "predictions", "notes"} {
		if _, ok := out[k]; !ok {
			t.Errorf("output lacks %q", k)
		}
	}
	b, err := os.ReadFile("../../docs/plan-format.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, fields := range readDocTables(t, string(b)) {
		for name := range fields {
			documented[name] = true
		}
	}
	var walk func(v any, inInputs bool)
	walk = func(v any, inInputs bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if !inInputs && !documented[k] {
					t.Errorf("output key %q is not documented", k)
				}
				walk(e, inInputs || k == "inputs")
			}
		case []any:
			for _, e := range x {
				walk(e, inInputs)
			}
		}
	}
	walk(out, false)
}
