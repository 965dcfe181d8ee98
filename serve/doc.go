// Package serve runs an application's HTTP server so that it holds up its half
// of eksbalance's zero-loss contract with the load balancer.
//
// The toolkit sets the other half: health checks, preStop,
// terminationGracePeriodSeconds and deregistration delay derived from the load
// balancer's own numbers (components/loadbalancer, components/workload). What
// only the application can do is here:
//
//   - On SIGTERM it fails readiness at once and keeps accepting and serving
//     for ShutdownDelay, answering with Connection: close so keepalive clients
//     move to other pods; then it closes its listeners and lets in-flight
//     requests finish within DrainTimeout, and returns.
//   - Its keepalive idle timeout stays above the load balancer's, so the load
//     balancer, not the backend, ends idle connections (the other order races
//     the next request into a reset).
//   - Optional recycling after MaxConnRequests requests or MaxConnAge, so
//     long-lived connections behind an L4 balancer do not pin traffic to the
//     pods that happened to be there first.
//   - TCP keepalive on accepted connections.
//
// The workload template passes the numbers as EKSBALANCE_* environment
// variables (see OptionsFromEnv); a service's main is then:
//
//	opts, err := serve.OptionsFromEnv(os.Getenv)
//	if err != nil { log.Fatal(err) }
//	opts.Handler = mux
//	if err := serve.Run(context.Background(), opts); err != nil { log.Fatal(err) }
//
// The local lab's backends (tests/lab/backend) run exactly this.
//
// serve is its own Go module, github.com/eksbalance/eksbalance/serve, and uses
// only the standard library: an application that imports it adds this one
// small module to its go.mod and go.sum, not the toolkit's Pulumi, OPA and
// gRPC graph. It is versioned with the toolkit (tags vX.Y.Z and serve/vX.Y.Z
// together).
package serve
