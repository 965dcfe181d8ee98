package democluster

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/internal/validation"
)

// runExample runs NewExample with cfg as the stack's whole config, handed over
// the way the engine does (PULUMI_CONFIG lists the keys).
func runExample(t *testing.T, cfg map[string]string) (*pulumitest.Capture, Example, error) {
	t.Helper()
	b, _ := json.Marshal(cfg)
	t.Setenv("PULUMI_CONFIG", string(b))
	var ex Example
	c, err := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		var err error
		_, ex, err = NewExample(ctx, "demo")
		return err
	}, pulumitest.WithConfig(cfg))
	return c, ex, err
}

// The examples' own keys are strict: public: "yes" is not silently false, a
// mistyped key is not silently ignored.
func TestExampleConfigIsStrict(t *testing.T) {
	c, ex, err := runExample(t, map[string]string{"eksbalance:public": "true", "eksbalance:replicas": "6"})
	if err != nil || !ex.Public || ex.Replicas != 6 || len(c.ByType("eks:index:Cluster")) != 1 {
		t.Fatalf("valid config: err %v, read %+v", err, ex)
	}
	c, _, err = runExample(t, map[string]string{"eksbalance:public": "yes", "eksbalance:replica": "6", "eksbalance:apiAccessCidrs": "198.51.100.7/32"})
	var verr *validation.Errors
	if !errors.As(err, &verr) || len(verr.Problems) != 3 || len(c.All()) != 0 {
		t.Fatalf("want 3 problems before anything is registered, got %v (%d registered)", err, len(c.All()))
	}
	for field, want := range map[string]string{
		"eksbalance:public":         "must be true or false",
		"eksbalance:replica":        "did you mean eksbalance:replicas?",
		"eksbalance:apiAccessCidrs": "must be a list of strings",
	} {
		found := false
		for _, p := range verr.Problems {
			found = found || (p.Field == field && strings.Contains(p.Rule, want))
		}
		if !found {
			t.Errorf("no %q on %s: %v", want, field, verr)
		}
	}
}
