package awslb

import (
	"strings"
	"testing"
)

// A TargetGroupConfiguration as the toolkit renders it for a Gateway NLB
// backend (components/loadbalancer NLB.TargetGroupConfigurationSpec), as a
// dynamic client returns it (int64 numbers).
func nlbTargetGroupConfiguration() map[string]any {
	return map[string]any{
		"targetReference": map[string]any{"group": "", "kind": "Service", "name": "web"},
		"defaultConfiguration": map[string]any{
			"targetType": "ip",
			"healthCheckConfig": map[string]any{
				"healthCheckProtocol": "HTTP", "healthCheckPath": "/readyz", "matcher": map[string]any{"httpCode": "200-399"},
				"healthCheckInterval": int64(10), "healthCheckTimeout": int64(6),
				"healthyThresholdCount": int64(2), "unhealthyThresholdCount": int64(2),
			},
			"targetGroupAttributes": []any{
				map[string]any{"key": "deregistration_delay.connection_termination.enabled", "value": "true"},
				map[string]any{"key": "deregistration_delay.timeout_seconds", "value": "150"},
				map[string]any{"key": "load_balancing.cross_zone.enabled", "value": "true"},
			},
		},
	}
}

// The Gateway form reads the same settings the annotations carry, with the
// controller's Gateway defaults (not its Service ones) where the spec is
// silent, and names the field of a bad value.
func TestFromTargetGroupConfiguration(t *testing.T) {
	t.Parallel()
	nlb, err := FromTargetGroupConfiguration(NLB, nlbTargetGroupConfiguration(),
		map[string]string{"eksbalance.io/deregistration-propagation-seconds": "90"})
	if err != nil {
		t.Fatal(err)
	}
	want := HealthCheck{Protocol: ProtocolHTTP, Path: "/readyz", SuccessCodes: "200-399", Interval: 10 * sec, Timeout: 6 * sec,
		HealthyThreshold: 2, UnhealthyThreshold: 2}
	if nlb.HealthCheck != want || nlb.DeregistrationDelay != 150*sec || !nlb.ConnectionTermination ||
		nlb.Propagation != 90*sec || nlb.UnhealthyLag != DefaultNLBUnhealthyLag || nlb.Kind != NLB {
		t.Errorf("NLB from the toolkit's TargetGroupConfiguration: %+v", nlb)
	}

	// No configuration: the controller's Gateway defaults (15 s, 5 s, 3/3),
	// which differ from its Service defaults (10 s, 10 s, 3/3).
	def, err := FromTargetGroupConfiguration(NLB, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := FromServiceAnnotations(nil)
	if def.HealthCheck.Interval != 15*sec || def.HealthCheck.Timeout != 5*sec || def.HealthCheck.UnhealthyThreshold != 3 ||
		def.HealthCheck.Protocol != ProtocolTCP || def.DeregistrationDelay != 300*sec || def.Propagation != 120*sec {
		t.Errorf("NLB Gateway defaults: %+v", def)
	}
	if def.TimeToUnhealthy() == svc.TimeToUnhealthy() {
		t.Errorf("Gateway and Service defaults should differ: both %v", def.TimeToUnhealthy())
	}
	alb, err := FromTargetGroupConfiguration(ALB, map[string]any{"defaultConfiguration": map[string]any{
		"healthCheckConfig": map[string]any{"healthCheckInterval": float64(5)},
		"targetGroupAttributes": []any{
			map[string]any{"key": "load_balancing.algorithm.type", "value": "least_outstanding_requests"},
		},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if alb.HealthCheck.Interval != 5*sec || alb.HealthCheck.Protocol != ProtocolHTTP || alb.Algorithm != "least_outstanding_requests" ||
		alb.Propagation != DefaultALBPropagation || alb.StopSendingAfter() != 20*sec {
		t.Errorf("ALB: %+v (stop sending after %v)", alb, alb.StopSendingAfter())
	}

	bad := nlbTargetGroupConfiguration()
	bad["defaultConfiguration"].(map[string]any)["healthCheckConfig"].(map[string]any)["healthCheckInterval"] = "10s"
	for name, tc := range map[string]struct {
		spec map[string]any
		kind Kind
		says string
	}{
		"interval as a string": {bad, NLB, "healthCheckConfig.healthCheckInterval=10s"},
		"attribute not a pair": {map[string]any{"defaultConfiguration": map[string]any{"targetGroupAttributes": []any{"x=1"}}}, NLB, "targetGroupAttributes[0]"},
		"unknown kind":         {nil, Kind("GWLB"), `kind "GWLB"`},
	} {
		_, err := FromTargetGroupConfiguration(tc.kind, tc.spec, nil)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: error %v, want it to name %q", name, err, tc.says)
		}
	}
	if _, err := FromTargetGroupConfiguration(NLB, map[string]any{"defaultConfiguration": map[string]any{"targetGroupAttributes": []any{
		map[string]any{"key": "deregistration_delay.timeout_seconds", "value": "soon"},
	}}}, nil); err == nil || !strings.Contains(err.Error(), "deregistration_delay.timeout_seconds") {
		t.Errorf("a bad attribute value: %v", err)
	}
}
