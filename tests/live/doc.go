// Package live is eksbalance's live proof: a Terratest suite that deploys the
// examples into your AWS account and checks, against real load balancers,
// what the rest of the toolkit only predicts. The offline plan, the policies
// and the traffic model say what should happen; the local lab (tests/lab)
// shows the measuring code is right on haproxy; this suite shows the real
// thing on EKS.
//
//	make test-live        # go test -count=1 -tags live -timeout 90m -v ./tests/live/
//
// # What it does
//
// For examples/nlb-service, examples/alb-ingress and examples/gateway-nlb (the
// same NLB settings behind a Gateway of class aws-nlb with a TCPRoute), in
// parallel:
//
//  1. Deploys the program with the Pulumi Automation API as a new stack
//     (live-MMDD-HHMM-xxxx), with aws:region, <project>:replicas=6 and
//     <project>:public=true, and destroys it at the end, also when the test
//     fails (t.Cleanup, registered before `pulumi up`), unless
//     EKSBALANCE_KEEP=1.
//  2. Writes the kubeconfig output to a temporary file and, with Terratest's
//     k8s helpers, waits for the Deployment, checks that the Service (NLB) or
//     Ingress (ALB) carries exactly the annotations the workload component
//     renders for the example's settings (for the Gateway example: that its
//     TargetGroupConfiguration and LoadBalancerConfiguration hold every field
//     the component renders), and waits for the load balancer's hostname (the
//     Gateway's status.addresses for the Gateway example). The Gateway's NLB
//     is then held to exactly the checks of the Service's NLB below.
//  3. With the AWS SDK (ELBv2), finds the load balancer by that DNS name and
//     compares it with the settings the component asked for, taken from the
//     components' own defaults (workload.Args.SetDefaults, which fills the
//     loadbalancer package's NLB/ALB defaults and Timings) so every number has
//     one source: type and scheme; cross-zone on (the NLB's attribute, and no
//     target group turning it off); ip targets; the listener idle timeout (the
//     NLB example's 600 s tcp.idle_timeout.seconds, the ALB example's 120 s
//     idle_timeout.timeout_seconds); health-check protocol, port, path,
//     interval, timeout and thresholds; deregistration delay and the other
//     target-group attributes. Then it waits until the target groups hold
//     exactly the ready pods' IPs, all healthy.
//  4. Spread: builds the model's topology from the placement Kubernetes made
//     (ready pods per node, nodes per zone label topology.kubernetes.io/zone,
//     the load balancer's zones), takes each pod's expected share from
//     model.Predict, and sends requests to /hostname (the sample app answers
//     its pod name) through the load balancer: a fresh connection per request
//     to the NLB (it balances connections), a keepalive pool to the ALB (it
//     balances requests), spread at random over the load balancer's per-zone
//     addresses as many independent clients would be. It asserts a
//     chi-square p-value above Alpha (0.001) and a busiest-pod max/mean under
//     MaxOverMeanBound, and that no request failed.
//  5. Rollout: `kubectl rollout restart` of the Deployment under steady load
//     (40 requests/s against the hostname, resolved per connection), until
//     the old pods are gone plus 30 s, and asserts that not one request
//     failed, printing every failed request with its time and kind and a
//     timeline of pod state changes.
//
// # Thresholds and why
//
// The run is a regression alarm, not a hypothesis test. Alpha = 0.001: a
// correct deployment fails by chance once in a thousand runs, not one in
// twenty. The sample is then sized so the test keeps its power: one pod 15%
// off its share is caught with probability 0.9 (6,491 requests for six even
// pods, never fewer than 3,000). Max/mean must stay under the model's own
// max/mean plus 4 standard errors of sampling noise (about 1.11 for six pods
// at that sample size); with the toolkit's settings (ip targets, cross-zone
// on) the model says 1.0 for any placement. The rollout allows zero failures:
// the toolkit's claim is that a rollout loses nothing.
//
// # What it costs and how long it takes
//
// Per example: an EKS control plane (about $0.10/h), three t3.large nodes (one
// per zone), a NAT gateway with its elastic IP, and the NLB or ALB, plus small
// KMS, CloudWatch and data-transfer charges: about $1.50 for a run of an hour
// for the three examples together. Deploying takes about 20-25 min (most of it the
// EKS control plane; the first run also compiles the Pulumi program and
// installs the provider plugins), measuring and rolling about 10 min, and
// destroying about 10-15 min: roughly 25-35 min until the verdict, 40-50 min
// until everything is gone. The examples run in parallel, so budget three
// VPCs, three NAT gateways and three elastic IPs of your quotas.
//
// # What it needs
//
//   - AWS credentials allowed to create and delete VPCs, subnets, NAT and
//     internet gateways, EKS clusters and managed node groups, IAM roles,
//     policies and OIDC providers, KMS keys, security groups and ELBv2 load
//     balancers; any source the AWS SDK reads (environment, profile, SSO, web
//     identity, container credentials; an EC2 instance profile with
//     EKSBALANCE_AWS_IMDS=1).
//   - The pulumi CLI on PATH, logged in (PULUMI_ACCESS_TOKEN or `pulumi
//     login`), or a self-managed backend in PULUMI_BACKEND_URL together with
//     PULUMI_CONFIG_PASSPHRASE (or _FILE) for the stack's secrets.
//   - kubectl and the aws CLI on PATH (the kubeconfig runs `aws eks
//     get-token`), and Go (the Pulumi Go runtime compiles the example).
//   - A network path from the runner to the cluster's API endpoint (for
//     `pulumi up` itself, which deploys Kubernetes objects, and for the
//     checks) and to the load balancer. The suite makes the load balancer
//     internet-facing (<project>:public=true) rather than running inside the
//     VPC, because the VPC does not exist before the run; only the sample
//     app's /hostname is exposed, and only for the run. The API endpoint is
//     opened only to EKSBALANCE_API_CIDRS (the runner's address as CIDRs,
//     passed to the examples' apiAccessCidrs config); it stays private
//     otherwise.
//   - go test's -timeout of at least MinTimeout (make test-live passes 90m).
//
// Without AWS credentials, the pulumi CLI, a Pulumi backend, kubectl, the aws
// CLI or enough -timeout, TestLive skips with one line naming what is missing,
// e.g. "live: skipped: no AWS credentials (set AWS_PROFILE or
// AWS_ACCESS_KEY_ID); pulumi CLI not on PATH; ..." (see Preflight); with
// EKSBALANCE_LIVE_REQUIRED=1 it fails instead, so a CI job meant to run it
// cannot pass by skipping. The decision is made by untagged code (Preflight,
// TimeoutReason) whose tests run in `make test`; only the files that touch
// AWS and Pulumi carry the live build tag.
//
// # Without AWS
//
// Two parts of this suite run in `make test` without an account:
//
//   - TestELBAttributesOnMoto runs the ELBv2 helpers (NewELBClientE, DescribeE,
//     CheckNLB, CheckALB, TargetsHealthyE) against moto_server on loopback, on
//     load balancers made from the annotations the components render, and shows
//     the checker catching one wrong value at a time.
//   - tests/engine deploys the workload component on a local control plane with
//     the real Pulumi engine, through NewStackE (StackOptions.Program: an inline
//     program, no language host), UpResultE, PreviewE, DestroyE and the
//     Terratest-based checks here, skipping by name the checks only AWS can
//     answer.
//
// # Settings (environment)
//
//   - EKSBALANCE_KEEP=1: leave the stacks running; the log prints the
//     command that removes them.
//   - EKSBALANCE_STACK=name: use (or reuse) this stack name instead of a new
//     one per run; with EKSBALANCE_KEEP=1, iterate on a deployed stack.
//   - AWS_REGION (or AWS_DEFAULT_REGION): region, default us-east-1.
//   - EKSBALANCE_REQUESTS=n: distribution sample size per example (3,000 to
//     1,000,000), default derived as above.
//   - EKSBALANCE_LIVE_REQUIRED=1: fail rather than skip when something is
//     missing.
//   - EKSBALANCE_AWS_IMDS=1: credentials come from the EC2 instance profile.
//   - EKSBALANCE_API_CIDRS=203.0.113.7/32[,...]: required; who may reach the
//     clusters' API endpoints during the run.
//
// `go test -run 'TestLive/NLB'` runs one example. If the process is killed
// (Ctrl-C twice, a CI timeout), the cleanup cannot run: the stack name is in
// the log, and `cd examples/<name> && pulumi destroy --yes --remove -s <stack>`
// removes it.
//
// The helpers follow Terratest's conventions (t testing.TestingT first; an
// XE variant returns the error, X fails the test; waits go through the retry
// module), so a user's own live tests can reuse them with the same build tag.
package live
