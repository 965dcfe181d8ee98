package live

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// DefaultRegion is where the suite deploys when neither AWS_REGION nor
// AWS_DEFAULT_REGION is set: the examples' own default (Pulumi.dev.yaml).
const DefaultRegion = "us-east-1"

// Settings are the environment variables a user tunes the suite with.
type Settings struct {
	// Keep leaves the stacks deployed at the end (EKSBALANCE_KEEP=1), for
	// looking around after a failure. Default false: everything is destroyed,
	// also when the test fails, because a forgotten cluster costs money by
	// the hour. The log prints the commands that destroy a kept stack.
	Keep bool
	// Required turns a skip into a failure (EKSBALANCE_LIVE_REQUIRED=1). Set
	// it in the CI job that exists to run the live suite, so that lost
	// credentials show up red instead of as a quiet skip. Default false.
	Required bool
	// Region is the AWS region (AWS_REGION, else AWS_DEFAULT_REGION, else
	// DefaultRegion), passed to the stack as aws:region and to the SDK.
	Region string
	// Requests is the distribution sample size per example
	// (EKSBALANCE_REQUESTS). Default 0: derived by SampleSize from the
	// expected shares, enough to notice one pod off by DetectImbalance.
	Requests int
	// Stack is the Pulumi stack name (EKSBALANCE_STACK). Default "": a new
	// name per run (StackName), so runs never share or clobber a stack. Set
	// it with EKSBALANCE_KEEP=1 to iterate on a deployed stack: the suite
	// then updates it instead of creating a new cluster.
	Stack string
}

// Bounds on the settings.
const (
	// MinRequests is the smallest sample the suite accepts or derives: below
	// a few thousand requests a chi-square test over six pods has too little
	// power to mean anything, whatever the formula says for a large effect.
	MinRequests = 3000
	// MaxRequests caps a sample so a typo cannot keep a run (and the
	// cluster) going for hours.
	MaxRequests = 1_000_000
	// maxStackName keeps derived names (cluster "nlb-demo-<stack>", IAM role
	// name prefixes built from it) inside AWS's length limits.
	maxStackName = 24
)

var (
	stackNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// LoadSettings reads the settings from getenv (os.Getenv) and returns every
// invalid value at once.
func LoadSettings(getenv func(string) string) (Settings, error) {
	var s Settings
	v := validation.New("live suite settings")
	var err error
	if s.Keep, err = parseFlag(getenv("EKSBALANCE_KEEP")); err != nil {
		v.Add("EKSBALANCE_KEEP", getenv("EKSBALANCE_KEEP"), "%v", err)
	}
	if s.Required, err = parseFlag(getenv("EKSBALANCE_LIVE_REQUIRED")); err != nil {
		v.Add("EKSBALANCE_LIVE_REQUIRED", getenv("EKSBALANCE_LIVE_REQUIRED"), "%v", err)
	}

	regionVar := "AWS_REGION"
	s.Region = getenv(regionVar)
	if s.Region == "" {
		regionVar = "AWS_DEFAULT_REGION"
		s.Region = getenv(regionVar)
	}
	if s.Region == "" {
		s.Region = DefaultRegion
	} else if !regionRE.MatchString(s.Region) {
		v.Add(regionVar, s.Region, "must be an AWS region name such as us-east-1")
	}

	if r := getenv("EKSBALANCE_REQUESTS"); r != "" {
		n, err := strconv.Atoi(r)
		switch {
		case err != nil:
			v.Add("EKSBALANCE_REQUESTS", r, "must be a whole number")
		case n < MinRequests || n > MaxRequests:
			v.Add("EKSBALANCE_REQUESTS", n, "must be between %d and %d", MinRequests, MaxRequests)
		default:
			s.Requests = n
		}
	}

	s.Stack = getenv("EKSBALANCE_STACK")
	if s.Stack != "" && (len(s.Stack) > maxStackName || !stackNameRE.MatchString(s.Stack)) {
		v.Add("EKSBALANCE_STACK", s.Stack,
			"must be at most %d lower-case letters, digits and hyphens, starting with a letter or digit", maxStackName)
	}
	return s, v.Err()
}

func parseFlag(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "false", "no":
		return false, nil
	case "1", "true", "yes":
		return true, nil
	}
	return false, fmt.Errorf("must be 1 or 0 (or true/false, yes/no)")
}

// StackName is a fresh stack name for a run started at now: "live-" plus the
// UTC month, day, hour and minute and four hex digits of salt, e.g.
// "live-0314-0926-1a2b". It sorts by time in `pulumi stack ls`, tells a user
// which run left a kept stack behind, and the salt keeps two runs started in
// the same minute (two CI jobs) apart.
func StackName(now time.Time, salt uint16) string {
	return fmt.Sprintf("live-%s-%04x", now.UTC().Format("0102-1504"), salt)
}
