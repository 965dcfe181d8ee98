package live

import (
	"encoding/json"
	"fmt"
	"sort"
)

// CheckSpec compares the spec the component renders with the one in the
// cluster: every field the component wrote must be there with the same value
// (the API server may add defaults of its own).
func CheckSpec(what string, want, got map[string]any) []Mismatch {
	var c checker
	specDiff(&c, what+".spec", normalize(want), normalize(got))
	return c.out
}

func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func specDiff(c *checker, path string, want, got any) {
	switch w := want.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			specDiff(c, path+"."+k, w[k], g[k])
		}
	case []any:
		g, _ := got.([]any)
		if len(g) != len(w) {
			c.eq(path, fmt.Sprintf("%d items", len(w)), fmt.Sprintf("%d items", len(g)))
			return
		}
		for i := range w {
			specDiff(c, fmt.Sprintf("%s[%d]", path, i), w[i], g[i])
		}
	default:
		gs := ""
		if got != nil {
			gs = fmt.Sprint(got)
		}
		c.eq(path, fmt.Sprint(want), gs)
	}
}
