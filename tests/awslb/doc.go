// Package awslb is the test suites' stand-in for an AWS load balancer's target
// group: it decides, target by target and moment by moment, whether the load
// balancer would open a new connection (NLB) or send a new request (ALB) to a
// pod, and when it would cut the connections still open, and it drives a real
// data plane (haproxy, through its runtime API) accordingly. The local lab
// (tests/lab) and the control-plane test (tests/controlplane/follow) both use
// it, so a timing chain that would lose requests on AWS loses them there too.
//
// It uses only the standard library and lives in its own small module, so the
// control-plane module (k8s.io/kubernetes) and the toolkit's module (Pulumi)
// can both require it without either dependency graph reaching the other.
//
// What it plays, each number in the settings' seconds and scaled by
// Config.TimeScale, and where each behaviour comes from:
//
//   - Health checks as configured: every Interval a probe (TCP connect, or
//     HTTP GET of Path with SuccessCodes) that fails after Timeout; a new
//     target takes traffic after HealthyThreshold passes in a row, a serving
//     one is marked unhealthy after UnhealthyThreshold failures in a row (AWS
//     ELB user guides, "Health checks for your target groups"; defaults are
//     the AWS Load Balancer Controller's: NLB 10 s / 10 s / 3 / 3 over TCP,
//     ALB 15 s / 5 s / 2 / 2 over HTTP).
//   - Unhealthy lag: after marking a target unhealthy, an NLB keeps opening
//     new connections to it for UnhealthyLag, 40 s by default (30-40 s
//     measured, aws/containers-roadmap issue 470). For an ALB no figure is
//     public; 0 is an unmeasured assumption.
//   - Deregistration propagation: a target deregistered at t still receives
//     new connections (requests) until t + Propagation, none after. 120 s
//     for an NLB by default, measured, not documented (AWS Load Balancer
//     Controller issues 2366 and 3270, containers-roadmap 470: "at least 2
//     minutes regardless of delay setting"); 15 s for an ALB, an unmeasured
//     assumption: no public figure exists.
//   - Deregistration delay: connections open at deregistration (and those
//     opened during propagation) stay until t + DeregistrationDelay; then,
//     with ConnectionTermination (the NLB target-group attribute
//     deregistration_delay.connection_termination.enabled), every one still
//     open is reset (AWS ELB API reference, TargetGroupAttribute; NLB user
//     guide, "Deregistration delay"). Without it they are left to end on
//     their own. AWS's default delay is 300 s and termination is off; the
//     toolkit sets both. When the delay is shorter than the propagation, the
//     reset happens at t + delay and connections opened afterwards are not
//     reset: AWS documents nothing for that case, so nothing is assumed.
//
// Not played: AWS's fail-open (an NLB or ALB routes to every target when all
// are unhealthy), slow start, cross-zone DNS failover, connection tracking and
// idle timeouts (haproxy's own timeouts stand in for those).
//
// The numbers sit beside the toolkit's own in
// components/loadbalancer (Timings and the settings' defaults); a test in the
// toolkit's module holds the two sets equal.
package awslb
