package loadbalancer

import (
	"reflect"
	"testing"
)

func TestAutoModeServiceAnnotations(t *testing.T) {
	t.Parallel()
	got := NLB{}.AutoModeServiceAnnotations()
	// Everything the controller form says, except the type annotation Auto Mode
	// does not support (its class replaces it).
	want := expect(nlbDefaultAnnotations, nil, svc+"aws-load-balancer-type")
	diffMaps(t, got, want)
	if _, ok := got[svc+"aws-load-balancer-type"]; ok {
		t.Error("aws-load-balancer-type written for Auto Mode, which does not support it")
	}
}

func TestAutoModeIngress(t *testing.T) {
	t.Parallel()
	s := ALB{Scheme: SchemeInternetFacing, Listeners: []Listener{{Port: 443, Protocol: ProtocolHTTPS}}, TLS: TLS{CertificateARN: arn}}
	ann := s.AutoModeIngressAnnotations()
	for _, k := range []string{"scheme", "load-balancer-attributes", "certificate-arn", "ssl-policy"} {
		if v, ok := ann[ing+k]; ok {
			t.Errorf("%s%s = %q on the Ingress; Auto Mode takes it from IngressClassParams", ing, k, v)
		}
	}
	for k, want := range map[string]string{
		ing + "target-type":             "ip",
		ing + "target-group-attributes": "deregistration_delay.timeout_seconds=30,load_balancing.algorithm.type=least_outstanding_requests,load_balancing.cross_zone.enabled=true,slow_start.duration_seconds=30",
		ing + "healthcheck-path":        "/",
		ing + "listen-ports":            `[{"HTTPS":443}]`,
	} {
		if ann[k] != want {
			t.Errorf("%s = %q, want %q", k, ann[k], want)
		}
	}

	spec := s.AutoModeIngressClassParamsSpec("shop")
	want := map[string]any{
		"scheme":     "internet-facing",
		"targetType": "ip",
		"loadBalancerAttributes": []any{
			map[string]any{"key": "client_keep_alive.seconds", "value": "3600"},
			map[string]any{"key": "idle_timeout.timeout_seconds", "value": "60"},
			map[string]any{"key": "zonal_shift.config.enabled", "value": "true"},
		},
		"certificateARNs":   []any{arn},
		"sslPolicy":         DefaultSSLPolicy,
		"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "shop"}},
	}
	if !reflect.DeepEqual(spec, want) {
		t.Errorf("IngressClassParams spec\n got %#v\nwant %#v", spec, want)
	}
	if _, ok := (ALB{}).AutoModeIngressClassParamsSpec("")["certificateARNs"]; ok {
		t.Error("certificateARNs written without an HTTPS listener")
	}
}
