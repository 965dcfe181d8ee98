// Package ci is what a test does when something it needs is missing: on a
// developer's machine it skips with the reason; under CI (the CI variable set,
// as .ci/run's callers set it) it fails, so a pipeline cannot pass by skipping
// what the project's own scripts should have installed.
package ci

import (
	"fmt"
	"os"
	"testing"
)

// SkipOrFail skips t with the message, or fails it when CI is set.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI is set, so this is a failure, not a skip")
		return
	}
	t.Skip(msg)
}
