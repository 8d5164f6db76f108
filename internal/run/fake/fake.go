// Package fake is a sandbox backend for tests where the engine is not the
// point: it serves an http.Handler on a loopback port of this machine (a
// real server, real HTTP) instead of building and starting a workspace.
package fake

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/coachcli/coach/internal/run"
	"github.com/coachcli/coach/sandbox"
)

// Backend starts Handler for every request; with StartErr set, Start
// fails with it instead (a build or start failure).
type Backend struct {
	Handler  http.Handler
	StartErr error

	mu     sync.Mutex
	starts int
	specs  []sandbox.Spec
	live   int
}

var _ run.Backend = (*Backend)(nil)

// Opener is an opener that hands out b whatever the request's kind.
func (b *Backend) Opener() run.Opener {
	return func(context.Context, run.StepRequest) (run.Backend, error) { return b, nil }
}

// Start serves the handler on a fresh loopback port. What the handler
// writes to Log(r) is the server's output.
func (b *Backend) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	b.mu.Lock()
	b.starts++
	b.specs = append(b.specs, spec)
	b.mu.Unlock()
	if b.StartErr != nil {
		return nil, b.StartErr
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	in := &Instance{ln: ln, b: b}
	in.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.Handler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), logKey{}, in)))
	})}
	b.mu.Lock()
	b.live++
	b.mu.Unlock()
	go func() { _ = in.srv.Serve(ln) }()
	return in, nil
}

// Starts is how many servers were asked for.
func (b *Backend) Starts() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.starts
}

// Specs are the specs servers were asked for, in order.
func (b *Backend) Specs() []sandbox.Spec {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]sandbox.Spec(nil), b.specs...)
}

// Live is how many servers are still running (not closed).
func (b *Backend) Live() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.live
}

type logKey struct{}

// Log is the output of the server serving r: what a handler writes there
// is the server's log, as a real server's stdout would be.
func Log(r *http.Request) io.Writer {
	in, _ := r.Context().Value(logKey{}).(*Instance)
	if in == nil {
		return io.Discard
	}
	return in
}

// Instance is one running fake server.
type Instance struct {
	ln     net.Listener
	srv    *http.Server
	b      *Backend
	mu     sync.Mutex
	log    bytes.Buffer
	closed bool
}

var _ sandbox.Instance = (*Instance)(nil)

// Write adds to the server's output.
func (in *Instance) Write(p []byte) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.log.Write(p)
}

// BaseURL is the server's address.
func (in *Instance) BaseURL() string { return "http://" + in.ln.Addr().String() }

// DialContext connects to the server.
func (in *Instance) DialContext(ctx context.Context, network, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, in.ln.Addr().String())
}

// LogMark is how much the server has written.
func (in *Instance) LogMark() int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return int64(in.log.Len())
}

// LogsSince is what the server wrote after mark.
func (in *Instance) LogsSince(mark int64) []byte {
	in.mu.Lock()
	defer in.mu.Unlock()
	b := in.log.Bytes()
	if mark < 0 || mark > int64(len(b)) {
		mark = 0
	}
	return append([]byte(nil), b[mark:]...)
}

// Kind names the backend.
func (in *Instance) Kind() string { return "fake" }

// Close stops the server; it is safe to call more than once.
func (in *Instance) Close(ctx context.Context) error {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return nil
	}
	in.closed = true
	in.mu.Unlock()
	in.b.mu.Lock()
	in.b.live--
	in.b.mu.Unlock()
	if err := in.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
