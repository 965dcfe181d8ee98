package live

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// SkipPrefix starts every reason Preflight and TimeoutReason give, so a CI log
// search for it finds every live run that did not happen.
const SkipPrefix = "live: skipped: "

// Host is what Preflight may look at: the environment, the PATH and whether a
// file exists. Tests pass fakes; OSHost is the real machine.
type Host struct {
	// LookupEnv is os.LookupEnv: set-but-empty differs from unset for
	// PULUMI_CONFIG_PASSPHRASE, where an empty passphrase is a valid choice.
	LookupEnv func(key string) (string, bool)
	// LookPath is exec.LookPath.
	LookPath func(file string) (string, error)
	// Exists reports whether a regular file exists at path.
	Exists func(path string) bool
}

// OSHost is the machine the test runs on.
func OSHost() Host {
	return Host{
		LookupEnv: os.LookupEnv,
		LookPath:  exec.LookPath,
		Exists: func(path string) bool {
			fi, err := os.Stat(path)
			return err == nil && fi.Mode().IsRegular()
		},
	}
}

func (h Host) getenv(key string) string {
	v, _ := h.LookupEnv(key)
	return v
}

// Preflight says why the live suite cannot run on h, as one line starting with
// SkipPrefix and naming everything that is missing (joined by "; "), or ""
// when nothing is. It decides from the environment and the file system only:
// no network call, so a machine without credentials skips in milliseconds.
//
// What it looks for, and why:
//
//   - AWS credentials, from any source the AWS SDK and CLI read without a
//     network call: AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY, AWS_PROFILE,
//     AWS_WEB_IDENTITY_TOKEN_FILE (CI OIDC federation; the file must exist),
//     AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI (ECS, CodeBuild, EKS
//     Pod Identity), or a shared credentials or config file
//     (AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE, default ~/.aws/credentials
//     and ~/.aws/config; the config file counts because SSO and assume-role
//     profiles live there). An EC2 instance profile can only be seen through
//     the instance metadata service, so a runner that relies on one says so
//     with EKSBALANCE_AWS_IMDS=1. Finding a source does not prove the
//     credentials work: the deploy then fails loudly, it does not skip.
//   - The pulumi CLI on PATH: the Automation API drives it.
//   - A Pulumi backend: PULUMI_ACCESS_TOKEN (Pulumi Cloud), PULUMI_BACKEND_URL,
//     or a `pulumi login` on this machine ($PULUMI_HOME/credentials.json,
//     default ~/.pulumi/credentials.json). A self-managed backend (file://,
//     s3://, gs://, azblob://) encrypts the stack's secrets (the kubeconfig
//     output) with a passphrase, so it also needs PULUMI_CONFIG_PASSPHRASE
//     (may be empty) or PULUMI_CONFIG_PASSPHRASE_FILE; without one the CLI
//     would stop at a prompt nobody answers.
//   - kubectl on PATH: the rolling restart is `kubectl rollout restart`.
//   - The aws CLI on PATH: the cluster's kubeconfig (pulumi-eks) gets its
//     token by running `aws eks get-token`.
//   - EKSBALANCE_API_CIDRS: the runner's address(es) as CIDRs. The examples'
//     EKS API endpoint is private unless given CIDRs to open it to, and both
//     `pulumi up` (which creates Kubernetes objects) and the suite must reach it.
//
// EnvAPICIDRs names the variable with the CIDRs (comma-separated) the examples'
// public API endpoint is opened to for the run.
const EnvAPICIDRs = "EKSBALANCE_API_CIDRS"

const noAPICIDRs = EnvAPICIDRs + " not set (the runner's address, e.g. 203.0.113.7/32: the examples' EKS API endpoint is private otherwise)"

func Preflight(h Host) string {
	var missing []string
	if r := awsCredentialsReason(h); r != "" {
		missing = append(missing, r)
	}
	if _, err := h.LookPath("pulumi"); err != nil {
		missing = append(missing, "pulumi CLI not on PATH")
	}
	if r := pulumiBackendReason(h); r != "" {
		missing = append(missing, r)
	}
	if _, err := h.LookPath("kubectl"); err != nil {
		missing = append(missing, "kubectl not on PATH (the rolling restart runs `kubectl rollout restart`)")
	}
	if _, err := h.LookPath("aws"); err != nil {
		missing = append(missing, "aws CLI not on PATH (the cluster's kubeconfig runs `aws eks get-token`)")
	}
	if h.getenv(EnvAPICIDRs) == "" {
		missing = append(missing, noAPICIDRs)
	}
	if len(missing) == 0 {
		return ""
	}
	return SkipPrefix + strings.Join(missing, "; ")
}

func awsCredentialsReason(h Host) string {
	if h.getenv("AWS_ACCESS_KEY_ID") != "" {
		if h.getenv("AWS_SECRET_ACCESS_KEY") == "" {
			return "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
		}
		return ""
	}
	if tf := h.getenv("AWS_WEB_IDENTITY_TOKEN_FILE"); tf != "" {
		if !h.Exists(tf) {
			return fmt.Sprintf("AWS_WEB_IDENTITY_TOKEN_FILE=%s does not exist", tf)
		}
		return ""
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		if h.getenv(k) != "" {
			return ""
		}
	}
	if isTrue(h.getenv("EKSBALANCE_AWS_IMDS")) {
		return ""
	}
	home := h.getenv("HOME")
	for _, f := range []struct{ env, def string }{
		{"AWS_SHARED_CREDENTIALS_FILE", filepath.Join(".aws", "credentials")},
		{"AWS_CONFIG_FILE", filepath.Join(".aws", "config")},
	} {
		path := h.getenv(f.env)
		if path == "" && home != "" {
			path = filepath.Join(home, f.def)
		}
		if path != "" && h.Exists(path) {
			return ""
		}
	}
	return "no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID)"
}

func pulumiBackendReason(h Host) string {
	if h.getenv("PULUMI_ACCESS_TOKEN") != "" {
		return ""
	}
	if url := h.getenv("PULUMI_BACKEND_URL"); url != "" {
		if strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://") {
			return ""
		}
		_, pass := h.LookupEnv("PULUMI_CONFIG_PASSPHRASE")
		if pass || h.getenv("PULUMI_CONFIG_PASSPHRASE_FILE") != "" {
			return ""
		}
		return fmt.Sprintf("PULUMI_BACKEND_URL=%s needs PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE (the kubeconfig output is a secret)", url)
	}
	dir := h.getenv("PULUMI_HOME")
	if dir == "" {
		if home := h.getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".pulumi")
		}
	}
	if dir != "" && h.Exists(filepath.Join(dir, "credentials.json")) {
		return ""
	}
	return "no Pulumi backend (run `pulumi login`, or set PULUMI_ACCESS_TOKEN or PULUMI_BACKEND_URL)"
}

// MinTimeout is the least time the whole suite needs: both examples deploy in
// parallel (about 25 min with the program's first compile), measure and roll
// (about 10 min) and destroy (about 15 min), with room for a slow region.
const MinTimeout = 75 * time.Minute

// TimeoutReason says why the time go test allows is too short for a live run,
// or "" when it is enough. left is the time until the test binary's deadline;
// hasDeadline is false under -timeout 0. A run that go test kills mid-deploy
// never reaches its cleanup and leaves a billable cluster behind, so a short
// timeout (go test's default is 10m) is a reason not to start, like missing
// credentials. `make test-live` passes -timeout 90m.
func TimeoutReason(left time.Duration, hasDeadline bool) string {
	if !hasDeadline || left >= MinTimeout {
		return ""
	}
	return fmt.Sprintf("%s%v left before go test's -timeout, the suite needs %v (run `make test-live` or pass -timeout 90m)",
		SkipPrefix, left.Round(time.Second), MinTimeout)
}

func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes":
		return true
	}
	return false
}

// apiCIDRsJSON turns "a/32, b/32" into the JSON list the examples' apiAccessCidrs
// config key takes.
func apiCIDRsJSON(list string) string {
	var out []string
	for _, c := range strings.Split(list, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, strconv.Quote(c))
		}
	}
	return "[" + strings.Join(out, ",") + "]"
}
