package sandbox

import (
	"context"
	"errors"
	"time"
)

// ServerState is what a backend knows of the server process. It is an
// alias of an unnamed struct type identical to grader.ServerState, so the
// instances satisfy grader.StateReporter without this package importing
// the grader.
type ServerState = struct {
	Running     bool
	ExitCode    int   // when not running; 128+N after signal N
	OOMKilled   bool  // killed by the kernel for exceeding its memory limit
	MemoryLimit int64 // bytes; 0 when there is none or it is unknown
}

// stateDrainWait bounds the wait for a stopped server's last output.
const stateDrainWait = 200 * time.Millisecond

// ServerState reports whether the server process still runs and, when it
// does not, how it ended, once its output has all arrived.
func (pi *ProcessInstance) ServerState(context.Context) (ServerState, error) {
	r := pi.run.Load()
	if r == nil {
		return ServerState{}, errors.New("the server was never started")
	}
	if !r.exited() {
		return ServerState{Running: true}, nil
	}
	// Its last output is what explains the exit: let the pipe drain. A
	// child still holding it would keep it open, so the wait is short: it
	// is paid after every test while the server is down.
	t := time.NewTimer(stateDrainWait)
	defer t.Stop()
	select {
	case <-r.drained:
	case <-t.C:
	}
	code, _ := processExitVerdict(r.state)
	return ServerState{ExitCode: code}, nil
}
