package workload

import (
	"testing"
	"time"

	"github.com/eksbalance/eksbalance/serve"
)

// The env the template sets must be accepted by the app-side library as is,
// for both fronts, and carry the same numbers.
func TestTemplateEnvIsAcceptedByServe(t *testing.T) {
	t.Parallel()
	for _, front := range []Front{FrontNLB, FrontALB} {
		a := Args{Front: front}
		a.SetDefaults("web")
		tm := a.Timing()
		env := tm.Env()
		opts, err := serve.OptionsFromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("%s: serve rejects the template's env %v: %v", front, env, err)
		}
		if opts.LBIdleTimeout != tm.LB.IdleTimeout || opts.IdleTimeout != tm.BackendKeepAlive {
			t.Errorf("%s: serve read LB idle %v keepalive %v, template derived %v and %v",
				front, opts.LBIdleTimeout, opts.IdleTimeout, tm.LB.IdleTimeout, tm.BackendKeepAlive)
		}
		if opts.DrainTimeout != tm.DrainTime.Round(time.Second) {
			t.Errorf("%s: drain %v, template %v", front, opts.DrainTimeout, tm.DrainTime)
		}
		if opts.IdleTimeout <= opts.LBIdleTimeout {
			t.Errorf("%s: backend keepalive %v not above the LB idle %v", front, opts.IdleTimeout, opts.LBIdleTimeout)
		}
	}
}
