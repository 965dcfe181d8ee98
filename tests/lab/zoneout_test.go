package lab

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/tests/measure"
)

// zoneOutCase is one layout that loses one zone under load.
type zoneOutCase struct {
	name     string
	topology model.Topology
	lose     string
}

// zoneOut is one zone-out run's model rows and measurement.
type zoneOut struct {
	c                 zoneOutCase
	lab               *Lab
	normal            model.Prediction
	row               model.ZoneLoss
	res               *measure.CallersResult
	shiftAt, settleAt time.Duration
}

const (
	// zoneOutCallers callers, each closing its connection after
	// zoneOutPerConn requests and opening the next to a freshly looked-up
	// zone: clients that respect DNS, so a zone shifted away stops getting
	// new connections. One request per connection makes every request an
	// independent draw, so 10,000 of them pin a share to half a point;
	// with 10 per connection the effective sample is a tenth of that (a run
	// measured 3 points off for a 25% pod).
	zoneOutCallers, zoneOutPerConn = 20, 1
	zoneOutRate                    = 30.0 // per caller: 600 requests/s in all
	// zoneOutWarm is load before the zone goes.
	zoneOutWarm = 2 * time.Second
)

// TestZoneOutMatchesZoneLostRow takes a zone out under load, its
// load-balancer node (the zone's haproxy frontend, out of DNS and no longer
// accepting) and its pods (killed), and compares each pod's share after the
// shift has settled (the killed pods DOWN in every other zone's proxy) with
// the model's zone-lost row: within 2 points each, and not one failed
// request after settling. The same measurement held against the normal row
// must miss it, or the comparison could not tell a lost zone from none.
func TestZoneOutMatchesZoneLostRow(t *testing.T) {
	requireTool(t, "haproxy")
	t.Parallel()
	bin := backendBinary(t)
	started := time.Now()
	// 10,000 requests after settling put the 2-point margin at 4 standard
	// errors of the largest share (1/2), as in TestDistributionMatchesModel.
	n, err := measure.SampleSizeForMargin(0.5, shareMargin, noiseZ)
	if err != nil {
		t.Fatal(err)
	}
	measureFor := time.Duration(float64(n) / (zoneOutCallers * zoneOutRate) * float64(time.Second))
	cases := []zoneOutCase{
		{name: "toolkit: 3 x 2 pods, cross-zone on", topology: topo(nlb, ip, true, "", zs("a", 1, 1), zs("b", 1, 1), zs("c", 1, 1)), lose: "b"},
		{name: "uneven 2+1+1, cross-zone off", topology: topo(nlb, ip, false, "", zs("a", 1, 1), zs("b", 1), zs("c", 1)), lose: "b"},
	}
	runs := make([]*zoneOut, len(cases))
	for i, c := range cases {
		lab := Start(t, bin, Spec{Name: "zone out " + c.name, Topology: c.topology, Balance: BalanceRandom})
		normal, err := model.Predict(c.topology)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := model.ZoneLost(c.topology)
		if err != nil {
			t.Fatal(err)
		}
		z := &zoneOut{c: c, lab: lab, normal: normal}
		for _, r := range rows {
			if r.Zone == c.lose {
				z.row = r
			}
		}
		runs[i] = z
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, z := range runs {
		wg.Go(func() { errs[i] = z.run(ctx, measureFor) })
	}
	wg.Wait()
	for i, z := range runs {
		if errs[i] != nil {
			t.Fatalf("%s: %v", z.c.name, errs[i])
		}
	}

	var table strings.Builder
	fmt.Fprintf(&table, "%-42s %-14s %7s %8s %8s %7s\n", "layout (zone taken out)", "pod", "normal", "zone out", "measured", "diff")
	for _, z := range runs {
		after := z.res.Between(z.settleAt, z.settleAt+measureFor)
		total := 0
		for _, c := range after {
			total += c
		}
		want := map[string]float64{}
		for _, p := range z.row.Prediction.Pods {
			want[PodName(p.Zone, p.Node, p.Index)] = p.Share
		}
		worstVsNormal := 0.0
		for _, p := range z.normal.Pods {
			name := PodName(p.Zone, p.Node, p.Index)
			got := float64(after[name]) / float64(max(total, 1))
			diff := got - want[name]
			fmt.Fprintf(&table, "%-42s %-14s %6.2f%% %7.2f%% %7.2f%% %+6.2f%%\n", clip(z.c.name+" ("+z.c.lose+")", 42), name, 100*p.Share, 100*want[name], 100*got, 100*diff)
			if math.Abs(diff) > shareMargin {
				t.Errorf("%s: pod %s measured %.2f%% after zone %s went, zone-lost row %.2f%%: off by more than %.0f points",
					z.c.name, name, 100*got, z.c.lose, 100*want[name], 100*shareMargin)
			}
			worstVsNormal = max(worstVsNormal, math.Abs(got-p.Share))
		}
		before := z.res.FailuresBetween(0, z.settleAt)
		afterFail := z.res.FailuresBetween(z.settleAt, time.Hour)
		fmt.Fprintf(&table, "%-42s %d requests after settling (%v after the shift), %d failed; %d failed before; measured vs the normal row: up to %.1f points off\n",
			"", total, (z.settleAt - z.shiftAt).Round(time.Millisecond), len(afterFail), len(before), 100*worstVsNormal)
		if total < n {
			t.Errorf("%s: %d requests after settling, want at least %d", z.c.name, total, n)
		}
		if len(afterFail) > 0 {
			t.Errorf("%s: %d requests failed after the shift settled, first %v", z.c.name, len(afterFail), afterFail[0])
		}
		if worstVsNormal <= shareMargin {
			t.Errorf("%s: the measurement is within %.0f points of the normal row too: the lab cannot tell the zone is gone", z.c.name, 100*shareMargin)
		}
	}
	t.Logf("one zone out under load (%d callers looking DNS up per connection, %d request(s) each, %.0f req/s in all), %s wall:\n%s",
		zoneOutCallers, zoneOutPerConn, zoneOutCallers*zoneOutRate, time.Since(started).Round(time.Second), table.String())
}

// run loads the lab, takes the zone out after the warm-up and keeps loading
// until measureFor has passed since the shift settled.
func (z *zoneOut) run(ctx context.Context, measureFor time.Duration) error {
	var mu sync.Mutex
	dns := z.lab.DNS()
	resolve := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(dns)
	}
	gone := z.lab.Frontends()[z.c.lose]
	var pods []*Pod
	for _, p := range z.lab.Pods {
		if p.Zone == z.c.lose {
			pods = append(pods, p)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		var err error
		z.res, err = measure.RunCallers(ctx, measure.Callers{
			Resolve: resolve, Callers: zoneOutCallers, Rate: zoneOutRate, RequestsPerConnection: zoneOutPerConn,
			// Long enough for the shift to settle (it takes a few health
			// checks) and the measurement after it.
			Duration: zoneOutWarm + 5*time.Second + measureFor, Timeout: 5 * time.Second, Start: start,
		})
		done <- err
	}()
	time.Sleep(time.Until(start.Add(zoneOutWarm)))
	z.shiftAt = time.Since(start)
	mu.Lock()
	dns = slices.DeleteFunc(dns, func(a string) bool { return a == gone })
	mu.Unlock()
	err := z.lab.DisableFrontend(z.c.lose)
	if err == nil {
		err = z.lab.StopPods(ctx, pods, z.lab.ZoneProxies(z.c.lose))
	}
	if err != nil {
		cancel()
		<-done
		return err
	}
	// One more check interval: a connection opened just before the last
	// DOWN may still have been sent to a dead pod.
	z.settleAt = time.Since(start) + z.lab.l.spec.Check.Interval
	if err := <-done; err != nil {
		return err
	}
	if z.settleAt+measureFor > z.res.Elapsed {
		return fmt.Errorf("the shift took %v to settle, leaving less than %v of load after it", z.settleAt-z.shiftAt, measureFor)
	}
	return nil
}
