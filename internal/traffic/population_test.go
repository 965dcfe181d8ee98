package traffic

import (
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/plan"
)

// TestRecyclingAndClientsReachThePrediction: the Deployment's
// EKSBALANCE_MAX_CONN_* env becomes the topology's recycling, the given
// callers its clients, and the prediction carries the zone-lost rows and the
// callers' view, whose first row is the workload as planned.
func TestRecyclingAndClientsReachThePrediction(t *testing.T) {
	t.Parallel()
	d := deployment(6, zoneSpread)
	spec := d.Inputs["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	spec["containers"] = []any{map[string]any{"name": "app", "env": []any{
		map[string]any{"name": "EKSBALANCE_MAX_CONN_AGE", "value": "120"},
		map[string]any{"name": "EKSBALANCE_MAX_CONN_REQUESTS", "value": "1000"},
		map[string]any{"name": "OTHER", "value": "x"},
	}}}
	p := &plan.Plan{Resources: []plan.Resource{
		nodeGroup("us-east-1a", 1), nodeGroup("us-east-1b", 1), nodeGroup("us-east-1c", 1), d, service(toolkitNLB, ""),
	}}
	callers := &model.ClientPopulation{Callers: 4, DNS: model.DNSPerRequest}
	preds, _, err := PredictWith(p, Options{Clients: callers, Population: model.PopulationOptions{Runs: 10, Windows: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if len(preds) != 1 {
		t.Fatalf("%d predictions, want 1", len(preds))
	}
	pr := preds[0]
	if want := (model.Recycling{MaxConnAge: model.Duration(2 * time.Minute), MaxConnRequests: 1000}); pr.Recycling != want || pr.Topology.Recycling != want {
		t.Errorf("recycling %+v, topology's %+v, want %+v", pr.Recycling, pr.Topology.Recycling, want)
	}
	if len(pr.ZoneLost) != 3 || pr.ZoneLost[0].PeakOverMean != 1.5 {
		t.Errorf("zone-lost rows %+v, want 3 with 1.5x", pr.ZoneLost)
	}
	if len(pr.Population) != 5 {
		t.Fatalf("%d population rows, want 5", len(pr.Population))
	}
	if got := pr.Population[0].Result.Clients; got.Callers != 4 || got.DNS != model.DNSPerRequest {
		t.Errorf("callers %+v, want the 4 given", got)
	}
	if got := pr.Population[0].Topology.Recycling; got.MaxConnAge != model.Duration(2*time.Minute) {
		t.Errorf("the as-planned row recycles at %v, want the workload's 2m", got.MaxConnAge)
	}

	none, _, err := PredictWith(p, Options{SkipPopulation: true})
	if err != nil || len(none[0].Population) != 0 || len(none[0].ZoneLost) != 3 {
		t.Errorf("SkipPopulation: %d rows, %d zone rows, %v", len(none[0].Population), len(none[0].ZoneLost), err)
	}
}
