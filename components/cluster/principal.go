package cluster

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// Admin access entries and the deploying principal.
//
// pulumi-eks creates the cluster with bootstrapClusterCreatorAdminPermissions
// (it deploys charts into the cluster itself), so EKS gives the principal that
// creates the cluster an access entry with cluster-admin of its own. A second
// entry for the same principal fails with 409 ResourceInUseException half-way
// through `pulumi up`. That principal is whoever runs the deployment: the
// caller identity of the AWS provider. For a role, the caller identity is a
// session, arn:aws:sts::<account>:assumed-role/<role name>/<session>, which
// drops the role's path; EKS keys the entry on the role itself,
// arn:aws:iam::<account>:role/<path><role name>. Role and user names are unique
// in an account whatever their path, so a principal is matched on partition,
// account, kind and name.
//
// What can be checked offline: two entries for the same principal (the second
// would also get 409) and a session ARN given where a role ARN is needed
// (Validate). Who deploys is known only to the AWS provider: NewCluster (and
// the platform stack, with the rest of its config) asks it with
// aws.GetCallerIdentity before creating anything; under `eksbalance plan` the
// mocked cloud's caller answers.

// principal is an IAM role or user, reduced to what identifies it.
type principal struct {
	partition, account, kind, name string
}

func (p principal) String() string {
	return fmt.Sprintf("%s %s in account %s", p.kind, p.name, p.account)
}

var (
	iamPrincipalRE  = regexp.MustCompile(`^arn:(aws[a-z-]*):iam::(\d{12}):(role|user)/(?:[^/]+/)*([^/]+)$`)
	assumedRoleRE   = regexp.MustCompile(`^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/.+$`)
	rolePathHintARN = "arn:%s:iam::%s:role/%s"
)

// parsePrincipal reads an IAM role or user ARN, or an STS assumed-role
// session ARN (as a role).
func parsePrincipal(arn string) (principal, bool) {
	if m := iamPrincipalRE.FindStringSubmatch(arn); m != nil {
		return principal{partition: m[1], account: m[2], kind: m[3], name: m[4]}, true
	}
	if m := assumedRoleRE.FindStringSubmatch(arn); m != nil {
		return principal{partition: m[1], account: m[2], kind: "role", name: m[3]}, true
	}
	return principal{}, false
}

// validateAdmins adds the offline checks of AdminPrincipalARNs to v.
func (a *Args) validateAdmins(v *validation.Errors) {
	seen := map[principal]int{}
	for i, arn := range a.AdminPrincipalARNs {
		field := fmt.Sprintf("adminPrincipalArns[%d]", i)
		if m := assumedRoleRE.FindStringSubmatch(arn); m != nil {
			v.Add(field, arn, "is a role session (sts assumed-role), not a principal: access entries take the role's ARN, "+
				rolePathHintARN+" (with the role's path, if it has one)", m[1], m[2], m[3])
			continue
		}
		if !arnRE.MatchString(arn) {
			v.Add(field, arn, "must be an IAM role or user ARN")
			continue
		}
		p, _ := parsePrincipal(arn)
		if j, dup := seen[p]; dup {
			v.Add(field, arn, "names the same %s as adminPrincipalArns[%d]; a second access entry for one principal fails with 409 ResourceInUseException", p, j)
			continue
		}
		seen[p] = i
	}
}

// ValidateDeployer reports admin entries for the principal that deploys the
// stack (callerARN, from aws.GetCallerIdentity): EKS already gave it
// cluster-admin when it created the cluster.
func (a *Args) ValidateDeployer(callerARN string) error {
	v := validation.New("cluster")
	caller, ok := parsePrincipal(callerARN)
	if !ok {
		return nil // the root user or a federated user: no role or user entry to collide with
	}
	for i, arn := range a.AdminPrincipalARNs {
		if p, ok := parsePrincipal(arn); ok && p == caller && !strings.Contains(arn, ":assumed-role/") {
			v.Add(fmt.Sprintf("adminPrincipalArns[%d]", i), arn,
				"is the principal deploying this stack (caller %s); EKS already gives it cluster-admin "+
					"(pulumi-eks creates the cluster with bootstrapClusterCreatorAdminPermissions), so this entry would fail "+
					"with 409 ResourceInUseException: remove it", callerARN)
		}
	}
	return v.Err()
}

// checkDeployer asks the AWS provider who is deploying (inheriting the
// component's providers through parent) and refuses an admin entry for it.
// Without admin entries there is nothing to ask.
func checkDeployer(ctx *pulumi.Context, a *Args, parent pulumi.ResourceOrInvokeOption) error {
	if len(a.AdminPrincipalARNs) == 0 {
		return nil
	}
	id, err := aws.GetCallerIdentity(ctx, nil, parent)
	if err != nil {
		return fmt.Errorf("cluster: looking up the principal deploying the stack (aws.GetCallerIdentity): %w", err)
	}
	return a.ValidateDeployer(id.Arn)
}
