package main

import (
	"errors"
	"flag"
	"fmt"

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
