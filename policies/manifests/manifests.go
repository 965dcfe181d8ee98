// Package manifests reads Kubernetes objects from YAML and JSON files for
// `eksbalance check` and turns them into rules.Resource values: files or
// directories (walked recursively for .yaml, .yml and .json), multi-document
// files, List kinds and comments. It knows nothing of Pulumi, so check and its
// benchmark link only OPA and YAML.
//
// Unreadable input (a missing file, text that is not YAML or JSON) is an *Error
// naming the file and line; Read goes on with the other files and returns every
// such error at once (Errors), so one bad file does not hide the findings of
// the rest. Documents the rules cannot use (no kind, a kind no rule reads) are
// skipped with a Note. The path "-" reads standard input (`helm template ... |
// eksbalance check -`); helm's "# Source: chart/templates/x.yaml" comment before
// a document is kept as the object's Source.
package manifests

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/eksbalance/eksbalance/policies/rules"
)

// Object is one Kubernetes object and where it was read.
type Object struct {
	// Path is the file the object came from (StdinName for standard input).
	Path string
	// Line is the 1-based line where the object starts (0 when unknown).
	Line int
	// Source is the template a rendered document came from, from helm's
	// "# Source: <chart>/templates/<file>" comment; empty when there is none.
	Source string
	// Object is the decoded object (apiVersion, kind, metadata, spec, ...).
	Object map[string]any
}

// Stdin, given as a path, reads standard input; objects read from it carry
// StdinName as their Path.
const (
	Stdin     = "-"
	StdinName = "<stdin>"
)

// Resource is the object in the form the rules read.
func (o Object) Resource() rules.Resource { return rules.FromKubernetes(o.Object) }

// Note is a document that was skipped, and why.
type Note struct {
	Path    string
	Line    int
	Message string
}

func (n Note) String() string { return location(n.Path, n.Line) + ": " + n.Message }

// Error is input that cannot be read: check exits 2 on it.
type Error struct {
	Path string
	// Line is the 1-based line of the problem, 0 when the parser did not say.
	Line int
	Err  error
}

func (e *Error) Error() string { return location(e.Path, e.Line) + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Errors is every input Read could not use, in path order. Read returns it
// beside the objects of the inputs it could read.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func location(path string, line int) string {
	if line > 0 {
		return path + ":" + strconv.Itoa(line)
	}
	return path
}

// Read reads every object under paths, in path order (directories walked in
// lexical order; "-" is standard input). Objects whose kind no rule reads are
// left out with one Note per kind; documents without apiVersion or kind are
// left out with a Note each. A file that cannot be read or parsed does not stop
// the others: the error is Errors, listing each, and the objects of the
// readable files are returned with it. Standard input without a single
// document and a directory without a YAML or JSON file are errors too:
// nothing was read from them.
func Read(paths ...string) ([]Object, []Note, error) {
	return ReadFrom(os.Stdin, paths...)
}

// ReadFrom is Read with stdin standing for the path "-".
func ReadFrom(stdin io.Reader, paths ...string) ([]Object, []Note, error) {
	r := reader{skipped: map[string]*kindSkip{}}
	for _, p := range paths {
		files, errs := expand(p)
		r.errs = append(r.errs, errs...)
		for _, f := range files {
			docs, err := readFile(f, stdin)
			if err == nil && f == Stdin && len(docs) == 0 {
				// Nothing to check is not a clean result: a pipe is empty when
				// the command feeding it failed and the shell runs without
				// pipefail (GitHub Actions' default bash does).
				err = &Error{Path: StdinName, Err: errors.New("no YAML or JSON document on standard input; " +
					"if a command feeds the pipe (helm template ...), it may have failed: run the pipeline with set -o pipefail")}
			}
			if err != nil {
				r.errs = append(r.errs, asError(f, err))
				continue
			}
			r.add(docs)
		}
	}
	notes := append(r.notes, r.skippedNotes()...)
	if len(r.errs) > 0 {
		return r.objs, notes, r.errs
	}
	return r.objs, notes, nil
}

// reader collects what Read finds.
type reader struct {
	objs    []Object
	notes   []Note
	errs    Errors
	skipped map[string]*kindSkip
}

func (r *reader) add(docs []document) {
	for _, d := range docs {
		for _, o := range flatten(d) {
			if n, ok := unusable(o); ok {
				r.notes = append(r.notes, n)
				continue
			}
			kind := o.Object["kind"].(string)
			if !rules.ReadsKind(kind) {
				s := r.skipped[kind]
				if s == nil {
					s = &kindSkip{first: o}
					r.skipped[kind] = s
				}
				s.count++
				continue
			}
			r.objs = append(r.objs, o)
		}
	}
}

// skippedNotes is one note per kind no rule reads, by kind.
func (r *reader) skippedNotes() []Note {
	kinds := make([]string, 0, len(r.skipped))
	for k := range r.skipped {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var out []Note
	for _, k := range kinds {
		s := r.skipped[k]
		out = append(out, Note{Path: s.first.Path, Line: s.first.Line,
			Message: fmt.Sprintf("skipped %d %s document(s), first here: no rule reads kind %s", s.count, k, k)})
	}
	return out
}

func asError(path string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Path: path, Err: err}
}

// Load is Read returning the objects as resources; unlike Read it returns
// nothing but the error when any input is unreadable.
func Load(paths ...string) ([]rules.Resource, []Note, error) {
	objs, notes, err := Read(paths...)
	if err != nil {
		return nil, nil, err
	}
	rs := make([]rules.Resource, len(objs))
	for i, o := range objs {
		rs[i] = o.Resource()
	}
	return rs, notes, nil
}

type kindSkip struct {
	first Object
	count int
}

func unusable(o Object) (Note, bool) {
	kind, _ := o.Object["kind"].(string)
	api, _ := o.Object["apiVersion"].(string)
	switch {
	case kind == "":
		return Note{o.Path, o.Line, "skipped a document without kind"}, true
	case api == "":
		return Note{o.Path, o.Line, fmt.Sprintf("skipped a %s without apiVersion", kind)}, true
	}
	return Note{}, false
}

// document is one decoded document and the line of each entry of its top-level
// items sequence (for List kinds).
type document struct {
	Object
	itemLines []int
}

// flatten expands List kinds (kind List or <Kind>List with items) into their
// items.
func flatten(d document) []Object {
	o := d.Object
	kind, _ := o.Object["kind"].(string)
	items, isList := o.Object["items"].([]any)
	if !isList || !strings.HasSuffix(kind, "List") {
		return []Object{o}
	}
	lines := d.itemLines
	var out []Object
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		line := o.Line
		if i < len(lines) {
			line = lines[i]
		}
		out = append(out, Object{Path: o.Path, Line: line, Source: o.Source, Object: m})
	}
	return out
}

var extensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// expand turns an argument into files: a file is taken whatever its name, a
// directory contributes its .yaml, .yml and .json files, recursively, and "-"
// stands for standard input. What cannot be opened is an error; the rest of a
// directory is still walked.
func expand(p string) ([]string, Errors) {
	var (
		files []string
		errs  Errors
	)
	if p == Stdin {
		return []string{p}, nil
	}
	info, err := os.Stat(p)
	if err != nil {
		return nil, Errors{{Path: p, Err: errors.Unwrap(err)}}
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, &Error{Path: path, Err: errors.Unwrap(err)})
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && extensions[strings.ToLower(filepath.Ext(path))] {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, &Error{Path: p, Err: err})
	}
	if len(files) == 0 && len(errs) == 0 {
		errs = append(errs, &Error{Path: p, Err: errors.New("no .yaml, .yml or .json file in this directory, so nothing to check")})
	}
	return files, errs
}

func readFile(path string, stdin io.Reader) ([]document, error) {
	if path == Stdin {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, &Error{Path: StdinName, Err: err}
		}
		// JSON is sniffed: a stream of objects ({...}{...}) is not YAML.
		if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			return readJSON(StdinName, b)
		}
		return readYAML(StdinName, b)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Path: path, Err: errors.Unwrap(err)}
	}
	if strings.ToLower(filepath.Ext(path)) == ".json" {
		return readJSON(path, b)
	}
	return readYAML(path, b)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func readYAML(path string, b []byte) ([]document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	sourceAt := helmSources(b)
	var out []document
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, yamlError(path, err)
		}
		if len(doc.Content) == 0 {
			continue // an empty document, e.g. a trailing ---
		}
		root := doc.Content[0]
		var v any
		if err := root.Decode(&v); err != nil {
			return nil, yamlError(path, err)
		}
		switch m := v.(type) {
		case nil:
			continue // a document holding only comments
		case map[string]any:
			out = append(out, document{Object{Path: path, Line: root.Line, Source: sourceAt(root.Line), Object: m}, listItemLines(root)})
		default:
			return nil, &Error{Path: path, Line: root.Line,
				Err: fmt.Errorf("document is a YAML %s, not a Kubernetes object (a mapping with apiVersion and kind)", nodeKind(root))}
		}
	}
}

var (
	sourceComment = regexp.MustCompile(`^#\s*Source:\s*(\S+)\s*$`)
	documentStart = regexp.MustCompile(`^---(\s|$)`)
)

// helmSources finds the "# Source: <path>" comments helm template writes
// after each "---". It reads the text itself: yaml.v3 attaches such a comment
// to the document before it when a blank line follows. The result gives, for
// the line a document's object starts on, the source named between that
// document's "---" and its first line.
func helmSources(b []byte) func(line int) string {
	type mark struct {
		line   int
		source string // "" for a document start
	}
	var marks []mark
	for i, l := range strings.Split(string(b), "\n") {
		l = strings.TrimRight(l, "\r")
		if documentStart.MatchString(l) {
			marks = append(marks, mark{line: i + 1})
		} else if m := sourceComment.FindStringSubmatch(l); m != nil {
			marks = append(marks, mark{line: i + 1, source: m[1]})
		}
	}
	return func(line int) string {
		src := ""
		for _, m := range marks {
			if m.line >= line {
				break
			}
			src = m.source // a document start resets it
		}
		return src
	}
}

// listItemLines finds the line of each entry of a top-level items sequence.
func listItemLines(root *yaml.Node) []int {
	if root.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "items" && root.Content[i+1].Kind == yaml.SequenceNode {
			var lines []int
			for _, it := range root.Content[i+1].Content {
				lines = append(lines, it.Line)
			}
			return lines
		}
	}
	return nil
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "sequence"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "value"
}

// parserProblems are the messages yaml.v3's parser (not its scanner) gives; for
// these it prints the 0-based line of the construct it was parsing, so one is
// added to point at the line a user sees.
var parserProblems = map[string]bool{
	"did not find expected <document start>": true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
}

func yamlError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0] // "line N: mapping key ... already defined at line M"
	}
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.TrimSpace(strings.TrimPrefix(strings.Replace(msg, m[0], "", 1), ":"))
		if parserProblems[msg] {
			line++
		}
	}
	return &Error{Path: path, Line: line, Err: fmt.Errorf("not valid YAML: %s", msg)}
}

func readJSON(path string, b []byte) ([]document, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out []document
	for {
		start := dec.InputOffset()
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			off := dec.InputOffset()
			var se *json.SyntaxError
			if errors.As(err, &se) {
				off = se.Offset
			}
			return nil, &Error{Path: path, Line: lineAt(b, off), Err: fmt.Errorf("not valid JSON: %v", err)}
		}
		line := lineAt(b, start+leadingSpace(b[start:]))
		m, ok := jsonNumbers(v).(map[string]any)
		if !ok {
			return nil, &Error{Path: path, Line: line, Err: errors.New("document is not a JSON object (a Kubernetes object with apiVersion and kind)")}
		}
		out = append(out, document{Object: Object{Path: path, Line: line, Object: m}})
	}
}

func leadingSpace(b []byte) int64 {
	return int64(len(b) - len(bytes.TrimLeft(b, " \t\r\n")))
}

func lineAt(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return bytes.Count(b[:off], []byte("\n")) + 1
}

// jsonNumbers turns json.Number into int64 or float64, as YAML decoding does.
func jsonNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = jsonNumbers(e)
		}
		return x
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
