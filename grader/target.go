package grader

import (
	"context"
	"net"
	"syscall"
	"time"
)

// Target is how the grader reaches and observes the server under test. The
// grader defines it; sandbox backends (docker, process, url) satisfy it
// without importing this package.
type Target interface {
	// BaseURL is the URL the learner would use to reach their own server,
	// e.g. "http://localhost:8080". It is used for request URLs (the host
	// part is only informative when DialContext routes elsewhere) and for
	// the copy-pasteable curl lines in failure output.
	BaseURL() string
	// DialContext opens a connection to the server. Every request the
	// grader sends goes through it, whatever the address in BaseURL says.
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	// LogMark is the total number of bytes the server has written to its
	// combined stdout and stderr so far.
	LogMark() int64
	// LogsSince returns the server output written after mark. When output
	// was capped or dropped, what is left is returned.
	LogsSince(mark int64) []byte
}

// Restarter is a Target that can stop and start the server again, keeping
// its data directory.
type Restarter interface {
	Restart(ctx context.Context) error
}

// Signaler is a Target that can deliver a signal to the server process and
// observe how it exits.
type Signaler interface {
	Signal(ctx context.Context, sig syscall.Signal) error
	// WaitExit waits until the server has exited, or until timeout passes.
	// exited is false when it was still running at the deadline. Plain
	// values (not a struct of this package) let backends satisfy this
	// interface without importing the grader.
	WaitExit(ctx context.Context, timeout time.Duration) (code int, exited bool, err error)
}

// StateReporter is a Target that can say whether the server still runs,
// so a failure after a crash names the crash instead of its symptom (a
// refused or closed connection).
type StateReporter interface {
	ServerState(ctx context.Context) (ServerState, error)
}

// ServerState is what a backend knows of the server process. It is an
// alias of an unnamed struct type, so a backend can return the identical
// struct (declared on its side) without importing the grader.
type ServerState = struct {
	Running     bool
	ExitCode    int   // when not running; 128+N after signal N
	OOMKilled   bool  // killed by the kernel for exceeding its memory limit
	MemoryLimit int64 // bytes; 0 when there is none or it is unknown
}

// OutputHider is a Target that cannot see the server's output (a server
// the learner runs themselves), so "it printed nothing" would be untrue.
type OutputHider interface {
	OutputHidden() bool
}
