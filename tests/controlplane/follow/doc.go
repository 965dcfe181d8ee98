// Package follow makes a load balancer on loopback follow a real Kubernetes control
// plane, as the AWS Load Balancer Controller makes a target group follow a cluster with
// IP targets:
//
//   - Kubelet plays the kubelet of the kwok nodes for one workload: for each pod with an
//     address it runs the lab backend (tests/lab/backend, the serve package) on
//     controlplane.LoopbackFor(podIP), and on deletion it runs the pod's preStop sleep,
//     sends SIGTERM, waits up to the grace period and removes the pod, all read from the
//     pod spec and scaled from seconds down to TimeScale.
//   - Controller watches the Service's EndpointSlices and keeps the target group equal
//     to the endpoints that are not terminating, as the AWS controller does; the target
//     group is the awslb stand-in (tests/awslb, shared with the lab), configured from
//     the rendered Service or Ingress annotations, or, for the backend of a Gateway's
//     TCPRoute or HTTPRoute, from its TargetGroupConfiguration (Controller.Dynamic
//     reads those): a new target takes traffic once its
//     health checks pass, which is when the controller sets the pod's readiness gate
//     (what the AWS controller does with target-health.elbv2.k8s.aws conditions); a
//     departing target keeps getting new connections for the deregistration
//     propagation, keeps its open ones until the deregistration delay, then has them
//     reset with connection termination, all scaled by TimeScale.
//   - HAProxy is the data plane: one frontend per zone (the load balancer's nodes,
//     cross-zone on) in front of one backend whose servers the stand-in drives.
//   - Load sends bounded, paced requests (fresh connections or keepalive) through the
//     load balancer's nodes, records every failure by kind and says why it stopped, so
//     a rolling update of the Deployment becomes a check of the toolkit's timing chain.
//
// kwok must run with GatedPodStages, so that it leaves readiness gates to the
// Controller and leaves pod deletion to the Kubelet.
package follow
