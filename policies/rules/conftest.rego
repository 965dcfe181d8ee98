# Package main is the conftest entry point (conftest queries package main by
# default): mandatory findings become deny, advisory ones warn. Run
#   conftest test --combine --policy policies/rules DIR...
# so rules that join objects (Deployment and Service) see every file at once.
package main

import rego.v1

deny contains msg if {
	some v in data.eksbalance.report.violations
	v.severity == "mandatory"
	msg := sprintf("[%s] %s", [v.rule, v.message])
}

warn contains msg if {
	some v in data.eksbalance.report.violations
	v.severity == "advisory"
	msg := sprintf("[%s] %s", [v.rule, v.message])
}
