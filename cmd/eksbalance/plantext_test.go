package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/plan"
)

// savedPlan writes a plan of an existing cluster's workload: a Deployment of 6
// replicas with a hard zone spread and no host constraint, behind a
// controller NLB, without readiness probe or PDB, and (with nodeGroup) one node
// group of a zone the cluster does not use. No program is built.
func savedPlan(t *testing.T, nodeGroup bool) string {
	t.Helper()
	const stack = "urn:pulumi:dev::shop::pulumi:pulumi:Stack::shop-dev"
	labels := map[string]any{"app": "web"}
	res := []plan.Resource{
		{URN: stack, Type: "pulumi:pulumi:Stack", Name: "shop-dev", Inputs: map[string]any{}},
		{URN: "urn:pulumi:dev::shop::kubernetes:apps/v1:Deployment::web", Type: "kubernetes:apps/v1:Deployment", Name: "web", Parent: stack, Custom: true,
			Inputs: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
				"metadata": map[string]any{"name": "web", "namespace": "shop"},
				"spec": map[string]any{"replicas": 6.0, "selector": map[string]any{"matchLabels": labels},
					"strategy": map[string]any{"rollingUpdate": map[string]any{"maxUnavailable": 0.0, "maxSurge": 1.0}},
					"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": map[string]any{
						"terminationGracePeriodSeconds": 150.0,
						"topologySpreadConstraints": []any{map[string]any{"topologyKey": "topology.kubernetes.io/zone", "maxSkew": 1.0,
							"whenUnsatisfiable": "DoNotSchedule", "labelSelector": map[string]any{"matchLabels": labels}}},
						"containers": []any{map[string]any{"name": "web", "image": "example.com/web:1", "ports": []any{map[string]any{"containerPort": 8080.0}},
							"lifecycle": map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 125.0}}}}},
					}}}}},
		{URN: "urn:pulumi:dev::shop::kubernetes:core/v1:Service::web", Type: "kubernetes:core/v1:Service", Name: "web", Parent: stack, Custom: true,
			Inputs: map[string]any{"apiVersion": "v1", "kind": "Service",
				"metadata": map[string]any{"name": "web", "namespace": "shop", "annotations": map[string]any{
					"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type":         "ip",
					"service.beta.kubernetes.io/aws-load-balancer-attributes":              "load_balancing.cross_zone.enabled=true",
					"service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "deregistration_delay.timeout_seconds=60",
				}},
				"spec": map[string]any{"type": "LoadBalancer", "loadBalancerClass": "service.k8s.aws/nlb", "selector": labels,
					"ports": []any{map[string]any{"port": 80.0, "targetPort": 8080.0}}}}},
	}
	if nodeGroup {
		res = append(res, plan.Resource{URN: "urn:pulumi:dev::shop::eks:index:ManagedNodeGroup::extra", Type: "eks:index:ManagedNodeGroup", Name: "extra", Parent: stack, Custom: false, Remote: true,
			Inputs: map[string]any{"scalingConfig": map[string]any{"desiredSize": 1.0},
				"tags": map[string]any{"k8s.io/cluster-autoscaler/node-template/label/topology.kubernetes.io/zone": "us-west-2a"}}})
	}
	return writePlanFile(t, &plan.Plan{Project: "shop", Stack: "dev", Resources: res})
}

// writePlanFile saves p as `plan -o json` would, for commands that take a saved
// plan instead of a program.
func writePlanFile(t *testing.T, p *plan.Plan) string {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runOut(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestPlanTextVerdictFirst: the text starts with the verdict; the short tree
// marks violations ("!", rule IDs only) and traffic ("~"), each violation's
// message is printed once (under Policies), host maxSkew 0 reads as what it
// means, and --inputs lists the inputs the short tree leaves out.
func TestPlanTextVerdictFirst(t *testing.T) {
	t.Parallel()
	saved := savedPlan(t, false)
	code, out, errOut := runOut(t, "plan", saved, "--nodes", "us-east-1a=2,us-east-1b=2,us-east-1c=2")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (mandatory violations)\n%s%s", code, out, errOut)
	}
	first, _, _ := strings.Cut(out, "\n")
	if want := "FAIL shop (stack dev): 2 mandatory, 0 advisory violation(s); 1 load-balanced workload(s), worst max/mean 1.000 (shop/web)"; first != want {
		t.Errorf("first line %q, want %q", first, want)
	}
	for _, want := range []string{
		"note: traffic prediction on the existing nodes given: 6 node(s) in 3 zone(s)\n",
		"  ! 2 violation(s): pdb-present (mandatory), readiness-probe (mandatory)",
		"  ~ traffic: 6 pods, max/mean 1.000",
		"shop/web behind Service shop/web: 6 replicas, zone maxSkew 1, no hard host constraint\n",
		"us-east-1c  us-east-1c-node-2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	for _, banned := range []string{"! traffic", "host maxSkew 0", "spec.replicas: 6"} {
		if strings.Contains(out, banned) {
			t.Errorf("text has %q:\n%s", banned, out)
		}
	}
	var doc struct {
		Violations []struct{ Message string } `json:"violations"`
	}
	_, js, _ := runOut(t, "plan", saved, "-o", "json")
	if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Violations) != 2 {
		t.Fatalf("json: %v, %d violations", err, len(doc.Violations))
	}
	for _, v := range doc.Violations {
		if n := strings.Count(out, v.Message); n != 1 {
			t.Errorf("violation printed %d times: %s", n, v.Message)
		}
	}
	_, full, _ := runOut(t, "plan", saved, "--inputs", "--nodes", "us-east-1a=2,us-east-1b=2,us-east-1c=2")
	if !strings.Contains(full, "spec.replicas: 6") || strings.Count(full, "\n") <= strings.Count(out, "\n") {
		t.Errorf("--inputs does not list the inputs:\n%s", full)
	}
}

// TestPlanExistingNodes: without node groups the prediction is skipped with a
// note naming the flags; --nodes and --nodes-file describe existing nodes,
// which win over the plan's node groups, and the JSON records them.
func TestPlanExistingNodes(t *testing.T) {
	t.Parallel()
	_, out, _ := runOut(t, "plan", savedPlan(t, false))
	if !strings.Contains(out, "; no traffic prediction (see notes)") || !strings.Contains(out, "no existing nodes given (eksbalance plan --nodes or --nodes-file)") {
		t.Errorf("no nodes: text\n%s", out)
	}

	withGroup := savedPlan(t, true)
	_, js, errOut := runOut(t, "plan", withGroup, "-o", "json", "--nodes", "us-east-1b=1,us-east-1a=2")
	var doc struct {
		ExistingNodes []plan.Zone `json:"existingNodes"`
		Notes         []string    `json:"notes"`
		Predictions   []struct {
			Topology struct {
				Zones []struct {
					Name  string `json:"name"`
					Nodes []struct {
						Name string `json:"name"`
						Pods int    `json:"pods"`
					} `json:"nodes"`
				} `json:"zones"`
			} `json:"topology"`
		} `json:"predictions"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if len(doc.ExistingNodes) != 2 || doc.ExistingNodes[0].Name != "us-east-1a" || len(doc.ExistingNodes[0].Nodes) != 2 {
		t.Errorf("existingNodes %+v", doc.ExistingNodes)
	}
	if len(doc.Predictions) != 1 {
		t.Fatalf("%d predictions", len(doc.Predictions))
	}
	var zones []string
	pods := 0
	for _, z := range doc.Predictions[0].Topology.Zones {
		zones = append(zones, z.Name)
		for _, n := range z.Nodes {
			pods += n.Pods
		}
	}
	if strings.Join(zones, ",") != "us-east-1a,us-east-1b" || pods != 6 {
		t.Errorf("placed on zones %v (%d pods), want the given us-east-1a,us-east-1b, not the node group's us-west-2a", zones, pods)
	}
	if len(doc.Notes) == 0 || !strings.Contains(doc.Notes[0], "not the plan's 1 node group(s)") {
		t.Errorf("notes %v", doc.Notes)
	}

	// A predict topology file: its zones and node names, not its pods.
	_, out, _ = runOut(t, "plan", savedPlan(t, false), "--nodes-file", seedFile)
	if !strings.Contains(out, "3 node(s) in 2 zone(s)") || !strings.Contains(out, "us-east-1b  b1") {
		t.Errorf("--nodes-file: text\n%s", out)
	}
}

// TestPlanNodesFromKubectl: --nodes-file takes `kubectl get nodes -o json`:
// zones from the topology.kubernetes.io/zone label, cordoned nodes left out,
// and a node without the label is an error naming it.
func TestPlanNodesFromKubectl(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	node := func(name, zone string, cordoned bool) map[string]any {
		n := map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": name, "labels": map[string]any{"kubernetes.io/hostname": name}}}
		if zone != "" {
			n["metadata"].(map[string]any)["labels"].(map[string]any)["topology.kubernetes.io/zone"] = zone
		}
		if cordoned {
			n["spec"] = map[string]any{"unschedulable": true}
		}
		return n
	}
	write := func(name string, items ...map[string]any) string {
		b, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("nodes.json", node("ip-10-0-1-5", "eu-west-1a", false), node("ip-10-0-2-7", "eu-west-1b", false),
		node("ip-10-0-1-9", "eu-west-1a", false), node("ip-10-0-2-8", "eu-west-1b", true))
	code, out, errOut := runOut(t, "plan", savedPlan(t, false), "--nodes-file", good)
	if code != 1 || !strings.Contains(out, "3 node(s) in 2 zone(s)") || !strings.Contains(out, "eu-west-1a  ip-10-0-1-9") || strings.Contains(out, "ip-10-0-2-8") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	bad := write("unlabelled.json", node("ip-10-0-3-1", "", false))
	code, _, errOut = runOut(t, "plan", savedPlan(t, false), "--nodes-file", bad)
	if code != 2 || !strings.Contains(errOut, "node(s) ip-10-0-3-1 have no topology.kubernetes.io/zone label") {
		t.Errorf("unlabelled node: exit %d, %s", code, errOut)
	}
}
