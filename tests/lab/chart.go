package lab

import (
	"fmt"
	"html"
	"math"
	"os"
	"strings"
	"time"
)

// ShareChart is a line chart of each pod's share of requests per time window,
// rendered as a self-contained SVG: how a scale-out's new pods come (or never
// come) to carry their share.
type ShareChart struct {
	// Title heads the chart.
	Title string
	// Window is the length of one window; x is time in windows x Window.
	Window time.Duration
	// Pods names the lines; New marks the pods added by the scale-out.
	Pods []string
	New  map[string]bool
	// Shares is [window][pod]; NaN where the pod did not run.
	Shares [][]float64
	// Fair is the mean share per window (1/pods running), drawn dashed.
	Fair []float64
	// Model is the model's expected share of a new pod per window, NaN
	// where it does not apply, drawn dotted.
	Model []float64
	// ScaleOutAt is the window index at which the new pods were up; <0 for none.
	ScaleOutAt float64
}

// WriteFile writes the chart to path.
func (c ShareChart) WriteFile(path string) error {
	return os.WriteFile(path, []byte(c.SVG()), 0o644)
}

// SVG renders the chart.
func (c ShareChart) SVG() string {
	const w, h, left, right, top, bottom = 860.0, 420.0, 60.0, 190.0, 40.0, 50.0
	pw, ph := w-left-right, h-top-bottom
	n := len(c.Shares)
	ymax := 0.0
	for _, row := range c.Shares {
		for _, x := range row {
			if !math.IsNaN(x) {
				ymax = max(ymax, x)
			}
		}
	}
	ymax = math.Ceil(ymax*10+0.5) / 10
	if ymax <= 0 {
		ymax = 1
	}
	x := func(i float64) float64 { return left + pw*i/math.Max(float64(n), 1) }
	y := func(v float64) float64 { return top + ph*(1-v/ymax) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="14">%s</text>`+"\n", left, html.EscapeString(c.Title))
	// Axes and grid.
	for v := 0.0; v <= ymax+1e-9; v += 0.1 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, y(v), left+pw, y(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%.0f%%</text>`+"\n", left-6, y(v)+4, 100*v)
	}
	step := max(1, n/10)
	for i := 0; i <= n; i += step {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x(float64(i)), top+ph+16, time.Duration(i)*c.Window)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">time (share per %s window)</text>`+"\n", left+pw/2, h-10, c.Window)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", left, top+ph, left+pw, top+ph)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", left, top, left, top+ph)
	if c.ScaleOutAt >= 0 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888" stroke-width="2"/>`+"\n", x(c.ScaleOutAt), top, x(c.ScaleOutAt), top+ph)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">scale-out</text>`+"\n", x(c.ScaleOutAt)+4, top+12)
	}
	line := func(vals []float64, style string) {
		var pts []string
		flush := func() {
			if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" %s points="%s"/>`+"\n", style, strings.Join(pts, " "))
			}
			pts = nil
		}
		for i, v := range vals {
			if math.IsNaN(v) {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(float64(i)+0.5), y(v)))
		}
		flush()
	}
	line(c.Fair, `stroke="black" stroke-dasharray="6,4" stroke-width="1.5"`)
	if len(c.Model) > 0 {
		line(c.Model, `stroke="black" stroke-dasharray="2,3" stroke-width="2"`)
	}
	old := []string{"#1f4e79", "#2e75b6", "#5b9bd5", "#9dc3e6", "#203864", "#8faadc"}
	fresh := []string{"#c55a11", "#ed7d31", "#f4b183", "#bf9000", "#ffc000", "#843c0c"}
	no, nn := 0, 0
	ly := top + 10
	for p, name := range c.Pods {
		col := old[no%len(old)]
		if c.New[name] {
			col = fresh[nn%len(fresh)]
			nn++
		} else {
			no++
		}
		vals := make([]float64, n)
		for i := range c.Shares {
			vals[i] = c.Shares[i][p]
		}
		line(vals, fmt.Sprintf(`stroke="%s" stroke-width="2"`, col))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="3"/>`+"\n", w-right+10, ly, w-right+30, ly, col)
		label := name
		if c.New[name] {
			label += " (new)"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", w-right+36, ly+4, html.EscapeString(label))
		ly += 18
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black" stroke-dasharray="6,4"/>`+"\n", w-right+10, ly, w-right+30, ly)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">mean share</text>`+"\n", w-right+36, ly+4)
	if len(c.Model) > 0 {
		ly += 18
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black" stroke-dasharray="2,3" stroke-width="2"/>`+"\n", w-right+10, ly, w-right+30, ly)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">model: new pod</text>`+"\n", w-right+36, ly+4)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
