package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/components/lbcontroller"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/internal/traffic"
	"github.com/eksbalance/eksbalance/internal/upstream"
)

// ipTargetLines are the ip-targets lines of check's text output.
func ipTargetLines(stdout string) []string {
	var out []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, " ip-targets: ") {
			out = append(out, l)
		}
	}
	return out
}

func TestCheckControllerDefaults(t *testing.T) {
	t.Parallel()
	dir := filepath.Dir(upstream.Echoservice("echoserver-ingress.yaml"))
	valuesIP := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(valuesIP, []byte("clusterName: shop\ndefaultTargetType: ip\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		flags []string
		fires bool
		says  string
	}{
		{"stock controller", nil, true, "instance was assumed, from a stock controller"},
		{"flag ip", []string{"--controller-default-target-type", "ip"}, false, ""},
		{"flag instance", []string{"--controller-default-target-type", "instance"}, true, "from --controller-default-target-type instance"},
		{"the chart's own values", []string{"--controller-values", upstream.LBC("values.yaml")}, true, "(defaultTargetType: instance)"},
		{"values with ip", []string{"--controller-values", valuesIP}, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stdout, stderr := check(append([]string{dir}, tc.flags...)...)
			lines := ipTargetLines(stdout)
			if tc.fires != (len(lines) == 1) || len(lines) > 1 {
				t.Fatalf("ip-targets lines %v, want firing %v\n%s%s", lines, tc.fires, stdout, stderr)
			}
			if tc.fires && !strings.Contains(lines[0], "Ingress echoserver/echoserver") || tc.fires && !strings.Contains(lines[0], tc.says) {
				t.Errorf("line %q does not name the Ingress and say %q", lines[0], tc.says)
			}
		})
	}
}

func TestCheckControllerFlagErrors(t *testing.T) {
	t.Parallel()
	dir := filepath.Dir(upstream.Echoservice("echoserver-ingress.yaml"))
	for flags, want := range map[string]string{
		"--controller-default-target-type pod":                              `--controller-default-target-type "pod": must be ip or instance`,
		"--controller-default-target-type ip --controller-values x.yaml":    "at most one of",
		"--controller-values " + filepath.Join(t.TempDir(), "missing.yaml"): "missing.yaml",
		"--controller-config " + upstream.LBC("values.yaml"):                "no eksbalance.controller",
	} {
		code, _, stderr := check(append([]string{dir}, strings.Fields(flags)...)...)
		if code != 2 || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", flags, code, stderr, want)
		}
	}
}

// A planned stack is judged by the controller it installs: an Ingress without
// a target-type annotation is clean behind the toolkit's controller
// (defaultTargetType ip) and a finding naming the planned release behind one
// set to instance.
func TestPlanJudgesByThePlannedController(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		targetType lbcontroller.TargetType
		fires      bool
	}{{lbcontroller.TargetTypeIP, false}, {lbcontroller.TargetTypeInstance, true}} {
		c := pulumitest.MustRun(t, hostedIngressProgram(tt.targetType))
		r, err := analyse(c.Plan(), traffic.Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var found []string
		for _, v := range r.violations {
			if v.Rule == "ip-targets" {
				found = append(found, v.Message)
			}
		}
		if tt.fires != (len(found) == 1) || len(found) > 1 {
			t.Fatalf("controller default %s: ip-targets %v, want firing %v", tt.targetType, found, tt.fires)
		}
		if tt.fires && !strings.Contains(found[0], "from the planned controller (Helm release lbc-release, values.defaultTargetType instance)") {
			t.Errorf("message does not name the planned controller: %s", found[0])
		}
	}
}
