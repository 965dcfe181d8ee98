# deregistration-delay for Gateway fronts: where to set the delay.
package eksbalance.rules.deregistration_delay

import data.eksbalance.lib
import rego.v1

_annotation(f) := sprintf("the targetGroupAttributes of the TargetGroupConfiguration for Service %s", [lib.name(lib.resources[f.service])]) if {
	f.kind in lib.gateway_kinds
}
