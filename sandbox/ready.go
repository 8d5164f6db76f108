package sandbox

import (
	"context"
	"errors"
	"net"
	"time"
)

// Verdicts of WaitReady, checked with errors.Is. Backends turn them into a
// StartError that says what the learner must fix.
var (
	// ErrExited means the server exited before it accepted a connection.
	ErrExited = errors.New("the server exited before it accepted connections")
	// ErrNotReady means the timeout passed without a successful probe.
	ErrNotReady = errors.New("the server did not accept connections in time")
)

// readyPollInterval is short because a server usually listens within
// milliseconds and every check of a step pays this wait once.
const readyPollInterval = 50 * time.Millisecond

// WaitReady calls probe about every 50 ms until it succeeds. It returns nil
// then, ErrExited as soon as exited is closed (a nil channel never is),
// ErrNotReady once timeout has passed, or ctx's error when ctx ends first.
// Each probe gets a context that ends at the deadline, so a hanging probe
// cannot outlive it. Callers choose a positive timeout (their default for
// a zero one): with none, the first failed probe ends the wait.
func WaitReady(ctx context.Context, timeout time.Duration, exited <-chan struct{}, probe func(context.Context) error) error {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(readyPollInterval)
	defer tick.Stop()
	for {
		if err := probe(pctx); err == nil {
			return nil
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
