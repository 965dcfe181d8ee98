module github.com/eksbalance/eksbalance/serve

// serve is what an application links: the standard library only, so an app's
// go.mod gains this one small module and nothing else. It is versioned with
// the toolkit (tags vX.Y.Z and serve/vX.Y.Z together); the toolkit's own
// go.mod requires it at the same version and replaces it with ./serve, so the
// two never drift inside the repository.

go 1.26.0
