package docker

import (
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDockerBurstThroughRelay opens 150 connections at once through the
// relay session, as step 5's burst does; every one gets its answer.
func TestDockerBurstThroughRelay(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	inst := start(t, d, testSpec(t, "go-hello"))
	const n = 150
	tr := &http.Transport{DialContext: inst.DialContext, MaxConnsPerHost: 0, DisableKeepAlives: true}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := hc.Get(inst.BaseURL() + "/")
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.Contains(string(b), "hello from go") {
				errs <- resp.Status + " " + string(b)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestDockerRelayRestartKeepsSession: a restart of the server keeps the
// pod and its relay session; the same instance answers afterwards.
func TestDockerRelayRestartKeepsSession(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	inst := start(t, d, testSpec(t, "node-hello"))
	relayID := inst.relayID
	require.NoError(t, inst.Restart(t.Context()))
	code, _ := httpGet(t, inst, "/")
	assert.Equal(t, 200, code)
	assert.Equal(t, relayID, inst.relayID)
}

// TestDockerRelayArm64Emulated runs the linux/arm64 relay (under
// qemu-user-static, registered with binfmt_misc by scripts/qemu-binfmt.sh)
// in front of a step-1 server: the relay an arm64 Mac's engine gets.
func TestDockerRelayArm64Emulated(t *testing.T) {
	if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err != nil {
		if os.Getenv("COACH_REQUIRE_DOCKER") == "1" {
			t.Fatalf("qemu-aarch64 is not registered with binfmt_misc (run scripts/qemu-binfmt.sh): %v", err)
		}
		t.Skipf("qemu-aarch64 is not registered with binfmt_misc: %v", err)
	}
	d, cli := newTestDocker(t, func(o *Options) { o.RelayArch = "arm64" })
	if goArch(d.info.Architecture) == "arm64" {
		t.Skip("the engine is arm64 already: every other test runs this relay natively")
	}
	inst := start(t, d, testSpec(t, "node-hello"))
	code, body := httpGet(t, inst, "/")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "hello from node")
	ins, err := cli.ContainerInspect(t.Context(), inst.relayID, client.ContainerInspectOptions{})
	require.NoError(t, err)
	img, err := cli.ImageInspect(t.Context(), ins.Container.Image)
	require.NoError(t, err)
	assert.Equal(t, "arm64", img.Architecture, "the relay ran as an arm64 image")
}

func TestImageUser(t *testing.T) {
	for _, tc := range []struct{ image, want string }{
		{"", "10001:10001"},
		{"root", "10001:10001"},
		{"0", "10001:10001"},
		{"0:0", "10001:10001"},
		{"node", "node"},
		{"1000:1000", "1000:1000"},
		{" app ", "app"},
	} {
		assert.Equal(t, tc.want, imageUser(tc.image, "10001:10001"), "USER %q", tc.image)
	}
}

// TestDockerfileRunsAsItsUser: a learner's Dockerfile that chowns /data for
// USER node (the usual way to run the official node image as non-root) runs
// as node, and its server can write $DATA_DIR.
func TestDockerfileRunsAsItsUser(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	inst := start(t, d, testSpec(t, "dockerfile-user-node"))
	code, body := httpGet(t, inst, "/")
	assert.Equal(t, 200, code, body)
	assert.Contains(t, body, "wrote as uid 1000")
}
