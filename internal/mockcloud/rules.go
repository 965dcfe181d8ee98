package mockcloud

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Rejections: the input combinations that the pinned providers refuse, so that
// the component tests and `eksbalance plan` fail where `pulumi up` would.
// Each rule names where the provider checks it:
//
//   - pulumi-eks v3.9.0 is a Node.js provider. Its argument checks live in
//     nodejs/eks/cluster.ts (createCore), nodejs/eks/authenticationMode.ts
//     (validateAuthenticationMode) and nodejs/eks/nodegroup.ts
//     (createManagedNodeGroupInternal); they throw with the messages quoted
//     below (grep for them). The same constraints are documented on the
//     arguments of the pinned Go SDK, github.com/pulumi/pulumi-eks/sdk/v3@v3.9.0
//     go/eks/cluster.go and go/eks/managedNodeGroup.go, at the lines cited.
//   - pulumi-aws v6.83.0 bridges terraform-provider-aws v5: schema checks
//     (ValidateFunc, ConflictsWith, ExactlyOneOf) in
//     internal/service/<service>/<resource>.go refuse a preview. pulumi-eks'
//     ManagedNodeGroup passes its arguments on to aws.eks.NodeGroup, so the node
//     group's schema applies to the component's inputs too.
//
// A rule looks only at values the program already knows: the providers run
// their checks on known values (pulumi-eks inside apply, the bridge on
// resolved inputs), except pulumi-eks' "both set" checks, which also fire on an
// unknown value (an Output is truthy in JavaScript), as they do here.

// Problem is one input combination a provider refuses.
type Problem struct {
	// Field is the input, as the provider names it (e.g. publicAccessCidrs).
	Field string
	// Value is what the program sent.
	Value any
	// Rule is the provider's own message or schema constraint.
	Rule string
	// Source is where the provider checks it.
	Source string
}

// Rejection is every problem the providers find with one registration.
type Rejection struct {
	Type, Name string
	Problems   []Problem
}

func (r *Rejection) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q would be rejected by its provider (%d problem", r.Type, r.Name, len(r.Problems))
	if len(r.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "\n  - %s: %v: %s [%s]", p.Field, p.Value, p.Rule, p.Source)
	}
	return b.String()
}

// Has reports whether a problem was found on field.
func (r *Rejection) Has(field string) bool {
	for _, p := range r.Problems {
		if p.Field == field {
			return true
		}
	}
	return false
}

// Lookup finds another registration by URN: its type token and inputs.
type Lookup func(urn string) (typeToken string, inputs resource.PropertyMap, ok bool)

// Check returns a *Rejection listing every rule the registration breaks, or nil.
func Check(typeToken, name string, inputs resource.PropertyMap, lookup Lookup) error {
	var problems []Problem
	for _, r := range rules[typeToken] {
		for _, p := range r.check(inputs, lookup) {
			p.Source = r.source
			problems = append(problems, p)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &Rejection{Type: typeToken, Name: name, Problems: problems}
}

// Sources of the rules, one line each.
const (
	eksCluster = "pulumi-eks v3.9.0 nodejs/eks/cluster.ts createCore"
	eksAuth    = "pulumi-eks v3.9.0 nodejs/eks/authenticationMode.ts validateAuthenticationMode"
	eksMNG     = "pulumi-eks v3.9.0 nodejs/eks/nodegroup.ts createManagedNodeGroupInternal"
	tfNG       = "terraform-provider-aws v5 internal/service/eks/node_group.go resourceNodeGroup schema"
)

type rule struct {
	source string
	check  func(in resource.PropertyMap, lookup Lookup) []Problem
}

var rules = map[string][]rule{
	"eks:index:Cluster": {
		{eksCluster + ` ("instanceRole and instanceRoles are mutually exclusive"); sdk/v3@v3.9.0 go/eks/cluster.go:450,454`,
			bothSet("instanceRole", "instanceRoles", "instanceRole and instanceRoles are mutually exclusive, and cannot both be set.")},
		{eksCluster + ` ("subnetIds, and the use of publicSubnetIds and/or privateSubnetIds are mutually exclusive"); sdk/v3@v3.9.0 go/eks/cluster.go:597`,
			clusterSubnets},
		{eksCluster + ` ("Setting nodeGroupOptions, and any set of singular node group option(s) on the cluster, is mutually exclusive")`,
			clusterNodeGroupOptions},
		{eksAuth + ` ("Invalid value for authenticationMode")`,
			clusterAuthModeValue},
		{eksAuth + ` ("The '${prop}' property is not supported when 'authenticationMode' is set to", "does not support non-empty values when 'authenticationMode' is set to")`,
			clusterConfigMapOnly},
		{eksAuth + ` ("The 'accessEntries' property is not supported when 'authenticationMode' is")`,
			clusterAccessEntriesMode},
		{eksCluster + ` ("Access entries are required when using EKS Auto Mode")`,
			clusterAutoModeAccessEntries},
		{eksCluster + " (\"`publicAccessCidrs` can only be set when `endpointPublicAccess` is true\"; endpointPublicAccess defaults to true)",
			clusterPublicAccessCIDRs},
	},
	"eks:index:ManagedNodeGroup": append([]rule{
		{eksMNG + ` ("An IAM role, or role ARN must be provided to create a managed node group")`,
			mngRoleRequired},
		{eksMNG + ` ("You cannot specify both nodeRole and nodeRoleArn"); sdk/v3@v3.9.0 go/eks/managedNodeGroup.go:398,402`,
			bothSet("nodeRole", "nodeRoleArn", "You cannot specify both nodeRole and nodeRoleArn when creating a managed node group.")},
		{eksMNG + ` ("You cannot specify both amiId and ${key}"); sdk/v3@v3.9.0 go/eks/managedNodeGroup.go:329,334,373`,
			mngAMIID},
		{eksMNG + ` ("If you provide a custom launch template, you cannot provide ..."); sdk/v3@v3.9.0 go/eks/managedNodeGroup.go:340,366,384`,
			mngLaunchTemplate},
		{eksMNG + ` ("If you provide custom userData, you cannot provide ..."); sdk/v3@v3.9.0 go/eks/managedNodeGroup.go:390`,
			mngUserData},
		{eksMNG + ` ("You must specify placementGroupAvailabilityZone when enabling EFA support")`,
			mngEFA},
		{eksMNG + ` ("A managed node group cannot be created without first setting its role in the cluster's instanceRoles")`,
			mngInstanceRoles},
	}, nodeGroupSchema...),
	"aws:eks/nodeGroup:NodeGroup": nodeGroupSchema,
	"aws:eks/accessEntry:AccessEntry": {
		{"terraform-provider-aws v5 internal/service/eks/access_entry.go: type ValidateFunc StringInSlice(accessEntryType_Values()) (consts.go)",
			oneOf("type", "STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "EC2", "HYBRID_LINUX")},
		{"terraform-provider-aws v5 internal/service/eks/access_entry.go: principal_arn ValidateFunc verify.ValidARN",
			validARN("principalArn")},
		{"terraform-provider-aws v5 internal/service/eks/access_entry.go: cluster_name ValidateFunc validClusterName (validate.go)",
			clusterName("clusterName")},
	},
	"aws:iam/role:Role": {
		{"terraform-provider-aws v5 internal/service/iam/role.go: name ConflictsWith name_prefix",
			bothSet("name", "namePrefix", "conflicts with namePrefix")},
		{"terraform-provider-aws v5 internal/service/iam/role.go: name validResourceName(roleNameMaxLen = 64), name_prefix roleNamePrefixMaxLen = 64 - 26",
			maxLen(map[string]int{"name": 64, "namePrefix": 38})},
	},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
		{"terraform-provider-aws v5 internal/service/iam/role_policy_attachment.go: policy_arn ValidateFunc verify.ValidARN",
			validARN("policyArn")},
	},
	"aws:kms/key:Key": {
		{"terraform-provider-aws v5 internal/service/kms/key.go: deletion_window_in_days ValidateFunc IntBetween(7, 30)",
			intBetween("deletionWindowInDays", 7, 30)},
	},
}

// nodeGroupSchema is aws_eks_node_group's schema, which pulumi-eks'
// ManagedNodeGroup inputs reach unchanged.
var nodeGroupSchema = []rule{
	{tfNG + ": node_group_name ConflictsWith node_group_name_prefix",
		bothSet("nodeGroupName", "nodeGroupNamePrefix", "conflicts with nodeGroupNamePrefix")},
	{tfNG + ": node_group_name StringLenBetween(0, 63)",
		maxLen(map[string]int{"nodeGroupName": 63})},
	{tfNG + ": scaling_config desired_size IntAtLeast(0), max_size IntAtLeast(1), min_size IntAtLeast(0)",
		nodeGroupScaling},
	{tfNG + ": capacity_type enum.Validate[types.CapacityTypes]",
		oneOf("capacityType", "ON_DEMAND", "SPOT", "CAPACITY_BLOCK")},
	{tfNG + ": taint MaxItems 50, key StringLenBetween(1, 63), value StringLenBetween(0, 63), effect enum.Validate[types.TaintEffect]",
		nodeGroupTaints},
	{tfNG + ": update_config max_unavailable, max_unavailable_percentage ExactlyOneOf, IntBetween(1, 100)",
		nodeGroupUpdateConfig},
	{tfNG + ": subnet_ids MinItems 1",
		nodeGroupSubnets},
}

// --- values -----------------------------------------------------------------

// val is one input as a rule sees it.
type val struct {
	v     resource.PropertyValue
	set   bool // present and not null
	known bool // not computed
}

// at reads a dotted path, looking through secrets and known outputs.
func at(m resource.PropertyMap, path string) val {
	cur := resource.NewObjectProperty(m)
	for _, step := range strings.Split(path, ".") {
		cur = unwrap(cur)
		if cur.IsComputed() || (cur.IsOutput() && !cur.OutputValue().Known) {
			return val{set: true}
		}
		if !cur.IsObject() {
			return val{}
		}
		next, ok := cur.ObjectValue()[resource.PropertyKey(step)]
		if !ok {
			return val{}
		}
		cur = next
	}
	cur = unwrap(cur)
	switch {
	case cur.IsNull():
		return val{}
	case cur.IsComputed() || (cur.IsOutput() && !cur.OutputValue().Known):
		return val{set: true}
	}
	return val{v: cur, set: true, known: true}
}

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput() && v.OutputValue().Known:
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

// truthy is JavaScript truthiness, which pulumi-eks' checks use: an unknown
// value is an Output object and so true; false, 0 and "" are false; any
// array or object, even empty, is true.
func (x val) truthy() bool {
	switch {
	case !x.set:
		return false
	case !x.known:
		return true
	case x.v.IsBool():
		return x.v.BoolValue()
	case x.v.IsNumber():
		return x.v.NumberValue() != 0
	case x.v.IsString():
		return x.v.StringValue() != ""
	}
	return true
}

func (x val) str() (string, bool) {
	if !x.known || !x.v.IsString() {
		return "", false
	}
	return x.v.StringValue(), true
}

func (x val) num() (float64, bool) {
	if !x.known || !x.v.IsNumber() {
		return 0, false
	}
	return x.v.NumberValue(), true
}

func (x val) boolean() (bool, bool) {
	if !x.known || !x.v.IsBool() {
		return false, false
	}
	return x.v.BoolValue(), true
}

func (x val) array() ([]resource.PropertyValue, bool) {
	if !x.known || !x.v.IsArray() {
		return nil, false
	}
	return x.v.ArrayValue(), true
}

// urn is the URN a resource-reference input points at.
func (x val) urn() (string, bool) {
	if !x.known || !x.v.IsResourceReference() {
		return "", false
	}
	return string(x.v.ResourceReferenceValue().URN), true
}

// plain renders a value for a message.
func (x val) plain() any {
	if !x.set {
		return "<unset>"
	}
	if !x.known {
		return "<unknown>"
	}
	return plainOf(x.v)
}

func plainOf(v resource.PropertyValue) any {
	v = unwrap(v)
	switch {
	case v.IsArray():
		out := []any{}
		for _, e := range v.ArrayValue() {
			out = append(out, plainOf(e))
		}
		return out
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = plainOf(e)
		}
		return out
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsComputed(), v.IsOutput():
		return "<unknown>"
	}
	return v.V
}

// --- rule builders ------------------------------------------------------------

func bothSet(a, b, msg string) func(resource.PropertyMap, Lookup) []Problem {
	return func(in resource.PropertyMap, _ Lookup) []Problem {
		if at(in, a).truthy() && at(in, b).truthy() {
			return []Problem{{Field: a, Value: fmt.Sprintf("%v and %s %v", at(in, a).plain(), b, at(in, b).plain()), Rule: msg}}
		}
		return nil
	}
}

func oneOf(field string, allowed ...string) func(resource.PropertyMap, Lookup) []Problem {
	return func(in resource.PropertyMap, _ Lookup) []Problem {
		s, ok := at(in, field).str()
		if !ok {
			return nil
		}
		for _, a := range allowed {
			if s == a {
				return nil
			}
		}
		return []Problem{{Field: field, Value: s, Rule: "expected one of " + strings.Join(allowed, ", ")}}
	}
}

func maxLen(limits map[string]int) func(resource.PropertyMap, Lookup) []Problem {
	return func(in resource.PropertyMap, _ Lookup) []Problem {
		var out []Problem
		for _, field := range sortedKeys(limits) {
			if s, ok := at(in, field).str(); ok && len(s) > limits[field] {
				out = append(out, Problem{Field: field, Value: s, Rule: fmt.Sprintf("is %d characters; at most %d allowed", len(s), limits[field])})
			}
		}
		return out
	}
}

func intBetween(field string, lo, hi float64) func(resource.PropertyMap, Lookup) []Problem {
	return func(in resource.PropertyMap, _ Lookup) []Problem {
		if n, ok := at(in, field).num(); ok && (n < lo || n > hi) {
			return []Problem{{Field: field, Value: n, Rule: fmt.Sprintf("expected to be in the range (%v - %v)", lo, hi)}}
		}
		return nil
	}
}

// arnRE is verify.ValidARN's shape: arn:partition:service:region:account:resource.
var arnRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:.+$`)

func validARN(field string) func(resource.PropertyMap, Lookup) []Problem {
	return func(in resource.PropertyMap, _ Lookup) []Problem {
		if s, ok := at(in, field).str(); ok && !arnRE.MatchString(s) {
			return []Problem{{Field: field, Value: s, Rule: "is not a valid ARN (arn:partition:service:region:account:resource)"}}
		}
		return nil
	}
}

var clusterNameRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_-]*$`)

func clusterName(field string) func(resource.PropertyMap, Lookup) []Problem {
	return func(in resource.PropertyMap, _ Lookup) []Problem {
		s, ok := at(in, field).str()
		if !ok || (len(s) >= 1 && len(s) <= 100 && clusterNameRE.MatchString(s)) {
			return nil
		}
		return []Problem{{Field: field, Value: s, Rule: "must be 1-100 characters matching ^[0-9A-Za-z][0-9A-Za-z_-]*$"}}
	}
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// --- pulumi-eks Cluster ---------------------------------------------------------

func clusterSubnets(in resource.PropertyMap, _ Lookup) []Problem {
	if at(in, "subnetIds").truthy() && (at(in, "publicSubnetIds").truthy() || at(in, "privateSubnetIds").truthy()) {
		return []Problem{{Field: "subnetIds", Value: at(in, "subnetIds").plain(),
			Rule: "subnetIds, and the use of publicSubnetIds and/or privateSubnetIds are mutually exclusive. Choose a single approach."}}
	}
	return nil
}

// singularNodeGroupOptions are the cluster arguments createCore refuses next to
// nodeGroupOptions.
var singularNodeGroupOptions = []string{"nodeSubnetIds", "nodeAssociatePublicIpAddress", "instanceType",
	"instanceProfileName", "nodePublicKey", "nodeRootVolumeSize", "nodeUserData", "minSize", "maxSize",
	"desiredCapacity", "nodeAmiId", "gpu"}

func clusterNodeGroupOptions(in resource.PropertyMap, _ Lookup) []Problem {
	if !at(in, "nodeGroupOptions").truthy() {
		return nil
	}
	var set []string
	for _, f := range singularNodeGroupOptions {
		if at(in, f).truthy() {
			set = append(set, f)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return []Problem{{Field: "nodeGroupOptions", Value: "set, with " + strings.Join(set, ", "),
		Rule: "Setting nodeGroupOptions, and any set of singular node group option(s) on the cluster, is mutually exclusive. Choose a single approach."}}
}

const (
	authConfigMap   = "CONFIG_MAP"
	authAPI         = "API"
	authAPIAndCMap  = "API_AND_CONFIG_MAP"
	authModeUnknown = "\x00unknown"
)

// authMode is the cluster's authenticationMode: "" when unset (pulumi-eks
// then means CONFIG_MAP), authModeUnknown when not known yet.
func authMode(in resource.PropertyMap) string {
	x := at(in, "authenticationMode")
	if !x.set {
		return ""
	}
	s, ok := x.str()
	if !ok {
		return authModeUnknown
	}
	return s
}

func supportsConfigMap(mode string) bool {
	return mode == "" || mode == authConfigMap || mode == authAPIAndCMap
}

func supportsAccessEntries(mode string) bool { return mode == authAPI || mode == authAPIAndCMap }

func clusterAuthModeValue(in resource.PropertyMap, _ Lookup) []Problem {
	switch mode := authMode(in); mode {
	case "", authModeUnknown, authConfigMap, authAPI, authAPIAndCMap:
		return nil
	default:
		return []Problem{{Field: "authenticationMode", Value: mode,
			Rule: fmt.Sprintf("Invalid value for authenticationMode: %s. Allowed values are: CONFIG_MAP, API_AND_CONFIG_MAP, API.", mode)}}
	}
}

// clusterConfigMapOnly: without the aws-auth ConfigMap, validateAuthenticationMode
// refuses roleMappings and userMappings whenever they are defined (an empty
// list too) and instanceRoles when it is not empty, each once its value is
// known (validatedInput checks an Output inside its apply).
func clusterConfigMapOnly(in resource.PropertyMap, _ Lookup) []Problem {
	mode := authMode(in)
	if mode == authModeUnknown || supportsConfigMap(mode) {
		return nil
	}
	var out []Problem
	for _, f := range []string{"roleMappings", "userMappings"} {
		if x := at(in, f); x.set && x.known {
			out = append(out, Problem{Field: f, Value: x.plain(),
				Rule: fmt.Sprintf("The '%s' property is not supported when 'authenticationMode' is set to '%s'.", f, mode)})
		}
	}
	if arr, ok := at(in, "instanceRoles").array(); ok && len(arr) > 0 {
		out = append(out, Problem{Field: "instanceRoles", Value: at(in, "instanceRoles").plain(),
			Rule: fmt.Sprintf("The 'instanceRoles' property does not support non-empty values when 'authenticationMode' is set to '%s'.", mode)})
	}
	return out
}

func clusterAccessEntriesMode(in resource.PropertyMap, _ Lookup) []Problem {
	mode := authMode(in)
	if mode == authModeUnknown || supportsAccessEntries(mode) || !at(in, "accessEntries").truthy() {
		return nil
	}
	how := "not set"
	if mode != "" {
		how = "set to '" + mode + "'"
	}
	return []Problem{{Field: "accessEntries", Value: at(in, "accessEntries").plain(),
		Rule: "The 'accessEntries' property is not supported when 'authenticationMode' is " + how + "."}}
}

func clusterAutoModeAccessEntries(in resource.PropertyMap, _ Lookup) []Problem {
	enabled, ok := at(in, "autoMode.enabled").boolean()
	mode := authMode(in)
	if !ok || !enabled || mode == authModeUnknown || supportsAccessEntries(mode) {
		return nil
	}
	return []Problem{{Field: "autoMode.enabled", Value: true,
		Rule: "Access entries are required when using EKS Auto Mode. Use the authentication mode 'API' or 'API_AND_CONFIG_MAP'."}}
}

// clusterPublicAccessCIDRs: pulumi-eks checks inside an apply over both
// values, so only when both are known; any array is "set", even an empty one
// (which is what pulumi.ToStringArray(nil) sends).
func clusterPublicAccessCIDRs(in resource.PropertyMap, _ Lookup) []Problem {
	cidrs := at(in, "publicAccessCidrs")
	if !cidrs.set || !cidrs.known {
		return nil
	}
	public := at(in, "endpointPublicAccess")
	if public.set {
		b, ok := public.boolean()
		if !ok || b {
			return nil
		}
	} else {
		return nil // the default is true
	}
	return []Problem{{Field: "publicAccessCidrs", Value: cidrs.plain(),
		Rule: "`publicAccessCidrs` can only be set when `endpointPublicAccess` is true"}}
}

// --- pulumi-eks ManagedNodeGroup -------------------------------------------------

func mngRoleRequired(in resource.PropertyMap, _ Lookup) []Problem {
	if !at(in, "nodeRole").truthy() && !at(in, "nodeRoleArn").truthy() {
		return []Problem{{Field: "nodeRole", Value: "<unset>", Rule: "An IAM role, or role ARN must be provided to create a managed node group"}}
	}
	return nil
}

func mngAMIID(in resource.PropertyMap, _ Lookup) []Problem {
	if !at(in, "amiId").truthy() {
		return nil
	}
	var out []Problem
	for _, k := range []string{"gpu", "amiType"} {
		if at(in, k).truthy() {
			out = append(out, Problem{Field: "amiId", Value: fmt.Sprintf("%v and %s %v", at(in, "amiId").plain(), k, at(in, k).plain()),
				Rule: fmt.Sprintf("You cannot specify both amiId and %s when creating a managed node group.", k)})
		}
	}
	return out
}

// customUserDataArgs are the managed node group arguments that make pulumi-eks
// write its own user data.
var customUserDataArgs = []string{"kubeletExtraArgs", "bootstrapExtraArgs", "bottlerocketSettings", "nodeadmExtraOptions"}

func mngLaunchTemplate(in resource.PropertyMap, _ Lookup) []Problem {
	if !at(in, "launchTemplate").truthy() {
		return nil
	}
	var set []string
	for _, f := range append(append([]string{}, customUserDataArgs...), "enableIMDSv2", "userData", "amiId", "enableEfaSupport") {
		if at(in, f).set {
			set = append(set, f)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return []Problem{{Field: "launchTemplate", Value: "set, with " + strings.Join(set, ", "),
		Rule: "If you provide a custom launch template, you cannot provide " + strings.Join(set, ", ") + ". Please include these in the launch template that you are providing."}}
}

func mngUserData(in resource.PropertyMap, _ Lookup) []Problem {
	if !at(in, "userData").truthy() {
		return nil
	}
	var set []string
	for _, f := range customUserDataArgs {
		if at(in, f).set {
			set = append(set, f)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return []Problem{{Field: "userData", Value: "set, with " + strings.Join(set, ", "),
		Rule: "If you provide custom userData, you cannot provide " + strings.Join(set, ", ") + ". Please include these in the userData that you are providing."}}
}

func mngEFA(in resource.PropertyMap, _ Lookup) []Problem {
	if on, ok := at(in, "enableEfaSupport").boolean(); ok && on && !at(in, "placementGroupAvailabilityZone").truthy() {
		return []Problem{{Field: "enableEfaSupport", Value: true, Rule: "You must specify placementGroupAvailabilityZone when enabling EFA support."}}
	}
	return nil
}

// mngInstanceRoles: with the aws-auth ConfigMap (authentication mode unset or
// CONFIG_MAP) the node role must be one of the cluster's instance roles.
func mngInstanceRoles(in resource.PropertyMap, lookup Lookup) []Problem {
	clusterURN, ok := at(in, "cluster").urn()
	if !ok || lookup == nil {
		return nil
	}
	_, cluster, ok := lookup(clusterURN)
	if !ok {
		return nil
	}
	mode := authMode(cluster)
	if mode == authModeUnknown || supportsAccessEntries(mode) {
		return nil
	}
	role, ok := at(in, "nodeRole").urn()
	if !ok {
		return nil // a role ARN string cannot be matched offline
	}
	if r, ok := at(cluster, "instanceRole").urn(); ok && r == role {
		return nil
	}
	if roles, ok := at(cluster, "instanceRoles").array(); ok {
		for _, r := range roles {
			if u, ok := (val{v: unwrap(r), set: true, known: true}).urn(); ok && u == role {
				return nil
			}
		}
	}
	return []Problem{{Field: "nodeRole", Value: role,
		Rule: "A managed node group cannot be created without first setting its role in the cluster's instanceRoles"}}
}

// --- aws_eks_node_group schema --------------------------------------------------

func nodeGroupScaling(in resource.PropertyMap, _ Lookup) []Problem {
	var out []Problem
	for _, f := range []struct {
		name string
		min  float64
	}{{"desiredSize", 0}, {"maxSize", 1}, {"minSize", 0}} {
		if n, ok := at(in, "scalingConfig."+f.name).num(); ok && n < f.min {
			out = append(out, Problem{Field: "scalingConfig." + f.name, Value: n, Rule: fmt.Sprintf("expected to be at least (%v)", f.min)})
		}
	}
	return out
}

func nodeGroupTaints(in resource.PropertyMap, _ Lookup) []Problem {
	taints, ok := at(in, "taints").array()
	if !ok {
		return nil
	}
	var out []Problem
	if len(taints) > 50 {
		out = append(out, Problem{Field: "taints", Value: len(taints), Rule: "at most 50 taints"})
	}
	for i, t := range taints {
		t = unwrap(t)
		if !t.IsObject() {
			continue
		}
		tm := t.ObjectValue()
		f := func(s string) string { return fmt.Sprintf("taints[%d].%s", i, s) }
		if k, ok := at(tm, "key").str(); ok && (len(k) < 1 || len(k) > 63) {
			out = append(out, Problem{Field: f("key"), Value: k, Rule: "expected length between 1 and 63"})
		}
		if v, ok := at(tm, "value").str(); ok && len(v) > 63 {
			out = append(out, Problem{Field: f("value"), Value: v, Rule: "expected length between 0 and 63"})
		}
		if e, ok := at(tm, "effect").str(); ok && e != "NO_SCHEDULE" && e != "NO_EXECUTE" && e != "PREFER_NO_SCHEDULE" {
			out = append(out, Problem{Field: f("effect"), Value: e, Rule: "expected one of NO_SCHEDULE, NO_EXECUTE, PREFER_NO_SCHEDULE (the EKS spelling, not Kubernetes' NoSchedule)"})
		}
	}
	return out
}

func nodeGroupUpdateConfig(in resource.PropertyMap, _ Lookup) []Problem {
	if !at(in, "updateConfig").known {
		return nil
	}
	abs, pct := at(in, "updateConfig.maxUnavailable"), at(in, "updateConfig.maxUnavailablePercentage")
	var out []Problem
	if abs.set == pct.set {
		out = append(out, Problem{Field: "updateConfig", Value: at(in, "updateConfig").plain(),
			Rule: "exactly one of maxUnavailable and maxUnavailablePercentage must be set"})
	}
	for name, x := range map[string]val{"maxUnavailable": abs, "maxUnavailablePercentage": pct} {
		if n, ok := x.num(); ok && (n < 1 || n > 100) {
			out = append(out, Problem{Field: "updateConfig." + name, Value: n, Rule: "expected to be in the range (1 - 100)"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func nodeGroupSubnets(in resource.PropertyMap, _ Lookup) []Problem {
	if arr, ok := at(in, "subnetIds").array(); ok && len(arr) == 0 {
		return []Problem{{Field: "subnetIds", Value: "[]", Rule: "attribute supports 1 item minimum"}}
	}
	return nil
}
