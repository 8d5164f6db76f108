// Package sandbox builds and runs a learner's server and hands the grader a
// way to reach it: in Docker containers with no network (the default), as a
// plain host process (not isolated), or at a URL the learner runs already.
//
// Every backend returns an Instance, which satisfies grader.Target (and
// grader.Restarter / grader.Signaler where the backend can do that) without
// this package importing the grader.
package sandbox
