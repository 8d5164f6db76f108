package sandbox

import (
	"strings"
)

// StartError means the server was built but did not start serving: it
// exited, was killed, or never accepted connections on its port.
type StartError struct {
	Reason    string // e.g. "the server exited with code 1 before it listened"
	ExitCode  int    // -1 when it did not exit
	OOMKilled bool
	Port      int    // the port it was told to use
	Output    string // the last lines of its output
	// Hint says what coach recognised in the output (a database it tried
	// to reach); Diagnose fills it.
	Hint string
	// Full is the whole output as kept, for the server log; Output when empty.
	Full []byte
	// Log is the file holding the whole output, "" when not kept.
	Log string
}

func (e *StartError) Error() string {
	msg := e.Reason
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += "\n\nlast lines of its output:\n" + out
	}
	if e.Log != "" {
		msg += "\n\nits whole output: " + e.Log
	}
	return msg
}

// EngineError means the sandbox itself failed (Docker unreachable, an image
// missing, a container that could not be created, a registry the build
// could not reach). Not the learner's fault.
type EngineError struct {
	Op  string
	Err error
	// Advice tells the user what to do, e.g. how to start Docker.
	Advice string
	// Host is what the build could not reach (registry.npmjs.org:443),
	// when the failure was the network's.
	Host string
	// Log is the file holding the whole build output, "" when not kept.
	Log string
}

func (e *EngineError) Error() string {
	msg := e.Op
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Advice != "" {
		msg += "\n" + e.Advice
	}
	if e.Log != "" {
		msg += "\nthe whole build output: " + e.Log
	}
	return msg
}

func (e *EngineError) Unwrap() error { return e.Err }
