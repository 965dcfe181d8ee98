package model

import (
	"bufio"
	"fmt"
	"io"
)

// Variant is one way of putting a load balancer in front of a layout.
type Variant struct {
	// Name is a short stable identifier, e.g. "ip-crosszone-on".
	Name string `json:"name"`
	// Description says what it is and whose default it is.
	Description string `json:"description"`
	// TargetType is the load balancer's target type in this variant.
	TargetType TargetType `json:"targetType"`
	// CrossZone is whether cross-zone load balancing is on in this variant.
	CrossZone bool `json:"crossZone"`
	// ExternalTrafficPolicy is the Service's policy; empty with ip targets.
	ExternalTrafficPolicy Policy `json:"externalTrafficPolicy,omitempty"`
}

// ContrastVariants are the settings Contrast compares, the toolkit's default
// first: ip targets with cross-zone on; ip targets with cross-zone off (the
// NLB default once the controller is told to use ip); instance targets with
// cross-zone off under each externalTrafficPolicy (what a plain Service of
// type LoadBalancer gets with NLB defaults).
func ContrastVariants() []Variant {
	return []Variant{
		{Name: "ip-crosszone-on", Description: "ip targets, cross-zone on (toolkit default)", TargetType: TargetTypeIP, CrossZone: true},
		{Name: "ip-crosszone-off", Description: "ip targets, cross-zone off", TargetType: TargetTypeIP},
		{Name: "instance-cluster", Description: "instance, Cluster, cross-zone off (K8s default)", TargetType: TargetTypeInstance, ExternalTrafficPolicy: PolicyCluster},
		{Name: "instance-local", Description: "instance, Local, cross-zone off", TargetType: TargetTypeInstance, ExternalTrafficPolicy: PolicyLocal},
	}
}

// NamedPrediction is one variant's prediction for a layout.
type NamedPrediction struct {
	// Variant is the settings evaluated.
	Variant Variant `json:"variant"`
	// Topology is the layout with the variant's settings applied.
	Topology Topology `json:"topology"`
	// Prediction is the model's answer for Topology.
	Prediction Prediction `json:"prediction"`
}

// Contrast evaluates the same zones and pods under every ContrastVariants
// entry with the given load-balancer kind, so a reader sees what the
// toolkit's settings buy over the defaults for their own layout.
func Contrast(kind Kind, zones []Zone) ([]NamedPrediction, error) {
	out := make([]NamedPrediction, 0, 4)
	for _, v := range ContrastVariants() {
		t := Topology{
			LoadBalancer:          LoadBalancer{Kind: kind, TargetType: v.TargetType, CrossZone: v.CrossZone},
			ExternalTrafficPolicy: v.ExternalTrafficPolicy,
			Zones:                 zones,
		}
		p, err := Predict(t)
		if err != nil {
			return nil, err
		}
		out = append(out, NamedPrediction{Variant: v, Topology: t, Prediction: p})
	}
	return out, nil
}

// WriteContrast writes one row per variant: max/mean, min/mean and the two
// fractions, in at most 80 columns.
func WriteContrast(w io.Writer, set []NamedPrediction) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%-47s %8s %8s %6s %6s\n", "LOAD BALANCER", "max/mean", "min/mean", "x-zone", "x-hop")
	for _, np := range set {
		p := np.Prediction
		fmt.Fprintf(bw, "%-47s %8.3f %8.3f %6s %6s\n", clip(np.Variant.Description, 47),
			p.MaxOverMean, p.MinOverMean, shortPercent(p.CrossZoneFraction), shortPercent(p.ExtraHopFraction))
	}
	return bw.Flush()
}

func shortPercent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
