package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/eksbalance/eksbalance/internal/traffic"
	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/plan"
	"github.com/eksbalance/eksbalance/policies/rules"
)

// report is what plan adds to the resource list: policy violations on the
// planned resources and the traffic model's prediction per load-balanced workload.
type report struct {
	plan        *plan.Plan
	violations  []rules.Violation
	predictions []traffic.Prediction
	notes       []string
}

// analyse evaluates the guardrail rules on a plan and predicts its traffic.
func analyse(p *plan.Plan) (*report, error) {
	ctx := context.Background()
	ev, err := rules.NewEvaluator(ctx)
	if err != nil {
		return nil, err
	}
	res := make([]rules.Resource, 0, len(p.Resources))
	for _, r := range p.Resources {
		if r.Type == "pulumi:pulumi:Stack" || strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		res = append(res, rules.Resource{Type: r.Type, Name: r.Name, Properties: r.Inputs})
	}
	// A planned stack is judged by the controller it installs: objects that
	// rely on the controller's defaults get the planned release's.
	var opts rules.Options
	if t, src, ok := traffic.ControllerDefault(p); ok {
		opts.Controller = &rules.Controller{DefaultTargetType: t, Source: src}
	}
	vs, err := ev.EvaluateWith(ctx, res, opts)
	if err != nil {
		return nil, fmt.Errorf("evaluating policies: %w", err)
	}
	preds, notes, err := traffic.Predict(p)
	if err != nil {
		return nil, fmt.Errorf("predicting traffic: %w", err)
	}
	return &report{plan: p, violations: vs, predictions: preds, notes: notes}, nil
}

func (r *report) mandatory() int {
	n := 0
	for _, v := range r.violations {
		if v.Severity == rules.SeverityMandatory {
			n++
		}
	}
	return n
}

// urnOf finds the planned resource a violation names.
func (r *report) urnOf(ref rules.Ref) string {
	for _, res := range r.plan.Resources {
		if strings.HasPrefix(res.Type, "kubernetes:") {
			kind, _ := res.Inputs["kind"].(string)
			name := res.String("metadata.name")
			ns := res.String("metadata.namespace")
			if ns == "" {
				ns = "default"
			}
			if kind == ref.Kind && name == ref.Name && (ref.Namespace == "" || ref.Namespace == ns) {
				return res.URN
			}
		} else if res.Type == ref.Kind && res.Name == ref.Name {
			return res.URN
		}
	}
	return ""
}

// annotations puts each violation and prediction summary beside its resource in the tree.
func (r *report) annotations() map[string][]string {
	out := map[string][]string{}
	for _, v := range r.violations {
		if urn := r.urnOf(v.Resource); urn != "" {
			out[urn] = append(out[urn], fmt.Sprintf("%s [%s] %s", v.Rule, v.Severity, v.Message))
		}
	}
	for _, p := range r.predictions {
		out[p.URN] = append(out[p.URN], "traffic: "+p.Result.Summary())
	}
	return out
}

func (r *report) writeText(w io.Writer) {
	fmt.Fprintf(w, "\nPolicies: %d mandatory, %d advisory violation(s)\n", r.mandatory(), len(r.violations)-r.mandatory())
	for _, v := range r.violations {
		fmt.Fprintf(w, "  %-10s %-24s %s/%s/%s: %s\n", v.Severity, v.Rule, v.Resource.Kind, v.Resource.Namespace, v.Resource.Name, v.Message)
	}
	fmt.Fprintf(w, "\nTraffic prediction (%d load-balanced workload(s))\n", len(r.predictions))
	for _, n := range r.notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, p := range r.predictions {
		fmt.Fprintf(w, "\n%s behind %s: %d replicas, zone maxSkew %d, host maxSkew %d\n",
			p.Workload, p.Front, p.Replicas, p.Spread.ZoneMaxSkew, p.Spread.HostMaxSkew)
		if p.Pending != "" {
			fmt.Fprintf(w, "  warning: %s\n", p.Pending)
		}
		_ = model.WriteText(w, p.Topology, p.Result)
		fmt.Fprintln(w, "\nThe same placement under other load-balancer settings:")
		_ = model.WriteContrast(w, p.Contrast)
		if len(p.Drift) > 0 {
			fmt.Fprintf(w, "\nAfter drift (%s; Kubernetes does not rebalance):\n", p.DriftNote)
			_ = model.WriteContrast(w, p.Drift)
		}
	}
}

// planJSON is the documented JSON form of `eksbalance plan -o json`.
type planJSON struct {
	*plan.Plan
	Violations  []rules.Violation `json:"violations"`
	Predictions []predictionJSON  `json:"predictions"`
	Notes       []string          `json:"notes,omitempty"`
}

type predictionJSON struct {
	Workload   string                  `json:"workload"`
	Front      string                  `json:"front"`
	Replicas   int                     `json:"replicas"`
	Pending    string                  `json:"pending,omitempty"`
	Topology   model.Topology          `json:"topology"`
	Prediction model.Prediction        `json:"prediction"`
	Contrast   []model.NamedPrediction `json:"contrast"`
	Drift      []model.NamedPrediction `json:"drift,omitempty"`
	DriftNote  string                  `json:"driftNote,omitempty"`
}

func writePlanJSON(w io.Writer, p *plan.Plan, r *report) error {
	out := planJSON{Plan: p, Violations: r.violations, Notes: r.notes, Predictions: []predictionJSON{}}
	if out.Violations == nil {
		out.Violations = []rules.Violation{}
	}
	for _, pr := range r.predictions {
		out.Predictions = append(out.Predictions, predictionJSON{
			Workload: pr.Workload, Front: pr.Front, Replicas: pr.Replicas, Pending: pr.Pending,
			Topology: pr.Topology, Prediction: pr.Result, Contrast: pr.Contrast,
			Drift: pr.Drift, DriftNote: pr.DriftNote,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
