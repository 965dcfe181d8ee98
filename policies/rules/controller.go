package rules

import (
	"context"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// Controller is what the rules assume about the cluster's AWS Load Balancer
// Controller for objects that do not say for themselves. Without one the rules
// assume a stock controller (target type instance).
type Controller struct {
	// DefaultTargetType is the controller's --default-target-type (chart
	// value defaultTargetType): "ip" or "instance".
	DefaultTargetType string `json:"defaultTargetType" yaml:"defaultTargetType"`
	// Source says where the value came from; every message that relies on it
	// repeats it, e.g. "--controller-default-target-type ip".
	Source string `json:"source,omitempty" yaml:"source,omitempty"`
}

// StockDefaultTargetType is the chart's and the controller's own default.
const StockDefaultTargetType = "instance"

// Validate reports a target type the controller would not accept.
func (c Controller) Validate() error {
	if c.DefaultTargetType != "ip" && c.DefaultTargetType != "instance" {
		return fmt.Errorf("defaultTargetType %q: must be ip or instance", c.DefaultTargetType)
	}
	return nil
}

// Options are what an evaluation assumes beyond the resources.
type Options struct {
	// Controller, when set, replaces the stock controller's defaults.
	Controller *Controller
}

// EvaluateWith is Evaluate with options.
func (e *Evaluator) EvaluateWith(ctx context.Context, resources []Resource, opts Options) ([]Violation, error) {
	return e.evalWith(ctx, resources, false, opts)
}

// EvaluateResourceWith is EvaluateResource with options.
func (e *Evaluator) EvaluateResourceWith(ctx context.Context, r Resource, opts Options) ([]Violation, error) {
	return e.evalWith(ctx, []Resource{r}, true, opts)
}

// ControllerFromValues reads the controller defaults from the chart values the
// controller is (or will be) installed with, as Helm merges them: a missing
// defaultTargetType is the chart's default, instance. source names the values
// for messages.
func ControllerFromValues(values map[string]any, source string) (*Controller, error) {
	c := &Controller{DefaultTargetType: StockDefaultTargetType, Source: source + " (no defaultTargetType: the chart's default)"}
	if v, ok := values["defaultTargetType"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%s: defaultTargetType is %v (%T), want ip or instance", source, v, v)
		}
		c.DefaultTargetType, c.Source = s, source+" (defaultTargetType: "+s+")"
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return c, nil
}

// LoadControllerValues reads a Helm values file of the aws-load-balancer-controller
// chart (what `helm install -f` takes).
func LoadControllerValues(path string) (*Controller, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var values map[string]any
	if err := yaml.Unmarshal(b, &values); err != nil {
		return nil, fmt.Errorf("%s: not a YAML values file: %w", path, err)
	}
	return ControllerFromValues(values, "controller values "+path)
}

// LoadControllerConfig reads the small controller file conftest takes with
// --data: {"eksbalance": {"controller": {"defaultTargetType": "ip", "source": "..."}}}
// (YAML or JSON).
func LoadControllerConfig(path string) (*Controller, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Eksbalance struct {
			Controller *Controller `yaml:"controller"`
		} `yaml:"eksbalance"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := doc.Eksbalance.Controller
	if c == nil {
		return nil, fmt.Errorf("%s: no eksbalance.controller in it (want {eksbalance: {controller: {defaultTargetType: ip}}})", path)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: eksbalance.controller.%w", path, err)
	}
	if c.Source == "" {
		c.Source = "controller config " + path
	}
	return c, nil
}
