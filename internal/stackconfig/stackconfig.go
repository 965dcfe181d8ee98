// Package stackconfig reads a Pulumi stack's configuration strictly: every key
// of the program's namespace must be one the program knows (a typo is an error
// with a did-you-mean, not a silently ignored key), every value must have the
// key's type (the error says what the key must be, e.g. "a list such as
// [t3.large]", not a JSON decoder's message), nested object fields are held to
// the same rules, and every problem is named by the key as written in
// Pulumi.<stack>.yaml (eksbalance:nodesPerZone.desired, the form `pulumi config
// set --path` takes) and reported all at once, through internal/validation.
//
// Values are read through the Pulumi context, as config.Get would; the list of
// keys a stack sets comes from PULUMI_CONFIG, the variable in which the Pulumi
// engine (and `eksbalance plan`) hands a Go program its configuration. Where a
// program runs without it (an Automation API inline program, a unit test), the
// values are still read and type-checked, but unknown keys cannot be seen.
package stackconfig

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// Source is a stack's configuration: values by "namespace:key", and which
// keys are set.
type Source interface {
	Get(key string) (string, bool)
	// Keys lists every key set; nil when that is not known.
	Keys() []string
}

// FromContext reads values from the program's context and the key list from
// PULUMI_CONFIG.
func FromContext(ctx *pulumi.Context) Source {
	var keys []string
	if env := os.Getenv("PULUMI_CONFIG"); env != "" {
		var m map[string]string
		if json.Unmarshal([]byte(env), &m) == nil {
			keys = make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
		}
	}
	return ctxSource{ctx: ctx, keys: keys}
}

type ctxSource struct {
	ctx  *pulumi.Context
	keys []string
}

func (s ctxSource) Get(key string) (string, bool) { return s.ctx.GetConfig(key) }
func (s ctxSource) Keys() []string                { return s.keys }

// FromMap is a Source over a map of "namespace:key" to value (structured
// values as JSON, as Pulumi passes them).
func FromMap(m map[string]string) Source { return mapSource(m) }

type mapSource map[string]string

func (m mapSource) Get(key string) (string, bool) { v, ok := m[key]; return v, ok }
func (m mapSource) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Reader reads the keys of one namespace. Declare every key by reading it (a
// key read with its default is declared too), then call Done to report the
// keys set that no read declared.
type Reader struct {
	src      Source
	ns       string
	errs     *validation.Errors
	declared []string
	renamed  map[string]string
}

// New reads namespace ns of src, adding problems to errs.
func New(src Source, ns string, errs *validation.Errors) *Reader {
	return &Reader{src: src, ns: ns, errs: errs, renamed: map[string]string{}}
}

// Renamed declares that key was renamed to now (as of a release): setting it is
// an error that names the new key.
func (r *Reader) Renamed(key, now string) { r.renamed[key] = now }

// Name is key as written in the stack file.
func (r *Reader) Name(key string) string { return r.ns + ":" + key }

func (r *Reader) get(key string) (string, bool) {
	r.declared = append(r.declared, key)
	return r.src.Get(r.Name(key))
}

// Has reports whether key is set (and declares it).
func (r *Reader) Has(key string) bool {
	_, ok := r.get(key)
	return ok
}

// String reads a string.
func (r *Reader) String(key, def string) string {
	s, ok := r.get(key)
	if !ok {
		return def
	}
	return s
}

// Enum reads a string that must be one of allowed.
func (r *Reader) Enum(key, def string, allowed ...string) string {
	s, ok := r.get(key)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	rule := "must be one of " + strings.Join(allowed, ", ")
	if m := Closest(s, allowed); m != "" {
		rule += "; did you mean " + m + "?"
	}
	r.errs.Add(r.Name(key), s, rule)
	return def
}

// Int reads a whole number.
func (r *Reader) Int(key string, def int) int {
	s, ok := r.get(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		r.errs.Add(r.Name(key), s, "must be a whole number, e.g. 3")
		return def
	}
	return n
}

// Bool reads true or false (nothing else: "yes" is not a boolean here, as it
// is not in YAML 1.2).
func (r *Reader) Bool(key string, def bool) bool {
	s, ok := r.get(key)
	if !ok {
		return def
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	r.errs.Add(r.Name(key), s, "must be true or false")
	return def
}

// Strings reads a list of strings; example shows one in the error, e.g.
// "[t3.large]".
func (r *Reader) Strings(key, example string) []string {
	var out []string
	r.Object(key, &out, example)
	return out
}

// Object reads a structured value (a list or a map) into out, a pointer to a
// slice, map or struct whose fields carry json tags: unknown fields, wrong
// types and values that are not structured at all are reported by path.
// example shows the expected shape in an error, e.g. "{min: 1, max: 3}".
func (r *Reader) Object(key string, out any, example string) {
	s, ok := r.get(key)
	if !ok {
		return
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		// A scalar where a list or map belongs: Pulumi passes it as is.
		r.errs.Add(r.Name(key), s, "must be %s, e.g. %s", shape(reflect.TypeOf(out).Elem()), example)
		return
	}
	decode(r, r.Name(key), v, reflect.ValueOf(out).Elem())
}

// Done reports every key of the namespace that is set but was not declared,
// with the closest declared key.
func (r *Reader) Done() {
	prefix := r.ns + ":"
	for _, full := range r.src.Keys() {
		key, ok := strings.CutPrefix(full, prefix)
		if !ok || contains(r.declared, key) {
			continue
		}
		if now, ok := r.renamed[key]; ok {
			r.errs.Add(full, "(set)", "was renamed %s: set that instead", r.Name(now))
			continue
		}
		rule := "is not a setting of this stack"
		if m := Closest(key, r.declared); m != "" {
			rule += "; did you mean " + r.Name(m) + "?"
		} else {
			rule += " (known: " + strings.Join(unique(r.declared), ", ") + ")"
		}
		r.errs.Add(full, "(set)", rule)
	}
}

// decode assigns v (decoded JSON) to dst, reporting problems at path.
func decode(r *Reader, path string, v any, dst reflect.Value) {
	t := dst.Type()
	if t.Kind() == reflect.Pointer {
		if v == nil {
			return
		}
		p := reflect.New(t.Elem())
		decode(r, path, v, p.Elem())
		dst.Set(p)
		return
	}
	bad := func() { r.errs.Add(path, render(v), "must be %s", shape(t)) }
	switch t.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			bad()
			return
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			bad()
			return
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			bad()
			return
		}
		dst.SetInt(int64(f))
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			bad()
			return
		}
		s := reflect.MakeSlice(t, len(arr), len(arr))
		for i, e := range arr {
			decode(r, fmt.Sprintf("%s[%d]", path, i), e, s.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			bad()
			return
		}
		out := reflect.MakeMapWithSize(t, len(m))
		for _, k := range sortedKeys(m) {
			e := reflect.New(t.Elem()).Elem()
			decode(r, path+"."+k, m[k], e)
			out.SetMapIndex(reflect.ValueOf(k), e)
		}
		dst.Set(out)
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			bad()
			return
		}
		fields := jsonFields(t)
		names := make([]string, 0, len(fields))
		for n := range fields {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, k := range sortedKeys(m) {
			i, ok := fields[k]
			if !ok {
				rule := "is not a field here"
				if c := Closest(k, names); c != "" {
					rule += "; did you mean " + c + "?"
				}
				rule += " (fields: " + strings.Join(names, ", ") + ")"
				r.errs.Add(path+"."+k, render(m[k]), rule)
				continue
			}
			decode(r, path+"."+k, m[k], dst.Field(i))
		}
	default:
		bad()
	}
}

// jsonFields maps a struct's json names to field indexes.
func jsonFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = i
	}
	return out
}

// shape says in words what a value of type t is.
func shape(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return shape(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Slice:
		return "a list of " + plural(shape(t.Elem()))
	case reflect.Map:
		return "a map of names to " + plural(shape(t.Elem()))
	case reflect.Struct:
		names := make([]string, 0, t.NumField())
		for n := range jsonFields(t) {
			names = append(names, n)
		}
		sort.Strings(names)
		return "a map with the fields " + strings.Join(names, ", ")
	}
	return t.String()
}

func plural(s string) string {
	switch {
	case strings.HasPrefix(s, "a map with"):
		return "maps with" + strings.TrimPrefix(s, "a map with")
	case s == "true or false":
		return "booleans"
	case strings.HasPrefix(s, "a "):
		return strings.TrimPrefix(s, "a ") + "s"
	}
	return s
}

// render shows a decoded JSON value the way YAML would.
func render(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func unique(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Closest is the candidate a typo most likely meant: the same word in another
// case, or within an edit distance of about a third of its length; "" if none
// is close.
func Closest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if strings.EqualFold(c, s) {
			return c
		}
		d := distance(strings.ToLower(s), strings.ToLower(c))
		limit := max(2, len(c)/3)
		if d <= limit && d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Damerau-Levenshtein (optimal string alignment) distance:
// insertions, deletions, substitutions and swaps of neighbours.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
