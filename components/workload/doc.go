// Package workload is the eksbalance template for a service behind an AWS load
// balancer: one Pulumi component that creates the Deployment, the Service (type
// LoadBalancer for an NLB, or ClusterIP plus an Ingress for an ALB, or
// ClusterIP plus the Gateway API objects for the Gateway fronts: a
// TargetGroupConfiguration, an HTTPRoute or TCPRoutes, and the workload's own
// Gateway unless it attaches to a shared one from components/gateway), a
// PodDisruptionBudget, optionally a HorizontalPodAutoscaler and optionally the
// Namespace labelled for pod readiness gates, with every setting that keeps
// traffic even and rollouts lossless.
//
// Nothing time-related is guessed here. The load balancer's settings come from
// components/loadbalancer, and so does every number derived from them
// (time-to-unhealthy, deregistration propagation, idle timeouts, recommended
// keepalive): see loadbalancer.Timings. This package only chooses how much
// margin to add and checks that the whole shutdown sequence holds together:
//
//	LB stops sending new work  <  preStop  <  preStop + drain time  <  terminationGracePeriodSeconds
//	drain time  <=  LB deregistration delay  <=  terminationGracePeriodSeconds
//	preStop + drain time  <=  NLB deregistration delay   (with connection termination, the default)
//	LB idle timeout  <  backend keepalive
//
// "LB stops sending new work" is the later of time-to-unhealthy plus the
// unhealthy lag and the deregistration propagation; the deregistration delay
// counts from deregistration, about a second after termination starts, which
// is why it must cover the whole preStop + drain when the NLB resets what is
// still open at its end (the default delay is derived so). The last
// CloseWindow of preStop is the app's own: it answers with Connection: close
// so keepalive clients leave before it stops.
//
// A caller may override any of preStop, drain time, grace period and keepalive;
// a set that breaks the sequence is rejected with the inequality and its
// numbers, before any resource is registered.
//
// The container gets its half of the contract through environment variables
// (EKSBALANCE_*), read by the serve package: the LB idle timeout, the backend
// keepalive, connection recycling, the in-app shutdown delay and the drain
// timeout. Pods are spread over zones (hard) and nodes (soft), replicas default
// to a multiple of the zone count, and rollouts never take a pod away before its
// replacement is ready (maxUnavailable 0).
//
// With no container given, the template runs a sample app (agnhost netexec,
// see SampleApp), whose --delay-shutdown models the app's drain.
package workload
