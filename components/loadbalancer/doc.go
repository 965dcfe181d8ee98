// Package loadbalancer holds everything eksbalance knows about the AWS load
// balancers in front of a service: the settings that keep traffic even (IP
// targets, cross-zone on, least outstanding requests on ALBs) and keep idle
// connections from being reset (idle timeouts in the right order), their
// validation, and the timings derived from them.
//
// The same settings reach AWS by two roads, so a choice is made once and holds
// on both:
//
//   - through the AWS Load Balancer Controller: NLB.ServiceAnnotations (with
//     LoadBalancerClass) for a Service of type LoadBalancer, and
//     ALB.IngressAnnotations (with IngressClassName) for an Ingress;
//   - directly, with NewNetworkLoadBalancer and NewApplicationLoadBalancer,
//     which create the load balancer, target group and listeners with
//     pulumi-aws and a TargetGroupBinding so the controller registers pod IPs
//     into a target group the stack owns.
//
// Timings is the one place where health-check and idle-timeout arithmetic is
// done. The workload component reads it to size preStop hooks, grace periods,
// keepalive timeouts and the deregistration delay, and checks its choices with
// CheckChain (or the Timings.ShutdownChain, Timings.DeregistrationChain and
// Timings.IdleChain shortcuts), so no other package recomputes these numbers.
//
// # Where each number comes from, and how the tests play it
//
// The tests do not trust these numbers: tests/awslb is a stand-in for an AWS
// target group, shared by the local lab and the control-plane test, that
// plays each behaviour below on haproxy (scaled in time), so a chain that
// would lose requests on AWS loses them there too. Each row: the behaviour,
// the number assumed here, its public source.
//
//   - Health checks: a target is marked unhealthy after UnhealthyThreshold
//     failed checks, Interval apart, each failing at the latest after
//     Timeout; healthy after HealthyThreshold passes. Defaults are the AWS
//     Load Balancer Controller's (NLB 10 s / 10 s / 3 / 3 over TCP, ALB 15 s
//     / 5 s / 2 / 2 over HTTP); AWS ELB user guides, "Health checks for your
//     target groups". The stand-in runs the checks itself.
//   - Unhealthy lag (NLB.UnhealthyLag, 40 s): an NLB keeps opening new
//     connections to a target for 30-40 s after marking it unhealthy,
//     measured in aws/containers-roadmap issue 470. For the ALB no figure is
//     public: 0 is an unmeasured assumption (ALB.UnhealthyLag).
//   - Deregistration propagation (NLB.DeregistrationPropagation, 120 s): an
//     NLB keeps opening new connections to a deregistered IP target for about
//     two minutes whatever the deregistration delay, measured, not
//     documented (AWS Load Balancer Controller issues 2366 and 3270,
//     containers-roadmap 470; AWS documents "stops sending" at once). The
//     ALB's 15 s (ALB.DeregistrationPropagation) is an unmeasured assumption:
//     no public figure exists, and LBC issue 2106 reports 502s at a 40 s
//     preStop behind an ALB, so measure yours. The stand-in routes a target
//     deregistered at t until t + propagation, and not after.
//   - Deregistration delay: connections open when a target is deregistered
//     may continue for the delay, counted from deregistration, which comes
//     about a second after the pod starts terminating (the controller's
//     reaction), not from SIGTERM; with the NLB attribute
//     deregistration_delay.connection_termination.enabled the NLB then resets
//     every one still open (AWS ELB API reference, TargetGroupAttribute; NLB
//     user guide, "Edit target group attributes"). AWS's default delay is
//     300 s with termination off; this package turns termination on and the
//     workload derives the delay from preStop + drain
//     (Timings.DeregistrationDelayBound). The stand-in resets at t + delay.
//
// docs/timing.md walks through the whole chain with these numbers.
package loadbalancer
