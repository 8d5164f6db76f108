package workspace

import (
	"fmt"
	"strings"
)

// BuildError means the learner's code did not build: detection returns
// it for what no build gets past (an invalid package.json, Go code without
// go.mod), the backends when the build fails. Output holds the
// build's own output: its first error lines and its last lines.
type BuildError struct {
	Runtime string
	Output  string
	Err     error
	// Hint says what to do when coach recognises the failure.
	Hint string
	// Log is the file holding the whole build output, "" when not kept.
	Log string
}

func (e *BuildError) Error() string {
	msg := fmt.Sprintf("your %s code did not build", e.Runtime)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += "\n\n" + out
	}
	if e.Log != "" {
		msg += "\n\nthe whole build output: " + e.Log
	}
	return msg
}

func (e *BuildError) Unwrap() error { return e.Err }

// ErrorKind says what is wrong with a workspace, for the headline.
type ErrorKind int

const (
	// Invalid: coach.yaml or a setting is wrong.
	Invalid ErrorKind = iota
	// Missing: nothing in the folder is a project coach knows.
	Missing
	// NoStart: a project, but coach can't tell how to start it.
	NoStart
	// Unsupported: a project coach cannot install (Pipfile).
	Unsupported
	// TooLarge: too big to send to the sandbox.
	TooLarge
)

// Error means coach could not tell how to build and run the
// workspace (wrong directory, conflicting or malformed coach.yaml).
type Error struct {
	Dir  string
	Kind ErrorKind
	// File is the file coach read to decide, "" when none.
	File string
	Msg  string
	// Hint says what to do.
	Hint string
}

func (e *Error) Error() string {
	if e.Hint == "" {
		return e.Msg
	}
	return e.Msg + "\n" + e.Hint
}
