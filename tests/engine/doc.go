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
// component) with an NLB front and an ALB front, and checks:
//
//   - `pulumi up` creates every resource, and the Namespace, Service, Deployment, PDB
//     (and Ingress) exist in the cluster; the live suite's checks pass: annotations as
//     rendered, the load balancer's hostname (also the component's output), the ready
//     pods spread 2/2/2 over the zones, every pod gated by a readiness gate that opened
//     only once its target was UP in the load balancer;
//   - a second `pulumi up` reports 0 changes, and a preview of a changed environment
//     variable reports one update per Deployment, so the no-change check can fail;
//   - the `pulumi up` of that change rolls every pod while load runs through both load
//     balancers, and no request is lost (old and new pods both answered);
//   - `pulumi destroy` leaves no object in the namespaces (listed by discovery over every
//     namespaced resource type; the same listing is non-empty before the destroy).
//
// It prints `pulumi up created N resources`, `second up: 0 changes`, `update rolled K
// pods, 0 lost of M requests` and `destroy left 0 objects`.
//
// The cluster lacks the AWS Load Balancer Controller, so the test plays its parts:
// the pod readiness-gate webhook (StartGateWebhookE, a real MutatingWebhookConfiguration
// served on loopback), the load balancer hostname in status (ReportLoadBalancers), and
// target registration into a load balancer that is haproxy on loopback
// (tests/controlplane/follow, which also runs each pod's process and its shutdown).
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
