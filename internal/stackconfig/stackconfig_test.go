package stackconfig

import (
	"strings"
	"testing"

	"github.com/eksbalance/eksbalance/internal/validation"
)

type sizes struct {
	Min     *int `json:"min"`
	Desired *int `json:"desired"`
	Max     *int `json:"max"`
}

type vpc struct {
	VpcID   string `json:"vpcId"`
	Subnets []struct {
		ID   string `json:"id"`
		Zone string `json:"zone"`
	} `json:"subnets"`
}

// read declares the keys a small program knows and returns the problems.
func read(cfg map[string]string) (*validation.Errors, sizes, []string) {
	v := validation.New("stack config")
	r := New(FromMap(cfg), "app", v)
	r.Renamed("old", "zoneCount")
	_ = r.Int("zoneCount", 3)
	_ = r.Bool("public", false)
	_ = r.Enum("nat", "perZone", "perZone", "single", "none")
	types := r.Strings("instanceTypes", "[t3.large]")
	var s sizes
	r.Object("nodesPerZone", &s, "{min: 1, max: 3}")
	var net vpc
	r.Object("existingVpc", &net, "{vpcId: vpc-1}")
	r.Done()
	return v, s, types
}

func rule(t *testing.T, v *validation.Errors, field string) string {
	t.Helper()
	for _, p := range v.Problems {
		if p.Field == field {
			return p.Rule
		}
	}
	t.Fatalf("no problem on %s: %v", field, v)
	return ""
}

func TestValidConfigReads(t *testing.T) {
	t.Parallel()
	v, s, types := read(map[string]string{
		"app:zoneCount": "2", "app:public": "true", "app:nat": "single",
		"app:instanceTypes": `["t3.large","m6i.large"]`, "app:nodesPerZone": `{"min":1,"max":4}`,
		"app:existingVpc": `{"vpcId":"vpc-1","subnets":[{"id":"s-1","zone":"a"}]}`,
		"aws:region":      "eu-west-1", // other namespaces are not this reader's
	})
	if v.Err() != nil {
		t.Fatal(v)
	}
	if *s.Min != 1 || s.Desired != nil || *s.Max != 4 || len(types) != 2 {
		t.Errorf("read %+v %v", s, types)
	}
}

func TestUnknownKeysSuggestTheClosest(t *testing.T) {
	t.Parallel()
	v, _, _ := read(map[string]string{"app:nodesPerZon": "{}", "app:instancetypes": "[]", "app:colour": "red", "app:old": "3"})
	for field, want := range map[string]string{
		"app:nodesPerZon":   "did you mean app:nodesPerZone?",
		"app:instancetypes": "did you mean app:instanceTypes?",
		"app:colour":        "(known: existingVpc, instanceTypes, nat, nodesPerZone, public, zoneCount)",
		"app:old":           "was renamed app:zoneCount",
	} {
		if got := rule(t, v, field); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
	if len(v.Problems) != 4 {
		t.Errorf("want 4 problems at once: %v", v)
	}
}

func TestNestedFieldsAreStrict(t *testing.T) {
	t.Parallel()
	v, _, _ := read(map[string]string{
		"app:nodesPerZone": `{"min":1,"desird":2,"max":"three"}`,
		"app:existingVpc":  `{"vpcId":"vpc-1","subnets":[{"id":"s-1","zon":"a"},{"id":7}]}`,
	})
	for field, want := range map[string]string{
		"app:nodesPerZone.desird":        "did you mean desired? (fields: desired, max, min)",
		"app:nodesPerZone.max":           "must be a whole number",
		"app:existingVpc.subnets[0].zon": "did you mean zone?",
		"app:existingVpc.subnets[1].id":  "must be a string",
	} {
		if got := rule(t, v, field); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
}

func TestTypeErrorsSayWhatTheKeyMustBe(t *testing.T) {
	t.Parallel()
	v, _, _ := read(map[string]string{
		"app:instanceTypes": "t3.large", "app:nodesPerZone": "[1,2]", "app:zoneCount": "three",
		"app:public": "yes", "app:nat": "Single",
	})
	for field, want := range map[string]string{
		"app:instanceTypes": "must be a list of strings, e.g. [t3.large]",
		"app:nodesPerZone":  "must be a map with the fields desired, max, min",
		"app:zoneCount":     "must be a whole number, e.g. 3",
		"app:public":        "must be true or false",
		"app:nat":           "must be one of perZone, single, none; did you mean single?",
	} {
		if got := rule(t, v, field); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
	if strings.Contains(v.Error(), "invalid character") {
		t.Errorf("a JSON decoder message leaked: %v", v)
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"desired", "desird", 1}, {"single", "singel", 1}, {"zones", "zone", 1}, {"nat", "vpcCidr", 7}, {"", "abc", 3}} {
		if got := distance(tc.a, tc.b); got != tc.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
	if got := Closest("zoneCnt", []string{"zones", "zoneCount", "nat"}); got != "zoneCount" {
		t.Errorf("closest = %q", got)
	}
	if got := Closest("colour", []string{"zones", "nat"}); got != "" {
		t.Errorf("closest of an unrelated word = %q, want none", got)
	}
}
