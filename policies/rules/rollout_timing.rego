package eksbalance.rules.rollout_timing

import data.eksbalance.lib
import rego.v1

meta := {
	"id": "rollout-timing",
	"severity": "mandatory",
	"scope": "set",
	"title": "Load balancer stops sending < preStop < terminationGracePeriodSeconds",
	"doc": concat(" ", [
		"A terminating pod must keep serving until the load balancer has stopped sending to it, and",
		"the kubelet must not kill it before its preStop and drain are over. Time to unhealthy is",
		"interval x unhealthy threshold + timeout, from the Service's",
		"service.beta.kubernetes.io/aws-load-balancer-healthcheck-* annotations (NLB; defaults 10 s, 3,",
		"10 s = 40 s) or the alb.ingress.kubernetes.io/healthcheck-interval-seconds,",
		"healthcheck-timeout-seconds and unhealthy-threshold-count annotations of the Service or Ingress",
		"(ALB; defaults 15 s, 2, 5 s = 35 s); an NLB then keeps opening connections to an unhealthy",
		"target for an unhealthy lag, 40 s assumed (30-40 s measured, aws/containers-roadmap issue 470;",
		"none assumed for an ALB), or the eksbalance.io/unhealthy-lag-seconds annotation. With IP targets",
		"the load balancer also keeps sending new work until the controller's deregistration has",
		"propagated: assumed 120 s for an NLB (measured publicly, LBC issues 2366 and 3270; AWS documents it as immediate) and 15 s",
		"for an ALB (an unmeasured assumption), or the eksbalance.io/deregistration-propagation-seconds",
		"annotation; the bound is the later of the two paths, as in components/loadbalancer's",
		"Timings.StopSendingAfter. The wait is lifecycle.preStop.sleep.seconds or the sum of the `sleep N`",
		"in lifecycle.preStop.exec.command, plus the container's EKSBALANCE_SHUTDOWN_DELAY (the app keeps",
		"serving that long after SIGTERM itself; without a hook it is the whole wait). Checked on the",
		"serving containers (those declaring ports; all containers",
		"when none does) of load-balanced Deployments: no wait, an unreadable preStop, or a wait not",
		"longer than that bound; terminationGracePeriodSeconds",
		"(default 30) not longer than preStop, or, when the container sets EKSBALANCE_SHUTDOWN_DELAY or",
		"EKSBALANCE_DRAIN_TIMEOUT, not longer than preStop + shutdown delay + drain timeout. Fronts",
		"whose health check is not visible (legacy load balancers, TargetGroupBindings) give no time to",
		"unhealthy and are not checked for it.",
	]),
}

# _timed lists (Deployment index, front, serving container) for fronts whose
# health check the rules can read.
_timed := [[b.deployment, b.front, c] |
	some b in lib.balanced
	lib.health_check(b.front)
	some c in lib.serving_containers(lib.resources[b.deployment])
]

_hc_text(f) := sprintf("interval %v s x unhealthy threshold %v + timeout %v s", [hc.interval, hc.unhealthy, hc.timeout]) if hc := lib.health_check(f)

_bound_text(f) := sprintf("the later of time to unhealthy %v s (%s) plus unhealthy lag %v s and deregistration propagation %s", [lib.front_time_to_unhealthy(f), _hc_text(f), lib.unhealthy_lag(f), lib.deregistration_propagation_text(f)])

# _in_app_delay is a container's own post-SIGTERM serving time when it has no
# preStop hook (the workload template's inApp mode).
_in_app_delay(c) := n if {
	not lib.has_prestop(c)
	n := lib.env_number(c, "EKSBALANCE_SHUTDOWN_DELAY")
	n > 0
}

# _wait is how long a container keeps serving once termination starts: the
# hook, then the app's own shutdown delay.
_wait(c) := lib.prestop_wait(c)

# _hook is the preStop hook's length, 0 without one.
_hook(c) := n if n := lib.prestop_seconds(c)

_hook(c) := 0 if not lib.has_prestop(c)

findings contains lib.finding(meta, d, msg) if {
	some t in _timed
	[i, f, c] := t
	not lib.has_prestop(c)
	not _in_app_delay(c)
	d := lib.resources[i]
	bound := lib.stop_sending_after(f)
	msg := sprintf(
		"container %s has no lifecycle.preStop (and no EKSBALANCE_SHUTDOWN_DELAY), so it stops at once while the %s keeps sending to it for up to %v s (%s); add a preStop sleep longer than %v s and a terminationGracePeriodSeconds longer than that",
		[c.name, lib.describe_front(f), bound, _bound_text(f), bound],
	)
}

findings contains lib.finding(meta, d, msg) if {
	some t in _timed
	[i, f, c] := t
	lib.has_prestop(c)
	not lib.prestop_seconds(c)
	d := lib.resources[i]
	bound := lib.stop_sending_after(f)
	msg := sprintf(
		"container %s has a lifecycle.preStop whose duration cannot be read (neither sleep.seconds nor an exec `sleep N`), so it cannot be checked against the %v s after which the %s stops sending; use lifecycle.preStop.sleep.seconds or exec sleep",
		[c.name, bound, lib.describe_front(f)],
	)
}

findings contains lib.finding(meta, d, msg) if {
	some t in _timed
	[i, f, c] := t
	p := _wait(c)
	bound := lib.stop_sending_after(f)
	p <= bound
	d := lib.resources[i]
	msg := sprintf(
		"container %s: waits %v s after termination starts, not longer than the %v s after which the %s surely stops sending (%s), so requests still arrive after the container stops; make preStop longer than %v s or the health check faster",
		[c.name, p, bound, lib.describe_front(f), _bound_text(f), bound],
	)
}

findings contains lib.finding(meta, d, msg) if {
	some i in lib.load_balanced
	d := lib.resources[i]
	some c in lib.serving_containers(d)
	p := lib.prestop_seconds(c)
	g := lib.grace_period(d)
	g <= p
	msg := sprintf(
		"spec.template.spec.terminationGracePeriodSeconds is %v s, not longer than container %s's preStop of %v s, so the kubelet kills it before it can drain; raise terminationGracePeriodSeconds above %v s plus the application's drain time",
		[g, c.name, p, p],
	)
}

_app_wait(c) := sum([n |
	some key in ["EKSBALANCE_SHUTDOWN_DELAY", "EKSBALANCE_DRAIN_TIMEOUT"]
	n := lib.env_number(c, key)
])

_sets_app_wait(c) if lib.env_number(c, "EKSBALANCE_SHUTDOWN_DELAY")

_sets_app_wait(c) if lib.env_number(c, "EKSBALANCE_DRAIN_TIMEOUT")

findings contains lib.finding(meta, d, msg) if {
	some i in lib.load_balanced
	d := lib.resources[i]
	some c in lib.serving_containers(d)
	p := _hook(c)
	_sets_app_wait(c)
	g := lib.grace_period(d)
	g > p
	need := p + _app_wait(c)
	g <= need
	msg := sprintf(
		"spec.template.spec.terminationGracePeriodSeconds is %v s, not longer than container %s's preStop %v s + EKSBALANCE_SHUTDOWN_DELAY + EKSBALANCE_DRAIN_TIMEOUT = %v s, so the kubelet kills in-flight requests; raise it above %v s",
		[g, c.name, p, need, need],
	)
}
