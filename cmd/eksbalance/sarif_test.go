package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/eksbalance/eksbalance/policies/rules"
)

var (
	sarifOnce     sync.Once
	sarifCompiled *jsonschema.Schema
	sarifErr      error
)

// sarifValidator compiles the OASIS SARIF 2.1.0 schema (testdata, unmodified).
func sarifValidator(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sarifOnce.Do(func() {
		b, err := os.ReadFile("testdata/sarif-schema-2.1.0.json")
		if err != nil {
			sarifErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft7
		const url = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
		if err := c.AddResource(url, bytes.NewReader(b)); err != nil {
			sarifErr = err
			return
		}
		sarifCompiled, sarifErr = c.Compile(url)
	})
	if sarifErr != nil {
		t.Fatal(sarifErr)
	}
	return sarifCompiled
}

func validateSARIF(t *testing.T, out string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if err := sarifValidator(t).Validate(doc); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %#v", err)
	}
	return doc
}

// sarifLogOf decodes the parts of a SARIF log these tests read.
type sarifLogOf struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID                   string `json:"id"`
					ShortDescription     struct{ Text string }
					DefaultConfiguration struct{ Level string }
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Message struct{ Text string }
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
				LogicalLocations []struct {
					FullyQualifiedName string `json:"fullyQualifiedName"`
				} `json:"logicalLocations"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
		} `json:"results"`
	} `json:"runs"`
}

// TestCheckSARIF: -o sarif is valid SARIF 2.1.0 (the OASIS schema), carries
// the rule catalog with levels, and locates each finding at the file and line
// of its object, relative to where check ran, as code-scanning UIs need.
func TestCheckSARIF(t *testing.T) {
	t.Parallel()
	code, out, stderr := check(mixedDir, fixtures+"/alb-algorithm/bad.yaml", "-o", "sarif")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	validateSARIF(t, out)
	var log sarifLogOf
	if err := json.Unmarshal([]byte(out), &log); err != nil || len(log.Runs) != 1 {
		t.Fatalf("%v, %d runs", err, len(log.Runs))
	}
	run := log.Runs[0]
	cat := rules.Catalog()
	if run.Tool.Driver.Name != "eksbalance" || len(run.Tool.Driver.Rules) != len(cat) {
		t.Fatalf("driver %q with %d rules, want eksbalance with %d", run.Tool.Driver.Name, len(run.Tool.Driver.Rules), len(cat))
	}
	for i, r := range cat {
		d := run.Tool.Driver.Rules[i]
		want := "warning"
		if r.Severity == rules.SeverityMandatory {
			want = "error"
		}
		if d.ID != r.ID || d.ShortDescription.Text != r.Title || d.DefaultConfiguration.Level != want {
			t.Errorf("rule %d: %+v, want %s %q level %s", i, d, r.ID, r.Title, want)
		}
	}
	if len(run.Invocations) != 1 || !run.Invocations[0].ExecutionSuccessful {
		t.Errorf("invocations %+v", run.Invocations)
	}
	found := map[string]bool{}
	for _, res := range run.Results {
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("%s: ruleIndex %d points at %s", res.RuleID, res.RuleIndex, run.Tool.Driver.Rules[res.RuleIndex].ID)
		}
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation == nil || res.PartialFingerprints[fingerprintKey] == "" {
			t.Fatalf("%s: locations %+v", res.RuleID, res.Locations)
		}
		pl := res.Locations[0].PhysicalLocation
		found[res.RuleID] = true
		switch res.RuleID {
		case "readiness-probe":
			if pl.ArtifactLocation.URI != "../../policies/manifests/testdata/mixed/app.yaml" || pl.ArtifactLocation.URIBaseID != "%SRCROOT%" || pl.Region == nil || pl.Region.StartLine != 4 || res.Level != "error" {
				t.Errorf("readiness-probe at %+v %+v level %s", pl.ArtifactLocation, pl.Region, res.Level)
			}
			if fq := res.Locations[0].LogicalLocations[0].FullyQualifiedName; fq != "shop/Deployment/web" {
				t.Errorf("logical location %q", fq)
			}
		case "alb-algorithm":
			if res.Level != "warning" || !strings.HasSuffix(pl.ArtifactLocation.URI, "alb-algorithm/bad.yaml") {
				t.Errorf("alb-algorithm: level %s at %s", res.Level, pl.ArtifactLocation.URI)
			}
		}
	}
	if !found["readiness-probe"] || !found["alb-algorithm"] {
		t.Errorf("results for %v", found)
	}
}

// TestCheckSARIFEdges: unreadable inputs become failed-execution
// notifications (exit 2), absolute paths and names with spaces become valid
// URIs, stdin maps to helm's template path, and a clean run is valid too.
func TestCheckSARIFEdges(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "my charts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bad, err := os.ReadFile(filepath.Join(fixtures, "zone-spread/bad.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"web app.yaml": string(bad), "broken.yaml": "a: [\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ := check(dir, "-o", "sarif")
	if code != 2 {
		t.Errorf("exit %d, want 2 (an unreadable file)", code)
	}
	validateSARIF(t, out)
	var log sarifLogOf
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	inv := log.Runs[0].Invocations[0]
	if inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 1 || !strings.Contains(inv.ToolExecutionNotifications[0].Message.Text, "broken.yaml:2") {
		t.Errorf("invocation %+v", inv)
	}
	uri := log.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI
	if !strings.HasPrefix(uri, "file:///") || !strings.Contains(uri, "my%20charts/web%20app.yaml") {
		t.Errorf("absolute path URI %q", uri)
	}

	code, out, _ = checkStdin(helmOutput(t), "-", "-o", "sarif")
	validateSARIF(t, out)
	log = sarifLogOf{}
	if err := json.Unmarshal([]byte(out), &log); err != nil || code != 1 {
		t.Fatalf("stdin: exit %d, %v", code, err)
	}
	for _, res := range log.Runs[0].Results {
		pl := res.Locations[0].PhysicalLocation
		if pl == nil || !strings.HasPrefix(pl.ArtifactLocation.URI, "shop/templates/") || pl.Region != nil {
			t.Errorf("%s from stdin located at %+v, want the helm template without a line", res.RuleID, pl)
		}
	}

	code, out, _ = check(fixtures+"/readiness-probe/good.yaml", "-o", "sarif")
	doc := validateSARIF(t, out)
	if code != 0 || len(doc["runs"].([]any)[0].(map[string]any)["results"].([]any)) != 0 {
		t.Errorf("clean: exit %d\n%s", code, out)
	}
}

// TestSARIFSchemaCatchesMistakes: the schema check can fail: a log without
// version, a result with an unknown level, or a region line 0 is rejected.
func TestSARIFSchemaCatchesMistakes(t *testing.T) {
	t.Parallel()
	_, out, _ := check(fixtures+"/zone-spread/bad.yaml", "-o", "sarif")
	for name, breakIt := range map[string]func(m map[string]any){
		"no version": func(m map[string]any) { delete(m, "version") },
		"bad level":  func(m map[string]any) { result(m)["level"] = "mandatory" },
		"line 0": func(m map[string]any) {
			result(m)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)["region"].(map[string]any)["startLine"] = 0
		},
		"no invocation": func(m map[string]any) {
			delete(m["runs"].([]any)[0].(map[string]any)["invocations"].([]any)[0].(map[string]any), "executionSuccessful")
		},
	} {
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		breakIt(m)
		if err := sarifValidator(t).Validate(m); err == nil {
			t.Errorf("%s: the schema accepted it", name)
		}
	}
}

func result(m map[string]any) map[string]any {
	return m["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
}
