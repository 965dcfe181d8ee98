// Package follow makes a load balancer on loopback follow a real Kubernetes control
// plane, as the AWS Load Balancer Controller makes a target group follow a cluster with
// IP targets:
//
//   - Kubelet plays the kubelet of the kwok nodes for one workload: for each pod with an
//     address it runs the lab backend (tests/lab/backend, the serve package) on
//     controlplane.LoopbackFor(podIP), and on deletion it runs the pod's preStop sleep,
//     sends SIGTERM, waits up to the grace period and removes the pod, all read from the
//     pod spec and scaled from seconds down to TimeScale.
//   - Controller watches the Service's EndpointSlices and keeps haproxy's servers equal
//     to the endpoints that are not terminating: a new target is added in maintenance
//     with health checks on and enabled once they pass, which is when the controller
//     sets the pod's readiness gate (what the AWS controller does with
//     target-health.elbv2.k8s.aws conditions); a departing target is drained, then
//     removed after the deregistration delay.
//   - Load sends bounded, paced requests through haproxy and records every failure,
//     so a rolling update of the Deployment in the control plane becomes a zero-loss
//     check of the toolkit's timing chain.
//
// kwok must run with GatedPodStages, so that it leaves readiness gates to the
// Controller and leaves pod deletion to the Kubelet.
package follow
