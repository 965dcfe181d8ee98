package lbcontroller

// The controller's feature gates and flags that decide how evenly traffic
// spreads and whether rollouts lose requests. Each is set on purpose, even
// where it equals v3.5.0's default, so a chart or controller upgrade that
// changes a default does not change the cluster's behaviour unseen; a test
// holds every name to the chart's values.yaml (an unknown gate stops the
// controller at start-up: "unknown feature").
//
// Feature gates (chart value controllerConfig.featureGates, flag --feature-gates):
//
//   - EnableIPTargetType=true: IP targets, the toolkit's default for Services,
//     Ingresses and Gateways, need it; with it off the controller rejects them.
//   - NLBHealthCheckAdvancedConfig=true: without it the controller ignores the
//     NLB health-check timeout (and other advanced settings) the toolkit writes,
//     and the load balancer's real time-to-unhealthy no longer matches the one
//     preStop and the grace period were derived from.
//   - EndpointsFailOpen=true: endpoints whose readiness Kubernetes cannot tell
//     (ready unknown, e.g. a node the control plane lost contact with) stay
//     registered and the load balancer's own health check decides. Failing
//     closed would deregister every pod of a partitioned node at once, pushing
//     its share onto the others, although the pods may still serve.
//   - WeightedTargetGroups=true: weighted forward actions (Ingress actions,
//     HTTPRoute backendRefs with weights) move traffic between two Services
//     gradually, the lossless way to cut over.
//   - ALBGatewayAPI and NLBGatewayAPI: true unless GatewayAPI.Disabled; the
//     controllers behind the workload component's Gateway fronts.
//
// Flags (chart values):
//
//   - enableEndpointSlices=true: the controller resolves IP targets from
//     EndpointSlices, which carry each endpoint's ready, serving and
//     terminating conditions and its zone, and are not cut at 1,000 endpoints
//     as the Endpoints API is (deprecated since Kubernetes 1.33).
//   - enablePodReadinessGateInject=true: the webhook adds the target-health
//     readiness gate to pods in namespaces labelled
//     elbv2.k8s.aws/pod-readiness-gate-inject=enabled, so a rollout waits until
//     each new pod is healthy in its target group (the workload component labels
//     its namespaces).
//   - defaultTargetType (Args.DefaultTargetType, ip) and
//     enableServiceMutatorWebhook (Args.ServiceMutatorWebhook, false): see Args.

// featureGates are the gates the component sets (controllerConfig.featureGates).
func featureGates(a *Args) map[string]any {
	gateway := !a.GatewayAPI.Disabled
	return map[string]any{
		"EnableIPTargetType":           true,
		"NLBHealthCheckAdvancedConfig": true,
		"EndpointsFailOpen":            true,
		"WeightedTargetGroups":         true,
		"ALBGatewayAPI":                gateway,
		"NLBGatewayAPI":                gateway,
	}
}

// flags are the controller flags the component sets through top-level chart values.
func flags() map[string]any {
	return map[string]any{
		"enableEndpointSlices":         true,
		"enablePodReadinessGateInject": true,
	}
}
