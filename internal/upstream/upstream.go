// Package upstream finds the unmodified copies of other projects' data files that
// the tests hold the toolkit to (testdata/upstream at the repository root: the AWS
// Load Balancer Controller's chart values, CRDs and IAM policies, the Gateway API's
// CRDs). Only tests use it; nothing a user's program runs reads these files.
package upstream

import (
	"os"
	"path/filepath"
	"runtime"
)

// Versions of the copies kept under testdata/upstream.
const (
	// LBCVersion is the AWS Load Balancer Controller release whose chart values,
	// CRDs and IAM policies are kept.
	LBCVersion = "v3.5.0"
	// GatewayAPIVersion is the sigs.k8s.io/gateway-api module version whose
	// standard-channel CRDs are kept.
	GatewayAPIVersion = "v1.6.3"
)

// Root is testdata/upstream at the repository root, wherever the caller runs.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "upstream")
}

// LBC is the path of a file of the controller release, e.g. LBC("values.yaml").
func LBC(name string) string {
	return filepath.Join(Root(), "aws-load-balancer-controller", LBCVersion, name)
}

// Echoservice is the path of a file of the controller's echoserver example.
func Echoservice(name string) string {
	return filepath.Join(Root(), "aws-load-balancer-controller", "echoservice", name)
}

// GatewayAPIStandardDir is the directory of the Gateway API standard-channel CRDs.
func GatewayAPIStandardDir() string {
	return filepath.Join(Root(), "gateway-api", GatewayAPIVersion, "standard")
}

// Read returns a file's bytes.
func Read(path string) ([]byte, error) { return os.ReadFile(path) }
