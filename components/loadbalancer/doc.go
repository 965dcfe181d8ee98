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
// done. The workload component reads it to size preStop hooks, grace periods
// and keepalive timeouts, and checks its choices with CheckChain (or the
// Timings.ShutdownChain and Timings.IdleChain shortcuts), so no other package
// recomputes these numbers.
package loadbalancer
