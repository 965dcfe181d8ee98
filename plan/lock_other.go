//go:build !unix

package plan

// lockDir is a no-op where flock is not available; concurrent plans of one
// program should then use separate Options.BuildDir values.
func lockDir(string) (func(), error) { return func() {}, nil }
