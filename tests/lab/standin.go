package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/eksbalance/eksbalance/tests/awslb"
)

// The lab with Spec.LoadBalancer set: the awslb stand-in checks the pods'
// health and decides, as an AWS target group would, which of haproxy's
// load-balancer servers take new connections, when they stop after a
// deregistration, and when their connections are reset.

// startStandin registers every running pod with the stand-in and waits until
// the load balancer routes to all of them.
func (lab *Lab) startStandin(ctx context.Context, cfg awslb.Config) error {
	lab.tg = &awslb.TargetGroup{Config: cfg, Dataplane: awslb.HAProxy{Socket: lab.sock}}
	lab.t.Cleanup(func() {
		lab.tg.Close()
		if errs := lab.tg.Errors(); len(errs) > 0 {
			lab.t.Errorf("lab %s: the stand-in could not drive haproxy: %v", lab.l.spec.Name, errors.Join(errs...))
		}
	})
	var names []string
	for _, p := range lab.Pods {
		if err := lab.tg.Register(lab.target(p, p.active)); err != nil {
			return err
		}
		names = append(names, lab.target(p, p.active).Name)
	}
	return lab.tg.WaitRouting(ctx, names...)
}

// target is a pod's slot as the stand-in sees it: its address, and its server
// in every load-balancer node's proxy.
func (lab *Lab) target(p *Pod, slot int) awslb.Target {
	t := awslb.Target{Name: p.serverNames[slot], Addr: p.addrs[slot]}
	for _, srv := range p.servers {
		if strings.HasSuffix(srv, "/"+p.serverNames[slot]) {
			t.Servers = append(t.Servers, srv)
		}
	}
	return t
}

// standinDNS is DNS with the stand-in: the zones whose load-balancer node
// routes to at least one target.
func (lab *Lab) standinDNS() []string {
	routing := map[string]bool{}
	for _, s := range lab.tg.Snapshot() {
		if s.Routing {
			for _, srv := range s.Servers {
				proxy, _, _ := strings.Cut(srv, "/")
				routing[proxy] = true
			}
		}
	}
	var out []string
	for _, f := range lab.l.frontends {
		if routing[f.proxy] {
			out = append(out, f.addr)
		}
	}
	if len(out) == 0 {
		lab.t.Fatal("no zone has a target the load balancer routes to")
	}
	return out
}

// Events is the stand-in's timeline (nil without Spec.LoadBalancer).
func (lab *Lab) Events() []awslb.Event {
	if lab.tg == nil {
		return nil
	}
	return lab.tg.Events()
}

// Roll replaces every pod the way a Deployment with maxUnavailable 0 and
// maxSurge surge does behind the AWS Load Balancer Controller with pod
// readiness gates: in waves of surge pods it starts each replacement on the
// pod's other address and registers it; once the load balancer routes to
// every new pod of the wave (the readiness gate), it starts terminating their
// old pods as the controller and the kubelet do: deregistration at once, the
// preStop hook (Backend.PreStop), SIGTERM, and SIGKILL at Backend.Grace. The
// next wave does not wait for old pods to exit; Roll returns when all have.
// It needs Spec.LoadBalancer and Slots >= 2.
func (lab *Lab) Roll(ctx context.Context, mark func(string), surge int) error {
	if lab.tg == nil || lab.l.spec.Slots < 2 {
		return errors.New("Roll needs Spec.LoadBalancer and Spec.Slots >= 2")
	}
	surge = max(surge, 1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	defer wg.Wait()
	for i := 0; i < len(lab.Pods); i += surge {
		wave := lab.Pods[i:min(i+surge, len(lab.Pods))]
		type old struct {
			p    *Pod
			proc *process
			name string
		}
		var olds []old
		var fresh []string
		for _, p := range wave {
			o := old{p: p, proc: p.proc, name: p.serverNames[p.active]}
			next := 1 - p.active
			if err := lab.waitReleased(ctx, p.serverNames[next]); err != nil {
				return err
			}
			if err := lab.startPod(p, next); err != nil {
				return err
			}
			if err := lab.tg.Register(lab.target(p, next)); err != nil {
				return err
			}
			mark("started " + p.Name + " at " + p.addrs[next])
			olds = append(olds, o)
			fresh = append(fresh, p.serverNames[next])
		}
		if err := lab.waitRouting(ctx, fresh); err != nil {
			return err
		}
		mark(fmt.Sprintf("load balancer routes to %d new pods", len(fresh)))
		for _, o := range olds {
			if err := lab.tg.Deregister(o.name); err != nil {
				return err
			}
			mark("terminating old " + o.p.Name + " (deregistered)")
			wg.Go(func() {
				if err := lab.terminate(ctx, o.proc, mark, o.p.Name); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// terminate is the kubelet's part: preStop, SIGTERM, SIGKILL at the grace
// period (counted from the start of termination).
func (lab *Lab) terminate(ctx context.Context, proc *process, mark func(string), name string) error {
	b := lab.l.spec.Backend
	start := time.Now()
	select {
	case <-time.After(b.PreStop):
	case <-proc.exited:
		return fmt.Errorf("old %s exited during its preStop: %v (see %s)", name, proc.waitErr, proc.log)
	case <-ctx.Done():
		return ctx.Err()
	}
	proc.signal(sigterm)
	mark("SIGTERM old " + name)
	var kill <-chan time.Time
	if b.Grace > 0 {
		kill = time.After(b.Grace - time.Since(start))
	}
	select {
	case <-proc.exited:
		mark("exited old " + name)
	case <-kill:
		proc.stop()
		mark("SIGKILL old " + name + " at the grace period")
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// waitRouting waits until the load balancer routes to every named target.
func (lab *Lab) waitRouting(ctx context.Context, names []string) error {
	return lab.tg.Wait(ctx, func(ts []awslb.TargetState) bool {
		routing := map[string]bool{}
		for _, s := range ts {
			routing[s.Name] = s.Routing
		}
		for _, n := range names {
			if !routing[n] {
				return false
			}
		}
		return true
	})
}

// waitReleased waits until a slot's previous target, if any, is released,
// so the slot can be registered again.
func (lab *Lab) waitReleased(ctx context.Context, name string) error {
	return lab.tg.Wait(ctx, func(ts []awslb.TargetState) bool {
		for _, s := range ts {
			if s.Name == name && !s.Released {
				return false
			}
		}
		return true
	})
}
