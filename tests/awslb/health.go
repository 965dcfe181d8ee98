package awslb

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
)

// Probe runs one health check against addr ("host:port") and returns nil when
// it passes. ctx carries the check's timeout.
type Probe func(ctx context.Context, addr string, hc HealthCheck) error

// DefaultProbe checks as AWS does: a TCP connect, or an HTTP GET of the path
// whose status must be one of the success codes. Each check uses a fresh
// connection and closes it.
func DefaultProbe(ctx context.Context, addr string, hc HealthCheck) error {
	if hc.Protocol == ProtocolTCP {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	codes, err := parseCodes(hc.SuccessCodes)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+hc.Path, nil)
	if err != nil {
		return err
	}
	client := http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	for _, r := range codes {
		if resp.StatusCode >= r[0] && resp.StatusCode <= r[1] {
			return nil
		}
	}
	return fmt.Errorf("HTTP %d, want %s", resp.StatusCode, hc.SuccessCodes)
}
