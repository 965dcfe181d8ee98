package lab

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// Frontends returns each zone's load-balancer address (the lab's stand-in
// for the zone's load-balancer node), keyed by zone name.
func (lab *Lab) Frontends() map[string]string {
	out := map[string]string{}
	for _, f := range lab.l.frontends {
		out[f.zone] = f.addr
	}
	return out
}

// StopPods kills the pods (SIGKILL, as a lost node or zone does) and waits
// until haproxy has marked them DOWN in every proxy listed by proxies (all
// proxies when proxies is nil).
func (lab *Lab) StopPods(ctx context.Context, pods []*Pod, proxies map[string]bool) error {
	for _, p := range pods {
		p.proc.stop()
	}
	return lab.waitState(ctx, pods, "DOWN", proxies)
}

// StartPods starts the pods again on their current address, all at once,
// and returns when haproxy has every one of them UP everywhere.
func (lab *Lab) StartPods(ctx context.Context, pods []*Pod) error {
	errs := make([]error, len(pods))
	var wg sync.WaitGroup
	for i, p := range pods {
		wg.Go(func() { errs[i] = lab.startPod(p, p.active) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return lab.waitState(ctx, pods, "UP", nil)
}

// waitState waits until every pod's active server is in state (UP or DOWN)
// in every proxy of proxies (all when nil) that lists it.
func (lab *Lab) waitState(ctx context.Context, pods []*Pod, state string, proxies map[string]bool) error {
	for {
		st, err := lab.stats()
		if err == nil {
			done := true
			for _, p := range pods {
				for _, srv := range p.servers {
					proxy, _, _ := strings.Cut(srv, "/")
					if proxies != nil && !proxies[proxy] {
						continue
					}
					if strings.HasSuffix(srv, "/"+p.serverNames[p.active]) && st[srv].status != state {
						done = false
					}
				}
			}
			if done {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pods never all %s in haproxy: %w", state, ctx.Err())
		case <-time.After(lab.l.spec.Check.Interval / 4):
		}
	}
}

// ZoneProxies returns the names of the load-balancer proxies of every zone
// but the given one.
func (lab *Lab) ZoneProxies(except string) map[string]bool {
	out := map[string]bool{}
	for _, f := range lab.l.frontends {
		if f.zone != except {
			out[f.proxy] = true
		}
	}
	return out
}

// DisableFrontend stops the zone's load-balancer proxy from accepting new
// connections (haproxy's "disable frontend"), as a load-balancer node that is
// gone or shifted away.
func (lab *Lab) DisableFrontend(zone string) error {
	for _, f := range lab.l.frontends {
		if f.zone == zone {
			out, err := lab.command("disable frontend " + f.proxy)
			if err != nil {
				return err
			}
			if strings.TrimSpace(out) != "" {
				return fmt.Errorf("disable frontend %s: %s", f.proxy, strings.TrimSpace(out))
			}
			return nil
		}
	}
	return fmt.Errorf("no zone %q", zone)
}

// command sends one command to haproxy's admin socket and returns its answer.
func (lab *Lab) command(cmd string) (string, error) {
	c, err := net.DialTimeout("unix", lab.sock, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", err
	}
	var b strings.Builder
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return b.String(), sc.Err()
}
