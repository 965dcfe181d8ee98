package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/validation"
)

func TestAutoModeInputs(t *testing.T) {
	t.Parallel()
	a := validArgs()
	a.AutoMode = true
	c, cl, err := run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	r := c.One(t, eksType, "demo")
	checks := map[string]any{
		"autoMode.enabled":                    true,
		"autoMode.createNodeRole":             true,
		"autoMode.computeConfig.nodePools[0]": NodePoolGeneralPurpose,
		"autoMode.computeConfig.nodePools[1]": NodePoolSystem,
		"authenticationMode":                  "API", // pulumi-eks requires access entries with Auto Mode
		"skipDefaultNodeGroup":                true,
	}
	for path, want := range checks {
		if got, _ := r.Get(path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if !cl.AutoMode {
		t.Error("Cluster.AutoMode not set")
	}
	// The default cluster sends no autoMode at all.
	c, _, err = run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := c.One(t, eksType, "demo").Get("autoMode"); ok {
		t.Errorf("autoMode = %v without Auto Mode", v)
	}
}

// TestZonalShift: the pulumi-eks cluster carries the transform, and the
// transform sets zonalShiftConfig on pulumi-eks's aws.eks.Cluster child and on
// nothing else.
func TestZonalShift(t *testing.T) {
	t.Parallel()
	c, _, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Transforms(c.One(t, eksType, "demo").URN); n != 1 {
		t.Fatalf("eks:index:Cluster registered with %d transforms, want 1 (zonal shift)", n)
	}
	props := pulumi.Map{"name": pulumi.String("demo"), "version": pulumi.String("1.36")}
	res := ZonalShiftTransform(true)(context.Background(), &pulumi.ResourceTransformArgs{Type: EKSClusterType, Name: "demo-eksCluster", Props: props})
	if res == nil {
		t.Fatal("transform left aws:eks/cluster:Cluster unchanged")
	}
	zs, ok := res.Props["zonalShiftConfig"].(pulumi.Map)
	if !ok || zs["enabled"] != pulumi.Bool(true) {
		t.Errorf("zonalShiftConfig = %#v, want {enabled: true}", res.Props["zonalShiftConfig"])
	}
	if res.Props["version"] != pulumi.String("1.36") || len(props) != 2 {
		t.Errorf("transform lost or changed other inputs: %#v (original %#v)", res.Props, props)
	}
	for _, typ := range []string{"eks:index:Cluster", "aws:eks/addon:Addon", "aws:iam/role:Role"} {
		if r := ZonalShiftTransform(true)(context.Background(), &pulumi.ResourceTransformArgs{Type: typ, Props: pulumi.Map{}}); r != nil {
			t.Errorf("transform changed %s", typ)
		}
	}
	off := ZonalShiftTransform(false)(context.Background(), &pulumi.ResourceTransformArgs{Type: EKSClusterType, Props: pulumi.Map{}})
	if off.Props["zonalShiftConfig"].(pulumi.Map)["enabled"] != pulumi.Bool(false) {
		t.Error("zonalShift false is not sent as enabled: false")
	}
}

func TestAutoModeValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		modify func(*Args)
		fields []string
	}{
		{"auto mode default pools", func(a *Args) { a.AutoMode = true }, nil},
		{"auto mode system only", func(a *Args) { a.AutoMode, a.AutoModeNodePools = true, []string{NodePoolSystem} }, nil},
		{"unknown pool", func(a *Args) { a.AutoMode, a.AutoModeNodePools = true, []string{"gpu"} }, []string{"autoModeNodePools[0]"}},
		{"no pool", func(a *Args) { a.AutoMode, a.AutoModeNodePools = true, []string{} }, []string{"autoModeNodePools"}},
		{"pools without auto mode", func(a *Args) { a.AutoModeNodePools = []string{NodePoolSystem} }, []string{"autoModeNodePools"}},
		{"auto mode on 1.28", func(a *Args) { a.AutoMode, a.Version = true, "1.28" }, []string{"version"}},
		{"auto mode on 1.29", func(a *Args) { a.AutoMode, a.Version = true, "1.29" }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			tc.modify(&a)
			a.SetDefaults("demo")
			err := a.Validate()
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			var verr *validation.Errors
			if !errors.As(err, &verr) || strings.Join(verr.Fields(), ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("want problems on %v, got %v", tc.fields, err)
			}
		})
	}
}

func TestVersionWarning(t *testing.T) {
	t.Parallel()
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	today := day("2026-11-29")
	cases := []struct {
		version string
		on      time.Time
		warn    string // fragment; "" = no warning
	}{
		{DefaultVersion, today, ""},
		{"1.35", today, ""},
		{"1.34", today, ""}, // ends 2026-12-02
		{"1.34", day("2026-12-02"), "left EKS standard support on 2026-12-02"}, // the day itself is billed
		{"1.34", day("2026-12-01"), ""},
		{"1.33", today, "left EKS standard support on 2026-07-29"},
		{"1.28", today, "older than every version"},
		{"1.39", today, ""}, // newer than the calendar: assumed supported
	}
	for _, tc := range cases {
		got := VersionWarning(tc.version, tc.on)
		if (tc.warn == "") != (got == "") || !strings.Contains(got, tc.warn) {
			t.Errorf("VersionWarning(%s, %s) = %q, want %q", tc.version, tc.on.Format(time.DateOnly), got, tc.warn)
		}
	}
	// The default must have runway: at least six months of standard support
	// left today, or it is time to move the default.
	end, ok := EndOfStandardSupport(DefaultVersion)
	if !ok || end.Before(today.AddDate(0, 6, 0)) {
		t.Errorf("DefaultVersion %s ends standard support %s: less than six months after %s", DefaultVersion, end.Format(time.DateOnly), today.Format(time.DateOnly))
	}
	for v := range eksCalendar {
		if minorOf(v) > minorOf(DefaultVersion) {
			t.Errorf("calendar lists %s, newer than DefaultVersion %s", v, DefaultVersion)
		}
	}
}
