package controlplane

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The real CRDs the toolkit's objects are applied against: the Gateway API's
// standard channel (the Go module sigs.k8s.io/gateway-api, config/crd/standard)
// and the AWS Load Balancer Controller's (its chart's CRDs and its
// gateway.k8s.aws CRDs), read from the unmodified copies the repository keeps
// under testdata/upstream (see its README for source, version and license).
const (
	// GatewayAPIVersion is the Gateway API release of the installed CRDs.
	GatewayAPIVersion = "v1.6.3"
	// LBCVersion is the controller release of the installed CRDs.
	LBCVersion = "v3.5.0"
)

// UpstreamDir is testdata/upstream at the repository root.
func UpstreamDir() string { return filepath.Join(ModuleDir(), "..", "..", "testdata", "upstream") }

// CRDFiles lists the upstream files InstallCRDsE applies, in order.
func CRDFiles() ([]string, error) {
	std, err := filepath.Glob(filepath.Join(UpstreamDir(), "gateway-api", GatewayAPIVersion, "standard", "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(std) == 0 {
		return nil, fmt.Errorf("no Gateway API CRDs under %s", UpstreamDir())
	}
	sort.Strings(std)
	lbc := filepath.Join(UpstreamDir(), "aws-load-balancer-controller", LBCVersion)
	return append(std, filepath.Join(lbc, "crds.yaml"), filepath.Join(lbc, "gateway-crds.yaml")), nil
}

// crdGroups are the API groups whose kinds the installed CRDs define: applying
// an object of one of them installs the CRDs first.
var crdGroups = map[string]bool{
	"gateway.networking.k8s.io": true,
	"gateway.k8s.aws":           true,
	"elbv2.k8s.aws":             true,
	"aga.k8s.aws":               true,
}

// InstallCRDsE server-side applies every CRD (and the Gateway API's
// safe-upgrades admission policy) from CRDFiles and waits until each CRD is
// Established. It is idempotent.
func (c *Cluster) InstallCRDsE(t TestingT) error {
	t.Helper()
	files, err := CRDFiles()
	if err != nil {
		return err
	}
	ctx := context.Background()
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		objs, err := decodeManifests(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for _, o := range objs {
			mapping, err := c.mappingOf(o)
			if err != nil {
				return fmt.Errorf("%s %s (%s): %w", o.GetKind(), o.GetName(), filepath.Base(f), err)
			}
			if err := c.applyOne(ctx, mapping, o); err != nil {
				return fmt.Errorf("%s: %w", filepath.Base(f), err)
			}
			if o.GetKind() == "CustomResourceDefinition" {
				names = append(names, o.GetName())
			}
		}
	}
	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	for _, name := range names {
		if err := c.WaitUntilE(t, "CRD "+name+" Established", 60*time.Second, func() error {
			u, err := c.Dynamic.Resource(crds).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			var crd apiextensionsv1.CustomResourceDefinition
			if err := runtimeFromUnstructured(u, &crd); err != nil {
				return err
			}
			for _, cond := range crd.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return nil
				}
			}
			return fmt.Errorf("%w: CRD %s not Established", errNotReady, name)
		}); err != nil {
			return err
		}
	}
	t.Logf("installed %d CRDs from testdata/upstream (Gateway API %s standard channel, AWS Load Balancer Controller %s): %s",
		len(names), GatewayAPIVersion, LBCVersion, strings.Join(names, ", "))
	return nil
}

// mappingOf maps the few built-in kinds the CRD files hold.
func (c *Cluster) mappingOf(o *unstructured.Unstructured) (*meta.RESTMapping, error) {
	switch o.GetKind() {
	case "CustomResourceDefinition":
		return &meta.RESTMapping{
			Resource: schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"},
			Scope:    meta.RESTScopeRoot,
		}, nil
	case "ValidatingAdmissionPolicy":
		return &meta.RESTMapping{
			Resource: schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicies"},
			Scope:    meta.RESTScopeRoot,
		}, nil
	case "ValidatingAdmissionPolicyBinding":
		return &meta.RESTMapping{
			Resource: schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicybindings"},
			Scope:    meta.RESTScopeRoot,
		}, nil
	}
	return nil, fmt.Errorf("not a kind the CRD files should hold")
}
