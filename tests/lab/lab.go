package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/model"
	"github.com/eksbalance/eksbalance/tests/awslb"
)

// Balance is the load-balancing algorithm of the load balancer's tier.
type Balance string

const (
	// BalanceRoundRobin: an NLB's flow hash spreads evenly over healthy
	// targets; so does an ALB's default round robin. The default.
	BalanceRoundRobin Balance = "roundrobin"
	// BalanceLeastConn: the ALB's least outstanding requests.
	BalanceLeastConn Balance = "leastconn"
	// BalanceRandom: an NLB's flow hash, which sends each new connection to
	// a target drawn independently of the others (the source port makes the
	// hash random), so a few long-lived connections can pile onto one pod;
	// what the model's long-lived-callers view assumes.
	BalanceRandom Balance = "random"
)

// HealthCheck is haproxy's health check on every target, the lab's scaled-down
// target-group health check.
type HealthCheck struct {
	// Interval between checks. Default 100ms.
	Interval time.Duration
	// Timeout of one check. Default 100ms.
	Timeout time.Duration
	// Fall is the number of failed checks that take a target out. Default 2.
	Fall int
	// Rise is the number of passed checks that put it back. Default 1, so a
	// new pod takes traffic soon after it is up.
	Rise int
}

// TimeToDown is the longest a failing target keeps receiving new
// connections: Fall checks, the last of which may take the full Timeout.
// The same inequality as the toolkit's interval x unhealthy threshold +
// timeout.
func (h HealthCheck) TimeToDown() time.Duration {
	return time.Duration(h.Fall)*h.Interval + h.Timeout
}

func (h HealthCheck) withDefaults() HealthCheck {
	if h.Interval == 0 {
		h.Interval = 100 * time.Millisecond
	}
	if h.Timeout == 0 {
		h.Timeout = 100 * time.Millisecond
	}
	if h.Fall == 0 {
		h.Fall = 2
	}
	if h.Rise == 0 {
		h.Rise = 1
	}
	return h
}

// Backend is how every pod process of a lab runs.
type Backend struct {
	// ShutdownDelay is serve's delay after SIGTERM (the preStop stand-in).
	ShutdownDelay time.Duration
	// DrainTimeout is serve's drain timeout. Default 5s.
	DrainTimeout time.Duration
	// Work is how long each /hostname request takes. Default 0.
	Work time.Duration
	// Abrupt makes the pod exit at once on SIGTERM (the anti-pattern).
	Abrupt bool
	// MaxConnAge and MaxConnRequests are serve's connection recycling
	// (EKSBALANCE_MAX_CONN_AGE, _REQUESTS). Default 0: off.
	MaxConnAge      time.Duration
	MaxConnRequests int
	// PreStop is the preStop hook a kubelet runs before SIGTERM, in Roll.
	// Default 0.
	PreStop time.Duration
	// Grace is terminationGracePeriodSeconds in Roll: SIGKILL this long after
	// termination started. Default 0: no kill.
	Grace time.Duration
}

// Spec is one lab: a topology from the model, and how to run it.
type Spec struct {
	// Name labels output and log files.
	Name string
	// Topology is the layout and load balancer to build. Its Kind picks
	// haproxy's mode: tcp for an NLB, http for an ALB.
	Topology model.Topology
	// Balance is the load balancer's algorithm. Default BalanceRoundRobin.
	Balance Balance
	// Check is the load balancer's health check. Defaults as on HealthCheck.
	Check HealthCheck
	// Backend configures the pods.
	Backend Backend
	// Slots is the number of addresses each pod may occupy. A rolling
	// restart needs 2: the replacement comes up on another address beside
	// the old pod, as a new pod gets a new IP in Kubernetes. Default 1.
	Slots int
	// LoadBalancer, when set, puts the AWS target-group stand-in (package
	// awslb) in charge of the load balancer's servers: its health checks
	// (Check is then not used for them), unhealthy lag, deregistration
	// propagation and delay, and connection termination, all scaled by its
	// TimeScale. IP targets only. Default nil: haproxy's own checks.
	LoadBalancer *awslb.Config
}

// Pod is one pod process and the haproxy servers that point at it.
type Pod struct {
	// Name is "zone/node/pod-i", what the pod answers on /hostname and the
	// key the model's shares are matched on.
	Name        string
	Zone, Node  string
	Index       int
	addrs       []string // one per slot
	servers     []string // haproxy "proxy/server" names, per slot, in every proxy listing the pod
	serverNames []string // haproxy server name per slot
	active      int
	proc        *process
}

// PodName is the name the lab gives a model pod.
func PodName(zone, node string, index int) string {
	return fmt.Sprintf("%s/%s/pod-%d", zone, node, index)
}

type frontend struct {
	zone, proxy, addr string
	servers           []string // server lines: "name addr"
}

type nodeFront struct {
	zone, node, proxy, addr string
	servers                 []string
}

// layout is a lab's addresses and haproxy configuration, computed before
// anything runs.
type layout struct {
	spec      Spec
	pods      []*Pod
	frontends []*frontend
	nodes     []*nodeFront
}

// labCounter gives each lab of a test process its own second octet, so the
// addresses in logs say which lab they belong to.
var labCounter atomic.Int32

// newLayout assigns every pod, node and zone an address on 127.L.x.y and
// renders the servers each proxy lists. port picks a free port for an IP.
func newLayout(spec Spec, port func(ip string) (int, error)) (*layout, error) {
	// Predict validates the topology, so the lab refuses exactly what the
	// model refuses.
	if _, err := model.Predict(spec.Topology); err != nil {
		return nil, err
	}
	if spec.Slots == 0 {
		spec.Slots = 1
	}
	if spec.Balance == "" {
		spec.Balance = BalanceRoundRobin
	}
	spec.Check = spec.Check.withDefaults()
	if spec.Backend.DrainTimeout == 0 {
		spec.Backend.DrainTimeout = 5 * time.Second
	}
	if spec.LoadBalancer != nil && spec.Topology.LoadBalancer.TargetType == model.TargetTypeInstance {
		return nil, errors.New("Spec.LoadBalancer (the awslb stand-in) plays IP targets only")
	}
	l := &layout{spec: spec}
	octet := 100 + int(labCounter.Add(1)-1)%100
	addr := func(c, d int) (string, error) {
		ip := fmt.Sprintf("127.%d.%d.%d", octet, c, d)
		p, err := port(ip)
		if err != nil {
			return "", err
		}
		return net.JoinHostPort(ip, fmt.Sprint(p)), nil
	}
	tp := spec.Topology
	instance := tp.LoadBalancer.TargetType == model.TargetTypeInstance
	local := policy(tp) == model.PolicyLocal

	for zi, z := range tp.Zones {
		host := 1
		for ni, n := range z.Nodes {
			for i := range n.Pods {
				p := &Pod{Name: PodName(z.Name, n.Name, i), Zone: z.Name, Node: n.Name, Index: i}
				for s := range spec.Slots {
					a, err := addr(zi+1, host)
					if err != nil {
						return nil, err
					}
					host++
					p.addrs = append(p.addrs, a)
					p.serverNames = append(p.serverNames, serverName(fmt.Sprintf("%s.%s.pod-%d.s%d", z.Name, n.Name, i, s)))
				}
				l.pods = append(l.pods, p)
			}
			if instance {
				a, err := addr(zi+1, 200+ni)
				if err != nil {
					return nil, err
				}
				l.nodes = append(l.nodes, &nodeFront{zone: z.Name, node: n.Name, proxy: serverName("node." + n.Name), addr: a})
			}
		}
		a, err := addr(0, zi+1)
		if err != nil {
			return nil, err
		}
		l.frontends = append(l.frontends, &frontend{zone: z.Name, proxy: serverName("lb." + z.Name), addr: a})
	}

	podServers := func(proxy string, keep func(*Pod) bool) []string {
		var out []string
		for _, p := range l.pods {
			if !keep(p) {
				continue
			}
			for s := range spec.Slots {
				out = append(out, p.serverNames[s]+" "+p.addrs[s])
				p.servers = append(p.servers, proxy+"/"+p.serverNames[s])
			}
		}
		return out
	}
	// kube-proxy on each node: all pods (Cluster) or the node's own (Local).
	for _, nf := range l.nodes {
		nf.servers = podServers(nf.proxy, func(p *Pod) bool { return !local || p.Node == nf.node })
	}
	// The load balancer's node in each zone: its own zone's targets
	// (cross-zone off) or all targets (on).
	for _, f := range l.frontends {
		sameZone := func(zone string) bool { return tp.LoadBalancer.CrossZone || zone == f.zone }
		if instance {
			for _, nf := range l.nodes {
				if sameZone(nf.zone) {
					f.servers = append(f.servers, nf.proxy+" "+nf.addr)
				}
			}
		} else {
			f.servers = podServers(f.proxy, func(p *Pod) bool { return sameZone(p.Zone) })
		}
	}
	return l, nil
}

// policy is the externalTrafficPolicy in force: Kubernetes' default Cluster
// when instance targets leave it empty, none with ip targets.
func policy(t model.Topology) model.Policy {
	if t.LoadBalancer.TargetType != model.TargetTypeInstance {
		return ""
	}
	if t.ExternalTrafficPolicy == "" {
		return model.PolicyCluster
	}
	return t.ExternalTrafficPolicy
}

// serverName keeps only the characters haproxy accepts in proxy and server
// names.
func serverName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == ':':
			return r
		}
		return '_'
	}, s)
}

func haDuration(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// config renders haproxy's configuration for the layout.
func (l *layout) config(statsSocket string) string {
	var b strings.Builder
	c := l.spec.Check
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	lb := l.spec.Topology.LoadBalancer
	w("# eksbalance lab %q: %s, %s targets, externalTrafficPolicy %q, cross-zone %v",
		l.spec.Name, lb.Kind, lb.TargetType, policy(l.spec.Topology), lb.CrossZone)
	w("global")
	// One thread is plenty on loopback and leaves the cores to the test.
	w("    nbthread 1")
	w("    maxconn 8192")
	w("    stats socket %s mode 600 level admin", statsSocket)
	w("defaults")
	w("    mode tcp")
	w("    timeout connect 1s")
	w("    timeout client 30s")
	w("    timeout server 30s")
	w("    timeout check %s", haDuration(c.Timeout))
	// An AWS load balancer does not retry a request on another target;
	// haproxy would, and hide every failure the rollout test counts.
	w("    retries 0")
	w("    default-server inter %s fastinter %s downinter %s fall %d rise %d",
		haDuration(c.Interval), haDuration(c.Interval), haDuration(c.Interval), c.Fall, c.Rise)
	http := l.spec.Topology.LoadBalancer.Kind == model.KindALB
	for _, f := range l.frontends {
		w("")
		w("listen %s", f.proxy)
		w("    bind %s", f.addr)
		if http {
			w("    mode http")
			// Every request is its own connection to the target, so that
			// behind instance targets kube-proxy's random choice is made per
			// request, as the model assumes; and no pooled connection keeps
			// sending to a pod the health check has taken out.
			w("    option http-server-close")
			w("    http-reuse never")
		}
		if l.spec.Balance == BalanceRandom {
			// A uniform draw per connection, as the node tier below.
			w("    balance hash rand")
			w("    hash-type map-based")
		} else {
			w("    balance %s", l.spec.Balance)
		}
		if l.spec.LoadBalancer != nil {
			// The stand-in checks health and sets each server's state.
			for _, s := range f.servers {
				w("    server %s disabled", s)
			}
			continue
		}
		w("    option httpchk GET /readyz")
		for _, s := range f.servers {
			w("    server %s check", s)
		}
	}
	for _, nf := range l.nodes {
		w("")
		w("# kube-proxy on node %s (externalTrafficPolicy %s)", nf.node, policy(l.spec.Topology))
		w("listen %s", nf.proxy)
		w("    bind %s", nf.addr)
		w("    mode tcp")
		// A uniform random draw per connection, as iptables'
		// statistic-mode rules give. Not haproxy's "balance random": that
		// hashes a random key onto a consistent-hash ring with a few points
		// per server, whose uneven arcs skew the shares by several percent
		// (measured: 21/29 for two pods that should get 25/25).
		w("    balance hash rand")
		w("    hash-type map-based")
		// Through the node's port the load balancer's check reaches a pod:
		// under Local a node without one fails it, as kube-proxy's
		// healthCheckNodePort does.
		w("    option httpchk GET /readyz")
		for _, s := range nf.servers {
			w("    server %s check", s)
		}
	}
	return b.String()
}

// Lab is a running lab: pod processes and haproxy, stopped when the test that
// started it ends.
type Lab struct {
	t       testing.TB
	l       *layout
	dir     string
	sock    string
	bin     string
	haproxy *process
	// tg is the stand-in's target group when Spec.LoadBalancer is set.
	tg *awslb.TargetGroup
	// Pods lists the lab's pods in the topology's order.
	Pods []*Pod
}

// Start builds and starts the lab described by spec, with bin as the backend
// program, and waits until haproxy's health checks have settled.
func Start(t testing.TB, bin string, spec Spec) *Lab {
	t.Helper()
	l, err := newLayout(spec, freePort)
	if err != nil {
		t.Fatalf("lab %s: %v", spec.Name, err)
	}
	// Not t.TempDir: its name comes from the test's, and haproxy parses a
	// comma in the stats socket path as an address list. Registered first,
	// so it is removed last, after every process is stopped.
	dir, err := os.MkdirTemp("", "eksbalance-lab-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	lab := &Lab{t: t, l: l, dir: dir, bin: bin, Pods: l.pods,
		// A unix socket path must stay under ~108 bytes: keep it short.
		sock: filepath.Join(dir, "s")}
	if err := os.WriteFile(filepath.Join(dir, "haproxy.cfg"), []byte(l.config(lab.sock)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			lab.dumpLogs()
		}
	})

	var wg sync.WaitGroup
	errs := make([]error, len(l.pods))
	for i, p := range l.pods {
		wg.Go(func() { errs[i] = lab.startPod(p, 0) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("lab %s: %v", spec.Name, err)
	}

	hp, _, err := startProcess(t, dir, "haproxy", false, "haproxy", "-db", "-f", filepath.Join(dir, "haproxy.cfg"))
	if err != nil {
		t.Fatalf("lab %s: %v", spec.Name, err)
	}
	lab.haproxy = hp
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if spec.LoadBalancer != nil {
		if err := lab.startStandin(ctx, *spec.LoadBalancer); err != nil {
			t.Fatalf("lab %s: %v", spec.Name, err)
		}
		return lab
	}
	if err := lab.waitSettled(ctx); err != nil {
		t.Fatalf("lab %s: %v", spec.Name, err)
	}
	return lab
}

func (lab *Lab) startPod(p *Pod, slot int) error {
	b := lab.l.spec.Backend
	args := []string{"-name", p.Name, "-addr", p.addrs[slot],
		"-shutdown-delay", b.ShutdownDelay.String(), "-drain-timeout", b.DrainTimeout.String(),
		"-work", b.Work.String(), "-max-conn-age", b.MaxConnAge.String(), "-max-conn-requests", fmt.Sprint(b.MaxConnRequests)}
	if b.Abrupt {
		args = append(args, "-abrupt")
	}
	logName := serverName(p.Name) + fmt.Sprintf(".s%d", slot)
	proc, line, err := startProcess(lab.t, lab.dir, logName, true, lab.bin, args...)
	if err != nil {
		return fmt.Errorf("pod %s: %w", p.Name, err)
	}
	if want := "listening " + p.addrs[slot]; line != want {
		proc.stop()
		return fmt.Errorf("pod %s: said %q, want %q", p.Name, line, want)
	}
	p.proc, p.active = proc, slot
	return nil
}

// serverState is one line of haproxy's "show stat".
type serverState struct {
	status, check string
}

// stats returns haproxy's view: "proxy/server" -> state, with the proxies'
// own BACKEND rows as "proxy/BACKEND".
func (lab *Lab) stats() (map[string]serverState, error) {
	c, err := net.DialTimeout("unix", lab.sock, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "show stat\n"); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	col := map[string]int{}
	out := map[string]serverState{}
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# ") {
			for i, name := range strings.Split(strings.TrimPrefix(line, "# "), ",") {
				col[name] = i
			}
			continue
		}
		f := strings.Split(line, ",")
		if len(col) == 0 || len(f) <= col["check_status"] {
			continue
		}
		out[f[col["pxname"]]+"/"+f[col["svname"]]] = serverState{
			status: f[col["status"]],
			check:  strings.TrimPrefix(f[col["check_status"]], "* "),
		}
	}
	return out, sc.Err()
}

// waitSettled waits until every server has been checked, none is between
// states, every running pod is UP everywhere it is listed, and the picture
// has not changed for a few check intervals.
func (lab *Lab) waitSettled(ctx context.Context) error {
	interval := lab.l.spec.Check.Interval
	var last string
	stable := 0
	for {
		st, err := lab.stats()
		if err == nil {
			if msg := lab.unsettled(st); msg == "" {
				if cur := fmt.Sprint(sortedStates(st)); cur == last {
					stable++
				} else {
					last, stable = cur, 0
				}
				if stable >= 3 {
					return nil
				}
			} else {
				last, stable = "", 0
				err = errors.New(msg)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("haproxy checks did not settle: %v", err)
		case <-lab.haproxy.exited:
			return fmt.Errorf("haproxy exited: %v (see %s)", lab.haproxy.waitErr, lab.haproxy.log)
		case <-time.After(interval):
		}
	}
}

func (lab *Lab) unsettled(st map[string]serverState) string {
	if len(st) == 0 {
		return "no stats yet"
	}
	for k, s := range st {
		if strings.HasSuffix(k, "/FRONTEND") || strings.HasSuffix(k, "/BACKEND") {
			continue
		}
		if s.check == "" || s.check == "INI" || (s.status != "UP" && s.status != "DOWN") {
			return fmt.Sprintf("%s is %s (%s)", k, s.status, s.check)
		}
	}
	for _, p := range lab.Pods {
		if p.proc == nil {
			continue
		}
		for _, srv := range p.servers {
			if strings.HasSuffix(srv, "/"+p.serverNames[p.active]) && st[srv].status != "UP" {
				return fmt.Sprintf("running pod %s is %s at %s", p.Name, st[srv].status, srv)
			}
		}
	}
	return ""
}

func sortedStates(st map[string]serverState) []string {
	out := make([]string, 0, len(st))
	for k, s := range st {
		out = append(out, k+"="+s.status)
	}
	sort.Strings(out)
	return out
}

// DNS returns the addresses a client resolving the load balancer's name would
// get: the frontends of the zones whose load-balancer node has at least one
// healthy target (Route 53 drops the others).
func (lab *Lab) DNS() []string {
	lab.t.Helper()
	if lab.tg != nil {
		return lab.standinDNS()
	}
	st, err := lab.stats()
	if err != nil {
		lab.t.Fatalf("haproxy stats: %v", err)
	}
	var out []string
	for _, f := range lab.l.frontends {
		// Count UP servers rather than trust the BACKEND row: haproxy calls
		// a proxy without any server UP.
		for _, line := range f.servers {
			name, _, _ := strings.Cut(line, " ")
			if st[f.proxy+"/"+name].status == "UP" {
				out = append(out, f.addr)
				break
			}
		}
	}
	if len(out) == 0 {
		lab.t.Fatal("no zone has a healthy target")
	}
	return out
}

// Expected returns the model's per-pod shares for the lab's topology, keyed
// by pod name.
func (lab *Lab) Expected() (map[string]float64, model.Prediction) {
	lab.t.Helper()
	pred, err := model.Predict(lab.l.spec.Topology)
	if err != nil {
		lab.t.Fatal(err)
	}
	out := map[string]float64{}
	for _, p := range pred.Pods {
		out[PodName(p.Zone, p.Node, p.Index)] += p.Share
	}
	return out, pred
}

// RollingRestart replaces every pod in turn the way a Deployment with
// maxUnavailable 0 and pod readiness gates does: start the new pod on the
// pod's other address, wait until the load balancer's health check has it
// UP, then SIGTERM the old one and wait for it to exit. mark records each
// step for the rollout timeline.
func (lab *Lab) RollingRestart(ctx context.Context, mark func(string)) error {
	if lab.l.spec.Slots < 2 {
		return errors.New("rolling restart needs Spec.Slots >= 2")
	}
	for _, p := range lab.Pods {
		old, next := p.proc, 1-p.active
		if err := lab.startPod(p, next); err != nil {
			return err
		}
		mark("started " + p.Name + " at " + p.addrs[next])
		if err := lab.waitUp(ctx, p, next); err != nil {
			return err
		}
		mark("up " + p.Name)
		old.signal(sigterm)
		mark("SIGTERM old " + p.Name)
		select {
		case <-old.exited:
		case <-ctx.Done():
			return ctx.Err()
		}
		mark("exited old " + p.Name)
	}
	return nil
}

// waitUp waits until haproxy has the pod's server in slot UP in every proxy
// that lists it.
func (lab *Lab) waitUp(ctx context.Context, p *Pod, slot int) error {
	for {
		st, err := lab.stats()
		if err == nil {
			up := true
			for _, srv := range p.servers {
				if strings.HasSuffix(srv, "/"+p.serverNames[slot]) && st[srv].status != "UP" {
					up = false
				}
			}
			if up {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pod %s never came UP in haproxy: %w", p.Name, ctx.Err())
		case <-time.After(lab.l.spec.Check.Interval / 2):
		}
	}
}

// dumpLogs prints the tail of every process log, for a failed test.
func (lab *Lab) dumpLogs() {
	entries, _ := os.ReadDir(lab.dir)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(lab.dir, e.Name()))
		if len(b) > 2000 {
			b = b[len(b)-2000:]
		}
		lab.t.Logf("--- %s (tail)\n%s", e.Name(), b)
	}
}

// freePort asks the kernel for a free port on ip. Another process could take
// it before the lab binds it; on loopback addresses no one else uses, that
// does not happen in practice, and a clash fails the start loudly.
func freePort(ip string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
