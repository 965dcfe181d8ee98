package lab

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/tests/measure"
)

// zoneSpec is a zone and its nodes' pod counts; nodes are named zone+1, zone+2...
type zoneSpec struct {
	name string
	pods []int
}

func zs(name string, pods ...int) zoneSpec { return zoneSpec{name, pods} }

func topo(kind model.Kind, tt model.TargetType, crossZone bool, policy model.Policy, zones ...zoneSpec) model.Topology {
	t := model.Topology{
		LoadBalancer:          model.LoadBalancer{Kind: kind, TargetType: tt, CrossZone: crossZone},
		ExternalTrafficPolicy: policy,
	}
	for _, z := range zones {
		mz := model.Zone{Name: z.name, Nodes: []model.Node{}}
		for i, p := range z.pods {
			mz.Nodes = append(mz.Nodes, model.Node{Name: fmt.Sprintf("%s%d", z.name, i+1), Pods: p})
		}
		t.Zones = append(t.Zones, mz)
	}
	return t
}

const (
	nlb      = model.KindNLB
	alb      = model.KindALB
	ip       = model.TargetTypeIP
	instance = model.TargetTypeInstance
	cluster  = model.PolicyCluster
	local    = model.PolicyLocal
)

// distributionCases are the model's hand-computed cases (model/predict_test.go,
// TestPredictHandComputed), each built for real, plus ALB flavours: round
// robin, least connections, and keepalive clients behind an L7 balancer.
var distributionCases = []struct {
	name      string
	topology  model.Topology
	balance   Balance
	keepAlive bool
	// concurrency defaults to 8. Least connections sends to whichever pod
	// answers fastest; on a loaded 2-core machine the pods are not equally
	// fast (measured at 8: one pod 2.1 points over its third, chi2 20), so
	// that case runs at 2, where haproxy mostly sees ties and the test
	// measures the algorithm rather than the host's scheduler.
	concurrency int
}{
	{name: "3 pods behind kube-proxy (Cluster)", topology: topo(nlb, instance, false, cluster, zs("a", 2, 1))},
	{name: "empty policy means Cluster (ALB rr)", topology: topo(alb, instance, false, "", zs("a", 2, 1))},
	{name: "eTP Local, 2+1 pods on two nodes", topology: topo(nlb, instance, false, local, zs("a", 2, 1))},
	{name: "seed example: Local, cross-zone off", topology: topo(nlb, instance, false, local, zs("a", 2, 1), zs("b", 3))},
	{name: "ip, cross-zone off, 2 targets + 1", topology: topo(nlb, ip, false, "", zs("a", 1, 1), zs("b", 1))},
	{name: "instance Cluster, cross-zone off, 2+1", topology: topo(nlb, instance, false, cluster, zs("a", 1, 1), zs("b", 1))},
	{name: "instance Local, cross-zone off, 2+1 (ALB rr)", topology: topo(alb, instance, false, local, zs("a", 1, 1), zs("b", 1))},
	{name: "ip, cross-zone on, 2+1 (ALB leastconn)", topology: topo(alb, ip, true, "", zs("a", 1, 1), zs("b", 1)), balance: BalanceLeastConn, concurrency: 2},
	{name: "ip, uneven zones, cross-zone off", topology: topo(nlb, ip, false, "", zs("a", 2, 1), zs("b", 1))},
	{name: "ip, uneven zones, cross-zone on", topology: topo(nlb, ip, true, "", zs("a", 2, 1), zs("b", 1))},
	{name: "zone without pods, ip, cross-zone off", topology: topo(nlb, ip, false, "", zs("a", 1, 1), zs("b", 1), zs("c", 0))},
	{name: "zone without pods, ip, cross-zone on", topology: topo(nlb, ip, true, "", zs("a", 1, 1), zs("b", 1), zs("c", 0))},
	{name: "zone without pods, Cluster, cross-zone off", topology: topo(nlb, instance, false, cluster, zs("a", 1, 1), zs("b", 1), zs("c", 0))},
	{name: "zone without pods, Cluster, cross-zone on", topology: topo(nlb, instance, true, cluster, zs("a", 1, 1), zs("b", 1), zs("c", 0))},
	{name: "zone without pods, Local, cross-zone off", topology: topo(nlb, instance, false, local, zs("a", 1, 1), zs("b", 1), zs("c", 0))},
	{name: "zone without pods, Local, cross-zone on", topology: topo(nlb, instance, true, local, zs("a", 1, 1), zs("b", 1), zs("c", 0))},
	{name: "zone without nodes, Cluster, cross-zone off", topology: topo(nlb, instance, false, cluster, zs("a", 1), zs("b", 1), zs("c"))},
	{name: "ip, uneven zones, cross-zone on, keepalive clients (ALB rr)", topology: topo(alb, ip, true, "", zs("a", 2, 1), zs("b", 1)), keepAlive: true},
}

const (
	// shareMargin is how far a measured share may be from the model's.
	shareMargin = 0.02
	// noiseZ is how many standard errors of sampling noise fit in the
	// margin. At 4, noise alone exceeds the margin for one pod with
	// probability 6e-5 (two-sided normal tail), under 0.5% over the ~50 pod
	// shares of the whole table: the test fails on a wrong model or a wrong
	// lab, not on bad luck.
	noiseZ = 4
	// distributionAlpha is the chi-square test's significance level. Where the
	// lab's path is random (DNS choice of zone, kube-proxy's pick) the p-value
	// is uniform under a correct model, so each such topology fails by bad
	// luck with probability alpha; 1e-4 over the table's 18 topologies keeps a
	// run's false alarm under 0.2%, while a real bias of a point or more at
	// N = 10,000 gives p far below it.
	distributionAlpha = 1e-4
)

// TestDistributionMatchesModel measures every topology through haproxy and
// compares per-pod shares with the model's prediction.
func TestDistributionMatchesModel(t *testing.T) {
	requireTool(t, "haproxy")
	t.Parallel()
	bin := backendBinary(t)

	// N: the worst case is a pod with share 1/2, whose measured share has
	// standard error sqrt(0.5*0.5/N). N = z^2 * 0.25 / margin^2 puts the
	// 2-point margin at noiseZ standard errors: 10,000 requests, standard
	// error 0.5 points. Pods with smaller shares have smaller errors. (Where
	// the lab's path is deterministic, haproxy's round robin, the noise is
	// smaller still; the random parts are the DNS choice of zone and
	// kube-proxy's choice of pod.)
	n, err := measure.SampleSizeForMargin(0.5, shareMargin, noiseZ)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("N = %d requests per topology: standard error of a share <= %.2f points, margin %.0f points = %d standard errors",
		n, 100*measure.ShareStandardError(0.5, n), 100*shareMargin, noiseZ)

	var table strings.Builder
	fmt.Fprintf(&table, "%-58s %-14s %7s %8s %7s\n", "topology", "pod", "model", "measured", "diff")
	for _, c := range distributionCases {
		t.Run(c.name, func(t *testing.T) {
			lab := Start(t, bin, Spec{Name: c.name, Topology: c.topology, Balance: c.balance})
			expected, pred := lab.Expected()
			dns := lab.DNS()
			conc := c.concurrency
			if conc == 0 {
				conc = 8
			}
			load := measure.Load{
				Targets:     dns,
				Choice:      measure.ChoiceRandom,
				Requests:    n,
				Concurrency: conc,
				KeepAlive:   c.keepAlive,
				Duration:    90 * time.Second,
				Timeout:     5 * time.Second,
			}
			res, err := measure.Run(t.Context(), load)
			if err != nil {
				t.Fatal(err)
			}
			if res.Attempted != n || len(res.Failures) != 0 {
				t.Fatalf("sent %d of %d, %d failed: %v", res.Attempted, n, len(res.Failures), firstFailures(res.Failures))
			}
			a, err := measure.Analyze(res.Pods, expected)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range a.Pods {
				fmt.Fprintf(&table, "%-58s %-14s %6.2f%% %7.2f%% %+6.2f%%\n", clip(c.name, 58), p.Name, 100*p.Expected, 100*p.Share, 100*p.Diff)
				if math.Abs(p.Diff) > shareMargin {
					t.Errorf("pod %s: measured %.2f%%, model %.2f%%: off by more than %.0f points", p.Name, 100*p.Share, 100*p.Expected, 100*shareMargin)
				}
			}
			// The pods that answered are exactly the ones the model gives a
			// share: none missing, none unexpected.
			var want, got []string
			for name, share := range expected {
				if share > 0 {
					want = append(want, name)
				}
			}
			for name := range res.Pods {
				got = append(got, name)
			}
			sort.Strings(want)
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("pods that answered %v, want the pods the model gives a share %v", got, want)
			}
			// The margin bounds how far a share may drift; the chi-square test
			// also catches a pattern of smaller deviations the model does not
			// explain.
			if !(a.PValue > distributionAlpha) {
				t.Errorf("shares do not fit the model: chi-square %.2f, df %d, p = %.3g (must exceed %g)", a.ChiSquare, a.DF, a.PValue, distributionAlpha)
			}
			fmt.Fprintf(&table, "%-58s %-14s max/mean model %.3f measured %.3f, chi2 %.2f df %d p %.3f, %d zone addresses, %.0f req/s\n",
				"", "", pred.MaxOverMean, a.MaxOverMean, a.ChiSquare, a.DF, a.PValue, len(dns), res.Throughput())
		})
	}
	t.Logf("model vs lab, %d requests per topology:\n%s", n, table.String())
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "~"
}

func firstFailures(fs []measure.Failure) []measure.Failure {
	if len(fs) > 5 {
		return fs[:5]
	}
	return fs
}
