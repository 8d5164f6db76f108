package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Verdicts of WaitReady, checked with errors.Is (and errors.As for a
// *WrongPortError). Backends turn them into a StartError that says what the
// learner must fix.
var (
	// ErrExited means the server exited before it accepted a connection.
	ErrExited = errors.New("the server exited before it accepted connections")
	// ErrNotReady means the timeout passed without a successful probe.
	ErrNotReady = errors.New("the server did not accept connections in time")
)

// WrongPortError is a probe's finding that the server listens on other
// ports and not on its $PORT. Returned by a probe it is a guess that may
// still change; returned by WaitReady it held for wrongPortGrace.
type WrongPortError struct {
	Ports []int // sorted, without the server's own port
}

func (e *WrongPortError) Error() string {
	return "the server is " + listeningOn(e.Ports) + " instead"
}

// listeningOn is "listening on port 3000" or "listening on ports 3000, 9229".
func listeningOn(ports []int) string {
	strs := make([]string, len(ports))
	for i, p := range ports {
		strs[i] = strconv.Itoa(p)
	}
	word := "port"
	if len(ports) > 1 {
		word = "ports"
	}
	return fmt.Sprintf("listening on %s %s", word, strings.Join(strs, ", "))
}

// WrongPort is the probe verdict for the listening ports a backend found:
// a *WrongPortError when some other than port listen and port does not,
// else nil.
func WrongPort(listening []int, port int) *WrongPortError {
	var others []int
	for _, p := range listening {
		if p == port {
			return nil
		}
		if !slices.Contains(others, p) {
			others = append(others, p)
		}
	}
	if len(others) == 0 {
		return nil
	}
	slices.Sort(others)
	return &WrongPortError{Ports: others}
}

// Reason is the end of a StartError's reason for a server on other
// ports; internal/cli's explanation matches its wording.
func (e *WrongPortError) Reason() string {
	return "it is " + listeningOn(e.Ports) + " instead: read the port from the PORT environment variable"
}

// stopWaiting is a probe's error that ends WaitReady at once (the probe
// itself failed, e.g. the engine did not answer): WaitReady returns err.
type stopWaiting struct{ err error }

// StopWaiting wraps a probe's error so that WaitReady returns err at once
// instead of trying again.
func StopWaiting(err error) error { return &stopWaiting{err} }

func (e *stopWaiting) Error() string { return e.err.Error() }

// readyPollInterval is short because a server usually listens within
// milliseconds and every check of a step pays this wait once.
const readyPollInterval = 50 * time.Millisecond

// wrongPortGrace is how long a server must keep listening on other ports
// only before WaitReady reports it: long enough for a server that opens a
// debugger or metrics port first and its $PORT a moment later, short
// enough that a learner on the wrong port hears it at once instead of
// after the whole start timeout.
const wrongPortGrace = 1500 * time.Millisecond

// WaitReady calls probe about every 50 ms until it succeeds. It returns nil
// then; ErrExited as soon as exited is closed (a nil channel never is) or
// the probe's error wraps ErrExited; the probe's own error when it is a
// *stopWaiting; the probe's *WrongPortError once the
// probes have said so, without a break, for wrongPortGrace; ErrNotReady
// once timeout has passed; or ctx's error when ctx ends first. Each probe
// gets a context that ends at the deadline, so a hanging probe cannot
// outlive it. Callers choose a positive timeout (their default for a zero
// one): with none, the first failed probe ends the wait.
func WaitReady(ctx context.Context, timeout time.Duration, exited <-chan struct{}, probe func(context.Context) error) error {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(readyPollInterval)
	defer tick.Stop()
	var wrongSince time.Time
	for {
		err := probe(pctx)
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrExited) {
			return err
		}
		var stop *stopWaiting
		if errors.As(err, &stop) {
			return stop.err
		}
		var wp *WrongPortError
		switch {
		case !errors.As(err, &wp):
			wrongSince = time.Time{}
		case wrongSince.IsZero():
			wrongSince = time.Now()
		case time.Since(wrongSince) >= wrongPortGrace:
			return wp
		}
		// An exit wins over a timeout that happens at the same moment: the
		// exit code and output say more than "did not listen".
		select {
		case <-exited:
			return ErrExited
		default:
		}
		select {
		case <-exited:
			return ErrExited
		case <-pctx.Done():
			if err := ctx.Err(); err != nil {
				return err
			}
			return ErrNotReady
		case <-tick.C:
		}
	}
}

// DialProbe is a probe for WaitReady that succeeds once dial connects. It
// suits a server reached directly; behind a relay that accepts connections
// before the server listens, a probe must look further.
func DialProbe(dial func(ctx context.Context) (net.Conn, error)) func(context.Context) error {
	return func(ctx context.Context) error {
		conn, err := dial(ctx)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}
