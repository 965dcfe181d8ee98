package validation

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorsCollectAndFormat(t *testing.T) {
	t.Parallel()
	v := New("network")
	if v.Err() != nil {
		t.Fatal("empty Errors must be a nil error")
	}
	v.Add("zoneCount", 1, "must be between %d and %d", 2, 6)
	v.Add("cidr", "10.0.0.0", "must be an IPv4 CIDR")
	err := v.Err()
	want := "invalid network (2 problems):\n  - zoneCount: 1: must be between 2 and 6\n  - cidr: 10.0.0.0: must be an IPv4 CIDR"
	if err == nil || err.Error() != want {
		t.Fatalf("got %q\nwant %q", err, want)
	}
	if !v.Has("cidr") || v.Has("nat") {
		t.Errorf("Has: cidr %v nat %v", v.Has("cidr"), v.Has("nat"))
	}
}

func TestMergePrefixesFields(t *testing.T) {
	t.Parallel()
	inner := New("cluster")
	inner.Add("version", "2.0", "must be 1.28 to 1.39")
	outer := New("stack config")
	outer.Merge("cluster", inner.Err())
	outer.Merge("nodes", nil)
	outer.Merge("raw", fmt.Errorf("boom"))
	if got := strings.Join(outer.Fields(), ","); got != "cluster.version,raw" {
		t.Fatalf("fields = %s", got)
	}
	var e *Errors
	if !errors.As(outer.Err(), &e) || len(e.Problems) != 2 {
		t.Fatalf("merged = %v", outer.Err())
	}
	if !strings.Contains(outer.Err().Error(), "(2 problems)") {
		t.Errorf("count missing: %v", outer.Err())
	}
	one := New("x")
	one.Add("f", 1, "r")
	if !strings.Contains(one.Error(), "(1 problem)") {
		t.Errorf("singular: %q", one.Error())
	}
}
