// Command backend is the local lab's stand-in for a pod: an HTTP server built
// on the serve package that answers /hostname with its pod name, exactly as
// agnhost netexec does in the live suite, so the measuring code cannot tell
// the two apart.
//
// It takes the EKSBALANCE_* variables like any service on the toolkit (see
// serve.OptionsFromEnv); flags override them with sub-second durations,
// because the lab scales every timing down from seconds to fractions of one.
// -abrupt turns it into the anti-pattern the rollout test contrasts: exit at
// once on SIGTERM, no delay, no drain.
//
// On start it prints "listening ADDR" on stdout (ADDR with the real port when
// -addr asked for port 0), which the lab reads to know the pod is up.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/eksbalance/eksbalance/serve"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "backend:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("backend", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on (port 0: pick one and print it)")
	name := fs.String("name", "", "pod name answered on /hostname (required)")
	shutdownDelay := fs.Duration("shutdown-delay", -1, "serve this long after SIGTERM with readiness failing (overrides "+serve.EnvShutdownDelay+")")
	drainTimeout := fs.Duration("drain-timeout", -1, "time allowed for in-flight requests after the delay (overrides "+serve.EnvDrainTimeout+")")
	maxConnRequests := fs.Int("max-conn-requests", -1, "recycle a connection after this many requests (overrides "+serve.EnvMaxConnRequests+")")
	maxConnAge := fs.Duration("max-conn-age", -1, "recycle a connection once it is this old (overrides "+serve.EnvMaxConnAge+")")
	work := fs.Duration("work", 0, "time each /hostname request takes, so that requests are in flight when a signal lands")
	abrupt := fs.Bool("abrupt", false, "anti-pattern: exit immediately on SIGTERM (no delay, no drain)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("-name is required")
	}

	opts, err := serve.OptionsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	if *shutdownDelay >= 0 {
		opts.ShutdownDelay = *shutdownDelay
	}
	if *drainTimeout >= 0 {
		opts.DrainTimeout = *drainTimeout
	}
	if *maxConnRequests >= 0 {
		opts.MaxConnRequests = *maxConnRequests
	}
	if *maxConnAge >= 0 {
		opts.MaxConnAge = *maxConnAge
	}
	body := []byte(*name + "\n")
	mux := http.NewServeMux()
	mux.HandleFunc("/hostname", func(w http.ResponseWriter, r *http.Request) {
		if *work > 0 {
			time.Sleep(*work)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(body)
	})
	opts.Handler = mux
	logger := log.New(os.Stderr, *name+" ", log.Lmicroseconds)
	opts.Logf = logger.Printf

	if *abrupt {
		// The anti-pattern: the process is gone the moment SIGTERM lands,
		// with whatever was in flight and whatever the load balancer is
		// still sending.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		go func() {
			<-sig
			os.Exit(0)
		}()
		opts.Signals = make(chan os.Signal) // never fires: the goroutine above exits first
	}

	s, err := serve.New(opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening %s\n", ln.Addr())
	return s.Serve(context.Background(), ln)
}
