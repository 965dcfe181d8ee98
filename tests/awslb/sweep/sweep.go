// Package sweep holds what the preStop sweeps of the lab and the control-plane
// test share: the row each rolling update produces, the table they print and
// the chart (SVG, written by this package) of lost requests against preStop
// over the bound.
package sweep

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
	"time"
)

// Row is one rolling update of a sweep.
type Row struct {
	// Front is NLB or ALB; Client is "keepalive" or "fresh" (a new
	// connection per request).
	Front, Client string
	// Label names the point: "0.5x", "0.9x", "1.1x", "default", or a
	// variant such as "default, delay 30 s".
	Label string
	// PreStop is the pods' whole wait (hook + in-app delay) and Bound the
	// load balancer's stop-sending bound it is measured against, both in
	// the manifests' seconds (unscaled).
	PreStop, Bound time.Duration
	// Requests sent and Lost (failed) during the rolling update.
	Requests, Lost int
	// ByKind counts the lost requests by failure kind.
	ByKind map[string]int
	// Took is the wall time of the rolling update (scaled).
	Took time.Duration
}

// Ratio is PreStop / Bound.
func (r Row) Ratio() float64 { return r.PreStop.Seconds() / r.Bound.Seconds() }

// Table renders rows with one column per failure kind, in kinds' order.
func Table(rows []Row, kinds []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %-10s %-18s %8s %6s %9s %6s", "front", "client", "point", "preStop", "bound", "requests", "lost")
	for _, k := range kinds {
		fmt.Fprintf(&b, " %8s", k)
	}
	b.WriteString("   took\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-5s %-10s %-18s %7.1fs %5.0fs %9d %6d", r.Front, r.Client, r.Label,
			r.PreStop.Seconds(), r.Bound.Seconds(), r.Requests, r.Lost)
		for _, k := range kinds {
			fmt.Fprintf(&b, " %8d", r.ByKind[k])
		}
		fmt.Fprintf(&b, " %6.1fs\n", r.Took.Seconds())
	}
	return b.String()
}

// SVG draws lost requests (as a share of requests sent, in percent) against
// preStop / bound, one line per front and client, with the bound marked.
func SVG(title string, rows []Row) []byte {
	const w, h, left, right, top, bottom = 800, 440, 70, 240, 50, 60
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	maxX, maxY := 1.2, 1.0
	for _, r := range rows {
		maxX = math.Max(maxX, r.Ratio()*1.05)
		maxY = math.Max(maxY, lossPct(r)*1.1)
	}
	maxY = niceCeil(maxY)
	x := func(v float64) float64 { return float64(left) + v/maxX*pw }
	y := func(v float64) float64 { return float64(top) + ph - v/maxY*ph }

	series := map[string][]Row{}
	var names []string
	for _, r := range rows {
		// A variant ("default, delay 30s") is a series of its own, not a
		// point on the preStop line.
		k := r.Front + " " + r.Client
		if _, variant, ok := strings.Cut(r.Label, ", "); ok {
			k += ", " + variant
		}
		if _, ok := series[k]; !ok {
			names = append(names, k)
		}
		series[k] = append(series[k], r)
	}
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15">%s</text>`+"\n", left, html.EscapeString(title))
	// Axes and grid.
	for i := 0; i <= 4; i++ {
		v := maxY * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", left, y(v), w-right, y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s%%</text>`+"\n", left-6, y(v)+4, trim(v))
	}
	for v := 0.0; v <= maxX+1e-9; v += 0.25 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x(v), h-bottom+18, trim(v))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, h-bottom, w-right, h-bottom)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, top, left, h-bottom)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black" stroke-dasharray="4 4"/>`+"\n", x(1), top, x(1), h-bottom)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">bound</text>`+"\n", x(1), top-6)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">preStop / bound</text>`+"\n", float64(left)+pw/2, h-bottom+40)
	fmt.Fprintf(&b, `<text x="18" y="%.1f" text-anchor="middle" transform="rotate(-90 18 %.1f)">requests lost during the rollout (%% of sent)</text>`+"\n", float64(top)+ph/2, float64(top)+ph/2)
	for i, name := range names {
		c := colors[i%len(colors)]
		pts := series[name]
		sort.Slice(pts, func(a, b int) bool { return pts[a].Ratio() < pts[b].Ratio() })
		var path []string
		for _, r := range pts {
			path = append(path, fmt.Sprintf("%.1f,%.1f", x(r.Ratio()), y(lossPct(r))))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", c, strings.Join(path, " "))
		for _, r := range pts {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s %s %s: preStop %.1fs, %d of %d lost</title></circle>`+"\n",
				x(r.Ratio()), y(lossPct(r)), c, html.EscapeString(r.Front), html.EscapeString(r.Client), html.EscapeString(r.Label),
				r.PreStop.Seconds(), r.Lost, r.Requests)
		}
		ly := top + 20*i
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", w-right+15, ly, w-right+40, ly, c)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", w-right+46, ly+4, html.EscapeString(name))
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

func lossPct(r Row) float64 {
	if r.Requests == 0 {
		return 0
	}
	return 100 * float64(r.Lost) / float64(r.Requests)
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func trim(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
