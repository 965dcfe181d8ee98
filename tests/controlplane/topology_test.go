package controlplane

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestLBFromService(t *testing.T) {
	t.Parallel()
	svc := func(ann map[string]string, etp corev1.ServiceExternalTrafficPolicy) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: ann},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: etp}}
	}
	cases := []struct {
		name    string
		svc     *corev1.Service
		want    TopologyLB
		etp     string
		wantErr string
	}{
		{name: "controller defaults: instance targets, cross-zone off, eTP Cluster",
			svc: svc(nil, ""), want: TopologyLB{KindNLB, TargetTypeInstance, false}, etp: "Cluster"},
		{name: "instance targets keep eTP Local",
			svc: svc(nil, corev1.ServiceExternalTrafficPolicyLocal), want: TopologyLB{KindNLB, TargetTypeInstance, false}, etp: "Local"},
		{name: "ip targets with cross-zone on drop eTP",
			svc:  svc(map[string]string{annNLBTargetType: "ip", annNLBAttributes: "deletion_protection.enabled=false, load_balancing.cross_zone.enabled=true"}, corev1.ServiceExternalTrafficPolicyLocal),
			want: TopologyLB{KindNLB, TargetTypeIP, true}},
		{name: "unknown target type", svc: svc(map[string]string{annNLBTargetType: "pod"}, ""), wantErr: annNLBTargetType},
		{name: "cross-zone not a boolean", svc: svc(map[string]string{annNLBAttributes: "load_balancing.cross_zone.enabled=yes"}, ""), wantErr: "must be true or false"},
		{name: "not a LoadBalancer", svc: &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP}}, wantErr: "spec.type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lb, etp, err := LBFromService(tc.svc)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error mentioning %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil || lb != tc.want || etp != tc.etp {
				t.Fatalf("got %+v %q %v, want %+v %q", lb, etp, err, tc.want, tc.etp)
			}
		})
	}
}

func TestLBFromIngress(t *testing.T) {
	t.Parallel()
	ing := func(ann map[string]string) *networkingv1.Ingress {
		return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: ann}}
	}
	lb, etp, err := LBFromIngress(ing(map[string]string{annALBTargetType: "ip"}), nil)
	if err != nil || lb != (TopologyLB{KindALB, TargetTypeIP, true}) || etp != "" {
		t.Errorf("ALB is cross-zone by default: got %+v %q %v", lb, etp, err)
	}
	lb, _, err = LBFromIngress(ing(map[string]string{annALBTGAttribute: "slow_start.duration_seconds=30,load_balancing.cross_zone.enabled=false"}), &corev1.Service{})
	if err != nil || lb.CrossZone || lb.TargetType != TargetTypeInstance {
		t.Errorf("target-group attribute turns cross-zone off: got %+v %v", lb, err)
	}
}
