// Package problems collects every problem with serve's options or environment
// so they are reported at once, each naming the field or variable, the value
// and the rule. serve is its own module and links only the standard library,
// so it keeps this small list instead of the toolkit's internal/validation;
// the messages read the same ("invalid <subject> (N problems): ...").
package problems

import (
	"fmt"
	"strings"
)

// Problem is one broken rule on one field.
type Problem struct {
	Field string
	Value any
	Rule  string
}

// List is every problem found in one pass over subject.
type List struct {
	Subject  string
	Problems []Problem
}

// New starts an empty list about subject.
func New(subject string) *List { return &List{Subject: subject} }

// Add records that field holds value and breaks rule (a format with args).
func (l *List) Add(field string, value any, rule string, args ...any) {
	if len(args) > 0 {
		rule = fmt.Sprintf(rule, args...)
	}
	l.Problems = append(l.Problems, Problem{Field: field, Value: value, Rule: rule})
}

// Err is nil without problems, the List otherwise.
func (l *List) Err() error {
	if l == nil || len(l.Problems) == 0 {
		return nil
	}
	return l
}

// Error lists every problem, one per line.
func (l *List) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid %s (%d problem", l.Subject, len(l.Problems))
	if len(l.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for _, p := range l.Problems {
		fmt.Fprintf(&b, "\n  - %s: %v: %s", p.Field, p.Value, p.Rule)
	}
	return b.String()
}

// Has reports whether a problem was recorded for field.
func (l *List) Has(field string) bool {
	for _, p := range l.Problems {
		if p.Field == field {
			return true
		}
	}
	return false
}
