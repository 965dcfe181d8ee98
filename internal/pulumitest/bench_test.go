package pulumitest

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/mockcloud"
)

// program registers a component with a few custom children, the shape of the
// toolkit's components.
func program(ctx *pulumi.Context) error {
	comp := &struct{ pulumi.ResourceState }{}
	if err := ctx.RegisterComponentResource("eksbalance:bench:Component", "c", comp); err != nil {
		return err
	}
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		var r struct{ pulumi.CustomResourceState }
		if err := ctx.RegisterResource("aws:iam/role:Role", "role-"+n, pulumi.Map{
			"assumeRolePolicy": pulumi.String(`{"Version":"2012-10-17"}`),
			"tags":             pulumi.StringMap{"team": pulumi.String("web")},
		}, &r, pulumi.Parent(comp)); err != nil {
			return err
		}
	}
	return nil
}

type plainMocks struct{}

func (plainMocks) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outs := mockcloud.Outputs(a.TypeToken, a.Name, a.Inputs)
	return id, outs, nil
}

func (plainMocks) Call(a pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return mockcloud.Invoke(a.Token, a.Args), nil
}

// BenchmarkRun compares a component test's run against the in-process engine
// (what pulumitest.Run does) with the same program under pulumi.WithMocks
// (the baseline it replaced): go test -run '^$' -bench Run ./internal/pulumitest/
func BenchmarkRun(b *testing.B) {
	b.Run("withMocks", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := pulumi.RunErr(program, pulumi.WithMocks("eksbalance", "test", plainMocks{})); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("engine", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := Run(b, program); err != nil {
				b.Fatal(err)
			}
		}
	})
}
