package measure

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
)

// clientConn is one HTTP/1.1 connection owned by one worker at a time.
type clientConn struct {
	conn   net.Conn
	br     *bufio.Reader
	target int
}

func newClientConn(c net.Conn, target int) *clientConn {
	return &clientConn{conn: c, br: bufio.NewReaderSize(c, 4096), target: target}
}

// buildRequest renders the one request a run sends to target; it never
// changes, so it is built once.
func buildRequest(l Load, target string) []byte {
	host := l.Host
	if host == "" {
		host = target
	}
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: eksbalance-measure\r\n", l.Path, host)
	if !l.KeepAlive {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// roundTrip writes req and reads one response. reusable is false when the
// server asked to close the connection (Connection: close, as a draining or
// recycling server does) or the body was not read to its end.
func (c *clientConn) roundTrip(req []byte, deadline time.Time) (pod string, status int, reusable bool, err error) {
	if err := c.conn.SetDeadline(deadline); err != nil {
		return "", 0, false, err
	}
	if _, err := c.conn.Write(req); err != nil {
		return "", 0, false, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return "", 0, false, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	resp.Body.Close()
	if err != nil {
		return "", resp.StatusCode, false, err
	}
	if len(body) > maxBody {
		return "", resp.StatusCode, false, fmt.Errorf("response body over %d bytes", maxBody)
	}
	return strings.TrimSpace(string(body)), resp.StatusCode, !resp.Close, nil
}

// classify maps a transport error to the kind a rollout report counts.
func classify(err error) FailureKind {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return FailureRefused
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return FailureTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// A peer that closes before answering, with or without an RST, is
		// the same failure from the client's side: the request was lost.
		return FailureReset
	default:
		return FailureOther
	}
}
