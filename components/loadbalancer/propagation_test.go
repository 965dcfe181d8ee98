package loadbalancer

import (
	"strings"
	"testing"
	"time"
)

// Only a propagation the caller chose is written out; the default stays
// implicit, as the rules assume it.
func TestPropagationAnnotation(t *testing.T) {
	t.Parallel()
	if _, ok := (NLB{}).ServiceAnnotations()[PropagationAnnotation]; ok {
		t.Error("default NLB propagation written as an annotation")
	}
	if _, ok := (ALB{}).IngressAnnotations()[PropagationAnnotation]; ok {
		t.Error("default ALB propagation written as an annotation")
	}
	if got := (NLB{DeregistrationPropagation: 20 * time.Second}).ServiceAnnotations()[PropagationAnnotation]; got != "20" {
		t.Errorf("NLB propagation 20s annotated as %q", got)
	}
	if got := (ALB{DeregistrationPropagation: 5 * time.Second}).IngressAnnotations()[PropagationAnnotation]; got != "5" {
		t.Errorf("ALB propagation 5s annotated as %q", got)
	}
}

// The unhealthy lag follows the same rule: only a chosen one is written out.
func TestUnhealthyLagAnnotation(t *testing.T) {
	t.Parallel()
	if _, ok := (NLB{}).ServiceAnnotations()[UnhealthyLagAnnotation]; ok {
		t.Error("default NLB unhealthy lag written as an annotation")
	}
	if _, ok := (ALB{}).IngressAnnotations()[UnhealthyLagAnnotation]; ok {
		t.Error("default ALB unhealthy lag written as an annotation")
	}
	if got := (NLB{UnhealthyLag: 10 * time.Second}).ServiceAnnotations()[UnhealthyLagAnnotation]; got != "10" {
		t.Errorf("NLB unhealthy lag 10s annotated as %q", got)
	}
	if got := (ALB{UnhealthyLag: 7 * time.Second}).IngressAnnotations()[UnhealthyLagAnnotation]; got != "7" {
		t.Errorf("ALB unhealthy lag 7s annotated as %q", got)
	}
	for _, err := range []error{(NLB{UnhealthyLag: 601 * time.Second}).Validate(), (ALB{UnhealthyLag: -time.Second}).Validate()} {
		if err == nil || !strings.Contains(err.Error(), "unhealthyLag") {
			t.Errorf("out-of-range unhealthy lag not rejected by name: %v", err)
		}
	}
}
