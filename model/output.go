package model

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// TextWidth is the terminal width WriteText fits its table and bars into.
const TextWidth = 80

// Describe says in one line what a topology's load balancer does, e.g.
// "nlb, instance targets, externalTrafficPolicy Local, cross-zone off".
func Describe(t Topology) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s targets", t.LoadBalancer.Kind, t.LoadBalancer.TargetType)
	if p := t.EffectivePolicy(); p != "" {
		fmt.Fprintf(&b, ", externalTrafficPolicy %s", p)
	}
	if t.LoadBalancer.CrossZone {
		b.WriteString(", cross-zone on")
	} else {
		b.WriteString(", cross-zone off")
	}
	return b.String()
}

// Summary is the prediction in one line, for the plan output and logs, e.g.
// "6 pods: max/mean 1.500, min/mean 0.750, cross-zone 0.00%, extra hop 0.00%".
func (p Prediction) Summary() string {
	return fmt.Sprintf("%d pods: max/mean %.3f, min/mean %.3f, cross-zone %s, extra hop %s",
		len(p.Pods), p.MaxOverMean, p.MinOverMean, percent(p.CrossZoneFraction), percent(p.ExtraHopFraction))
}

// WriteText writes the prediction as a table with one row and one bar per
// pod, fitted into TextWidth columns. Bars are scaled so the busiest pod
// fills the bar column; '|' marks where a pod with exactly the mean share
// would end.
func WriteText(w io.Writer, t Topology, p Prediction) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, Describe(t))

	const maxZone, maxNode = 16, 24
	zw, nw, iw := len("ZONE"), len("NODE"), len("POD")
	maxShare := 0.0
	for _, ps := range p.Pods {
		zw = max(zw, len(clip(ps.Zone, maxZone)))
		nw = max(nw, len(clip(ps.Node, maxNode)))
		iw = max(iw, len(strconv.Itoa(ps.Index)))
		maxShare = max(maxShare, ps.Share)
	}
	const shareW, ratioW = 7, 6 // "100.00%", "x mean"
	used := zw + 2 + nw + 2 + iw + 2 + shareW + 2 + ratioW + 2
	barW := max(10, TextWidth-1-used)

	fmt.Fprintf(bw, "%-*s  %-*s  %*s  %*s  %*s  %s\n", zw, "ZONE", nw, "NODE", iw, "POD", shareW, "SHARE", ratioW, "x mean", "bar (| = mean)")
	mean := 0.0
	if len(p.Pods) > 0 {
		mean = 1 / float64(len(p.Pods))
	}
	for _, ps := range p.Pods {
		fmt.Fprintf(bw, "%-*s  %-*s  %*d  %*s  %*.2f  %s\n",
			zw, clip(ps.Zone, maxZone), nw, clip(ps.Node, maxNode), iw, ps.Index,
			shareW, percent(ps.Share), ratioW, ps.Share/mean, bar(ps.Share, mean, maxShare, barW))
	}
	fmt.Fprintln(bw, p.Summary())
	return bw.Flush()
}

// bar draws share as '#' over width columns, the largest share filling it,
// with '|' in the column where the mean share would end.
func bar(share, mean, maxShare float64, width int) string {
	if maxShare <= 0 {
		return ""
	}
	n := int(share/maxShare*float64(width) + 0.5)
	m := int(mean/maxShare*float64(width) + 0.5)
	cells := make([]byte, max(n, m))
	for i := range cells {
		if i < n {
			cells[i] = '#'
		} else {
			cells[i] = ' '
		}
	}
	if m >= 1 {
		cells[m-1] = '|'
	}
	return string(cells)
}

// clip shortens s to at most n bytes. A dotted name such as an EC2 private
// DNS name (ip-10-0-1-23.us-east-1.compute.internal) keeps its first label,
// which is what tells nodes apart; anything else is cut and marked with '~'.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if i := strings.IndexByte(s, '.'); i > 0 && i <= n {
		return s[:i]
	}
	return s[:n-1] + "~"
}

func percent(f float64) string { return strconv.FormatFloat(100*f, 'f', 2, 64) + "%" }
