package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/model"
)

// TestPredictShowsClientsAndZoneLoss: predict prints the zone-lost rows and
// the long-lived callers' view by default, within 80 columns; --clients
// changes the callers; --population=false leaves both out.
func TestPredictShowsClientsAndZoneLoss(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := run([]string{"predict", seedFile}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	expectText(t, out.String(),
		"shifted away or down",
		"busiest vs mean before      2.00x        3.00x",
		"long-lived callers",
		"Callers: 10 callers, DNS cached for the process's life, 5 connections each",
		"as in the file",
		"toolkit default",
		"cross-zone off",
		"NLB, no recycling",
		"ALB, least outst.",
		"many independent callers (the exact shares above): max/mean 1.500",
	)

	out.Reset()
	if code := run([]string{"predict", seedFile, "--clients", "callers=3,dns=perRequest,connectionsPerCaller=2"}, &out, &errb); code != 0 {
		t.Fatalf("--clients: exit %d, stderr %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "Callers: 3 callers, DNS looked up per connection, 2 connections each") {
		t.Errorf("--clients not applied:\n%s", out.String())
	}

	out.Reset()
	if code := run([]string{"predict", seedFile, "--population=false"}, &out, &errb); code != 0 {
		t.Fatalf("--population=false: exit %d, stderr %s", code, errb.String())
	}
	if strings.Contains(out.String(), "long-lived callers") || strings.Contains(out.String(), "shifted away") {
		t.Errorf("--population=false still shows the views:\n%s", out.String())
	}
}

// expectText checks that text holds every want and no line wider than 80
// columns.
func expectText(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q:\n%s", w, text)
		}
	}
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if utf8.RuneCountInString(l) > 80 {
			t.Errorf("line wider than 80 columns: %q", l)
		}
	}
}

// TestPlanShowsClientsAndZoneLoss: the dev stack's plan carries, per
// workload, the zone-lost rows (1.5x with three even zones) and the callers'
// view for the callers --clients gives, with the workload's own recycling.
func TestPlanShowsClientsAndZoneLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the platform program: skipped with -short")
	}
	t.Parallel()
	var out, errb bytes.Buffer
	if code := run([]string{"plan", "../..", "--stack", "dev", "-o", "json", "--clients", "callers=6"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	var doc struct {
		Predictions []struct {
			Workload string `json:"workload"`
			ZoneLost []struct {
				PeakOverMean float64 `json:"peakOverMean"`
			} `json:"zoneLost"`
			Population []struct {
				Name     string `json:"name"`
				Topology struct {
					Recycling struct {
						MaxConnAge string `json:"maxConnAge"`
					} `json:"recycling"`
				} `json:"topology"`
				Result struct {
					Method  string `json:"method"`
					Clients struct {
						Callers int `json:"callers"`
					} `json:"clients"`
				} `json:"result"`
			} `json:"population"`
		} `json:"predictions"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Predictions) != 2 {
		t.Fatalf("%d predictions, want 2", len(doc.Predictions))
	}
	for _, pr := range doc.Predictions {
		if len(pr.ZoneLost) != 3 || pr.ZoneLost[0].PeakOverMean != 1.5 {
			t.Errorf("%s: zone-lost rows %+v, want 3 at 1.5x", pr.Workload, pr.ZoneLost)
		}
		if len(pr.Population) != 5 || pr.Population[0].Result.Clients.Callers != 6 {
			t.Fatalf("%s: population %+v, want 5 rows for the 6 callers given", pr.Workload, pr.Population)
		}
		planned := pr.Population[0]
		switch {
		case strings.Contains(pr.Workload, "nlb"):
			if want := model.Duration(workload.DefaultNLBMaxConnAge).String(); planned.Topology.Recycling.MaxConnAge != want || planned.Result.Method != "simulated" {
				t.Errorf("%s: as planned %+v, want the template's %s recycling, simulated", pr.Workload, planned, want)
			}
		case strings.Contains(pr.Workload, "alb"):
			if planned.Result.Method != "exact" {
				t.Errorf("%s: as planned %+v, want exact (every request balanced)", pr.Workload, planned)
			}
		}
	}
}
