package sandbox

import (
	"os"
	"testing"

	"github.com/coachcli/coach/sandbox/relay"
)

// TestMain lets this test binary serve as the Docker sandbox's relay: the
// relay image is built from the running executable.
func TestMain(m *testing.M) {
	relay.MaybeRun()
	os.Exit(m.Run())
}
