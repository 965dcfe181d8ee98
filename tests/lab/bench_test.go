package lab

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/tests/measure"
)

// benchWindow is how long each tool drives the target per round.
const benchWindow = 3 * time.Second

var wrkRate = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// runWrk drives url with wrk and returns its requests per second.
func runWrk(ctx context.Context, url string, conns int, header string) (float64, error) {
	args := []string{"-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", int(benchWindow.Seconds())), "--timeout", "5s"}
	if header != "" {
		args = append(args, "-H", header)
	}
	args = append(args, url)
	ctx, cancel := context.WithTimeout(ctx, benchWindow+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "wrk", args...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	m := wrkRate.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("wrk printed no Requests/sec:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// BenchmarkLoadVsWrk compares the measure package's load generator with wrk
// on the same lab target (haproxy mode http, round robin over 3 pods), both
// for the same window at the same connection count, alternating so that the
// machine's background load hits both alike. It reports requests per second
// of each and their ratio (measure / wrk), with keepalive connections and
// with a fresh connection per request (wrk sends Connection: close and
// reconnects).
//
//	go test -run '^$' -bench LoadVsWrk -benchtime 1x ./tests/lab
func BenchmarkLoadVsWrk(b *testing.B) {
	requireTool(b, "wrk")
	requireTool(b, "haproxy")
	bin := backendBinary(b)
	lab := Start(b, bin, Spec{Name: "bench", Topology: topo(alb, ip, true, "", zs("a", 1, 1, 1))})
	target := lab.DNS()[0]
	url := "http://" + target + "/hostname"
	const conns = 32

	for _, mode := range []struct {
		name      string
		keepAlive bool
		header    string
	}{
		{"keepalive", true, ""},
		{"fresh-connection", false, "Connection: close"},
	} {
		b.Run(mode.name, func(b *testing.B) {
			var ours, theirs float64
			for range b.N {
				res, err := measure.Run(b.Context(), measure.Load{
					Targets: []string{target}, Concurrency: conns, KeepAlive: mode.keepAlive,
					Duration: benchWindow, Timeout: 5 * time.Second,
				})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Failures) > 0 {
					b.Fatalf("%d failures, first: %v", len(res.Failures), res.Failures[0])
				}
				ours += res.Throughput()
				w, err := runWrk(b.Context(), url, conns, mode.header)
				if err != nil {
					b.Fatal(err)
				}
				theirs += w
			}
			ours /= float64(b.N)
			theirs /= float64(b.N)
			b.ReportMetric(ours, "measure-req/s")
			b.ReportMetric(theirs, "wrk-req/s")
			b.ReportMetric(ours/theirs, "measure/wrk")
			b.Logf("%s: measure %.0f req/s, wrk %.0f req/s, ratio %.2f (%d connections, %v each)", mode.name, ours, theirs, ours/theirs, conns, benchWindow)
		})
	}
}
