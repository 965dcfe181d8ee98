package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteJSON writes the plan as indented JSON: the stable, documented form (see
// docs/plan-format.md) that policies, the model and render read.
func WriteJSON(w io.Writer, p *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// ReadJSON reads a plan written by WriteJSON.
func ReadJSON(r io.Reader) (*Plan, error) {
	var p Plan
	if err := json.NewDecoder(r).Decode(&p); err != nil {
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	return &p, nil
}

// TextOptions says how much of each resource WriteText shows.
type TextOptions struct {
	// Inputs prints each resource's inputs as path: value lines under it.
	Inputs bool
	// Short folds three or more siblings of one type that have no children
	// and no notes into one "N × type" line.
	Short bool
	// MaxValue truncates longer values (0: 100 characters).
	MaxValue int
	// Notes adds lines under a resource, keyed by URN (policy violations,
	// traffic, ...); each line is printed as given, its marker included.
	Notes map[string][]string
}

// WriteText writes the plan as a tree a person can read: each resource under its
// parent, with its type, name and (optionally) inputs.
func WriteText(w io.Writer, p *Plan, o TextOptions) {
	if o.MaxValue == 0 {
		o.MaxValue = 100
	}
	children := map[string][]Resource{}
	var roots []Resource
	known := map[string]bool{}
	for _, r := range p.Resources {
		known[r.URN] = true
	}
	custom := 0
	for _, r := range p.Resources {
		if r.Custom {
			custom++
		}
		if r.Parent == "" || !known[r.Parent] {
			roots = append(roots, r)
		} else {
			children[r.Parent] = append(children[r.Parent], r)
		}
	}
	fmt.Fprintf(w, "%s (stack %s): %d resources, %d custom, %d components\n",
		p.Project, p.Stack, len(p.Resources), custom, len(p.Resources)-custom)
	var walk func(r Resource, prefix string, last bool, depth int)
	walk = func(r Resource, prefix string, last bool, depth int) {
		branch, next := "├─ ", "│  "
		if last {
			branch, next = "└─ ", "   "
		}
		if depth == 0 {
			branch, next = "", ""
		}
		kind := ""
		if r.Remote {
			kind = " (remote component)"
		}
		fmt.Fprintf(w, "%s%s%s %s%s\n", prefix, branch, r.Type, r.Name, kind)
		body := prefix + next
		kids := children[r.URN]
		bar := "   "
		if len(kids) > 0 {
			bar = "│  "
		}
		for _, n := range o.Notes[r.URN] {
			fmt.Fprintf(w, "%s%s  %s\n", body, bar, n)
		}
		if o.Inputs {
			for _, line := range flatten("", r.Inputs, o.MaxValue) {
				fmt.Fprintf(w, "%s%s    %s\n", body, bar, line)
			}
		}
		sort.SliceStable(kids, func(i, j int) bool {
			if kids[i].Type != kids[j].Type {
				return kids[i].Type < kids[j].Type
			}
			return kids[i].Name < kids[j].Name
		})
		if !o.Short {
			for i, k := range kids {
				walk(k, body, i == len(kids)-1, depth+1)
			}
			return
		}
		items := fold(kids, children, o.Notes)
		for i, it := range items {
			if it.count == 0 {
				walk(it.r, body, i == len(items)-1, depth+1)
				continue
			}
			branch := "├─ "
			if i == len(items)-1 {
				branch = "└─ "
			}
			fmt.Fprintf(w, "%s%s%d × %s\n", body, branch, it.count, it.r.Type)
		}
	}
	for _, r := range roots {
		walk(r, "", true, 0)
	}
}

// foldItem is a resource shown alone (count 0) or a run of count siblings of
// r's type shown as one line.
type foldItem struct {
	r     Resource
	count int
}

// fold groups sorted siblings: three or more of one type with no children and
// no notes become one item.
func fold(kids []Resource, children map[string][]Resource, notes map[string][]string) []foldItem {
	plain := func(r Resource) bool { return len(children[r.URN]) == 0 && len(notes[r.URN]) == 0 }
	var out []foldItem
	for i := 0; i < len(kids); {
		j := i
		for j < len(kids) && kids[j].Type == kids[i].Type && plain(kids[j]) {
			j++
		}
		if j-i >= 3 {
			out = append(out, foldItem{r: kids[i], count: j - i})
			i = j
			continue
		}
		out = append(out, foldItem{r: kids[i]})
		i++
	}
	return out
}

// flatten renders nested inputs as sorted "path: value" lines.
func flatten(prefix string, v any, max int) []string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			seg := k
			if strings.ContainsAny(k, "./") {
				seg = "[" + k + "]"
			}
			p := seg
			if prefix != "" {
				p = prefix + "." + seg
				if seg[0] == '[' {
					p = prefix + seg
				}
			}
			out = append(out, flatten(p, x[k], max)...)
		}
		return out
	case []any:
		if len(x) == 0 {
			return []string{prefix + ": []"}
		}
		var out []string
		for i, e := range x {
			out = append(out, flatten(fmt.Sprintf("%s[%d]", prefix, i), e, max)...)
		}
		return out
	case string:
		s := strings.ReplaceAll(x, "\n", `\n`)
		if len(s) > max {
			s = fmt.Sprintf("%s… (%d chars)", s[:max], len(x))
		}
		return []string{prefix + ": " + s}
	default:
		return []string{fmt.Sprintf("%s: %v", prefix, x)}
	}
}
