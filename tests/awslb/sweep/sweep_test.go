package sweep

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

func rows() []Row {
	b := 120 * time.Second
	mk := func(client, label string, ratio float64, lost int) Row {
		return Row{Front: "NLB", Client: client, Label: label, PreStop: time.Duration(ratio * float64(b)), Bound: b,
			Requests: 1000, Lost: lost, ByKind: map[string]int{"refused": lost}}
	}
	return []Row{mk("fresh", "0.5x", 0.5, 300), mk("fresh", "0.9x", 0.9, 40), mk("fresh", "default", 125.0/120, 0),
		mk("keepalive", "0.5x", 0.5, 250), mk("keepalive", "default, delay 30s", 125.0/120, 7)}
}

func TestTable(t *testing.T) {
	t.Parallel()
	tab := Table(rows(), []string{"refused", "reset"})
	for _, want := range []string{"front", "refused", "reset", "NLB   fresh      0.5x", "60.0s", "120s", "1000", "300"} {
		if !strings.Contains(tab, want) {
			t.Errorf("table lacks %q:\n%s", want, tab)
		}
	}
	if got := strings.Count(tab, "\n"); got != 6 {
		t.Errorf("%d lines, want a header and 5 rows:\n%s", got, tab)
	}
}

// The chart is well-formed SVG with one line per front, client and variant,
// and one point per row.
func TestSVG(t *testing.T) {
	t.Parallel()
	svg := SVG("preStop sweep <lab>", rows())
	d := xml.NewDecoder(strings.NewReader(string(svg)))
	counts := map[string]int{}
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			counts[se.Name.Local]++
		}
	}
	if counts["svg"] != 1 || counts["polyline"] != 3 || counts["circle"] != 5 {
		t.Errorf("elements %v, want 1 svg, 3 polylines (fresh, keepalive, keepalive with the delay variant), 5 circles", counts)
	}
	if !strings.Contains(string(svg), "&lt;lab&gt;") {
		t.Error("title not escaped")
	}
}
