package controlplane

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

// SpreadCheck checks a placement against topology spread constraints after the fact, the
// way the scheduler's PodTopologySpread filter judges each placement: per constraint,
// the pods its selector picks are counted per domain (value of topologyKey) over the
// nodes the pod may use, and the difference between the fullest and the emptiest domain
// must not exceed maxSkew.
//
// It differs from the scheduler on purpose in two ways. DeclaredDomains adds domains
// that have no node at all: Kubernetes only knows zones that have nodes, so a stack whose
// node group is missing in one zone still looks "balanced" to the scheduler while one
// zone serves nothing. And ScheduleAnyway constraints are held to maxSkew too (unless
// SkipScheduleAnyway): the toolkit sets them because it wants an even spread per node.
type SpreadCheck struct {
	// Template is the pod template whose constraints, node selection and labels define
	// what is checked. For a deliberately broken Deployment, pass the intended template.
	Template corev1.PodTemplateSpec
	// Namespace of the pods.
	Namespace string
	// DeclaredDomains maps a topology key to domains that must exist even without nodes,
	// e.g. {topology.kubernetes.io/zone: the stack's zones}. Default: none.
	DeclaredDomains map[string][]string
	// SkipScheduleAnyway checks only DoNotSchedule constraints, like the scheduler's filter.
	// Default false: a soft constraint the scheduler could not honour is still uneven traffic.
	SkipScheduleAnyway bool
}

// Check returns every violated constraint at once, each naming the constraint, the
// per-domain counts and the rule; nil when the placement is within all constraints. Pods
// of the template's labels that are not scheduled are reported too.
func (s SpreadCheck) Check(nodes []corev1.Node, pods []corev1.Pod) error {
	constraints := s.Template.Spec.TopologySpreadConstraints
	if len(constraints) == 0 {
		return errors.New("template has no topologySpreadConstraints: nothing bounds the spread")
	}
	var errs []error
	var pending []string
	for _, p := range pods {
		if p.Namespace == s.Namespace && p.DeletionTimestamp == nil && p.Spec.NodeName == "" && labelsSuperset(p.Labels, s.Template.Labels) {
			pending = append(pending, p.Name)
		}
	}
	if len(pending) > 0 {
		sort.Strings(pending)
		errs = append(errs, fmt.Errorf("%d pods not scheduled: %s", len(pending), strings.Join(pending, ", ")))
	}
	for i, c := range constraints {
		if s.SkipScheduleAnyway && c.WhenUnsatisfiable == corev1.ScheduleAnyway {
			continue
		}
		if err := s.checkOne(c, nodes, pods); err != nil {
			errs = append(errs, fmt.Errorf("topologySpreadConstraints[%d] (topologyKey=%s, maxSkew=%d, whenUnsatisfiable=%s): %w",
				i, c.TopologyKey, c.MaxSkew, c.WhenUnsatisfiable, err))
		}
	}
	return errors.Join(errs...)
}

func (s SpreadCheck) checkOne(c corev1.TopologySpreadConstraint, nodes []corev1.Node, pods []corev1.Pod) error {
	if c.MaxSkew < 1 {
		return fmt.Errorf("maxSkew %d: must be at least 1", c.MaxSkew)
	}
	// Domains: values of topologyKey on nodes the pod may run on, plus declared ones.
	probe := &corev1.Pod{Spec: s.Template.Spec}
	required := nodeaffinity.GetRequiredNodeAffinity(probe)
	domainOf := map[string]string{}
	counts := map[string]int{}
	for _, d := range s.DeclaredDomains[c.TopologyKey] {
		counts[d] = 0
	}
	for i := range nodes {
		n := &nodes[i]
		value, ok := n.Labels[c.TopologyKey]
		if !ok {
			continue
		}
		if c.NodeAffinityPolicy == nil || *c.NodeAffinityPolicy == corev1.NodeInclusionPolicyHonor {
			match, err := required.Match(n)
			if err != nil {
				return fmt.Errorf("node affinity: %w", err)
			}
			if !match {
				continue
			}
		}
		if c.NodeTaintsPolicy != nil && *c.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor {
			// Toleration comparison operators (Gt/Lt, alpha in 1.35) stay off, as in
			// the scheduler's default feature set.
			if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), n.Spec.Taints, s.Template.Spec.Tolerations, func(t *corev1.Taint) bool {
				return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
			}, false); untolerated {
				continue
			}
		}
		domainOf[n.Name] = value
		counts[value] += 0
	}
	if len(counts) == 0 {
		return fmt.Errorf("no node has the label %s", c.TopologyKey)
	}

	// matchLabelKeys narrows the selector to pods sharing the incoming pod's values for
	// those keys (typically pod-template-hash: one ReplicaSet). After the fact that
	// means one count per distinct value tuple.
	groups := map[string]map[string]int{}
	for _, p := range pods {
		if p.Namespace != s.Namespace || p.DeletionTimestamp != nil || p.Spec.NodeName == "" {
			continue
		}
		ok, err := selectorMatches(c.LabelSelector, p.Labels)
		if err != nil {
			return fmt.Errorf("labelSelector: %w", err)
		}
		if !ok {
			continue
		}
		domain, eligible := domainOf[p.Spec.NodeName]
		if !eligible {
			continue
		}
		var key []string
		for _, k := range c.MatchLabelKeys {
			key = append(key, k+"="+p.Labels[k])
		}
		g := strings.Join(key, ",")
		if groups[g] == nil {
			groups[g] = map[string]int{}
			for d := range counts {
				groups[g][d] = 0
			}
		}
		groups[g][domain]++
	}
	if len(groups) == 0 {
		return errors.New("no scheduled pod matches the constraint's labelSelector")
	}

	var errs []error
	for _, g := range sortedKeys(groups) {
		perDomain := groups[g]
		lo, hi := -1, 0
		for _, n := range perDomain {
			if lo < 0 || n < lo {
				lo = n
			}
			if n > hi {
				hi = n
			}
		}
		// Fewer domains than minDomains: the scheduler takes the global minimum as 0.
		if c.MinDomains != nil && int32(len(perDomain)) < *c.MinDomains {
			lo = 0
		}
		if skew := hi - lo; int32(skew) > c.MaxSkew {
			where := ""
			if g != "" {
				where = " for pods with " + g
			}
			errs = append(errs, fmt.Errorf("skew %d%s (%s) exceeds maxSkew %d: pods per domain must differ by at most maxSkew",
				skew, where, formatCounts(perDomain), c.MaxSkew))
		}
	}
	return errors.Join(errs...)
}

func formatCounts(m map[string]int) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func labelsSuperset(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
