// Package lab checks eksbalance's two claims on real load-balancing software,
// on loopback, where no AWS account is needed: that the traffic model's
// predicted per-pod shares are what a load balancer really delivers, and that
// a rolling restart with the toolkit's timing chain loses no request.
//
// haproxy plays the AWS load balancer: `mode tcp` with round robin for an
// NLB, `mode http` with round robin or least connections for an ALB. Its
// health checks play the target group's (interval x fall scaled down from
// seconds to a fraction of one), or, with Spec.LoadBalancer, the awslb
// stand-in (tests/awslb, shared with the control-plane test) plays the whole
// target group on top of it: its own health checks, the unhealthy lag, the
// deregistration propagation and delay and connection termination, from the
// settings the workload template renders; Lab.Roll then replaces pods as a
// Deployment behind the AWS Load Balancer Controller does, which is what the
// preStop sweep (TestPreStopSweep) rolls. Pods are processes of the lab backend
// (./backend), which runs the serve package exactly as a user's service would,
// each on its own 127.x.y.z address (Linux routes all of 127.0.0.0/8 to lo),
// grouped into zones and nodes:
//
//   - cross-zone off: one frontend per zone, each balancing over its own
//     zone's targets, with clients spread over the frontends the way DNS
//     spreads them over a load balancer's per-zone addresses; a zone whose
//     frontend has no healthy target is left out, as Route 53 leaves out an
//     unhealthy load-balancer node;
//   - cross-zone on: every zone's frontend balances over all targets;
//   - instance targets: a second haproxy tier per node plays kube-proxy on
//     the NodePort, choosing a pod at random among all pods
//     (externalTrafficPolicy Cluster) or among the node's own (Local, where a
//     node without a pod fails the load balancer's health check).
//
// Two more checks measure what the model's long-lived-callers view and
// zone-lost rows predict. TestClientPopulationsMatchModel runs client
// populations (measure.Callers: callers pinned to one zone's frontend by a
// cached DNS answer, keepalive pools paced per connection, the backend's
// recycling on or off) through frontends that draw a target per connection
// (BalanceRandom, the NLB's flow hash) or per request, with a scale-out in the
// middle of the run, and holds the p95 of per-window max/mean and the time
// until the new pods carry their share to the model's band for one run.
// TestZoneOutMatchesZoneLostRow takes a zone out under load (its frontend out
// of DNS and disabled, its pods killed) and compares the shares after the shift
// settles with the zone-lost row.
//
// The lab reads its expected shares from the model package and measures with
// the measure package, the same code the live suite runs against AWS. Every
// process it starts is killed at the end of the test that started it, also on
// failure; every load it sends is bounded in requests and in time and goes to
// loopback only.
//
// haproxy comes from the Debian package of that name, installed by the
// project's scripts. Without it the lab tests skip with a reason, or fail when
// the CI environment variable is set, so CI cannot pass by skipping.
package lab
