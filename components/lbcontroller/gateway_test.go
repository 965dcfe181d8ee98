package lbcontroller

import (
	"sort"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/components/loadbalancer"
)

const (
	configFileToken   = "kubernetes:yaml/v2:ConfigFile"
	gatewayClassToken = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
)

func TestGatewayAPIInstalledBeforeTheController(t *testing.T) {
	t.Parallel()
	c := run(t, validArgs())
	files := map[string]string{
		"lbc-gateway-api-crds": "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.3/standard-install.yaml",
		"lbc-gateway-crds":     "https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.5.0/config/crd/gateway/gateway-crds.yaml",
	}
	deps := strings.Join(release(t, c).DependsOn, " ")
	for name, url := range files {
		f := c.One(t, configFileToken, name)
		if got := f.String("file"); got != url {
			t.Errorf("%s file = %q, want %q", name, got, url)
		}
		// The controller only turns its Gateway controllers on when it finds
		// the CRDs at start-up.
		if !strings.Contains(deps, f.URN) {
			t.Errorf("release does not wait for %s: dependsOn %v", name, deps)
		}
	}
	classes := map[string]string{"lbc-gatewayclass-alb": "aws-alb", "lbc-gatewayclass-nlb": "aws-nlb"}
	controllers := map[string]string{"aws-alb": loadbalancer.ALBGatewayController, "aws-nlb": loadbalancer.NLBGatewayController}
	for res, name := range classes {
		gc := c.One(t, gatewayClassToken, res)
		if got := gc.String("metadata.name"); got != name {
			t.Errorf("%s name = %q, want %q", res, got, name)
		}
		if got := gc.String("spec.controllerName"); got != controllers[name] {
			t.Errorf("%s controllerName = %q, want %q", res, got, controllers[name])
		}
		if d := gc.String("spec.description"); len(d) == 0 || len(d) > 64 {
			t.Errorf("%s description %q: want 1-64 characters (the CRD's limit)", res, d)
		}
		if len(gc.DependsOn) < 2 {
			t.Errorf("%s does not wait for the CRDs: dependsOn %v", res, gc.DependsOn)
		}
	}
}

func TestGatewayAPIOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		modify         func(*Args)
		files, classes int
		classNames     []string
	}{
		{"disabled", func(a *Args) { a.GatewayAPI.Disabled = true }, 0, 0, nil},
		{"existing CRDs", func(a *Args) { a.GatewayAPI.ExistingCRDs = true }, 0, 2, []string{"aws-alb", "aws-nlb"}},
		{"own names and version", func(a *Args) {
			a.GatewayAPI.Version = "v1.6.1"
			a.GatewayAPI.ALBClassName, a.GatewayAPI.NLBClassName = "edge-alb", "edge-nlb"
		}, 2, 2, []string{"edge-alb", "edge-nlb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			tt.modify(a)
			c := run(t, a)
			if n := len(c.ByType(configFileToken)); n != tt.files {
				t.Errorf("%d CRD files, want %d", n, tt.files)
			}
			var names []string
			for _, gc := range c.ByType(gatewayClassToken) {
				names = append(names, gc.String("metadata.name"))
			}
			sort.Strings(names) // registration order is the engine's
			if len(names) != tt.classes || strings.Join(names, ",") != strings.Join(tt.classNames, ",") {
				t.Errorf("GatewayClasses %v, want %v", names, tt.classNames)
			}
			if tt.files > 0 && a.GatewayAPI.Version != "" {
				f := c.One(t, configFileToken, "lbc-gateway-api-crds")
				if !strings.Contains(f.String("file"), "/"+a.GatewayAPI.Version+"/") {
					t.Errorf("CRD file %q is not version %s", f.String("file"), a.GatewayAPI.Version)
				}
			}
		})
	}
}
