package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/eksbalance/eksbalance/internal/traffic"
	"github.com/eksbalance/eksbalance/plan"
	"github.com/eksbalance/eksbalance/policies/rules"
)

// controllerFlags say which AWS Load Balancer Controller the checked manifests
// will meet, so that objects relying on its defaults are judged by them: the
// toolkit installs the controller with defaultTargetType ip, a stock install
// uses instance.
type controllerFlags struct {
	targetType string
	values     string
	config     string
}

func (f *controllerFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.targetType, "controller-default-target-type", "",
		"the cluster's controller --default-target-type (ip or instance) for Services, Ingresses and Gateway backends that do not set one (default: a stock controller's instance)")
	fs.StringVar(&f.values, "controller-values", "",
		"a Helm values file the aws-load-balancer-controller chart was installed with; its defaultTargetType is used (the chart's instance when absent)")
	fs.StringVar(&f.config, "controller-config", "",
		"a controller file {eksbalance: {controller: {defaultTargetType: ip, source: ...}}}, the one conftest takes with --data")
}

// controller returns the defaults the flags give, or nil for a stock controller.
func (f *controllerFlags) controller() (*rules.Controller, error) {
	set := 0
	for _, v := range []string{f.targetType, f.values, f.config} {
		if v != "" {
			set++
		}
	}
	if set > 1 {
		return nil, errors.New("give at most one of --controller-default-target-type, --controller-values and --controller-config")
	}
	switch {
	case f.targetType != "":
		c := &rules.Controller{DefaultTargetType: f.targetType, Source: "--controller-default-target-type " + f.targetType}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("--controller-default-target-type %q: must be ip or instance", f.targetType)
		}
		return c, nil
	case f.values != "":
		return rules.LoadControllerValues(f.values)
	case f.config != "":
		return rules.LoadControllerConfig(f.config)
	}
	return nil, nil
}

// controllerFor says which controller's defaults a plan is judged by, and a note
// saying so for the plan's output. What the user states about the cluster wins:
// a --controller-* flag (given) describes the controller that will actually meet
// the objects, which on an existing cluster is the only way to know it, and when
// the plan also installs a controller whose default differs, the note says both.
// Without a flag the planned controller release's values decide (a planned stack
// is judged by the controller it installs); without either, a stock controller's.
func controllerFor(p *plan.Plan, given *rules.Controller) (*rules.Controller, string) {
	planned, src, ok := traffic.ControllerDefault(p)
	switch {
	case given != nil && ok && planned != given.DefaultTargetType:
		return given, fmt.Sprintf("controller default target type %s, from %s; it wins over %s",
			given.DefaultTargetType, given.Source, src)
	case given != nil:
		return given, fmt.Sprintf("controller default target type %s, from %s", given.DefaultTargetType, given.Source)
	case ok:
		return &rules.Controller{DefaultTargetType: planned, Source: src}, fmt.Sprintf("controller default target type %s, from %s", planned, src)
	}
	return nil, fmt.Sprintf("controller default target type %s, a stock controller's: the plan installs no controller and no --controller-* flag describes the cluster's (on an existing cluster, give --controller-default-target-type, --controller-values or --controller-config)",
		rules.StockDefaultTargetType)
}
