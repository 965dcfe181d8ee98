package workload

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/pulumitest"
	"github.com/eksbalance/eksbalance/internal/validation"
	"github.com/eksbalance/eksbalance/plan"
)

// Type tokens of the objects the component registers.
const (
	tNamespace  = "kubernetes:core/v1:Namespace"
	tService    = "kubernetes:core/v1:Service"
	tDeployment = "kubernetes:apps/v1:Deployment"
	tPDB        = "kubernetes:policy/v1:PodDisruptionBudget"
	tIngress    = "kubernetes:networking.k8s.io/v1:Ingress"
	tHPA        = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
)

const testName = "web"

// run registers a workload named testName under mocks, failing on error.
func run(t *testing.T, args *Args) *pulumitest.Capture {
	t.Helper()
	return pulumitest.MustRun(t, func(ctx *pulumi.Context) error {
		_, err := NewWorkload(ctx, testName, args)
		return err
	})
}

// customContainer is a valid non-sample container.
func customContainer() Container {
	return Container{
		Image:         "example.com/api:1.2.3",
		ReadinessPath: "/ready",
		LivenessPath:  "/live",
		Resources:     Resources{CPURequest: "250m", MemoryRequest: "256Mi", CPULimit: "1", MemoryLimit: "512Mi"},
	}
}

// validate defaults a copy of args and validates it.
func validate(args Args) error {
	args.SetDefaults(testName)
	return args.Validate(testName)
}

// problems asserts err is *validation.Errors and returns it.
func problems(t *testing.T, err error) *validation.Errors {
	t.Helper()
	if err == nil {
		t.Fatal("expected a validation error, got none")
	}
	var ve *validation.Errors
	if !errors.As(err, &ve) {
		t.Fatalf("error is %T, not *validation.Errors: %v", err, err)
	}
	return ve
}

// expectOnly asserts err names exactly the fields want and that its text
// contains every fragment.
func expectOnly(t *testing.T, err error, want []string, fragments ...string) {
	t.Helper()
	ve := problems(t, err)
	got := ve.Fields()
	if !slices.Equal(got, want) {
		t.Errorf("fields with problems = %v, want %v\n%v", got, want, err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error does not contain %q:\n%v", f, err)
		}
	}
}

func get(t *testing.T, r plan.Resource, path string) any {
	t.Helper()
	v, ok := r.Get(path)
	if !ok {
		t.Fatalf("%s %s: no %s", r.Type, r.Name, path)
	}
	return v
}

// num reads a number; the capture holds JSON numbers as float64.
func num(t *testing.T, r plan.Resource, path string) int {
	t.Helper()
	f, ok := get(t, r, path).(float64)
	if !ok {
		t.Fatalf("%s %s: %s is %T, not a number", r.Type, r.Name, path, get(t, r, path))
	}
	return int(f)
}

func str(t *testing.T, r plan.Resource, path string) string {
	t.Helper()
	s, ok := get(t, r, path).(string)
	if !ok {
		t.Fatalf("%s %s: %s is %T, not a string", r.Type, r.Name, path, get(t, r, path))
	}
	return s
}

func boolean(t *testing.T, r plan.Resource, path string) bool {
	t.Helper()
	b, ok := get(t, r, path).(bool)
	if !ok {
		t.Fatalf("%s %s: %s is %T, not a bool", r.Type, r.Name, path, get(t, r, path))
	}
	return b
}

// stringMap reads a map of strings (labels, annotations).
func stringMap(t *testing.T, r plan.Resource, path string) map[string]string {
	t.Helper()
	m, ok := get(t, r, path).(map[string]any)
	if !ok {
		t.Fatalf("%s %s: %s is not a map", r.Type, r.Name, path)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// env reads the first container's environment as a map.
func env(t *testing.T, dep plan.Resource) map[string]string {
	t.Helper()
	list, ok := get(t, dep, "spec.template.spec.containers[0].env").([]any)
	if !ok {
		t.Fatal("container env is not a list")
	}
	out := map[string]string{}
	for _, e := range list {
		m := e.(map[string]any)
		out[m["name"].(string)] = fmt.Sprint(m["value"])
	}
	return out
}
