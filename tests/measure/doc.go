// Package measure drives bounded HTTP load at a service and judges what came
// back: which pod answered each request, how that spread compares with the
// shares the traffic model predicts, and which requests failed and how.
//
// It is shared by the two places where eksbalance checks its claims against
// real traffic: the live Terratest suite (an NLB or ALB in the user's AWS
// account) and the local lab (haproxy on loopback playing the load balancer).
// Both ask the same questions, so both use the same code:
//
//   - Run sends a bounded number of requests (and never runs longer than a
//     bounded time) over fresh connections or a keepalive pool, reads the pod
//     name from each response body (agnhost netexec's /hostname and the lab
//     backends answer with the pod name) and classifies every failure as
//     refused, reset, timeout, 5xx or other, with its time since the start.
//   - Analyze turns per-pod counts into shares, max/mean, and a chi-square
//     goodness-of-fit test against expected shares (a plain map, so this
//     package does not depend on the model package), with its p-value.
//     SampleSize and SampleSizeForImbalance say how many requests are needed to
//     detect a given imbalance; SampleSizeForMargin how many keep one share's
//     sampling noise under a margin.
//   - CheckRollout keeps steady load going while a caller-supplied restart
//     runs and returns every failed request with its time and kind.
//   - RunCallers plays a client population as DNS caching and keepalive make
//     it: a few callers, each pinned to one address or looking the name up per
//     connection, each with a pool of paced keepalive connections that last
//     until the server (or the client's own limit) closes them, every request
//     timed so shares can be taken per window.
//
// The HTTP client is a deliberately small HTTP/1.1 client over net.Conn rather
// than net/http's Transport: the Transport silently retries idempotent requests
// that failed on a reused connection, which would hide exactly the resets a
// rollout check exists to count.
package measure
