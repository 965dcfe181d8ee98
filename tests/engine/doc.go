// Package engine runs the real Pulumi engine against the local control plane
// (tests/controlplane): the pulumi CLI v3.205.0 and the Kubernetes provider 4.24.0,
// both built from the Go module proxy by tools/build.sh, drive the workload component
// through the live suite's own Automation API and Terratest functions (tests/live) with
// a local target instead of AWS.
//
//	make test-engine    # builds or reuses the binaries, then go test -tags live here
//
// TestPulumiEngineOnLocalControlPlane deploys the workload component on the "existing
// cluster" path (a kubernetes.Provider from the local cluster's kubeconfig, no cluster
// component) with three fronts: an NLB Service, an ALB Ingress and a Gateway of the
// controller's NLB class (FrontGatewayNLB: Gateway, TCPRoute, LoadBalancerConfiguration,
// TargetGroupConfiguration, applied against the real Gateway API and gateway.k8s.aws
// CRDs the control-plane harness installs from testdata/upstream), and checks:
//
//   - `pulumi up` creates every resource, and the Namespace, Service, Deployment, PDB
//     (and Ingress, or Gateway, route and configurations) exist in the cluster; the live
//     suite's checks pass: annotations (or the Gateway's configuration specs) as
//     rendered, the load balancer's hostname (also the component's output, which for the
//     Gateway is only known because the provider waited for its Programmed condition),
//     the ready pods spread 2/2/2 over the zones, every pod gated by a readiness gate
//     that opened only once its target was UP in the load balancer;
//   - a second `pulumi up` reports 0 changes, and a preview of a changed environment
//     variable reports one update per Deployment, so the no-change check can fail;
//   - the `pulumi up` of that change rolls every pod while load runs through the three
//     load balancers, and no request is lost (old and new pods both answered);
//   - `pulumi destroy` leaves no object in the namespaces (listed by discovery over every
//     namespaced resource type; the same listing is non-empty before the destroy).
//
// It prints `pulumi up created N resources`, `second up: 0 changes`, `update rolled K
// pods, 0 lost of M requests` and `destroy left 0 objects`.
//
// The cluster lacks the AWS Load Balancer Controller, so the test plays its parts:
// the pod readiness-gate webhook (StartGateWebhookE, a real MutatingWebhookConfiguration
// served on loopback), its GatewayClasses (CreateGatewayClassesE), the load balancer
// hostname in status (ReportLoadBalancers for Services and Ingresses; ReportGateways
// writes a Gateway's status.addresses and its Accepted and Programmed conditions), and
// target registration into a load balancer that is haproxy on loopback
// (tests/controlplane/follow, which also runs each pod's process and its shutdown, and
// reads a Gateway backend's target group from its route and TargetGroupConfiguration).
//
// How the pinned Kubernetes provider awaits what it creates: a LoadBalancer Service
// until status.loadBalancer.ingress has an address, an Ingress likewise, a Deployment
// until its rollout is complete; a custom resource such as a Gateway not at all unless
// it carries pulumi.com/waitFor (or PULUMI_K8S_AWAIT_ALL=true is set, whose kstatus
// rules take a Gateway with Programmed Unknown as ready). The gateway component puts
// pulumi.com/waitFor: condition=Programmed on its Gateway, so without ReportGateways the
// up would wait for the provider's 10-minute timeout and fail; with it, the exported
// hostname is the stand-in's address (before, it was always empty). Deletion waits
// until each object is gone, custom resources included.
//
// Why a module of its own: the test needs both the toolkit (the root module: Pulumi SDK,
// components, the live suite) and the control-plane harness (tests/controlplane, whose
// go.mod pins k8s.io/kubernetes and its staging modules). Neither go.mod takes the
// other's graph: this module requires both through local replaces, imports only the
// harness's client-side packages (never k8s.io/kubernetes), and its go.sum is the only
// place the two graphs meet.
//
// The Pulumi side is self-contained (Workspace): a file backend and PULUMI_HOME in the
// test's temporary directory, a random passphrase for secrets, the CLI and provider from
// the tools/build.sh cache on PATH, and automatic plugin downloads off. The language host
// for Go (pulumi-language-go) is not served by the module proxy, so the program is an
// Automation API inline program run in the test process.
//
// Missing binaries (control plane, pulumi, provider) or haproxy skip the test with a
// one-line reason, or fail it when CI is set.
package engine
