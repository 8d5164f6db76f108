package docker

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/coachcli/coach/sandbox/relay"
)

// TestMain lets this test binary serve as the Docker sandbox's relay: the
// relay image is built from the running executable. Every build of the test
// binary makes a new relay image, so it is removed at the end.
func TestMain(m *testing.M) {
	relay.MaybeRun()
	code := m.Run()
	removeOwnRelayImage()
	os.Exit(code)
}

func removeOwnRelayImage() {
	_, data, err := selfRelay()
	if err != nil {
		return
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = cli.ImageRemove(ctx, relayTagFor(data), client.ImageRemoveOptions{PruneChildren: true})
}
