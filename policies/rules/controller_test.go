package rules_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/internal/upstream"
	"github.com/eksbalance/eksbalance/policies/manifests"
	"github.com/eksbalance/eksbalance/policies/rules"
)

// Issue 17: the rules judge objects that rely on the controller's defaults by
// the controller the cluster runs.

func echoserver(t *testing.T) []rules.Resource {
	t.Helper()
	var res []rules.Resource
	for _, f := range []string{"echoserver-namespace.yaml", "echoserver-service.yaml", "echoserver-deployment.yaml", "echoserver-ingress.yaml"} {
		rs, _, err := manifests.Load(upstream.Echoservice(f))
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, rs...)
	}
	return res
}

func withController(t *testing.T, res []rules.Resource, c *rules.Controller) []rules.Violation {
	t.Helper()
	vs, err := evaluator(t).EvaluateWith(context.Background(), res, rules.Options{Controller: c})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func ofRule(vs []rules.Violation, id string) []rules.Violation {
	var out []rules.Violation
	for _, v := range vs {
		if v.Rule == id {
			out = append(out, v)
		}
	}
	return out
}

func mustParse(t *testing.T, yamlText string) []rules.Resource {
	t.Helper()
	path := filepath.Join(t.TempDir(), "objects.yaml")
	if err := os.WriteFile(path, []byte(yamlText), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, _, err := manifests.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

const nlbWithoutTargetType = `apiVersion: v1
kind: Service
metadata:
  name: edge
  namespace: shop
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-type: external
    service.beta.kubernetes.io/aws-load-balancer-attributes: load_balancing.cross_zone.enabled=true
spec:
  type: LoadBalancer
  selector: {app: edge}
  ports: [{port: 80, targetPort: 8080}]
`

func TestTargetTypeDefaultComesFromTheController(t *testing.T) {
	t.Parallel()
	ipFlag := &rules.Controller{DefaultTargetType: "ip", Source: "--controller-default-target-type ip"}
	cases := []struct {
		name    string
		objects []rules.Resource
		object  string // the resource the finding names
	}{
		{"the controller's echoserver Ingress", echoserver(t), "Ingress echoserver/echoserver"},
		{"an NLB Service without nlb-target-type", mustParse(t, nlbWithoutTargetType), "Service shop/edge"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stock := ofRule(withController(t, tc.objects, nil), "ip-targets")
			if len(stock) != 1 || !strings.HasPrefix(stock[0].Message, tc.object+": ") {
				t.Fatalf("with a stock controller ip-targets = %v, want one finding on %s", stock, tc.object)
			}
			for _, want := range []string{"is instance", "; no object sets it, so the controller's default target type instance was assumed, from a stock controller"} {
				if !strings.Contains(stock[0].Message, want) {
					t.Errorf("message does not say %q: %s", want, stock[0].Message)
				}
			}
			if got := ofRule(withController(t, tc.objects, ipFlag), "ip-targets"); len(got) != 0 {
				t.Errorf("with the toolkit's controller (ip) ip-targets still fires: %v", got)
			}
			explicit := &rules.Controller{DefaultTargetType: "instance", Source: "controller values lbc.yaml (defaultTargetType: instance)"}
			got := ofRule(withController(t, tc.objects, explicit), "ip-targets")
			if len(got) != 1 || !strings.Contains(got[0].Message, "from controller values lbc.yaml") {
				t.Errorf("an instance default given explicitly: %v, want a finding naming where it came from", got)
			}
		})
	}
}

const classParams = `apiVersion: elbv2.k8s.aws/v1beta1
kind: IngressClassParams
metadata: {name: internal}
spec: {scheme: internal, targetType: TYPE}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: internal-alb}
spec:
  controller: ingress.k8s.aws/alb
  parameters: {apiGroup: elbv2.k8s.aws, kind: IngressClassParams, name: internal}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    ANNOTATION
    alb.ingress.kubernetes.io/target-group-attributes: load_balancing.algorithm.type=least_outstanding_requests
spec:
  ingressClassName: internal-alb
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`

func TestIngressClassParamsSetTheTargetType(t *testing.T) {
	t.Parallel()
	doc := func(paramsType, annotation string) []rules.Resource {
		s := strings.ReplaceAll(classParams, "TYPE", paramsType)
		return mustParse(t, strings.ReplaceAll(s, "ANNOTATION", annotation))
	}
	cases := []struct {
		name       string
		objects    []rules.Resource
		controller *rules.Controller
		fires      bool
		says       string
	}{
		{"params ip, no annotation, stock controller", doc("ip", "eksbalance.io/note: none"), nil, false, ""},
		{"params ip win over an instance annotation", doc("ip", "alb.ingress.kubernetes.io/target-type: instance"), nil, false, ""},
		{"params instance win over an ip annotation", doc("instance", "alb.ingress.kubernetes.io/target-type: ip"),
			&rules.Controller{DefaultTargetType: "ip"}, true, "spec.targetType of IngressClassParams internal (IngressClass internal-alb)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ofRule(withController(t, tc.objects, tc.controller), "ip-targets")
			if (len(got) > 0) != tc.fires {
				t.Fatalf("ip-targets = %v, want firing %v", got, tc.fires)
			}
			if tc.fires && !strings.Contains(got[0].Message, tc.says) {
				t.Errorf("message does not say %q: %s", tc.says, got[0].Message)
			}
		})
	}
	// Without the IngressClass in the set, nothing says class internal-alb is
	// the controller's: the Ingress is not judged (no guess either way).
	objs := doc("ip", "alb.ingress.kubernetes.io/target-type: instance")
	var noClass []rules.Resource
	for _, r := range objs {
		if r.Properties["kind"] != "IngressClass" {
			noClass = append(noClass, r)
		}
	}
	if got := ofRule(withController(t, noClass, nil), "ip-targets"); len(got) != 0 {
		t.Errorf("an Ingress of an unknown class was judged: %v", got)
	}
}

func TestControllerFiles(t *testing.T) {
	t.Parallel()
	c, err := rules.LoadControllerValues(upstream.LBC("values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.DefaultTargetType != "instance" || !strings.Contains(c.Source, "values.yaml (defaultTargetType: instance)") {
		t.Errorf("the chart's own values.yaml: %+v, want instance", c)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if c, err := rules.LoadControllerValues(write("ip.yaml", "clusterName: shop\ndefaultTargetType: ip\n")); err != nil || c.DefaultTargetType != "ip" {
		t.Errorf("values with ip: %+v %v", c, err)
	}
	// What `helm get values` prints, header and all: the README tells users of
	// an existing cluster to pass that.
	if c, err := rules.LoadControllerValues(write("helm.yaml", "USER-SUPPLIED VALUES:\nclusterName: shop\ndefaultTargetType: ip\n")); err != nil || c.DefaultTargetType != "ip" {
		t.Errorf("helm get values output: %+v %v", c, err)
	}
	if c, err := rules.LoadControllerValues(write("none.yaml", "clusterName: shop\n")); err != nil || c.DefaultTargetType != "instance" || !strings.Contains(c.Source, "chart's default") {
		t.Errorf("values without defaultTargetType: %+v %v", c, err)
	}
	if _, err := rules.LoadControllerValues(write("bad.yaml", "defaultTargetType: pod\n")); err == nil || !strings.Contains(err.Error(), `"pod"`) {
		t.Errorf("bad values: %v, want an error naming the value", err)
	}
	if c, err := rules.LoadControllerConfig(write("cfg.yaml", "eksbalance:\n  controller:\n    defaultTargetType: ip\n")); err != nil || c.DefaultTargetType != "ip" || !strings.Contains(c.Source, "cfg.yaml") {
		t.Errorf("config: %+v %v", c, err)
	}
	if _, err := rules.LoadControllerConfig(write("empty.yaml", "other: 1\n")); err == nil || !strings.Contains(err.Error(), "eksbalance.controller") {
		t.Errorf("config without the key: %v", err)
	}
}

// conftest takes the same controller file with --data.
func TestConftestControllerData(t *testing.T) {
	bin := requireConftest(t)
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "controller.yaml")
	if err := os.WriteFile(data, []byte("eksbalance:\n  controller:\n    defaultTargetType: ip\n    source: the platform's controller (values.yaml of the cluster)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := []string{upstream.Echoservice("echoserver-service.yaml"), upstream.Echoservice("echoserver-ingress.yaml"), upstream.Echoservice("echoserver-deployment.yaml")}
	runConftest := func(extra ...string) string {
		args := append([]string{"test", "--combine", "--no-color", "-o", "json", "--policy", "."}, extra...)
		cmd := exec.Command(bin, append(args, files...)...)
		var out bytes.Buffer
		cmd.Stdout = &out
		_ = cmd.Run()
		var res []struct {
			Failures []struct{ Msg string } `json:"failures"`
		}
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("conftest output: %v\n%s", err, out.String())
		}
		var msgs []string
		for _, r := range res {
			for _, f := range r.Failures {
				if strings.HasPrefix(f.Msg, "[ip-targets]") {
					msgs = append(msgs, f.Msg)
				}
			}
		}
		return strings.Join(msgs, "\n")
	}
	if got := runConftest(); !strings.Contains(got, "instance was assumed, from a stock controller") {
		t.Errorf("stock: ip-targets = %q, want the echoserver Ingress denied", got)
	}
	if got := runConftest("--data", data); got != "" {
		t.Errorf("with --data %s: ip-targets still denies: %s", data, got)
	}
	// A file with a value the controller would not take is not "none given":
	// the stock default applies and the message says why.
	typo := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(typo, []byte("eksbalance:\n  controller:\n    defaultTargetType: IP\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runConftest("--data", typo); !strings.Contains(got, `instance was assumed, from a stock controller (conftest data eksbalance.controller.defaultTargetType is "IP", not ip or instance: ignored)`) {
		t.Errorf("with an invalid --data value: ip-targets = %q, want the stock default naming the ignored value", got)
	}
}
