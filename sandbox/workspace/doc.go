// Package workspace is what a learner's folder is, before any backend
// touches it: the runtime detected (Node, Go, Python or a Dockerfile) and
// how to install, build and start it, coach.yaml's settings and services,
// and the reproducible tarball of its files sent to a build. Detection's
// failures are an Error (the folder is not one coach can check) or a
// BuildError (the code cannot build, found before any build).
//
// It imports no other part of coach: the sandbox and every backend import
// it.
package workspace
