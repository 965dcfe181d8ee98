package awslb

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// HAProxy drives haproxy's servers through its runtime API (a "stats socket
// ... level admin" socket), so haproxy carries the traffic the way the target
// group decides. A Target's Servers are "proxy/server" names; servers start
// in maintenance ("disabled" in the configuration, or added at run time) and
// carry no "check": the target group does the health checks.
type HAProxy struct {
	// Socket is the admin socket's path.
	Socket string
}

// Command sends one runtime-API command and returns the answer, trimmed.
func (h HAProxy) Command(cmd string) (string, error) {
	c, err := net.DialTimeout("unix", h.Socket, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", err
	}
	out, err := io.ReadAll(c)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// must runs cmd and wants an empty answer or one starting with ok.
func (h HAProxy) must(cmd, ok string) error {
	out, err := h.Command(cmd)
	if err != nil {
		return fmt.Errorf("haproxy %q: %w", cmd, err)
	}
	if out != "" && (ok == "" || !strings.HasPrefix(out, ok)) {
		return fmt.Errorf("haproxy %q: %s", cmd, out)
	}
	return nil
}

// Route sets the target's servers ready (new connections) or drain (none;
// open ones continue).
func (h HAProxy) Route(t Target, on bool) error {
	state := "drain"
	if on {
		state = "ready"
	}
	for _, s := range t.Servers {
		if err := h.must("set server "+s+" state "+state, ""); err != nil {
			return err
		}
	}
	return nil
}

// Reset kills every session on the target's servers.
func (h HAProxy) Reset(t Target) error {
	for _, s := range t.Servers {
		if err := h.must("shutdown sessions server "+s, ""); err != nil {
			return err
		}
	}
	return nil
}

// Release puts the target's servers in maintenance; sessions stay.
func (h HAProxy) Release(t Target) error {
	for _, s := range t.Servers {
		if err := h.must("set server "+s+" state maint", ""); err != nil {
			return err
		}
	}
	return nil
}

// AddServer adds a server at run time, in maintenance and without checks, to
// a backend whose configuration allows it (haproxy 2.4+, "add server").
func (h HAProxy) AddServer(server, addr string) error {
	return h.must("add server "+server+" "+addr, "New server registered.")
}

// DeleteServer removes a server added at run time; haproxy refuses while it
// still has sessions (the error says so).
func (h HAProxy) DeleteServer(server string) error {
	if err := h.must("set server "+server+" state maint", ""); err != nil {
		return err
	}
	return h.must("del server "+server, "Server deleted.")
}

// ServerStat is one server of "show stat".
type ServerStat struct {
	// Status is UP, DRAIN, MAINT, DOWN...
	Status string
	// Addr is ip:port.
	Addr string
	// Sessions is the number of sessions open to the server now.
	Sessions int
	// Total is the number of sessions it has had.
	Total int
}

// Stats returns every server by "proxy/server".
func (h HAProxy) Stats() (map[string]ServerStat, error) {
	out, err := h.Command("show stat")
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	cols := map[string]int{}
	stats := map[string]ServerStat{}
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# ") {
			for i, c := range strings.Split(strings.TrimPrefix(line, "# "), ",") {
				cols[c] = i
			}
			continue
		}
		f := strings.Split(line, ",")
		if len(cols) == 0 || len(f) <= cols["stot"] || len(f) <= cols["addr"] {
			continue
		}
		sv := f[cols["svname"]]
		if sv == "FRONTEND" || sv == "BACKEND" {
			continue
		}
		cur, _ := strconv.Atoi(f[cols["scur"]])
		tot, _ := strconv.Atoi(f[cols["stot"]])
		stats[f[cols["pxname"]]+"/"+sv] = ServerStat{Status: f[cols["status"]], Addr: f[cols["addr"]], Sessions: cur, Total: tot}
	}
	return stats, sc.Err()
}
