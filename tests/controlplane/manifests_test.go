package controlplane

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// build.sh names the binary directory after go.mod's k8s.io/kubernetes version, and the
// harness looks there by KubernetesVersion: the two must agree.
func TestKubernetesVersionMatchesGoMod(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?k8s\.io/kubernetes\s+(v\S+)`).FindSubmatch(data)
	if m == nil {
		t.Fatal("go.mod does not require k8s.io/kubernetes")
	}
	if string(m[1]) != KubernetesVersion {
		t.Fatalf("go.mod pins k8s.io/kubernetes %s but KubernetesVersion is %s", m[1], KubernetesVersion)
	}
	// Every staging replace must point at the matching v0.x release.
	staging := "v0." + strings.TrimPrefix(KubernetesVersion, "v1.")
	for _, line := range regexp.MustCompile(`(?m)^\s*k8s\.io/\S+ => k8s\.io/\S+ (\S+)$`).FindAllSubmatch(data, -1) {
		if string(line[1]) != staging {
			t.Errorf("replace %s: want %s", line[0], staging)
		}
	}
}

func TestLoadManifests(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: a\n")
	write("b.json", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"a"}}`)
	write("notes.txt", "not a manifest")
	objs, err := LoadManifestsE(dir)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetKind())
	}
	if strings.Join(kinds, ",") != "Namespace,ConfigMap,Service" {
		t.Errorf("kinds %v", kinds)
	}

	write("c.yaml", "apiVersion: v1\nmetadata:\n  name: nokind\n")
	if _, err := LoadManifestsE(dir); err == nil || !strings.Contains(err.Error(), "c.yaml") || !strings.Contains(err.Error(), "kind") {
		t.Errorf("a document without kind must be an error naming the file, got %v", err)
	}
	if _, err := LoadManifestsE(t.TempDir()); err == nil {
		t.Error("an empty directory must be an error")
	}
}

func TestStripLBReadinessGates(t *testing.T) {
	t.Parallel()
	objs, err := decodeManifests([]byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      readinessGates:
        - conditionType: target-health.elbv2.k8s.aws/k8s-web-abc
        - conditionType: example.com/own-gate
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: plain}
spec: {template: {spec: {}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	notes, err := StripLBReadinessGates(objs)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "target-health.elbv2.k8s.aws/k8s-web-abc") {
		t.Errorf("notes %v", notes)
	}
	gates := objs[0].Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["readinessGates"].([]any)
	if len(gates) != 1 || gates[0].(map[string]any)["conditionType"] != "example.com/own-gate" {
		t.Errorf("the user's own gate must stay, got %v", gates)
	}
}
