package eksbalance.rules.nlb_idle_timeout

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "nlb-idle-timeout",
	"severity": "mandatory",
	"scope": "resource",
	"title": "NLB idle timeouts are set only on TCP listeners, within 60-6000 s",
	"doc": concat(" ", [
		"An NLB forgets an idle flow after its TCP idle timeout (350 s by default); the next packet may",
		"then reach another target and get a TCP reset no log shows. The timeout can be changed only on",
		"TCP listeners, within 60-6000 s; TLS listeners are fixed at 350 s. Caught: an",
		"aws:lb/listener:Listener with tcpIdleTimeoutSeconds outside 60-6000 or on a protocol other than",
		"TCP, and a Service annotation",
		"service.beta.kubernetes.io/aws-load-balancer-listener-attributes.<PROTOCOL>-<port> whose",
		"tcp.idle_timeout.seconds is outside 60-6000 or whose protocol is not TCP.",
	]),
}

_attr := "tcp.idle_timeout.seconds"

_listener_prefix := "service.beta.kubernetes.io/aws-load-balancer-listener-attributes."

_out_of_range(n) if n < lib.nlb_idle_timeout_min

_out_of_range(n) if n > lib.nlb_idle_timeout_max

findings contains lib.finding(meta, l, msg) if {
	some l in lib.resources
	l.type == "aws:lb/listener:Listener"
	n := l.properties.tcpIdleTimeoutSeconds
	is_number(n)
	_out_of_range(n)
	msg := sprintf(
		"tcpIdleTimeoutSeconds is %v, outside the %v-%v s the NLB accepts; pick a value in range that is longer than the clients' idle timeout",
		[n, lib.nlb_idle_timeout_min, lib.nlb_idle_timeout_max],
	)
}

findings contains lib.finding(meta, l, msg) if {
	some l in lib.resources
	l.type == "aws:lb/listener:Listener"
	l.properties.tcpIdleTimeoutSeconds != null
	protocol := upper(object.get(l.properties, "protocol", ""))
	protocol != "TCP"
	msg := sprintf(
		"tcpIdleTimeoutSeconds is %v on a listener whose protocol is %s: only TCP listeners take it (TLS listeners are fixed at %v s); remove it, or terminate TLS behind a TCP listener",
		[l.properties.tcpIdleTimeoutSeconds, lib.show(lib.value_at(l.properties, ["protocol"])), lib.nlb_idle_timeout_default],
	)
}

# _listener_annotations: [Service index, annotation key, listener protocol, idle seconds] for
# every listener-attributes annotation of a controller NLB that sets the idle
# timeout.
_listener_annotations := [[i, key, protocol, value] |
	some i in lib.services
	s := lib.resources[i]
	lib.controller_nlb(s)
	some key, _ in s.properties.metadata.annotations
	startswith(key, _listener_prefix)
	listener := substring(key, count(_listener_prefix), -1)
	protocol := upper(split(listener, "-")[0])
	value := lib.attribute(s, key, _attr)
]

findings contains lib.finding(meta, s, msg) if {
	some a in _listener_annotations
	[i, key, _, value] := a
	s := lib.resources[i]
	n := to_number(value)
	_out_of_range(n)
	msg := sprintf(
		"annotation %s has %s=%v, outside the %v-%v s the NLB accepts; pick a value in range that is longer than the clients' idle timeout",
		[key, _attr, value, lib.nlb_idle_timeout_min, lib.nlb_idle_timeout_max],
	)
}

findings contains lib.finding(meta, s, msg) if {
	some a in _listener_annotations
	[i, key, protocol, value] := a
	s := lib.resources[i]
	protocol != "TCP"
	msg := sprintf(
		"annotation %s sets %s=%v on a %s listener: only TCP listeners take it (TLS listeners are fixed at %v s); remove it",
		[key, _attr, value, protocol, lib.nlb_idle_timeout_default],
	)
}
