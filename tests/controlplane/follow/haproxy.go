package follow

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/eksbalance/eksbalance/tests/awslb"
	"github.com/eksbalance/eksbalance/tests/controlplane"
)

// HealthCheck is haproxy's check on each target, the scaled twin of a target group's.
type HealthCheck struct {
	// Interval between checks. Default 100 ms: the NLB's 10 s scaled by TimeScale.
	Interval time.Duration
	// Fall is how many failed checks take a target out. Default 3, the controller's
	// NLB default.
	Fall int
	// Rise is how many passed checks put a target in. Default 3, as Fall.
	Rise int
}

func (h *HealthCheck) setDefaults() {
	if h.Interval == 0 {
		h.Interval = 100 * time.Millisecond
	}
	if h.Fall == 0 {
		h.Fall = 3
	}
	if h.Rise == 0 {
		h.Rise = 3
	}
}

// HAProxy is one haproxy process with a single backend ("svc") whose servers are
// managed at run time through its admin socket: no reloads, as a target group changes
// without the load balancer restarting. Each zone's load-balancer node is a frontend of
// its own sending to all of svc's servers (cross-zone load balancing on, the toolkit's
// default).
type HAProxy struct {
	// Addr is where clients connect (127.0.0.1:port): the first zone's node.
	Addr string
	// Zones lists the zones with a load-balancer node, in order; ZoneAddrs maps each to
	// its node's address. Without zones there is one node, zone "".
	Zones     []string
	ZoneAddrs map[string]string
	// Mode is haproxy's mode: "tcp" plays an NLB, "http" an ALB.
	Mode  string
	Check HealthCheck
	// Balance is the backend's algorithm: roundrobin for an NLB (tcp), leastconn for an
	// ALB (http), haproxy's stand-in for least outstanding requests, the toolkit's
	// default.
	Balance string

	sock string
	proc *controlplane.Process
	dir  string
}

// StartHAProxyE starts haproxy with a load-balancer node on a free loopback port per
// zone (one node when no zone is given). It is stopped when the test ends.
func StartHAProxyE(t controlplane.TestingT, mode string, check HealthCheck, zones ...string) (*HAProxy, error) {
	t.Helper()
	check.setDefaults()
	if mode != "tcp" && mode != "http" {
		return nil, fmt.Errorf("haproxy mode %q: must be tcp or http", mode)
	}
	if len(zones) == 0 {
		zones = []string{""}
	}
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		return nil, err
	}
	// Not t.TempDir: its name carries the test's name, and haproxy reads a comma in
	// the socket path as a list separator.
	dir, err := os.MkdirTemp("", "cpfollow")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h := &HAProxy{Mode: mode, Check: check, Zones: zones, ZoneAddrs: map[string]string{},
		sock: filepath.Join(dir, "admin.sock"), dir: dir}
	for _, z := range zones {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		h.ZoneAddrs[z] = l.Addr().String()
		l.Close()
	}
	h.Addr = h.ZoneAddrs[zones[0]]
	h.Balance = "roundrobin"
	if mode == "http" {
		h.Balance = "leastconn"
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(h.config()), 0o600); err != nil {
		return nil, err
	}
	h.proc, err = controlplane.StartProcess("haproxy", bin, []string{"-db", "-f", cfg}, nil, filepath.Join(dir, "haproxy.log"))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- last lines of haproxy ----\n%s", controlplane.Tail(h.proc.LogPath(), 40))
		}
		h.proc.Stop(2 * time.Second)
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := h.Runtime("show info"); err == nil {
			return h, nil
		}
		if err := h.proc.ExitedE(); err != nil {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("haproxy admin socket %s did not answer within 10 s", h.sock)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (h *HAProxy) config() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("global")
	w("    nbthread 1")
	w("    maxconn 4096")
	w("    stats socket %s mode 600 level admin", h.sock)
	w("defaults")
	w("    mode %s", h.Mode)
	w("    timeout connect 1s")
	w("    timeout client 30s")
	w("    timeout server 30s")
	w("    timeout check %dms", h.Check.Interval.Milliseconds())
	// An AWS load balancer does not retry a request on another target; haproxy would,
	// and hide every loss the rollout check exists to count.
	w("    retries 0")
	for _, z := range h.Zones {
		w("frontend %s", frontendName(z))
		w("    bind %s", h.ZoneAddrs[z])
		if h.Mode == "http" {
			w("    option http-server-close")
		}
		w("    default_backend svc")
	}
	w("backend svc")
	w("    balance %s", h.Balance)
	w("    option httpchk GET /readyz")
	if h.Mode == "http" {
		// One server connection per request, so a drained target gets no more work.
		w("    option http-server-close")
		w("    http-reuse never")
	}
	return b.String()
}

// frontendName is the haproxy frontend of a zone's load-balancer node.
func frontendName(zone string) string {
	if zone == "" {
		return "lb"
	}
	return "lb-" + serverName(zone)
}

// DisableZone takes a zone's load-balancer node out, as when its zone fails: it accepts
// no more connections (clients resolving the name no longer get its address; see
// Load.Resolve).
func (h *HAProxy) DisableZone(zone string) error {
	return h.must("disable frontend "+frontendName(zone), "")
}

// Standin is the runtime-API side the awslb stand-in drives.
func (h *HAProxy) Standin() awslb.HAProxy { return awslb.HAProxy{Socket: h.sock} }

// addStandinServer registers a server for the stand-in: in maintenance, without
// haproxy's own checks (the stand-in checks health and sets the state).
func (h *HAProxy) addStandinServer(name, addr string) error {
	return h.Standin().AddServer("svc/"+name, addr)
}

// Runtime sends one command to haproxy's admin socket and returns its answer.
func (h *HAProxy) Runtime(cmd string) (string, error) { return h.Standin().Command(cmd) }

// ServerState is one server as haproxy's "show stat" reports it.
type ServerState struct {
	Name string
	// Addr is ip:port.
	Addr string
	// Status is UP, DOWN, MAINT, DRAIN, "UP 1/3" and so on.
	Status string
	// Check is the last check's status (L7OK, L4CON, INI...).
	Check string
	// Current is the number of open connections to the server.
	Current int
}

// Servers returns the proxy's servers by name.
func (h *HAProxy) Servers() (map[string]ServerState, error) {
	out, err := h.Runtime("show stat")
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	var cols map[string]int
	servers := map[string]ServerState{}
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# ") {
			cols = map[string]int{}
			for i, c := range strings.Split(strings.TrimPrefix(line, "# "), ",") {
				cols[c] = i
			}
			continue
		}
		f := strings.Split(line, ",")
		if cols == nil || len(f) < len(cols)-1 || f[cols["pxname"]] != "svc" {
			continue
		}
		name := f[cols["svname"]]
		if name == "FRONTEND" || name == "BACKEND" {
			continue
		}
		cur := 0
		fmt.Sscanf(f[cols["scur"]], "%d", &cur)
		servers[name] = ServerState{
			Name:    name,
			Addr:    f[cols["addr"]],
			Status:  f[cols["status"]],
			Check:   strings.TrimPrefix(f[cols["check_status"]], "* "),
			Current: cur,
		}
	}
	return servers, sc.Err()
}

// AddServer registers a target in maintenance with health checks on: it gets no traffic
// until EnableServer, which the controller calls once the checks pass.
func (h *HAProxy) AddServer(name, addr string) error {
	c := h.Check
	if err := h.must(fmt.Sprintf("add server svc/%s %s check inter %dms fall %d rise %d",
		name, addr, c.Interval.Milliseconds(), c.Fall, c.Rise), "New server registered."); err != nil {
		return err
	}
	return h.must("enable health svc/"+name, "")
}

// EnableServer lets a registered target take traffic.
func (h *HAProxy) EnableServer(name string) error { return h.must("enable server svc/"+name, "") }

// DrainServer stops new connections to a target and lets open ones finish.
func (h *HAProxy) DrainServer(name string) error {
	return h.must("set server svc/"+name+" state drain", "")
}

// DeleteServer takes a target out for good, closing whatever is still open on it.
func (h *HAProxy) DeleteServer(name string) error {
	if err := h.must("set server svc/"+name+" state maint", ""); err != nil {
		return err
	}
	if err := h.must("shutdown sessions server svc/"+name, ""); err != nil {
		return err
	}
	return h.must("del server svc/"+name, "Server deleted.")
}

// must runs a command and wants the given answer ("" means an empty answer).
func (h *HAProxy) must(cmd, want string) error {
	out, err := h.Runtime(cmd)
	if err != nil {
		return fmt.Errorf("haproxy %q: %w", cmd, err)
	}
	if out != want {
		return fmt.Errorf("haproxy %q: %s", cmd, out)
	}
	return nil
}
