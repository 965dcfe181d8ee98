package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakePorts hands out distinct ports without touching the network.
func fakePorts() func(string) (int, error) {
	next := 20000
	return func(string) (int, error) { next++; return next, nil }
}

// section returns the lines of the listen section named proxy.
func section(cfg, proxy string) string {
	i := strings.Index(cfg, "listen "+proxy+"\n")
	if i < 0 {
		return ""
	}
	rest := cfg[i:]
	if j := strings.Index(rest, "\n\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func TestLayoutLocalSendsNodesToTheirOwnPods(t *testing.T) {
	t.Parallel()
	l, err := newLayout(Spec{Name: "local", Topology: topo(nlb, instance, false, local, zs("a", 2, 1), zs("b", 0))}, fakePorts())
	if err != nil {
		t.Fatal(err)
	}
	cfg := l.config("/tmp/s")
	a1 := section(cfg, "node.a1")
	if strings.Count(a1, "\n    server ") != 2 || !strings.Contains(a1, "a.a1.pod-0.s0") || !strings.Contains(a1, "a.a1.pod-1.s0") {
		t.Errorf("node a1 should list exactly its two pods:\n%s", a1)
	}
	if strings.Contains(section(cfg, "node.a2"), "a.a1.") {
		t.Errorf("node a2 lists a1's pods under Local")
	}
	if b1 := section(cfg, "node.b1"); strings.Contains(b1, "server ") {
		t.Errorf("node b1 has no pod and should list no server:\n%s", b1)
	}
	if !strings.Contains(a1, "balance hash rand") || !strings.Contains(a1, "hash-type map-based") {
		t.Errorf("kube-proxy tier must draw uniformly at random:\n%s", a1)
	}
	lbA := section(cfg, "lb.a")
	if !strings.Contains(lbA, "server node.a1 ") || !strings.Contains(lbA, "server node.a2 ") || strings.Contains(lbA, "node.b1") {
		t.Errorf("cross-zone off: zone a's load balancer must list a's nodes only:\n%s", lbA)
	}
	if !strings.Contains(cfg, "    retries 0\n") || !strings.Contains(cfg, "defaults\n    mode tcp\n") || strings.Contains(lbA, "mode http") {
		t.Errorf("an NLB lab must be mode tcp without retries:\n%s", cfg)
	}
}

func TestLayoutClusterSendsEveryNodeToEveryPod(t *testing.T) {
	t.Parallel()
	l, err := newLayout(Spec{Name: "cluster", Topology: topo(nlb, instance, true, cluster, zs("a", 2), zs("b", 1))}, fakePorts())
	if err != nil {
		t.Fatal(err)
	}
	cfg := l.config("/tmp/s")
	for _, node := range []string{"node.a1", "node.b1"} {
		if got := strings.Count(section(cfg, node), "\n    server "); got != 3 {
			t.Errorf("%s lists %d pods, want all 3", node, got)
		}
	}
	if got := strings.Count(section(cfg, "lb.a"), "\n    server node."); got != 2 {
		t.Errorf("cross-zone on: zone a's load balancer lists %d nodes, want 2", got)
	}
}

func TestLayoutIPTargetsAndALB(t *testing.T) {
	t.Parallel()
	l, err := newLayout(Spec{Name: "alb", Topology: topo(alb, ip, false, "", zs("a", 1, 1), zs("b", 1)),
		Balance: BalanceLeastConn, Slots: 2, Check: HealthCheck{Interval: 250 * time.Millisecond, Fall: 4}}, fakePorts())
	if err != nil {
		t.Fatal(err)
	}
	cfg := l.config("/tmp/s")
	lbA := section(cfg, "lb.a")
	for _, want := range []string{"mode http", "balance leastconn", "option http-server-close", "http-reuse never", "option httpchk GET /readyz"} {
		if !strings.Contains(lbA, want) {
			t.Errorf("ALB section lacks %q:\n%s", want, lbA)
		}
	}
	// Two pods x two slots in a, one pod x two slots in b.
	if got := strings.Count(lbA, "\n    server "); got != 4 {
		t.Errorf("zone a lists %d servers, want 4", got)
	}
	if got := strings.Count(section(cfg, "lb.b"), "\n    server "); got != 2 {
		t.Errorf("zone b lists %d servers, want 2", got)
	}
	if strings.Contains(cfg, "listen node.") {
		t.Error("ip targets need no kube-proxy tier")
	}
	if !strings.Contains(cfg, "inter 250ms fastinter 250ms downinter 250ms fall 4 rise 1") {
		t.Errorf("health check not applied:\n%s", cfg)
	}
	seen := map[string]bool{}
	for _, p := range l.pods {
		for _, a := range p.addrs {
			if seen[a] {
				t.Errorf("address %s used twice", a)
			}
			seen[a] = true
		}
	}
}

func TestLayoutRejectsWhatTheModelRejects(t *testing.T) {
	t.Parallel()
	_, err := newLayout(Spec{Topology: topo(nlb, ip, false, local, zs("a", 1))}, fakePorts())
	if err == nil || !strings.Contains(err.Error(), "externalTrafficPolicy") {
		t.Errorf("ip targets with a policy: %v, want the model's complaint", err)
	}
}

func TestPodNameMatchesServerNames(t *testing.T) {
	t.Parallel()
	if got := PodName("us-east-1a", "ip-10-0-1-5", 2); got != "us-east-1a/ip-10-0-1-5/pod-2" {
		t.Errorf("PodName = %q", got)
	}
	if got := serverName("lb.zone a/b"); got != "lb.zone_a_b" {
		t.Errorf("serverName = %q", got)
	}
}

// TestConfigsParse has haproxy itself check every distribution case's config.
func TestConfigsParse(t *testing.T) {
	requireTool(t, "haproxy")
	t.Parallel()
	dir := t.TempDir()
	for i, c := range distributionCases {
		l, err := newLayout(Spec{Name: c.name, Topology: c.topology, Balance: c.balance}, fakePorts())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("%d.cfg", i))
		if err := os.WriteFile(path, []byte(l.config(filepath.Join(dir, "s"))), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("haproxy", "-c", "-f", path).CombinedOutput(); err != nil {
			t.Errorf("%s: haproxy -c: %v\n%s", c.name, err, out)
		}
	}
}

func TestMissingToolSkipsLocallyAndFailsInCI(t *testing.T) {
	t.Parallel()
	missing := func(string) (string, error) { return "", exec.ErrNotFound }
	found := func(string) (string, error) { return "/usr/sbin/haproxy", nil }
	env := func(ci string) func(string) string {
		return func(k string) string {
			if k == "CI" {
				return ci
			}
			return ""
		}
	}
	if msg, fatal := toolProblem("haproxy", found, env("true")); msg != "" || fatal {
		t.Errorf("tool present: %q %v", msg, fatal)
	}
	msg, fatal := toolProblem("haproxy", missing, env(""))
	if fatal || !strings.Contains(msg, "haproxy not in PATH") || !strings.Contains(msg, "Debian package haproxy") || strings.Contains(msg, "\n") {
		t.Errorf("local: %q fatal=%v, want a one-line skip naming haproxy", msg, fatal)
	}
	if msg, fatal := toolProblem("haproxy", missing, env("1")); !fatal || !strings.Contains(msg, "CI is set") {
		t.Errorf("CI: %q fatal=%v, want a failure", msg, fatal)
	}
}
