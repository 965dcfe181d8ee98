package plan

import (
	"errors"
	"strings"
	"testing"
)

// A program's error reaches the user in its own words: the Go SDK's wrapper
// and the exit status are dropped.
func TestProgramErrorUnwrapped(t *testing.T) {
	t.Parallel()
	logged := []string{
		"an unhandled error occurred: program failed: \n1 error occurred:\n\t* invalid stack config (Pulumi.dev.yaml) (1 problem):\n  - eksbalance:nodesPerZon: (set): is not a setting of this stack; did you mean eksbalance:nodesPerZone?\n\n",
		"an unhandled error occurred: program failed: \nwaiting for RPCs: rpc error: code = Unknown desc = eks:index:Cluster \"demo\" would be rejected by its provider (1 problem):",
	}
	err := error(programError("eksbalance", "dev", errors.New("exit status 32"), logged, "noise on stdout", nil))
	msg := err.Error()
	for _, noise := range []string{"exit status", "an unhandled error", "error occurred", "\t*", "waiting for RPCs", "rpc error", "noise on stdout"} {
		if strings.Contains(msg, noise) {
			t.Errorf("message keeps %q:\n%s", noise, msg)
		}
	}
	for _, want := range []string{"invalid stack config (Pulumi.dev.yaml)", "did you mean eksbalance:nodesPerZone?", `eks:index:Cluster "demo" would be rejected`} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lost %q:\n%s", want, msg)
		}
	}
	// Nothing logged (a panic): the exit status and the output are all there is.
	if msg := programError("p", "dev", errors.New("exit status 2"), nil, "panic: boom", nil).Error(); !strings.Contains(msg, "exit status 2") || !strings.Contains(msg, "panic: boom") {
		t.Errorf("silent failure: %q", msg)
	}
}

// A key the program requires (config.Require) and the stack file lacks is
// named, with the file's key it was probably typed as, instead of the SDK's
// panic and stack trace; with no near key, the message says how to set it.
func TestMissingRequiredConfig(t *testing.T) {
	t.Parallel()
	panicked := "panic: Missing required configuration variable 'shop:image'\n\tplease set a value using the command `pulumi config set shop:image <value>`\n\ngoroutine 1 [running]:\ngithub.com/pulumi/pulumi/sdk/v3/go/pulumi/config.failf(...)\n"
	keys := []string{"aws:region", "shop:imag"}
	msg := programError("shop", "dev", errors.New("exit status 2"), nil, panicked, keys).Error()
	want := "stack config (Pulumi.dev.yaml): shop:image: not set, and the program requires it; the file sets shop:imag: did you mean shop:image?"
	if msg != want {
		t.Errorf("got\n%s\nwant\n%s", msg, want)
	}
	msg = programError("shop", "dev", errors.New("exit status 2"), nil, panicked, []string{"aws:region"}).Error()
	if want := "set it with `pulumi config set shop:image VALUE -s dev`"; !strings.Contains(msg, want) || strings.Contains(msg, "goroutine") {
		t.Errorf("without a near key: %s", msg)
	}
	// Another panic keeps the exit status and output.
	msg = programError("shop", "dev", errors.New("exit status 2"), nil, "panic: runtime error: index out of range", keys).Error()
	if !strings.Contains(msg, "index out of range") || strings.Contains(msg, "stack config") {
		t.Errorf("an unrelated panic: %s", msg)
	}
}
