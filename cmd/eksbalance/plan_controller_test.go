package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/components/lbcontroller"
	"github.com/eksbalance/eksbalance/internal/pulumitest"
)

// hostedIngressProgram deploys a hand-written Ingress without
// alb.ingress.kubernetes.io/target-type (and its Service and Deployment) onto a
// cluster, as the README's existing-cluster recipe does, with (controller set)
// or without a controller release of its own.
func hostedIngressProgram(controller lbcontroller.TargetType) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		if controller != "" {
			if _, err := lbcontroller.NewController(ctx, "lbc", &lbcontroller.Args{
				ClusterName: pulumi.String("shop"), Region: "us-east-1", VpcID: pulumi.String("vpc-0123456789abcdef0"),
				OIDCProviderARN:   pulumi.String("arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"),
				OIDCProviderURL:   pulumi.String("https://oidc.eks.us-east-1.amazonaws.com/id/ABC"),
				DefaultTargetType: controller,
			}); err != nil {
				return err
			}
		}
		labels := pulumi.StringMap{"app": pulumi.String("web")}
		meta := &metav1.ObjectMetaArgs{Name: pulumi.String("web"), Namespace: pulumi.String("shop")}
		if _, err := appsv1.NewDeployment(ctx, "web", &appsv1.DeploymentArgs{Metadata: meta, Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(3),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: labels},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: labels},
				Spec: &corev1.PodSpecArgs{Containers: corev1.ContainerArray{&corev1.ContainerArgs{
					Name: pulumi.String("web"), Image: pulumi.String("example.com/web:1"),
					Ports: corev1.ContainerPortArray{&corev1.ContainerPortArgs{ContainerPort: pulumi.Int(8080)}},
				}}},
			},
		}}); err != nil {
			return err
		}
		if _, err := corev1.NewService(ctx, "web", &corev1.ServiceArgs{Metadata: meta, Spec: &corev1.ServiceSpecArgs{
			Selector: labels,
			Ports:    corev1.ServicePortArray{&corev1.ServicePortArgs{Port: pulumi.Int(80)}},
		}}); err != nil {
			return err
		}
		_, err := networkingv1.NewIngress(ctx, "web", &networkingv1.IngressArgs{Metadata: meta, Spec: &networkingv1.IngressSpecArgs{
			IngressClassName: pulumi.String("alb"),
			Rules: networkingv1.IngressRuleArray{&networkingv1.IngressRuleArgs{Http: &networkingv1.HTTPIngressRuleValueArgs{
				Paths: networkingv1.HTTPIngressPathArray{&networkingv1.HTTPIngressPathArgs{
					Path: pulumi.String("/"), PathType: pulumi.String("Prefix"),
					Backend: &networkingv1.IngressBackendArgs{Service: &networkingv1.IngressServiceBackendArgs{
						Name: pulumi.String("web"), Port: &networkingv1.ServiceBackendPortArgs{Number: pulumi.Int(80)},
					}},
				}},
			}}},
		}})
		return err
	}
}

// hostedIngressPlan saves the plan of hostedIngressProgram.
func hostedIngressPlan(t *testing.T, controller lbcontroller.TargetType) string {
	t.Helper()
	return writePlanFile(t, pulumitest.MustRun(t, hostedIngressProgram(controller)).Plan())
}

// plan takes the controller flags check takes. On an existing cluster (no
// controller release in the plan) an annotation-less Ingress is judged by a
// stock controller unless a flag describes the cluster's; a flag wins over a
// planned release, and the output says which default was used and where it
// came from, in text and JSON, for the rules and the traffic prediction alike.
func TestPlanControllerFlags(t *testing.T) {
	t.Parallel()
	existing := hostedIngressPlan(t, "")
	plannedIP := hostedIngressPlan(t, lbcontroller.TargetTypeIP)
	valuesIP := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(valuesIP, []byte("clusterName: shop\ndefaultTargetType: ip\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	configIP := filepath.Join(t.TempDir(), "controller.yaml")
	if err := os.WriteFile(configIP, []byte("eksbalance:\n  controller:\n    defaultTargetType: ip\n    source: the shop cluster's controller\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nodes := []string{"--nodes", "us-east-1a=1,us-east-1b=1,us-east-1c=1"}
	for _, tc := range []struct {
		name  string
		args  []string
		fires bool
		// says is in the ip-targets message when it fires; note in the plan's note.
		says, note, targetType string
	}{
		{"existing cluster, no flag: a stock controller", []string{existing}, true,
			"instance was assumed, from a stock controller", "controller default target type instance, a stock controller's: the plan installs no controller", "instance"},
		{"existing cluster, --controller-default-target-type ip", []string{existing, "--controller-default-target-type", "ip"}, false,
			"", "controller default target type ip, from --controller-default-target-type ip", "ip"},
		{"existing cluster, --controller-values", []string{existing, "--controller-values", valuesIP}, false,
			"", "controller default target type ip, from controller values " + valuesIP + " (defaultTargetType: ip)", "ip"},
		{"existing cluster, --controller-config", []string{existing, "--controller-config", configIP}, false,
			"", "controller default target type ip, from the shop cluster's controller", "ip"},
		{"planned release ip, no flag: the release", []string{plannedIP}, false,
			"", "controller default target type ip, from the planned controller (Helm release lbc-release, values.defaultTargetType ip)", "ip"},
		{"planned release ip, flag instance: the flag wins", []string{plannedIP, "--controller-default-target-type", "instance"}, true,
			"from --controller-default-target-type instance",
			"controller default target type instance, from --controller-default-target-type instance; it wins over the planned controller (Helm release lbc-release, values.defaultTargetType ip)", "instance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, out, errOut := runOut(t, append(append([]string{"plan"}, tc.args...), nodes...)...)
			var lines []string
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "mandatory") && strings.Contains(l, " ip-targets ") {
					lines = append(lines, l)
				}
			}
			if tc.fires != (len(lines) == 1) || len(lines) > 1 {
				t.Fatalf("ip-targets lines %v, want firing %v\n%s%s", lines, tc.fires, out, errOut)
			}
			if tc.fires && !strings.Contains(lines[0], tc.says) {
				t.Errorf("finding %q does not say %q", lines[0], tc.says)
			}
			if !strings.Contains(out, "note: "+tc.note) {
				t.Errorf("plan output has no note %q:\n%s", tc.note, out)
			}
			var doc struct {
				Notes       []string `json:"notes"`
				Predictions []struct {
					Topology struct {
						LoadBalancer struct {
							TargetType string `json:"targetType"`
						} `json:"loadBalancer"`
					} `json:"topology"`
				} `json:"predictions"`
			}
			_, js, _ := runOut(t, append(append([]string{"plan", "-o", "json"}, tc.args...), nodes...)...)
			if err := json.Unmarshal([]byte(js), &doc); err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(doc.Notes, func(n string) bool { return strings.HasPrefix(n, tc.note) }) {
				t.Errorf("JSON notes %q, want one starting %q", doc.Notes, tc.note)
			}
			if len(doc.Predictions) != 1 || doc.Predictions[0].Topology.LoadBalancer.TargetType != tc.targetType {
				t.Errorf("predictions %+v: want one with %s targets", doc.Predictions, tc.targetType)
			}
		})
	}
}

// A bad controller flag fails at once, before any program is built, naming the
// flag and the value.
func TestPlanControllerFlagErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() // no Pulumi.yaml: a flag error must come before the plan
	for flags, want := range map[string]string{
		"--controller-default-target-type pod":                           `--controller-default-target-type "pod": must be ip or instance`,
		"--controller-default-target-type ip --controller-config x.yaml": "at most one of",
		"--controller-values " + filepath.Join(dir, "missing.yaml"):      "missing.yaml",
	} {
		code, _, stderr := runOut(t, append([]string{"plan", dir}, strings.Fields(flags)...)...)
		if code != 2 || !strings.Contains(stderr, want) || strings.Contains(stderr, "Pulumi.yaml") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q before any planning", flags, code, stderr, want)
		}
	}
}
