package lbcontroller

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ZoneTopologyKey is the node label the controller's replicas are spread over.
const ZoneTopologyKey = "topology.kubernetes.io/zone"

// podSelector is the label set the chart puts on the controller's pods
// (app.kubernetes.io/name from the chart name, instance from the release name).
func podSelector() map[string]any {
	return map[string]any{
		"app.kubernetes.io/name":     ChartName,
		"app.kubernetes.io/instance": ReleaseName,
	}
}

// chartValues is everything the release sets: the component's values, then
// ExtraValues deep-merged over them. Leaves may be Pulumi inputs (cluster name,
// VPC, role ARN); they resolve when the release is registered.
func chartValues(a *Args, roleARN pulumi.StringInput) pulumi.Map {
	own := map[string]any{
		"clusterName":       a.ClusterName,
		"region":            a.Region,
		"vpcId":             a.VpcID,
		"defaultTargetType": string(a.DefaultTargetType),
		"replicaCount":      a.Replicas,
		"image": map[string]any{
			"repository": a.Image.Repository,
			"tag":        a.Image.Tag,
		},
		"serviceAccount": map[string]any{
			"create": true,
			"name":   ServiceAccountName,
			"annotations": map[string]any{
				"eks.amazonaws.com/role-arn": roleARN,
			},
		},
		// The chart renders the budget only when replicaCount > 1; with two
		// replicas a drain may take one, never both.
		"podDisruptionBudget": map[string]any{"maxUnavailable": 1},
		// matchLabelKeys keeps a rollout's new pods spreading among themselves
		// instead of counting the old ReplicaSet's pods (ignored by API servers
		// older than 1.27). The chart's soft per-node anti-affinity stays on.
		"topologySpreadConstraints": []any{map[string]any{
			"maxSkew":           1,
			"topologyKey":       ZoneTopologyKey,
			"whenUnsatisfiable": string(a.ZoneSpread),
			"labelSelector":     map[string]any{"matchLabels": podSelector()},
			"matchLabelKeys":    []any{"pod-template-hash"},
		}},
		"enableServiceMutatorWebhook": a.ServiceMutatorWebhook,
		// Feature gates and flags that matter for balance and rollouts: see
		// features.go for each one and why.
		"controllerConfig": map[string]any{"featureGates": featureGates(a)},
		// Restricted pod security: the chart's defaults already go most of the
		// way; stating them here keeps them if a chart upgrade relaxes a default.
		"podSecurityContext": map[string]any{
			"fsGroup":        65534,
			"runAsNonRoot":   true,
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
		"securityContext": map[string]any{
			"allowPrivilegeEscalation": false,
			"readOnlyRootFilesystem":   true,
			"runAsNonRoot":             true,
			"capabilities":             map[string]any{"drop": []any{"ALL"}},
			"seccompProfile":           map[string]any{"type": "RuntimeDefault"},
		},
	}
	for k, v := range flags() {
		own[k] = v
	}
	return toInput(deepMerge(own, a.ExtraValues)).(pulumi.Map)
}

// deepMerge returns base with over merged in: nested maps merge key by key,
// anything else in over replaces what base had. Neither argument is changed.
func deepMerge(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if bm, ok := out[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				out[k] = deepMerge(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// toInput turns nested plain values (and inputs among them) into Pulumi inputs.
// nil values are dropped.
func toInput(v any) pulumi.Input {
	switch x := v.(type) {
	case pulumi.Input:
		return x
	case map[string]any:
		m := make(pulumi.Map, len(x))
		for k, e := range x {
			if e != nil {
				m[k] = toInput(e)
			}
		}
		return m
	case []any:
		arr := make(pulumi.Array, 0, len(x))
		for _, e := range x {
			if e != nil {
				arr = append(arr, toInput(e))
			}
		}
		return arr
	case map[string]string:
		return pulumi.ToStringMap(x)
	case []string:
		return pulumi.ToStringArray(x)
	case string:
		return pulumi.String(x)
	case bool:
		return pulumi.Bool(x)
	case int:
		return pulumi.Int(x)
	case int64:
		return pulumi.Int(int(x))
	case float64:
		return pulumi.Float64(x)
	default:
		return pulumi.Any(x)
	}
}
