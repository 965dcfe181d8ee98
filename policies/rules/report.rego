# Package eksbalance.report gathers every rule's findings and metadata; the Go
# evaluator and the conftest entry point (package main) read it.
package eksbalance.report

import data.eksbalance.lib
import rego.v1

# violations are the findings of every rule that runs on this input: all rules on
# a complete set, only resource-scope rules when input.partial is true.
violations contains v if {
	some rule in data.eksbalance.rules
	_runs(rule.meta)
	some v in rule.findings
}

_runs(_) if not lib.partial

_runs(m) if {
	lib.partial
	m.scope == "resource"
}

# catalog lists every rule's metadata.
catalog contains rule.meta if some rule in data.eksbalance.rules

# kubernetes_kinds are the kinds some rule reads.
kubernetes_kinds := lib.kubernetes_kinds
