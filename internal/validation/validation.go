// Package validation collects every problem with a set of arguments so that a
// component or command can report them all at once, each naming the field, the
// value found and the rule it broke, before any resource is created.
package validation

import (
	"fmt"
	"strings"
)

// Problem is one broken rule on one field.
type Problem struct {
	// Field is the path of the offending field, e.g. "nodeGroups.scaling.desired".
	Field string
	// Value is what was found, rendered with %v.
	Value any
	// Rule says what must hold, e.g. "must be between 60 and 6000 seconds".
	Rule string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %v: %s", p.Field, p.Value, p.Rule)
}

// Errors is every problem found in one validation pass. A nil or empty Errors
// means the arguments are valid.
type Errors struct {
	// Subject names what was validated, e.g. "network" or "stack config".
	Subject  string
	Problems []Problem
}

// New starts an empty set of problems about subject.
func New(subject string) *Errors { return &Errors{Subject: subject} }

// Add records that field holds value and breaks rule.
func (e *Errors) Add(field string, value any, rule string, args ...any) {
	if len(args) > 0 {
		rule = fmt.Sprintf(rule, args...)
	}
	e.Problems = append(e.Problems, Problem{Field: field, Value: value, Rule: rule})
}

// Merge adds every problem of other, prefixing its fields with prefix (joined with a dot).
func (e *Errors) Merge(prefix string, other error) {
	if other == nil {
		return
	}
	o, ok := other.(*Errors)
	if !ok {
		e.Add(prefix, "", "%v", other)
		return
	}
	for _, p := range o.Problems {
		if prefix != "" {
			p.Field = prefix + "." + p.Field
		}
		e.Problems = append(e.Problems, p)
	}
}

// Err returns nil when nothing was recorded, the Errors otherwise. Always return
// through Err so callers can compare the result with nil.
func (e *Errors) Err() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	return e
}

// Error lists every problem, one per line.
func (e *Errors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid %s (%d problem", e.Subject, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Has reports whether a problem was recorded for field (exact path).
func (e *Errors) Has(field string) bool {
	if e == nil {
		return false
	}
	for _, p := range e.Problems {
		if p.Field == field {
			return true
		}
	}
	return false
}

// Fields lists the fields with problems, in the order found.
func (e *Errors) Fields() []string {
	if e == nil {
		return nil
	}
	out := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		out = append(out, p.Field)
	}
	return out
}
