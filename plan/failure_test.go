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
	err := error(programError("eksbalance", "dev", errors.New("exit status 32"), logged, "noise on stdout"))
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
	if msg := programError("p", "dev", errors.New("exit status 2"), nil, "panic: boom").Error(); !strings.Contains(msg, "exit status 2") || !strings.Contains(msg, "panic: boom") {
		t.Errorf("silent failure: %q", msg)
	}
}
