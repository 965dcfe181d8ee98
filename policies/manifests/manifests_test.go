package manifests_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/policies/manifests"
	"github.com/eksbalance/eksbalance/policies/rules"
)

// TestReadMixed reads a directory of multi-document YAML, a List, JSON, comments,
// an empty document, a document without kind, kinds no rule reads and a file
// that is not a manifest.
func TestReadMixed(t *testing.T) {
	t.Parallel()
	objs, notes, err := manifests.Read("testdata/mixed")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, fmt.Sprintf("%s:%d %s %s", filepath.ToSlash(o.Path), o.Line, o.Object["kind"], o.Resource().Type))
	}
	want := []string{
		"testdata/mixed/app.yaml:4 Deployment kubernetes:apps/v1:Deployment",
		"testdata/mixed/list.yml:5 Service kubernetes:core/v1:Service",
		"testdata/mixed/list.yml:12 PodDisruptionBudget kubernetes:policy/v1:PodDisruptionBudget",
		"testdata/mixed/nested/namespace.json:1 Namespace kubernetes:core/v1:Namespace",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var noteText []string
	for _, n := range notes {
		noteText = append(noteText, filepath.ToSlash(n.String()))
	}
	wantNotes := []string{
		"testdata/mixed/nested/nokind.yaml:2: skipped a document without kind",
		"testdata/mixed/app.yaml:24: skipped 2 ConfigMap document(s), first here: no rule reads kind ConfigMap",
	}
	if strings.Join(noteText, "\n") != strings.Join(wantNotes, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(noteText, "\n"), strings.Join(wantNotes, "\n"))
	}
	// JSON numbers and YAML integers both arrive as integers the rules compare.
	if r := objs[0].Object["spec"].(map[string]any)["replicas"]; r != 3 {
		t.Errorf("replicas = %#v, want int 3", r)
	}
}

// TestReadBad: input that is not YAML or JSON, or not an object, is an *Error
// naming the file and line.
func TestReadBad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, want string
		line       int
	}{
		{"broken.yaml", "not valid YAML", 5}, // the unclosed [ is on line 5
		{"broken.json", "not valid JSON", 4},
		{"text.yaml", "not a Kubernetes object", 1},
		{"duplicate.yaml", `mapping key "name" already defined at line 4`, 5},
		{"indent.yaml", "mapping values are not allowed", 5},
		{"tab.yaml", "found character that cannot start any token", 4},
		{"missing.yaml", "no such file", 0},
	}
	for _, tt := range tests {
		path := filepath.Join("testdata", "bad", tt.file)
		_, _, err := manifests.Read(path)
		var me *manifests.Error
		if !errors.As(err, &me) {
			t.Errorf("%s: error %v, want *manifests.Error", tt.file, err)
			continue
		}
		if me.Path != path || me.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %q (line %d), want path %s line %d and %q", tt.file, err, me.Line, path, tt.line, tt.want)
		}
		if tt.line > 0 && !strings.HasPrefix(err.Error(), fmt.Sprintf("%s:%d: ", path, tt.line)) {
			t.Errorf("%s: %q does not start with file:line", tt.file, err)
		}
	}
}

// TestLoadEvaluates: what Load returns is what the rules read.
func TestLoadEvaluates(t *testing.T) {
	t.Parallel()
	rs, _, err := manifests.Load("testdata/mixed")
	if err != nil {
		t.Fatal(err)
	}
	e, err := rules.NewEvaluator(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	vs, err := e.Evaluate(context.Background(), rs)
	if err != nil {
		t.Fatal(err)
	}
	fired := map[string]bool{}
	for _, v := range vs {
		fired[v.Rule] = true
	}
	// The in-tree Service of list.yml fronts the Deployment of app.yaml, which
	// has no readiness probe: the join spans files.
	for _, id := range []string{"lb-controller-required", "readiness-probe", "zone-spread"} {
		if !fired[id] {
			t.Errorf("rule %s did not fire on the mixed directory; got %v", id, vs)
		}
	}
}

const benchApp = `apiVersion: apps/v1
kind: Deployment
metadata: {name: app-%[1]d, namespace: team-%[2]d}
spec:
  replicas: 3
  selector: {matchLabels: {app: app-%[1]d}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
  template:
    metadata: {labels: {app: app-%[1]d}}
    spec:
      terminationGracePeriodSeconds: 150
      topologySpreadConstraints:
      - {topologyKey: topology.kubernetes.io/zone, maxSkew: 1, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: app-%[1]d}}}
      containers:
      - name: app
        image: registry.k8s.io/e2e-test-images/agnhost:2.39
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /healthz, port: 8080}}
        lifecycle: {preStop: {sleep: {seconds: 125}}}
---
apiVersion: v1
kind: Service
metadata:
  name: app-%[1]d
  namespace: team-%[2]d
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-type: external
    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip
    service.beta.kubernetes.io/aws-load-balancer-attributes: load_balancing.cross_zone.enabled=true
    service.beta.kubernetes.io/aws-load-balancer-target-group-attributes: deregistration_delay.timeout_seconds=60
spec:
  type: LoadBalancer
  selector: {app: app-%[1]d}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: app-%[1]d, namespace: team-%[2]d}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: app-%[1]d}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app-%[1]d
  namespace: team-%[2]d
  annotations:
    alb.ingress.kubernetes.io/target-type: ip
    alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=30,load_balancing.algorithm.type=least_outstanding_requests
spec:
  ingressClassName: alb
  defaultBackend: {service: {name: app-%[1]d, port: {number: 80}}}
`

// BenchmarkCheck1000 is `eksbalance check` minus printing: read 250 files of
// four manifests each (Deployment, Service, PodDisruptionBudget, Ingress) from
// disk and evaluate every rule on the 1,000 objects.
func BenchmarkCheck1000(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < 250; i++ {
		path := filepath.Join(dir, fmt.Sprintf("app-%03d.yaml", i))
		if err := os.WriteFile(path, []byte(fmt.Sprintf(benchApp, i, i%10)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	e, err := rules.NewEvaluator(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rs, _, err := manifests.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		if len(rs) != 1000 {
			b.Fatalf("read %d objects, want 1000", len(rs))
		}
		vs, err := e.Evaluate(ctx, rs)
		if err != nil {
			b.Fatal(err)
		}
		if len(vs) != 0 {
			b.Fatalf("the benchmark set should be clean, got %v", vs[0])
		}
	}
}

// TestReadGoesOnPastBadFiles: the objects of the readable inputs come back
// beside an Errors listing every unreadable one.
func TestReadGoesOnPastBadFiles(t *testing.T) {
	t.Parallel()
	objs, _, err := manifests.Read("testdata/bad/broken.yaml", "testdata/mixed/list.yml", "testdata/bad/broken.json", "testdata/missing.yaml")
	var errs manifests.Errors
	if !errors.As(err, &errs) || len(errs) != 3 {
		t.Fatalf("err = %v, want Errors of 3", err)
	}
	if errs[0].Line != 5 || errs[1].Line != 4 || !strings.Contains(errs[2].Error(), "no such file") {
		t.Errorf("errors %v", errs)
	}
	if len(objs) != 2 {
		t.Errorf("%d objects from list.yml, want 2", len(objs))
	}
}

// TestReadStdinHelmSource: "-" reads the given stdin; helm's "# Source:"
// comments name each document's template.
func TestReadStdinHelmSource(t *testing.T) {
	t.Parallel()
	in := "---\n# Source: web/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {type: ClusterIP}\n" +
		"---\n# Source: web/templates/pdb.yaml\n\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n" +
		"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
	objs, _, err := manifests.ReadFrom(strings.NewReader(in), manifests.Stdin)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, fmt.Sprintf("%s:%d %s %q", o.Path, o.Line, o.Object["kind"], o.Source))
	}
	want := []string{
		`<stdin>:3 Service "web/templates/service.yaml"`,
		`<stdin>:10 PodDisruptionBudget "web/templates/pdb.yaml"`,
		`<stdin>:14 Namespace ""`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestReadNothingIsAnError: an input that yields no document at all is
// unreadable, not an empty pass. `helm template ... | eksbalance check -`
// gets empty stdin when helm fails in a shell without pipefail (GitHub
// Actions' default bash), and a directory without YAML when the render
// before it wrote elsewhere; either way nothing was checked.
func TestReadNothingIsAnError(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	for _, tc := range []struct {
		name, stdin, path, says string
	}{
		{"empty stdin", "", manifests.Stdin, "pipefail"},
		{"stdin of comments and separators", "---\n# Source: web/templates/none.yaml\n---\n", manifests.Stdin, "pipefail"},
		{"directory without YAML", "", empty, "no .yaml, .yml or .json file"},
	} {
		objs, _, err := manifests.ReadFrom(strings.NewReader(tc.stdin), tc.path)
		var errs manifests.Errors
		if !errors.As(err, &errs) || len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.says) || len(objs) != 0 {
			t.Errorf("%s: objects %d, err %v; want one error saying %q", tc.name, len(objs), err, tc.says)
		}
	}
	// The passing side: one document of a kind no rule reads is something read.
	if _, notes, err := manifests.ReadFrom(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), manifests.Stdin); err != nil || len(notes) != 1 {
		t.Errorf("a ConfigMap on stdin: err %v, notes %v; want no error and a note", err, notes)
	}
}
