// Package controlplane starts a real Kubernetes control plane on loopback for tests:
// etcd, kube-apiserver, kube-controller-manager and kube-scheduler built from the
// k8s.io/kubernetes version pinned in this module, plus kwok, which plays the kubelet
// for fake Node objects that mirror a stack's node groups (zone and instance-type
// labels, allocatable CPU, memory and pods of the instance type).
//
// The toolkit's unit tests show what it asks Kubernetes for; this package shows what
// Kubernetes does with it: the scheduler's real placement under topology spread
// constraints, strict server-side validation of the rendered objects, and a placement
// that can be fed to the traffic model (`eksbalance predict`).
//
// It lives in its own Go module (tests/controlplane/go.mod) so that k8s.io/kubernetes
// and its dependency graph never reach the toolkit's go.mod. The binaries are built
// once by build.sh into ${EKSBALANCE_CACHE:-$HOME/.cache/eksbalance}/controlplane/
// <version>/bin; tests skip with a one-line reason when they are missing, and fail
// instead when CI is set.
//
// Pieces: Start/StartE (the cluster), NodeObjects and InstanceTypes (node groups as
// Nodes), LoadExample and ApplyE (rendered objects, strict server-side apply),
// PlacementOf and SpreadCheck (what the scheduler did, judged by the rendered
// constraints), Placement.Topology and PredictE (the traffic model's view of it). The
// follow subpackage makes a loopback haproxy follow the cluster's EndpointSlices.
//
// Helpers follow Terratest's conventions: t first, Start fails the test, StartE
// returns the error, waits are bounded.
package controlplane
