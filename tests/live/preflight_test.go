package live

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// fakeHost is a machine described by its environment, PATH and files.
type fakeHost struct {
	env   map[string]string
	path  map[string]bool
	files map[string]bool
}

func (f fakeHost) host() Host {
	return Host{
		LookupEnv: func(k string) (string, bool) { v, ok := f.env[k]; return v, ok },
		LookPath: func(file string) (string, error) {
			if f.path[file] {
				return "/usr/bin/" + file, nil
			}
			return "", errors.New("executable file not found in $PATH")
		},
		Exists: func(p string) bool { return f.files[p] },
	}
}

// readyHost has everything the suite needs, each from one source.
func readyHost() fakeHost {
	return fakeHost{
		env: map[string]string{
			"HOME":                  "/home/ci",
			"AWS_ACCESS_KEY_ID":     "AKIAEXAMPLE",
			"AWS_SECRET_ACCESS_KEY": "secret",
			"PULUMI_ACCESS_TOKEN":   "pul-token",
			EnvAPICIDRs:             "203.0.113.7/32",
		},
		path:  map[string]bool{"pulumi": true, "kubectl": true, "aws": true},
		files: map[string]bool{},
	}
}

const (
	noAWS     = "no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID)"
	noPulumi  = "pulumi CLI not on PATH"
	noBackend = "no Pulumi backend (run `pulumi login`, or set PULUMI_ACCESS_TOKEN or PULUMI_BACKEND_URL)"
	noKubectl = "kubectl not on PATH (the rolling restart runs `kubectl rollout restart`)"
	noAWSCLI  = "aws CLI not on PATH (the cluster's kubeconfig runs `aws eks get-token`)"
)

func TestPreflight(t *testing.T) {
	t.Parallel()
	unset := func(keys ...string) func(*fakeHost) {
		return func(f *fakeHost) {
			for _, k := range keys {
				delete(f.env, k)
			}
		}
	}
	noAWSKeys := unset("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
	noToken := unset("PULUMI_ACCESS_TOKEN")
	set := func(kv ...string) func(*fakeHost) {
		return func(f *fakeHost) {
			for i := 0; i < len(kv); i += 2 {
				f.env[kv[i]] = kv[i+1]
			}
		}
	}
	file := func(p string) func(*fakeHost) { return func(f *fakeHost) { f.files[p] = true } }
	notOnPath := func(bin string) func(*fakeHost) { return func(f *fakeHost) { delete(f.path, bin) } }

	tests := []struct {
		name   string
		change []func(*fakeHost)
		want   string // "" means the suite runs
	}{
		{"everything present", nil, ""},

		// AWS credentials: the missing case, each accepted source, and the
		// half-configured ones.
		{"no AWS credentials", []func(*fakeHost){noAWSKeys}, SkipPrefix + noAWS},
		{"key id without secret", []func(*fakeHost){unset("AWS_SECRET_ACCESS_KEY")},
			SkipPrefix + "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"},
		{"AWS_PROFILE", []func(*fakeHost){noAWSKeys, set("AWS_PROFILE", "ci")}, ""},
		{"web identity token file", []func(*fakeHost){noAWSKeys, set("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"), file("/var/run/token")}, ""},
		{"web identity token file missing", []func(*fakeHost){noAWSKeys, set("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token")},
			SkipPrefix + "AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/token does not exist"},
		{"container credentials", []func(*fakeHost){noAWSKeys, set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x")}, ""},
		{"pod identity", []func(*fakeHost){noAWSKeys, set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials")}, ""},
		{"instance profile declared", []func(*fakeHost){noAWSKeys, set("EKSBALANCE_AWS_IMDS", "1")}, ""},
		{"instance profile flag off", []func(*fakeHost){noAWSKeys, set("EKSBALANCE_AWS_IMDS", "0")}, SkipPrefix + noAWS},
		{"~/.aws/credentials", []func(*fakeHost){noAWSKeys, file("/home/ci/.aws/credentials")}, ""},
		{"~/.aws/config (SSO)", []func(*fakeHost){noAWSKeys, file("/home/ci/.aws/config")}, ""},
		{"AWS_SHARED_CREDENTIALS_FILE", []func(*fakeHost){noAWSKeys, set("AWS_SHARED_CREDENTIALS_FILE", "/etc/aws/creds"), file("/etc/aws/creds")}, ""},
		{"AWS_SHARED_CREDENTIALS_FILE replaces the default path", []func(*fakeHost){noAWSKeys,
			set("AWS_SHARED_CREDENTIALS_FILE", "/etc/aws/creds"), file("/home/ci/.aws/credentials")}, SkipPrefix + noAWS},
		{"no HOME, no files", []func(*fakeHost){noAWSKeys, unset("HOME"), file("/.aws/credentials")}, SkipPrefix + noAWS},

		{"pulumi CLI missing", []func(*fakeHost){notOnPath("pulumi")}, SkipPrefix + noPulumi},

		// Pulumi backend.
		{"no backend", []func(*fakeHost){noToken}, SkipPrefix + noBackend},
		{"pulumi login", []func(*fakeHost){noToken, file("/home/ci/.pulumi/credentials.json")}, ""},
		{"pulumi login under PULUMI_HOME", []func(*fakeHost){noToken, set("PULUMI_HOME", "/opt/pulumi"), file("/opt/pulumi/credentials.json")}, ""},
		{"self-hosted service", []func(*fakeHost){noToken, set("PULUMI_BACKEND_URL", "https://pulumi.example.com")}, ""},
		{"local backend without passphrase", []func(*fakeHost){noToken, set("PULUMI_BACKEND_URL", "file:///tmp/state")},
			SkipPrefix + "PULUMI_BACKEND_URL=file:///tmp/state needs PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE (the kubeconfig output is a secret)"},
		{"local backend, empty passphrase", []func(*fakeHost){noToken, set("PULUMI_BACKEND_URL", "file:///tmp/state", "PULUMI_CONFIG_PASSPHRASE", "")}, ""},
		{"s3 backend, passphrase file", []func(*fakeHost){noToken, set("PULUMI_BACKEND_URL", "s3://bucket", "PULUMI_CONFIG_PASSPHRASE_FILE", "/run/pass")}, ""},

		{"kubectl missing", []func(*fakeHost){notOnPath("kubectl")}, SkipPrefix + noKubectl},
		{"aws CLI missing", []func(*fakeHost){notOnPath("aws")}, SkipPrefix + noAWSCLI},
		{"API CIDRs missing", []func(*fakeHost){unset(EnvAPICIDRs)}, SkipPrefix + noAPICIDRs},

		// A bare machine (like the one this repository is built on) names
		// everything at once, still on one line.
		{"nothing", []func(*fakeHost){noAWSKeys, noToken, notOnPath("pulumi"), notOnPath("kubectl"), notOnPath("aws"), unset(EnvAPICIDRs)},
			SkipPrefix + strings.Join([]string{noAWS, noPulumi, noBackend, noKubectl, noAWSCLI, noAPICIDRs}, "; ")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := readyHost()
			for _, c := range tc.change {
				c(&f)
			}
			got := Preflight(f.host())
			if got != tc.want {
				t.Errorf("Preflight:\n got %q\nwant %q", got, tc.want)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("reason spans lines: %q", got)
			}
		})
	}
}

func TestOSHostExists(t *testing.T) {
	t.Parallel()
	h := OSHost()
	dir := t.TempDir()
	if h.Exists(dir) {
		t.Errorf("Exists(%s) = true for a directory; credentials files are regular files", dir)
	}
	if h.Exists(dir + "/missing") {
		t.Error("Exists = true for a missing file")
	}
}

func TestTimeoutReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		left        time.Duration
		hasDeadline bool
		want        string
	}{
		{10 * time.Minute, true, SkipPrefix + "10m0s left before go test's -timeout, the suite needs 1h15m0s (run `make test-live` or pass -timeout 90m)"},
		{MinTimeout - time.Second, true, SkipPrefix + "1h14m59s left before go test's -timeout, the suite needs 1h15m0s (run `make test-live` or pass -timeout 90m)"},
		{MinTimeout, true, ""},
		{90 * time.Minute, true, ""},
		{0, false, ""}, // -timeout 0: no deadline
	}
	for _, tc := range tests {
		if got := TimeoutReason(tc.left, tc.hasDeadline); got != tc.want {
			t.Errorf("TimeoutReason(%v, %v):\n got %q\nwant %q", tc.left, tc.hasDeadline, got, tc.want)
		}
	}
}

func TestLoadSettings(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}

	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		s, err := LoadSettings(env())
		if err != nil {
			t.Fatal(err)
		}
		if want := (Settings{Region: DefaultRegion}); s != want {
			t.Errorf("got %+v, want %+v", s, want)
		}
	})
	t.Run("all set", func(t *testing.T) {
		t.Parallel()
		s, err := LoadSettings(env("EKSBALANCE_KEEP", "1", "EKSBALANCE_LIVE_REQUIRED", "true", "AWS_REGION", "eu-west-1",
			"AWS_DEFAULT_REGION", "us-west-2", "EKSBALANCE_REQUESTS", "20000", "EKSBALANCE_STACK", "my-run-1"))
		if err != nil {
			t.Fatal(err)
		}
		want := Settings{Keep: true, Required: true, Region: "eu-west-1", Requests: 20000, Stack: "my-run-1"}
		if s != want {
			t.Errorf("got %+v, want %+v", s, want)
		}
	})
	t.Run("AWS_DEFAULT_REGION when AWS_REGION is unset", func(t *testing.T) {
		t.Parallel()
		s, err := LoadSettings(env("AWS_DEFAULT_REGION", "ap-southeast-2"))
		if err != nil || s.Region != "ap-southeast-2" {
			t.Errorf("got %q, %v; want ap-southeast-2", s.Region, err)
		}
	})

	bad := []struct {
		name, key, value, field string
	}{
		{"keep not a flag", "EKSBALANCE_KEEP", "please", "EKSBALANCE_KEEP"},
		{"required not a flag", "EKSBALANCE_LIVE_REQUIRED", "2", "EKSBALANCE_LIVE_REQUIRED"},
		{"region malformed", "AWS_REGION", "US East", "AWS_REGION"},
		{"default region malformed", "AWS_DEFAULT_REGION", "useast1", "AWS_DEFAULT_REGION"},
		{"requests not a number", "EKSBALANCE_REQUESTS", "10k", "EKSBALANCE_REQUESTS"},
		{"requests too few for the test", "EKSBALANCE_REQUESTS", "500", "EKSBALANCE_REQUESTS"},
		{"requests unbounded", "EKSBALANCE_REQUESTS", "5000000", "EKSBALANCE_REQUESTS"},
		{"stack with capitals", "EKSBALANCE_STACK", "MyStack", "EKSBALANCE_STACK"},
		{"stack too long", "EKSBALANCE_STACK", strings.Repeat("a", maxStackName+1), "EKSBALANCE_STACK"},
		{"stack starting with a hyphen", "EKSBALANCE_STACK", "-x", "EKSBALANCE_STACK"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadSettings(env(tc.key, tc.value))
			var ve *validation.Errors
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *validation.Errors", err)
			}
			if got := ve.Fields(); len(got) != 1 || !ve.Has(tc.field) {
				t.Errorf("fields %v, want only %s", got, tc.field)
			}
			if !strings.Contains(err.Error(), tc.value) {
				t.Errorf("error does not name the value %q: %v", tc.value, err)
			}
		})
	}

	t.Run("every problem at once", func(t *testing.T) {
		t.Parallel()
		_, err := LoadSettings(env("EKSBALANCE_KEEP", "x", "AWS_REGION", "x", "EKSBALANCE_REQUESTS", "x", "EKSBALANCE_STACK", "X"))
		var ve *validation.Errors
		if !errors.As(err, &ve) || len(ve.Fields()) != 4 {
			t.Errorf("want 4 problems, got %v", err)
		}
	})
}

func TestStackName(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 3, 14, 9, 26, 53, 0, time.FixedZone("CET", 3600))
	if got, want := StackName(at, 0x1a2b), "live-0314-0826-1a2b"; got != want {
		t.Errorf("StackName = %q, want %q (UTC time)", got, want)
	}
	if StackName(at, 1) == StackName(at, 2) {
		t.Error("different salts gave the same name")
	}
	// A generated name must pass the check applied to EKSBALANCE_STACK, so a
	// user can paste one from a log to reuse the stack.
	name := StackName(time.Date(2099, 12, 31, 23, 59, 0, 0, time.UTC), 0xffff)
	if _, err := LoadSettings(func(k string) string {
		if k == "EKSBALANCE_STACK" {
			return name
		}
		return ""
	}); err != nil {
		t.Errorf("generated name %q rejected: %v", name, err)
	}
	if !regexp.MustCompile(`^live-\d{4}-\d{4}-[0-9a-f]{4}$`).MatchString(name) {
		t.Errorf("name %q does not have the documented form", name)
	}
}
