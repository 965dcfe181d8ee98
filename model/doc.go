// Package model predicts how a load balancer on EKS spreads traffic over pods,
// before anything is deployed. It is the part of eksbalance that turns the
// toolkit's claim ("traffic is even") into a number a test or a reviewer can
// check: `eksbalance predict` reads a topology file into it, and `eksbalance
// plan` derives a topology from the planned node groups and workloads (with
// Place) and prints the prediction, contrasted with the Kubernetes defaults
// (Contrast), beside the planned resources.
//
// # The exact model (Predict)
//
// A Topology lists zones, their nodes and the ready pods on each node, plus the
// load balancer's kind, target type and cross-zone setting and the Service's
// externalTrafficPolicy. Predict computes, with exact rational arithmetic, the
// long-run share of requests each pod receives when clients are many and
// independent:
//
//   - DNS spreads clients evenly over the zones that have at least one eligible
//     target when cross-zone is off (a zone without one is removed from DNS,
//     because its load-balancer node fails every health check), and over all
//     listed zones when cross-zone is on (the load balancer has a node in every
//     listed zone and each can reach every target).
//   - Eligible targets: with ip targets every pod; with instance targets and
//     externalTrafficPolicy Cluster every node, pods or not (kube-proxy answers
//     the health check on any node); with Local only the nodes that run at
//     least one pod.
//   - A zone's load-balancer node spreads evenly over the eligible targets in its
//     own zone (cross-zone off) or over all eligible targets (cross-zone on).
//   - An instance target forwards evenly to every pod in the cluster (Cluster:
//     kube-proxy's random choice) or to the pods on that node (Local).
//
// Two fractions come with the shares: CrossZoneFraction, the traffic served by
// a pod in a zone other than the one of the load-balancer node that received it
// (AWS bills these bytes), and ExtraHopFraction, the traffic a node forwards to
// a pod on another node (kube-proxy's second hop, which also loses the client
// address).
//
// Choices where the semantics above are silent:
//
//   - ALB with instance targets behaves exactly like NLB with instance targets:
//     the ALB sends to the NodePort and kube-proxy forwards per the Service's
//     externalTrafficPolicy. The kind only changes the cross-zone default that
//     ReadTopology fills in when a file omits crossZone (NLB off, ALB on, as in
//     AWS).
//   - An empty externalTrafficPolicy with instance targets means Cluster, the
//     Kubernetes default. With ip targets the policy is rejected, since the
//     load balancer bypasses kube-proxy and a value there would suggest an
//     effect it does not have.
//   - A zone with nodes but no pods: with ip targets or Local it has no eligible
//     target, so with cross-zone off it drops out of DNS and changes nothing;
//     with cross-zone on its load-balancer node still takes 1/zones of the
//     clients and sends all of it to other zones. With Cluster its nodes are
//     targets: with cross-zone off the zone keeps its 1/zones of DNS and every
//     request it receives crosses a zone and takes the extra hop.
//   - A zone listed without nodes behaves as a zone with nodes but no pods under
//     ip/Local; under Cluster it has no target either.
//   - Every pod always gets a positive share: its own zone always has an eligible
//     target, so no layout starves a ready pod entirely.
//
// # The stochastic mode (Simulate)
//
// The exact model gives long-run shares of connections (L4) or requests (L7).
// Simulate shows what L4 balancing does to requests when connections are long
// lived: C client connections, each carrying a random number of requests, each
// pinned to the pod it was balanced to with the exact shares; an optional cap
// on requests per connection (the server closes the connection and the client
// opens a new one, which is balanced again); or L7 balancing of every request.
// See SimConfig for the distributions and the confidence interval.
//
// # Callers as they are (SimulatePopulation) and a lost zone (ZoneLost)
//
// The exact shares are the limit of many independent callers on fresh
// connections. A Topology's Clients says who really calls (how many callers,
// how each caches DNS, its keepalive pool, its own connection limits) and its
// Recycling what the server does (EKSBALANCE_MAX_CONN_AGE and _REQUESTS).
// SimulatePopulation gives, for that population, the distribution of each
// pod's and zone's share per time window (mean, p50 and p95 of max/mean, with
// the band one run falls in) and, after a scale-out, how long the new pods take
// to carry their fair share: exact behind an ALB, where the callers' cached
// zones are enumerated as a multinomial; a seeded simulation with bootstrap
// intervals behind an NLB, where each connection stays on the pod the flow
// hash drew until the client or the server ends it. Per-pod mean shares over
// random DNS answers are Predict's shares; tests check the many-callers limit
// against them. PopulationContrast runs the toolkit default and the usual
// alternatives on the same layout and callers; WritePopulation prints them.
//
// ZoneLost evaluates the layout with each zone out (an ARC zonal shift, or the
// zone down): every surviving pod's share, its load relative to normal and the
// busiest survivor over the mean before, which the workload component holds
// the HPA target to (WorstZoneLoss). WriteZoneLost prints them.
//
// # Placement (Place) and the contrast set (Contrast)
//
// Place models the Kubernetes scheduler on fresh, identical nodes with the
// given topology spread constraints; Contrast evaluates one layout under the
// toolkit's default (ip targets, cross-zone on) and the usual alternatives.
// `plan` chains them: node groups give the zones and nodes, the workload
// gives replicas and constraints, Place gives the layout, Contrast the rows.
//
// # Input and output
//
// ReadTopology and ReadTopologyFile read the topology format of `eksbalance
// predict` (YAML or JSON, strict, every problem reported with its field
// path). WriteText renders a prediction as an 80-column table with a bar per
// pod, Prediction.Summary and SimResult.Summary give one line each for the
// plan output, WriteContrast a table of the contrast set and WriteSimText a
// simulation. Prediction's JSON field names are a contract: modules outside
// this one run `eksbalance predict FILE -o json` and read them.
package model
