//go:build unix

package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPipeSafe runs a child that writes to a standard output whose reader
// has gone: through pipeSafe the write fails and the child goes on (coach
// then removes its sandbox); straight to os.Stdout the runtime ends it
// with SIGPIPE, which is what `coach check | head` did.
func TestPipeSafe(t *testing.T) {
	if mode := os.Getenv("COACH_TEST_PIPE_CHILD"); mode != "" {
		out := os.Stdout
		if mode == "safe" {
			out = pipeSafe(os.Stdout)
		}
		if _, err := fmt.Fprintln(out, "a line nobody reads"); err != nil {
			fmt.Fprintln(os.Stderr, "went on after:", err)
			os.Exit(0)
		}
		os.Exit(3) // the write cannot succeed: its reader is closed
	}
	t.Parallel()
	for _, tc := range []struct {
		mode     string
		survives bool
	}{{"safe", true}, {"plain", false}} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			r, w, err := os.Pipe()
			require.NoError(t, err)
			require.NoError(t, r.Close())
			cmd := exec.Command(os.Args[0], "-test.run=^TestPipeSafe$")
			cmd.Env = append(os.Environ(), "COACH_TEST_PIPE_CHILD="+tc.mode)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = w, &stderr
			err = cmd.Run()
			require.NoError(t, w.Close())
			if tc.survives {
				require.NoError(t, err, stderr.String())
				assert.Contains(t, stderr.String(), "went on after:")
				assert.Contains(t, stderr.String(), "broken pipe")
				return
			}
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee)
			ws, ok := ee.Sys().(syscall.WaitStatus)
			require.True(t, ok)
			assert.True(t, ws.Signaled() && ws.Signal() == syscall.SIGPIPE, "ended by SIGPIPE: %v", ee)
		})
	}
}
