package serve

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/serve/internal/problems"
)

func validEnv() map[string]string {
	return map[string]string{
		EnvLBIdleTimeout:   "60",
		EnvIdleTimeout:     "75",
		EnvMaxConnAge:      "300",
		EnvMaxConnRequests: "1000",
		EnvShutdownDelay:   "0",
		EnvDrainTimeout:    "25",
	}
}

func TestOptionsFromEnvReadsEveryVariable(t *testing.T) {
	t.Parallel()
	env := validEnv()
	env[EnvShutdownDelay] = " 5 "
	o, err := OptionsFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := Options{LBIdleTimeout: 60 * time.Second, IdleTimeout: 75 * time.Second, MaxConnAge: 300 * time.Second,
		MaxConnRequests: 1000, ShutdownDelay: 5 * time.Second, DrainTimeout: 25 * time.Second}
	if o.LBIdleTimeout != want.LBIdleTimeout || o.IdleTimeout != want.IdleTimeout || o.MaxConnAge != want.MaxConnAge ||
		o.MaxConnRequests != want.MaxConnRequests || o.ShutdownDelay != want.ShutdownDelay || o.DrainTimeout != want.DrainTimeout {
		t.Errorf("got %+v, want %+v", o, want)
	}
}

func TestOptionsFromEnvUnsetMeansDefaults(t *testing.T) {
	t.Parallel()
	o, err := OptionsFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	o.Handler = http.NotFoundHandler()
	d := o.withDefaults()
	if d.IdleTimeout != 355*time.Second || d.DrainTimeout != 20*time.Second || d.ShutdownDelay != 0 ||
		d.MaxConnAge != 0 || d.MaxConnRequests != 0 || d.Addr != ":8080" || d.TCPKeepAlive != 15*time.Second {
		t.Errorf("defaults: %+v", d)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestOptionsFromEnvRejectsEachBadValue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, key, value, field, rule string
	}{
		{"negative", EnvDrainTimeout, "-1", EnvDrainTimeout, "whole number of seconds"},
		{"duration syntax", EnvShutdownDelay, "5s", EnvShutdownDelay, "whole number of seconds"},
		{"fraction", EnvMaxConnAge, "1.5", EnvMaxConnAge, "whole number of seconds"},
		{"not a number", EnvLBIdleTimeout, "sixty", EnvLBIdleTimeout, "whole number of seconds"},
		{"requests negative", EnvMaxConnRequests, "-3", EnvMaxConnRequests, "whole number of requests"},
		{"idle equal to LB's", EnvIdleTimeout, "60", EnvIdleTimeout, "must exceed EKSBALANCE_LB_IDLE_TIMEOUT (60)"},
		{"idle below LB's", EnvIdleTimeout, "30", EnvIdleTimeout, "must exceed EKSBALANCE_LB_IDLE_TIMEOUT (60)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := validEnv()
			env[c.key] = c.value
			_, err := OptionsFromEnv(func(k string) string { return env[k] })
			var ve *problems.List
			if !errors.As(err, &ve) || !ve.Has(c.field) || len(ve.Problems) != 1 {
				t.Fatalf("want exactly one problem on %s, got %v", c.field, err)
			}
			if msg := err.Error(); !strings.Contains(msg, c.value) || !strings.Contains(msg, c.rule) {
				t.Errorf("error %q should name the value %q and the rule %q", msg, c.value, c.rule)
			}
		})
	}
}

func TestOptionsFromEnvReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	env := map[string]string{EnvDrainTimeout: "x", EnvShutdownDelay: "-2", EnvMaxConnRequests: "many"}
	_, err := OptionsFromEnv(func(k string) string { return env[k] })
	var ve *problems.List
	if !errors.As(err, &ve) || len(ve.Problems) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	valid := func() Options {
		return Options{Handler: http.NotFoundHandler(), LBIdleTimeout: 60 * time.Second, IdleTimeout: 75 * time.Second}
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("valid options rejected: %v", err)
	}
	cases := []struct {
		field  string
		break_ func(*Options)
	}{
		{"Handler", func(o *Options) { o.Handler = nil }},
		{"ReadinessPath", func(o *Options) { o.ReadinessPath = "readyz" }},
		{"LivenessPath", func(o *Options) { o.LivenessPath = "/readyz" }},
		{"IdleTimeout", func(o *Options) { o.IdleTimeout = 60 * time.Second }},
		{"IdleTimeout", func(o *Options) { o.IdleTimeout = -time.Second }},
		{"LBIdleTimeout", func(o *Options) { o.LBIdleTimeout = -time.Second }},
		{"MaxConnAge", func(o *Options) { o.MaxConnAge = -time.Second }},
		{"MaxConnRequests", func(o *Options) { o.MaxConnRequests = -1 }},
		{"ShutdownDelay", func(o *Options) { o.ShutdownDelay = -time.Second }},
		{"DrainTimeout", func(o *Options) { o.DrainTimeout = -time.Second }},
		{"ReadHeaderTimeout", func(o *Options) { o.ReadHeaderTimeout = -time.Second }},
	}
	for _, c := range cases {
		o := valid()
		c.break_(&o)
		err := o.Validate()
		var ve *problems.List
		if !errors.As(err, &ve) || !ve.Has(c.field) {
			t.Errorf("want a problem on %s, got %v", c.field, err)
		}
		if _, err := New(o); err == nil {
			t.Errorf("New accepted options broken on %s", c.field)
		}
	}
}

func TestDefaultIdleTimeoutFollowsTheLoadBalancer(t *testing.T) {
	t.Parallel()
	o := Options{Handler: http.NotFoundHandler(), LBIdleTimeout: 400 * time.Second}.withDefaults()
	if o.IdleTimeout != 400*time.Second+IdleMargin {
		t.Errorf("IdleTimeout %v, want 405s (LB's 400s + IdleMargin)", o.IdleTimeout)
	}
}
