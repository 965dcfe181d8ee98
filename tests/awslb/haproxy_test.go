package awslb

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireHAProxy skips without haproxy, or fails when CI is set: the
// project's install script provides it, so CI must not pass by skipping.
func requireHAProxy(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err == nil {
		return bin
	}
	msg := "haproxy not in PATH: install the Debian package haproxy (scripts/install-deps.sh does)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI is set, so this is a failure, not a skip")
	}
	t.Skip(msg)
	return ""
}

// backend answers every request with its name, keeping connections alive.
func backend(t *testing.T, name string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, name+"\n")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startHAProxy runs haproxy in tcp mode with the given servers, all in
// maintenance until the target group routes them.
func startHAProxy(t *testing.T, bin string, servers map[string]string) (lbAddr string, h HAProxy) {
	t.Helper()
	dir, err := os.MkdirTemp("", "awslb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h = HAProxy{Socket: filepath.Join(dir, "s")}
	lbAddr = freeAddr(t)
	var b strings.Builder
	fmt.Fprintf(&b, "global\n    nbthread 1\n    stats socket %s mode 600 level admin\n", h.Socket)
	b.WriteString("defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 30s\n    timeout server 30s\n    retries 0\n")
	fmt.Fprintf(&b, "listen lb\n    bind %s\n    balance roundrobin\n", lbAddr)
	for name, addr := range servers {
		fmt.Fprintf(&b, "    server %s %s disabled\n", name, addr)
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", cfg)
	logf, _ := os.Create(filepath.Join(dir, "haproxy.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := h.Command("show info"); err == nil {
			return lbAddr, h
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "haproxy.log"))
			t.Fatalf("haproxy did not come up: %s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// conn is one HTTP/1.1 keepalive connection through the load balancer.
type conn struct {
	c  net.Conn
	br *bufio.Reader
}

func dial(addr string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, br: bufio.NewReader(c)}, nil
}

// get sends one request and returns the backend's name.
func (c *conn) get() (string, error) {
	c.c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c.c, "GET / HTTP/1.1\r\nHost: lb\r\n\r\n"); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return "", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return strings.TrimSpace(string(body)), err
}

// The stand-in on real haproxy and real connections: a target deregistered
// at t keeps getting new connections until t + propagation and none after,
// and a connection opened to it before t is reset at t + delay.
func TestHAProxyPlaysTheDeregistrationTimeline(t *testing.T) {
	bin := requireHAProxy(t)
	t.Parallel()
	addrs := map[string]string{"a": backend(t, "a"), "b": backend(t, "b")}
	lb, h := startHAProxy(t, bin, addrs)

	cfg := Config{Kind: NLB, Propagation: 30 * sec, DeregistrationDelay: 60 * sec, ConnectionTermination: true,
		UnhealthyLag: 40 * sec, TimeScale: 20 * time.Millisecond,
		HealthCheck: HealthCheck{Protocol: ProtocolTCP, Interval: 5 * sec, Timeout: 5 * sec, HealthyThreshold: 2, UnhealthyThreshold: 2}}
	g := &TargetGroup{Config: cfg, Dataplane: h, Logf: t.Logf}
	t.Cleanup(g.Close)
	for name, addr := range addrs {
		if err := g.Register(Target{Name: name, Addr: addr, Servers: []string{"lb/" + name}}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.WaitRouting(ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}

	// A keepalive connection that landed on a.
	var kept *conn
	for i := 0; i < 10 && kept == nil; i++ {
		c, err := dial(lb)
		if err != nil {
			t.Fatal(err)
		}
		if name, err := c.get(); err == nil && name == "a" {
			kept = c
		} else {
			c.c.Close()
		}
	}
	if kept == nil {
		t.Fatal("no connection reached a in 10 tries")
	}
	defer kept.c.Close()

	start := time.Now()
	if err := g.Deregister("a"); err != nil {
		t.Fatal(err)
	}
	prop, delay := cfg.Scaled(cfg.Propagation), cfg.Scaled(cfg.DeregistrationDelay)
	var mu sync.Mutex
	var resetAt time.Duration
	done := make(chan struct{})
	go func() {
		defer close(done)
		kept.c.SetDeadline(time.Now().Add(delay + 2*time.Second))
		_, err := kept.br.ReadByte() // blocks until the load balancer closes it
		mu.Lock()
		resetAt = time.Since(start)
		mu.Unlock()
		t.Logf("kept connection to a ended after %v: %v", resetAt.Round(time.Millisecond), err)
	}()

	var lastA, firstB time.Duration = -1, -1
	aAfter := 0
	for time.Since(start) < prop+400*time.Millisecond {
		c, err := dial(lb)
		if err != nil {
			t.Fatal(err)
		}
		name, err := c.get()
		at := time.Since(start)
		c.c.Close()
		if err != nil {
			t.Fatalf("request %v after deregistration failed: %v", at, err)
		}
		if name == "a" {
			lastA = at
		}
		if name == "b" && firstB < 0 {
			firstB = at
		}
		if name == "a" && at > prop+100*time.Millisecond {
			aAfter++
		}
		time.Sleep(5 * time.Millisecond)
	}
	<-done

	var off time.Duration = -1
	for _, e := range g.Events() {
		if e.Target == "a" && e.What == "routing off" {
			off = e.At
		}
	}
	t.Logf("propagation %v: a's last new connection %v after deregistration, routing off at %v; delay %v: reset at %v",
		prop, lastA.Round(time.Millisecond), off, delay, resetAt.Round(time.Millisecond))
	// Slack for a loaded machine: timers and haproxy's socket are late by
	// some milliseconds, rarely by tens.
	const slack = 120 * time.Millisecond
	if lastA < prop-slack {
		t.Errorf("a got its last new connection %v after deregistration: before the propagation %v ended", lastA, prop)
	}
	if aAfter > 0 {
		t.Errorf("a got %d new connections more than 100 ms after the propagation %v ended", aAfter, prop)
	}
	if resetAt < delay-slack/4 || resetAt > delay+slack {
		t.Errorf("the connection open to a ended %v after deregistration, want the delay %v (connection termination)", resetAt, delay)
	}
}
