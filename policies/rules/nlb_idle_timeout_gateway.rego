# nlb-idle-timeout for LoadBalancerConfigurations (gateway.k8s.aws).
package eksbalance.rules.nlb_idle_timeout

import data.eksbalance.lib
import rego.v1

_lbc_idle := [[i, lc.protocolPort, a.value] |
	some i in lib.load_balancer_configurations
	some lc in object.get(lib.resources[i].properties, ["spec", "listenerConfigurations"], [])
	some a in object.get(lc, "listenerAttributes", [])
	a.key == _attr
]

findings contains lib.finding(meta, lbc, msg) if {
	some x in _lbc_idle
	[i, pp, value] := x
	_out_of_range(to_number(value))
	lbc := lib.resources[i]
	msg := sprintf(
		"listenerConfigurations %s has %s=%v, outside the %v-%v s the NLB accepts; pick a value in range that is longer than the clients' idle timeout",
		[pp, _attr, value, lib.nlb_idle_timeout_min, lib.nlb_idle_timeout_max],
	)
}

findings contains lib.finding(meta, lbc, msg) if {
	some x in _lbc_idle
	[i, pp, value] := x
	protocol := upper(split(pp, ":")[0])
	protocol != "TCP"
	lbc := lib.resources[i]
	msg := sprintf(
		"listenerConfigurations %s sets %s=%v on a %s listener: only TCP listeners take it (TLS listeners are fixed at %v s); remove it",
		[pp, _attr, value, protocol, lib.nlb_idle_timeout_default],
	)
}
