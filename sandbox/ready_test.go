package sandbox

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWrongPort(t *testing.T) {
	tests := []struct {
		name      string
		listening []int
		want      []int // nil: not a wrong port
	}{
		{"nothing listens", nil, nil},
		{"its own port", []int{8080}, nil},
		{"its own port and a debugger", []int{9229, 8080}, nil},
		{"another port", []int{3000}, []int{3000}},
		{"several, sorted, once each", []int{9229, 3000, 3000}, []int{3000, 9229}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := WrongPort(tt.listening, 8080)
			if tt.want == nil {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, tt.want, got.Ports)
		})
	}
	assert.Equal(t, "it is listening on port 3000 instead: read the port from the PORT environment variable",
		(&WrongPortError{Ports: []int{3000}}).Reason())
	assert.Equal(t, "it is listening on ports 3000, 9229 instead: read the port from the PORT environment variable",
		(&WrongPortError{Ports: []int{3000, 9229}}).Reason())
}

// sequence is a probe that answers by how long the wait has run: before
// each bound in at, the matching error (nil: ready); after the last, the
// last one.
func sequence(at []time.Duration, errs []error) func(context.Context) error {
	began := time.Now()
	return func(context.Context) error {
		for i, bound := range at {
			if time.Since(began) < bound {
				return errs[i]
			}
		}
		return errs[len(errs)-1]
	}
}

// TestWaitReadyWrongPort: a server only on another port is reported once
// that has held for wrongPortGrace, long before the start timeout (which
// would give ErrNotReady); one that opens another port first and its own
// a moment later is ready.
func TestWaitReadyWrongPort(t *testing.T) {
	wrong := &WrongPortError{Ports: []int{3000}}
	refused := syscall.ECONNREFUSED
	engine := &EngineError{Op: "inspect the server container", Err: errors.New("boom")}
	tests := []struct {
		name    string
		timeout time.Duration
		probe   func(context.Context) error
		want    error
	}{
		{"only another port: reported before the timeout", time.Minute,
			func(context.Context) error { return wrong }, wrong},
		{"a debug port first, its own port soon after", time.Minute,
			sequence([]time.Duration{wrongPortGrace / 2}, []error{wrong, nil}), nil},
		{"another port after a while with nothing", time.Minute,
			sequence([]time.Duration{300 * time.Millisecond}, []error{refused, wrong}), wrong},
		{"a timeout shorter than the grace is a timeout", wrongPortGrace / 3,
			func(context.Context) error { return wrong }, ErrNotReady},
		{"a probe that cannot go on ends the wait", time.Minute,
			func(context.Context) error { return &stopWaiting{engine} }, engine},
		{"an exit the probe saw", time.Minute,
			func(context.Context) error { return ErrExited }, ErrExited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := WaitReady(t.Context(), tt.timeout, nil, tt.probe)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.want)
		})
	}
}
