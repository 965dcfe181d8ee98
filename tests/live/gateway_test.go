package live

import (
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
)

func TestCheckSpec(t *testing.T) {
	t.Parallel()
	var s loadbalancer.NLB
	want := s.TargetGroupConfigurationSpec("echo")
	got := normalize(want).(map[string]any)
	// The API server adds defaults; that is not a mismatch.
	got["targetReference"].(map[string]any)["extra"] = "x"
	if ms := CheckSpec("TargetGroupConfiguration echo", want, got); len(ms) != 0 {
		t.Errorf("identical specs: %v", ms)
	}
	dc := got["defaultConfiguration"].(map[string]any)
	dc["targetType"] = "instance"
	delete(dc["healthCheckConfig"].(map[string]any), "healthCheckTimeout")
	ms := CheckSpec("TargetGroupConfiguration echo", want, got)
	if len(ms) != 2 {
		t.Fatalf("mismatches %v, want the target type and the missing timeout", ms)
	}
	joined := ms[0].String() + "\n" + ms[1].String()
	for _, w := range []string{"defaultConfiguration.targetType: want ip, got instance", "healthCheckTimeout: want 10, got (absent)"} {
		if !strings.Contains(joined, w) {
			t.Errorf("mismatches do not say %q:\n%s", w, joined)
		}
	}
}
