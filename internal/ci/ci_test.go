package ci

import (
	"strings"
	"testing"
)

// recorder is a testing.TB that records how the test ended instead of ending.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()           {}
func (r *recorder) Skip(args ...any)  { r.skipped = args[0].(string) }
func (r *recorder) Fatal(args ...any) { r.failed = args[0].(string) }

// Without CI a missing tool skips; with CI set the same call fails.
func TestSkipOrFail(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	SkipOrFail(r, "%s not on PATH", "haproxy")
	if r.skipped != "haproxy not on PATH" || r.failed != "" {
		t.Errorf("without CI: skipped %q, failed %q", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	SkipOrFail(r, "%s not on PATH", "haproxy")
	if !strings.HasPrefix(r.failed, "haproxy not on PATH; CI is set") || r.skipped != "" {
		t.Errorf("with CI: skipped %q, failed %q", r.skipped, r.failed)
	}
}
