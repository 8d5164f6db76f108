package report

import (
	"os"
	"testing"

	"github.com/coachcli/coach/sandbox/relay"
)

// TestMain lets this test binary serve as the sandbox relay, as coach's
// own executable does, for the tests that run a server under Docker.
func TestMain(m *testing.M) {
	relay.MaybeRun()
	os.Exit(m.Run())
}
