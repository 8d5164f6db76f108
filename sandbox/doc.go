// Package sandbox is the contract between the check pipeline and the
// backends that build and run a learner's server: Spec (what to run),
// Instance (a running server, which satisfies grader.Target without this
// package importing the grader), the typed failures (BuildError lives with
// the workspace; StartError, EngineError, WrongPortError here), the one
// readiness loop (WaitReady) and the logs and diagnosis every backend
// shares.
//
// The backends are its subpackages: docker (the default, isolated),
// process (a plain host process) and urltarget (a server the learner runs
// already); workspace is what a learner's folder is. docs/sandbox-split.md
// draws the graph.
package sandbox
