// Package process is the --sandbox process backend: the learner's server
// built and run on this machine as a plain process group, not isolated (it
// can read and write whatever the user can). It exists for learners
// without Docker. Its Instance satisfies grader.Target, Restarter and
// Signaler.
package process
