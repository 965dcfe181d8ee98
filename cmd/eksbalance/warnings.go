package main

import (
	"fmt"
	"io"

	"github.com/eksbalance/eksbalance/plan"
)

// writeWarnings prints what a preview would warn about (plan.Plan.Warnings:
// the program's own warnings and an API endpoint the runner cannot reach).
// Warnings do not change the exit code.
func writeWarnings(w io.Writer, p *plan.Plan) {
	if len(p.Warnings) == 0 {
		return
	}
	fmt.Fprintf(w, "\nWarnings (%d):\n", len(p.Warnings))
	for _, m := range p.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", m)
	}
}
