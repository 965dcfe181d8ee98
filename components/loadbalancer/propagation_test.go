package loadbalancer

import (
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
