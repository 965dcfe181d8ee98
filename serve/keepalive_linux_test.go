package serve

import (
	"net"
	"syscall"
	"testing"
	"time"
)

func sockopt(t *testing.T, c *net.TCPConn, level, opt int) int {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := raw.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), level, opt) }); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v
}

func TestAcceptedConnectionsGetTCPKeepAlive(t *testing.T) {
	t.Parallel()
	cases := []struct {
		period                    time.Duration
		enabled, idle, intvl, cnt int
	}{
		{7 * time.Second, 1, 7, 7, keepAliveProbes},
		{-1, 0, -1, -1, -1},
	}
	for _, c := range cases {
		inner, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		ln := keepAliveListener{inner, c.period}
		client, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		tc := conn.(*net.TCPConn)
		if got := sockopt(t, tc, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); got != c.enabled {
			t.Errorf("period %v: SO_KEEPALIVE %d, want %d", c.period, got, c.enabled)
		}
		if c.enabled == 1 {
			if got := sockopt(t, tc, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE); got != c.idle {
				t.Errorf("TCP_KEEPIDLE %d, want %d", got, c.idle)
			}
			if got := sockopt(t, tc, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL); got != c.intvl {
				t.Errorf("TCP_KEEPINTVL %d, want %d", got, c.intvl)
			}
			if got := sockopt(t, tc, syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT); got != c.cnt {
				t.Errorf("TCP_KEEPCNT %d, want %d", got, c.cnt)
			}
		}
		conn.Close()
		client.Close()
		inner.Close()
	}
}
