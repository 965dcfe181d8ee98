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

// analyse evaluates the guardrail rules on a plan and predicts its traffic;
// o carries what the plan does not hold (who the callers are), given the
// cluster's controller when a --controller-* flag described it (nil: the
// planned release's, else a stock one; see controllerFor).
func analyse(p *plan.Plan, o traffic.Options, given *rules.Controller) (*report, error) {
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
	// Objects that rely on the controller's defaults are judged, and their
	// traffic predicted, by the cluster's controller: the flags', else the
	// planned release's, else a stock one's.
	var opts rules.Options
	ctrl, ctrlNote := controllerFor(p, given)
	if ctrl != nil {
		opts.Controller = ctrl
		o.DefaultTargetType = ctrl.DefaultTargetType
	}
	vs, err := ev.EvaluateWith(ctx, res, opts)
	if err != nil {
		return nil, fmt.Errorf("evaluating policies: %w", err)
	}
	preds, notes, err := traffic.PredictWith(p, o)
	if err != nil {
		return nil, fmt.Errorf("predicting traffic: %w", err)
	}
	if n := existingNodesNote(p); n != "" {
		notes = append([]string{n}, notes...)
	}
	notes = append(notes, ctrlNote)
	return &report{plan: p, violations: vs, predictions: preds, notes: notes}, nil
}

// existingNodesNote says that the prediction placed pods on nodes described
// outside the program, and that those win over the plan's node groups.
func existingNodesNote(p *plan.Plan) string {
	if len(p.ExistingNodes) == 0 {
		return ""
	}
	nodes := 0
	for _, z := range p.ExistingNodes {
		nodes += len(z.Nodes)
	}
	n := fmt.Sprintf("traffic prediction on the existing nodes given: %d node(s) in %d zone(s)", nodes, len(p.ExistingNodes))
	if groups := len(p.ByType("eks:index:ManagedNodeGroup")); groups > 0 {
		n += fmt.Sprintf(", not the plan's %d node group(s)", groups)
	}
	return n
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

// annotations marks resources in the tree: "!" for the violations on a
// resource (their rule IDs; each message is printed once, under Policies) and
// "~" for a workload's traffic prediction (details under Traffic prediction).
func (r *report) annotations() map[string][]string {
	out := map[string][]string{}
	byURN := map[string][]rules.Violation{}
	var urns []string
	for _, v := range r.violations {
		if urn := r.urnOf(v.Resource); urn != "" {
			if byURN[urn] == nil {
				urns = append(urns, urn)
			}
			byURN[urn] = append(byURN[urn], v)
		}
	}
	for _, urn := range urns {
		vs := byURN[urn]
		ids := make([]string, len(vs))
		for i, v := range vs {
			ids[i] = fmt.Sprintf("%s (%s)", v.Rule, v.Severity)
		}
		out[urn] = append(out[urn], fmt.Sprintf("! %d violation(s): %s", len(vs), strings.Join(ids, ", ")))
	}
	for _, p := range r.predictions {
		out[p.URN] = append(out[p.URN], fmt.Sprintf("~ traffic: %d pods, max/mean %.3f", p.Topology.TotalPods(), p.Result.MaxOverMean))
	}
	return out
}

// worst is the prediction with the highest max/mean, nil without any.
func (r *report) worst() *traffic.Prediction {
	var w *traffic.Prediction
	for i := range r.predictions {
		if w == nil || r.predictions[i].Result.MaxOverMean > w.Result.MaxOverMean {
			w = &r.predictions[i]
		}
	}
	return w
}

// verdict is the plan's first line: pass or fail, the violations, and the
// traffic prediction's worst case.
func (r *report) verdict() string {
	status := "PASS"
	if r.mandatory() > 0 {
		status = "FAIL"
	}
	line := fmt.Sprintf("%s %s (stack %s): %d mandatory, %d advisory violation(s)",
		status, r.plan.Project, r.plan.Stack, r.mandatory(), len(r.violations)-r.mandatory())
	if w := r.worst(); w != nil {
		line += fmt.Sprintf("; %d load-balanced workload(s), worst max/mean %.3f (%s)", len(r.predictions), w.Result.MaxOverMean, w.Workload)
	} else {
		line += "; no traffic prediction (see notes)"
	}
	return line
}

// writeText prints the plan for a person: the verdict first, then warnings
// and notes, the resource tree (short, or every resource with its inputs),
// the policy violations and the traffic prediction. Each section is its own
// function so sections can be added without touching the others.
func (r *report) writeText(w io.Writer, inputs bool) {
	fmt.Fprintln(w, r.verdict())
	r.writeNotes(w)
	fmt.Fprintln(w)
	plan.WriteText(w, r.plan, plan.TextOptions{Inputs: inputs, Short: !inputs, Notes: r.annotations()})
	r.writePolicies(w)
	r.writeTraffic(w)
}

// writeNotes prints what a preview would warn about (plan.Plan.Warnings: the
// program's own warnings, an API endpoint the runner cannot reach, a stack
// reference without mocked outputs), then the analysis' notes. Neither
// changes the exit code.
func (r *report) writeNotes(w io.Writer) {
	for _, x := range r.plan.Warnings {
		fmt.Fprintf(w, "warning: %s\n", x)
	}
	for _, n := range r.notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func (r *report) writePolicies(w io.Writer) {
	fmt.Fprintf(w, "\nPolicies: %d mandatory, %d advisory violation(s)\n", r.mandatory(), len(r.violations)-r.mandatory())
	for _, v := range r.violations {
		fmt.Fprintf(w, "  %-10s %-24s %s\n", v.Severity, v.Rule, v.Message)
	}
}

func (r *report) writeTraffic(w io.Writer) {
	fmt.Fprintf(w, "\nTraffic prediction (%d load-balanced workload(s))\n", len(r.predictions))
	for _, p := range r.predictions {
		fmt.Fprintf(w, "\n%s behind %s: %d replicas, %s\n", p.Workload, p.Front, p.Replicas, spreadText(p.Spread))
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
		writeClientsAndZoneLoss(w, p)
	}
}

// spreadText says what the hard spread constraints are; a maxSkew of 0 means
// there is no such constraint (the scheduler places freely), not perfect
// spread.
func spreadText(s model.Spread) string {
	part := func(what string, skew int) string {
		if skew == 0 {
			return "no hard " + what + " constraint"
		}
		return fmt.Sprintf("%s maxSkew %d", what, skew)
	}
	return part("zone", s.ZoneMaxSkew) + ", " + part("host", s.HostMaxSkew)
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
	ZoneLost   []model.ZoneLoss        `json:"zoneLost,omitempty"`
	Population []model.NamedPopulation `json:"population,omitempty"`
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
			Drift: pr.Drift, DriftNote: pr.DriftNote, ZoneLost: pr.ZoneLost, Population: pr.Population,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
