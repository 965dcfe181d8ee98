// Package lbcontroller installs the AWS Load Balancer Controller into an EKS
// cluster: the component that turns the toolkit's Services (NLB, IP targets) and
// Ingresses (ALB) into load balancers that send traffic straight to pod IPs, and
// that binds target groups created by Pulumi through TargetGroupBinding.
//
// It sits after the cluster component: the caller hands it the cluster's name,
// VPC and OIDC provider, plus the cluster's Kubernetes provider through
// pulumi.Providers, and it creates
//
//   - an IAM role for the controller's service account (IRSA), trusted only by
//     the cluster's OIDC provider for exactly
//     system:serviceaccount:kube-system:aws-load-balancer-controller with audience
//     sts.amazonaws.com;
//   - an IAM policy from iam-policy.json, kept in the repository as data so a
//     review sees every permission, attached to that role;
//   - a Helm release of the official chart (eks-charts), pinned by chart version
//     and image tag (chart 3.5.0, controller v3.5.0), with two replicas spread
//     over zones and a PodDisruptionBudget, so rollouts of the controller itself
//     never leave the cluster without one (pod readiness gates stall without
//     it), and the feature gates and flags that matter for even traffic and
//     lossless rollouts set on purpose (features.go says which and why);
//   - for the Gateway API (unless GatewayAPI.Disabled): the Gateway API
//     standard CRDs and the controller's gateway.k8s.aws CRDs, both pinned and
//     installed before the controller starts, and the GatewayClasses "aws-alb"
//     and "aws-nlb" that the workload component's Gateway fronts use.
//
// The IAM policy is this project's rendering of the controller's published
// reference policy (docs/install/iam_policy.json upstream), with statement IDs
// added; for v3.5.0 the published statement set is the same as v2.13's, and a
// test compares the rendering statement by statement with the published
// policy of each partition (aws, aws-cn, aws-us-gov). It keeps every tag scope
// the published policy has.
// Since controller v2.2 the published policy scopes its write actions with the
// single tag elbv2.k8s.aws/cluster, which the controller puts on every load
// balancer, target group and security group it creates; the older tag keys
// ingress.k8s.aws/cluster and service.k8s.aws/cluster only appear in the
// v2.0/v2.1 policy and are deliberately left out, because granting them would
// only widen access to resources of controllers this toolkit never runs.
// The few write actions the published policy leaves unscoped (listener and
// rule create/delete, security-group creation, target registration) stay
// unscoped here: AWS cannot tag-scope them the way the controller calls them,
// and RegisterTargets must also work on target groups made outside the
// controller (TargetGroupBinding).
package lbcontroller
