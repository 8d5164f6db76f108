package sandbox

import (
	"context"
	"io"
	"net"
	"time"

	"github.com/coachcli/coach/sandbox/workspace"
)

// Spec says what to run and how.
type Spec struct {
	Workspace *workspace.Workspace
	// Port is the PORT the server is told to listen on.
	Port int
	// Env is extra environment for the server (from the exercise). PORT and
	// DATA_DIR are set by the backend.
	Env map[string]string
	// BuildTimeout and StartTimeout bound the build and the wait for the
	// port to accept connections.
	BuildTimeout time.Duration
	StartTimeout time.Duration
	// OutputCap bounds how much server output is kept in memory.
	OutputCap int
	// Progress receives human-readable progress lines (building, pulling).
	// Nil means discard.
	Progress io.Writer
	// Timings, when set, receives how long the build took.
	Timings *Timings
	// LogDir keeps the whole build and server output (WorkspaceLogDir);
	// "" keeps none.
	LogDir string
}

// Instance is a running server. It satisfies grader.Target.
type Instance interface {
	BaseURL() string
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	LogMark() int64
	LogsSince(mark int64) []byte
	// Kind names the backend: "docker", "process" or "url".
	Kind() string
	// Close stops the server and removes everything the instance created.
	// It is safe to call more than once.
	Close(ctx context.Context) error
}

const (
	// DefaultPort is the PORT coach gives the server unless told otherwise.
	DefaultPort = 8080
	// DefaultOutputCap is how much server output is kept (the tail).
	DefaultOutputCap = 1 << 20
)

// ProgressWriter is where a backend writes progress lines: Progress, or
// io.Discard when it is nil.
func (s Spec) ProgressWriter() io.Writer { return OrDiscard(s.Progress) }

// OrDiscard is w, or io.Discard when w is nil.
func OrDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// DefaultStartTimeout bounds the wait for the server's port when the spec
// does not say.
const DefaultStartTimeout = 20 * time.Second
