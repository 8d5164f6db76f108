package sandbox

import (
	"fmt"
	"strings"
)

// BuildError means the learner's code did not build. Output holds the
// build's own output (compiler errors), trimmed to its last lines.
type BuildError struct {
	Runtime string
	Output  string
	Err     error
}

func (e *BuildError) Error() string {
	msg := fmt.Sprintf("your %s code did not build", e.Runtime)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += "\n\n" + out
	}
	return msg
}

func (e *BuildError) Unwrap() error { return e.Err }

// StartError means the server was built but did not start serving: it
// exited, was killed, or never accepted connections on its port.
type StartError struct {
	Reason    string // e.g. "the server exited with code 1 before it listened"
	ExitCode  int    // -1 when it did not exit
	OOMKilled bool
	Port      int    // the port it was told to use
	Output    string // the last lines of its output
}

func (e *StartError) Error() string {
	msg := e.Reason
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += "\n\nlast lines of its output:\n" + out
	}
	return msg
}

// EngineError means the sandbox itself failed (Docker unreachable, an image
// missing, a container that could not be created). Not the learner's fault.
type EngineError struct {
	Op  string
	Err error
	// Advice tells the user what to do, e.g. how to start Docker.
	Advice string
}

func (e *EngineError) Error() string {
	msg := e.Op
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Advice != "" {
		msg += "\n" + e.Advice
	}
	return msg
}

func (e *EngineError) Unwrap() error { return e.Err }

// WorkspaceError means coach could not tell how to build and run the
// workspace (wrong directory, conflicting or malformed coach.yaml).
type WorkspaceError struct {
	Dir string
	Msg string
}

func (e *WorkspaceError) Error() string { return e.Msg }
