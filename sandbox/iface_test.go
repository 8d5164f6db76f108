package sandbox_test

import (
	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/sandbox/docker"
	"github.com/coachcli/coach/sandbox/process"
	"github.com/coachcli/coach/sandbox/urltarget"
)

// The Docker instance is everything the grader can drive: checked here, in
// a test, so the sandbox package itself never imports the grader.
var (
	_ grader.Target    = (*docker.Instance)(nil)
	_ grader.Restarter = (*docker.Instance)(nil)
	_ grader.Signaler  = (*docker.Instance)(nil)

	_ grader.ImageInspector = (*docker.Instance)(nil)
	_ grader.Target         = (*process.Instance)(nil)
	_ grader.Restarter      = (*process.Instance)(nil)
	_ grader.Signaler       = (*process.Instance)(nil)
	_ grader.Target         = (*urltarget.Instance)(nil)
)
