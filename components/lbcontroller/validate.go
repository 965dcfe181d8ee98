package lbcontroller

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/validation"
)

var (
	regionRE       = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	clusterNameRE  = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	vpcIDRE        = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	oidcARNRE      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/(.+)$`)
	chartVersionRE = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	imageTagRE     = regexp.MustCompile(`^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$`)
	// dns1123Subdomain is a cluster-scoped object name such as a GatewayClass's.
	dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// ownedValues are chart values the component sets from a field or that the IRSA
// trust depends on; ExtraValues may not override them.
var ownedValues = []string{
	"clusterName",
	"region",
	"vpcId",
	"replicaCount",
	"image.repository",
	"image.tag",
	"defaultTargetType",
	"enableServiceMutatorWebhook",
	"serviceAccount.create",
	"serviceAccount.name",
	"serviceAccount.annotations.eks.amazonaws.com/role-arn",
	"controllerConfig.featureGates.ALBGatewayAPI",
	"controllerConfig.featureGates.NLBGatewayAPI",
}

// Validate reports every problem with the arguments at once, each naming its
// field. It checks the arguments as the constructor will use them, defaults
// filled in. Inputs that are outputs of other resources can only be checked for
// presence; plain values (pulumi.String) are checked for format too.
func (a *Args) Validate() error {
	if a == nil {
		v := validation.New("lbcontroller args")
		v.Add("args", nil, "is required")
		return v.Err()
	}
	c := *a
	c.setDefaults()
	return c.validate()
}

func (a *Args) validate() error {
	v := validation.New("lbcontroller args")

	if a.ClusterName == nil {
		v.Add("clusterName", "", "is required")
	} else if s, ok := known(a.ClusterName); ok && !clusterNameRE.MatchString(s) {
		v.Add("clusterName", s, "must be 1-100 letters, digits, '-' or '_', starting with a letter or digit")
	}

	switch {
	case a.Region == "":
		v.Add("region", "", "is required")
	case !regionRE.MatchString(a.Region):
		v.Add("region", a.Region, "must look like an AWS region, e.g. us-east-1 (%s)", regionRE)
	}

	if a.VpcID == nil {
		v.Add("vpcId", "", "is required")
	} else if s, ok := known(a.VpcID); ok && !vpcIDRE.MatchString(s) {
		v.Add("vpcId", s, "must be a VPC ID such as vpc-0123456789abcdef0")
	}

	var providerPath string
	if a.OIDCProviderARN == nil {
		v.Add("oidcProviderArn", "", "is required")
	} else if s, ok := known(a.OIDCProviderARN); ok {
		m := oidcARNRE.FindStringSubmatch(s)
		if m == nil {
			v.Add("oidcProviderArn", s, "must be an IAM OIDC provider ARN, arn:aws:iam::<account>:oidc-provider/<issuer>")
		} else {
			providerPath = m[1]
		}
	}
	if a.OIDCProviderURL == nil {
		v.Add("oidcProviderUrl", "", "is required")
	} else if s, ok := known(a.OIDCProviderURL); ok {
		issuer, err := issuerHost(s)
		switch {
		case err != nil:
			v.Add("oidcProviderUrl", s, "%v", err)
		case providerPath != "" && issuer != providerPath:
			v.Add("oidcProviderUrl", s, "must be the issuer of oidcProviderArn (%s)", providerPath)
		}
	}

	if !chartVersionRE.MatchString(a.ChartVersion) {
		v.Add("chartVersion", a.ChartVersion, "must be a semantic version without 'v', e.g. %s", DefaultChartVersion)
	}
	switch {
	case strings.TrimSpace(a.Image.Repository) == "":
		v.Add("image.repository", a.Image.Repository, "must not be blank")
	case strings.ContainsAny(a.Image.Repository, " @") || strings.Contains(a.Image.Repository[strings.LastIndex(a.Image.Repository, "/")+1:], ":"):
		v.Add("image.repository", a.Image.Repository, "must be a repository without tag or digest (put the version in image.tag)")
	}
	if !imageTagRE.MatchString(a.Image.Tag) {
		v.Add("image.tag", a.Image.Tag, "must be a semantic version, e.g. %s", DefaultImageTag)
	} else if semverLess(a.Image.Tag, MinImageVersion) {
		v.Add("image.tag", a.Image.Tag, "must be %s or later: older controllers cannot set NLB listener attributes (tcp.idle_timeout.seconds)", MinImageVersion)
	}

	g := a.GatewayAPI
	if !g.Disabled {
		if imageTagRE.MatchString(a.Image.Tag) && semverLess(a.Image.Tag, MinGatewayImageVersion) {
			v.Add("image.tag", a.Image.Tag, "must be %s or later while gatewayApi is enabled: older controllers are not built for Gateway API v1.6 (TCPRoute v1); set gatewayApi.disabled to run an older controller", MinGatewayImageVersion)
		}
		if !g.ExistingCRDs && !imageTagRE.MatchString(g.Version) {
			v.Add("gatewayApi.version", g.Version, "must be a v-prefixed Gateway API release, e.g. %s", DefaultGatewayAPIVersion)
		} else if !g.ExistingCRDs && semverLess(g.Version, "v1.6.0") {
			v.Add("gatewayApi.version", g.Version, "must be v1.6.0 or later: earlier releases serve TCPRoute only in the experimental channel")
		}
		for field, name := range map[string]string{"gatewayApi.albClassName": g.ALBClassName, "gatewayApi.nlbClassName": g.NLBClassName} {
			if !dns1123Subdomain.MatchString(name) || len(name) > 253 {
				v.Add(field, name, "must be a DNS subdomain name (lower case letters, digits, '-' and '.')")
			}
		}
		if g.ALBClassName == g.NLBClassName {
			v.Add("gatewayApi.nlbClassName", g.NLBClassName, "must differ from albClassName: one GatewayClass names one controller")
		}
	}
	if a.Replicas < 1 {
		v.Add("replicas", a.Replicas, "must be at least 1 (0 means the default, %d)", DefaultReplicas)
	}
	switch a.DefaultTargetType {
	case TargetTypeIP, TargetTypeInstance:
	default:
		v.Add("defaultTargetType", a.DefaultTargetType, "must be %q or %q", TargetTypeIP, TargetTypeInstance)
	}
	switch a.ZoneSpread {
	case ZoneSpreadRequired, ZoneSpreadPreferred:
	default:
		v.Add("zoneSpread", a.ZoneSpread, "must be %q or %q", ZoneSpreadRequired, ZoneSpreadPreferred)
	}
	if a.Timeout < time.Minute {
		v.Add("timeout", a.Timeout, "must be at least 1m: the release waits for the controller pods to become ready")
	} else if a.Timeout%time.Second != 0 {
		v.Add("timeout", a.Timeout, "must be whole seconds")
	}
	for _, path := range ownedValues {
		if hasPath(a.ExtraValues, path) {
			v.Add("extraValues."+path, lookupPath(a.ExtraValues, path), "is set by the component; use the matching Args field")
		}
	}
	for k := range a.Tags {
		if k == "" {
			v.Add("tags", k, "keys must not be empty")
		}
	}
	return v.Err()
}

// known returns the value of an input that is a plain string, not an output.
func known(in pulumi.StringInput) (string, bool) {
	if s, ok := in.(pulumi.String); ok {
		return string(s), true
	}
	return "", false
}

// issuerHost strips the scheme from an OIDC issuer URL: IAM condition keys use
// the issuer without "https://".
func issuerHost(url string) (string, error) {
	s := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(url), "https://"), "/")
	switch {
	case s == "":
		return "", fmt.Errorf("must not be empty")
	case strings.Contains(s, "://"):
		return "", fmt.Errorf("must be an https issuer URL or a bare issuer host/path")
	case strings.ContainsAny(s, " \t\"'"):
		return "", fmt.Errorf("must not contain spaces or quotes")
	}
	return s, nil
}

// semverLess compares two v-optional MAJOR.MINOR.PATCH versions (pre-release
// suffixes ignored, which is enough for a minimum-version floor).
func semverLess(a, b string) bool {
	pa, pb := semverParts(a), semverParts(b)
	for i := range pa {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func semverParts(s string) [3]int {
	var out [3]int
	m := imageTagRE.FindStringSubmatch(s)
	if m == nil {
		return out
	}
	for i := range out {
		out[i], _ = strconv.Atoi(m[i+1])
	}
	return out
}

// hasPath reports whether a dotted path is set in nested values. The last
// segments may contain dots themselves (annotation keys), so every split of the
// remainder is tried.
func hasPath(values map[string]any, path string) bool {
	_, ok := lookup(values, path)
	return ok
}

func lookupPath(values map[string]any, path string) any {
	v, _ := lookup(values, path)
	return v
}

func lookup(values map[string]any, path string) (any, bool) {
	if values == nil {
		return nil, false
	}
	if v, ok := values[path]; ok {
		return v, true
	}
	for i := 0; i < len(path); i++ {
		if path[i] != '.' {
			continue
		}
		head, rest := path[:i], path[i+1:]
		child, ok := values[head].(map[string]any)
		if !ok {
			continue
		}
		if v, ok := lookup(child, rest); ok {
			return v, true
		}
	}
	return nil, false
}
