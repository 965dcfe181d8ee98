package engine

import (
	"context"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
)

// ObjectsInE lists every object in the namespaces, of every namespaced resource type
// the API server serves and can list (discovery, not a fixed list of kinds, so an
// object of a kind nobody thought of still counts), plus each namespace itself while it
// exists. Entries read "kind namespace/name", sorted.
func ObjectsInE(ctx context.Context, disc discovery.DiscoveryInterface, dyn dynamic.Interface, namespaces ...string) ([]string, error) {
	lists, err := disc.ServerPreferredNamespacedResources()
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	var out []string
	for _, ns := range namespaces {
		_, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Get(ctx, ns, metav1.GetOptions{})
		switch {
		case err == nil:
			out = append(out, "Namespace "+ns)
		case !apierrors.IsNotFound(err):
			return nil, err
		}
	}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, r := range l.APIResources {
			if !canList(r.Verbs) {
				continue
			}
			for _, ns := range namespaces {
				items, err := dyn.Resource(gv.WithResource(r.Name)).Namespace(ns).List(ctx, metav1.ListOptions{})
				if err != nil {
					if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
						continue
					}
					return nil, fmt.Errorf("list %s in %s: %w", r.Name, ns, err)
				}
				for _, it := range items.Items {
					out = append(out, fmt.Sprintf("%s %s/%s", r.Kind, ns, it.GetName()))
				}
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func canList(verbs []string) bool {
	for _, v := range verbs {
		if v == "list" {
			return true
		}
	}
	return false
}
