// Package urltarget is the --url backend: a server the learner runs
// themselves, which coach neither builds nor starts and whose output it
// cannot see. Its Instance satisfies grader.Target but has no Restart or
// Signal, so the grader reports the tests that need them as not checkable.
package urltarget

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coachcli/coach/sandbox"
)

// Error means the --url the user gave is not one coach can check. Like
// workspace.Error it is the user's to fix, and the message says how.
type Error struct {
	URL string
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// urlExample ends every Error, so the fix is one copy away.
const urlExample = "e.g. --url http://localhost:3000"

// Target is a server the learner runs themselves. coach neither builds
// nor starts it and cannot see its output, restart it or signal it.
type Target struct {
	base string // without a trailing slash
	host string // host:port to dial
	port int
}

// New validates raw as the address of a learner's server: plain http
// with a host and a port.
func New(raw string) (*Target, error) {
	fail := func(format string, a ...any) error {
		return &Error{URL: raw, Msg: fmt.Sprintf(format, a...) + " (" + urlExample + ")"}
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, fail("--url is empty: give the address of your running server")
	}
	if !strings.Contains(s, "://") {
		return nil, fail("%q has no scheme: did you mean http://%s?", raw, s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fail("%q is not a valid URL", raw)
	}
	switch {
	case u.Scheme == "https":
		return nil, fail("%q uses https: coach checks your server over plain http, so give its http:// address", raw)
	case u.Scheme != "http":
		return nil, fail("%q is not an http:// URL", raw)
	case u.User != nil:
		return nil, fail("%q contains a user name or password, which coach does not use", raw)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fail("%q has a query or fragment: give only the server's address", raw)
	case u.Hostname() == "":
		return nil, fail("%q has no host", raw)
	case u.Port() == "":
		return nil, fail("%q has no port: add the port your server listens on", raw)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || port < 1 || port > 65535 {
		return nil, fail("%q has an invalid port %q", raw, u.Port())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return &Target{base: u.String(), host: u.Host, port: port}, nil
}

// urlRefusedGrace is how long a refused connection is retried: a server
// that is not running refuses at once, and a learner should hear that in
// about a second, not after the whole start timeout.
const urlRefusedGrace = time.Second

// Start checks that something accepts connections at the URL within
// spec.StartTimeout, or within a second when connections are refused
// (nothing listens there); only Port, StartTimeout and Progress of spec
// are used.
func (t *Target) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	timeout := spec.StartTimeout
	if timeout <= 0 {
		timeout = sandbox.DefaultStartTimeout
	}
	fmt.Fprintf(spec.ProgressWriter(), "checking your server at %s (coach cannot see its output)\n", t.base)
	inst := &Instance{base: t.base, host: t.host}
	var mu sync.Mutex
	refused := false // some dial was refused: nothing listens there
	probe := func(ctx context.Context) error {
		dctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		conn, err := inst.DialContext(dctx, "tcp", t.host)
		if errors.Is(err, syscall.ECONNREFUSED) {
			mu.Lock()
			refused = true
			mu.Unlock()
		}
		if err != nil {
			return err
		}
		return conn.Close()
	}
	err := sandbox.WaitReady(ctx, min(urlRefusedGrace, timeout), nil, probe)
	mu.Lock()
	wasRefused := refused
	mu.Unlock()
	if errors.Is(err, sandbox.ErrNotReady) && !wasRefused && timeout > urlRefusedGrace {
		// Not refused (a slow network, a firewall dropping packets): wait
		// the rest of the start timeout.
		err = sandbox.WaitReady(ctx, timeout-urlRefusedGrace, nil, probe)
	}
	switch {
	case err == nil:
		return inst, nil
	case errors.Is(err, sandbox.ErrNotReady):
		reason := fmt.Sprintf("nothing listens on %s: start your server first", t.host)
		if !wasRefused {
			reason = fmt.Sprintf("nothing at %s accepted a connection within %s: is the address right, and is your server running?", t.base, timeout)
		}
		return nil, &sandbox.StartError{Reason: reason, ExitCode: -1, Port: t.port}
	default:
		return nil, fmt.Errorf("wait for %s: %w", t.base, err)
	}
}

// Instance is a learner-run server reached at a URL. It has no Restart
// or Signal methods on purpose: the grader reports the tests that need them
// as not checkable.
type Instance struct {
	base string
	host string
}

// BaseURL is the URL the user gave, without a trailing slash.
func (u *Instance) BaseURL() string { return u.base }

// DialContext connects to the URL's host and port, whatever addr says.
func (u *Instance) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", u.host)
}

// LogMark is always 0: coach cannot see the server's output.
func (u *Instance) LogMark() int64 { return 0 }

// LogsSince is always nil: coach cannot see the server's output.
func (u *Instance) LogsSince(int64) []byte { return nil }

// Kind is "url".
func (u *Instance) Kind() string { return "url" }

// Close does nothing: the server is the learner's to stop.
func (u *Instance) Close(context.Context) error { return nil }

// OutputHidden is true: coach cannot see the output of a server the
// learner runs themselves.
func (u *Instance) OutputHidden() bool { return true }
