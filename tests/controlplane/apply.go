package controlplane

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
)

// FieldManager is the server-side-apply manager name of everything the tests apply.
const FieldManager = "eksbalance-controlplane-test"

// LoadManifestsE reads every Kubernetes object from the .yaml, .yml and .json files under
// dir (recursively, in lexical order; a file may hold several documents). It is what
// `eksbalance render` writes, one file per object.
func LoadManifestsE(dir string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, err := decodeManifests(data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		objs = append(objs, got...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("no Kubernetes objects under %s", dir)
	}
	return objs, nil
}

func decodeManifests(data []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bufio.NewReader(bytes.NewReader(data)), 4096)
	for i := 0; ; i++ {
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(raw) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: raw}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("document %d: apiVersion, kind and metadata.name are required (got %q, %q, %q)",
				i, u.GetAPIVersion(), u.GetKind(), u.GetName())
		}
		objs = append(objs, u)
	}
}

// applyRank orders objects so that what others need exists first: the namespace (and
// its readiness-gate label) and the Service before the pods, as the workload component
// orders them too.
func applyRank(kind string) int {
	switch kind {
	case "Namespace":
		return 0
	case "CustomResourceDefinition":
		return 1
	case "ServiceAccount", "ConfigMap", "Secret", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "IngressClass":
		return 2
	case "Service":
		return 3
	case "PodDisruptionBudget":
		return 4
	case "Deployment", "StatefulSet", "DaemonSet", "HorizontalPodAutoscaler":
		return 5
	default:
		return 6
	}
}

// Apply is ApplyE that fails the test.
func (c *Cluster) Apply(t TestingT, objs []*unstructured.Unstructured) {
	t.Helper()
	if err := c.ApplyE(t, objs); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

// ApplyE server-side applies the objects with fieldValidation=Strict, so an unknown or
// duplicated field is an error from the real API server rather than a silent drop.
// An object of the Gateway API or of the AWS Load Balancer Controller's groups gets
// the real CRDs installed first (InstallCRDsE, from testdata/upstream), so it is
// validated by their schemas and CEL rules; any other kind the server does not know
// is an error naming it. Every failure is reported, not just the first.
func (c *Cluster) ApplyE(t TestingT, objs []*unstructured.Unstructured) error {
	t.Helper()
	ctx := context.Background()
	sorted := append([]*unstructured.Unstructured(nil), objs...)
	sort.SliceStable(sorted, func(i, j int) bool { return applyRank(sorted[i].GetKind()) < applyRank(sorted[j].GetKind()) })

	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.Clientset.Discovery()))
	var errs []error
	for _, obj := range sorted {
		gvk := obj.GroupVersionKind()
		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) && crdGroups[gvk.Group] {
			if err = c.InstallCRDsE(t); err == nil {
				mapper.Reset()
				mapping, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: no such resource on the API server: %w", gvk, obj.GetName(), err))
			continue
		}
		if err := c.applyOne(ctx, mapping, obj); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Cluster) applyOne(ctx context.Context, mapping *meta.RESTMapping, obj *unstructured.Unstructured) error {
	body, err := json.Marshal(obj.Object)
	if err != nil {
		return err
	}
	res := c.Dynamic.Resource(mapping.Resource)
	var ri interface {
		Patch(ctx context.Context, name string, pt types.PatchType, data []byte, options metav1.PatchOptions, subresources ...string) (*unstructured.Unstructured, error)
	} = res
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = "default"
		}
		ri = res.Namespace(ns)
	}
	force := true
	_, err = ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
		FieldManager:    FieldManager,
		Force:           &force,
		FieldValidation: metav1.FieldValidationStrict,
	})
	if err != nil {
		return fmt.Errorf("apply %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// ReadinessGatePrefixes are the condition types the AWS Load Balancer Controller's
// webhook injects as pod readiness gates.
var ReadinessGatePrefixes = []string{"target-health.elbv2.k8s.aws/", "target-health.alb.ingress.k8s.aws/"}

// StripLBReadinessGates removes AWS Load Balancer Controller readiness gates from pod
// templates and returns a note per removal. Nothing here sets those conditions (the
// controller would, once the target is healthy), so a pod carrying one never becomes
// Ready. The toolkit does not write them itself: it labels the namespace and the
// controller's webhook injects them; that label is kept, harmlessly unused here.
func StripLBReadinessGates(objs []*unstructured.Unstructured) ([]string, error) {
	var notes []string
	for _, obj := range objs {
		gates, found, err := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "readinessGates")
		if err != nil {
			return nil, fmt.Errorf("%s %s: spec.template.spec.readinessGates: %w", obj.GetKind(), obj.GetName(), err)
		}
		if !found {
			continue
		}
		var kept []any
		for _, g := range gates {
			ct, _ := g.(map[string]any)["conditionType"].(string)
			if hasAnyPrefix(ct, ReadinessGatePrefixes) {
				notes = append(notes, fmt.Sprintf("%s %s: removed readiness gate %s (no load balancer controller in this cluster)", obj.GetKind(), obj.GetName(), ct))
				continue
			}
			kept = append(kept, g)
		}
		if len(kept) == 0 {
			unstructured.RemoveNestedField(obj.Object, "spec", "template", "spec", "readinessGates")
		} else if err := unstructured.SetNestedSlice(obj.Object, kept, "spec", "template", "spec", "readinessGates"); err != nil {
			return nil, err
		}
	}
	return notes, nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
