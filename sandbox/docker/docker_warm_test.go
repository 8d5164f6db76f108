package docker

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/sandbox/dockertest"
)

// warmPod waits for the warm pod Close made and returns it.
func warmPod(t *testing.T, d *Backend) *Instance {
	t.Helper()
	var in *Instance
	require.Eventually(t, func() bool {
		d.warmMu.Lock()
		defer d.warmMu.Unlock()
		in = d.warm
		return in != nil
	}, 60*time.Second, 10*time.Millisecond, "closing a server of a WarmPod backend makes the next pod")
	<-in.podDone
	require.NoError(t, in.podErr)
	return in
}

// TestDockerWarmPod: with WarmPod, closing a server makes the next pod,
// which the next Start takes (the server joins a relay that was running
// before Start was called); a warm pod that died meanwhile, or one made
// for another port, is replaced, as is one taken by a build that fails;
// Close removes the warm pod.
func TestDockerWarmPod(t *testing.T) {
	d, cli := newTestDocker(t, func(o *Options) { o.WarmPod = true })
	ctx := t.Context()
	spec := testSpec(t, "node-hello")
	run := func(spec sandbox.Spec) *Instance {
		t.Helper()
		inst, err := d.Start(ctx, spec)
		require.NoError(t, err)
		di := inst.(*Instance)
		code, body := httpGet(t, di, "/")
		assert.Equal(t, 200, code)
		assert.Contains(t, body, "hello from node")
		require.NoError(t, di.Close(ctx))
		return di
	}
	run(spec)

	warm := warmPod(t, d)
	assert.Equal(t, warm.runID, run(spec).runID, "Start takes the warm pod")

	warm = warmPod(t, d)
	_, err := cli.ContainerRemove(ctx, warm.relayID, client.ContainerRemoveOptions{Force: true})
	require.NoError(t, err)
	assert.NotEqual(t, warm.runID, run(spec).runID, "a warm pod whose relay is gone is replaced")

	warm = warmPod(t, d)
	other := spec
	other.Port = 9090
	got := run(other)
	assert.NotEqual(t, warm.runID, got.runID, "a pod made for another port is not taken")
	assert.Equal(t, 9090, got.Port())

	// A build that fails with the warm pod taken: the pod goes, the next
	// is made.
	warmPod(t, d)
	run(spec)
	warm = warmPod(t, d)
	_, err = d.Start(ctx, testSpec(t, "go-broken"))
	var be *workspace.BuildError
	require.ErrorAs(t, err, &be)
	assert.NotEqual(t, warm.runID, warmPod(t, d).runID, "a new warm pod after a failed build")

	require.NoError(t, d.Close())
	assert.Empty(t, dockertest.Leftovers(t, cli, LabelPID+"="+strconv.Itoa(os.Getpid())), "Close removes the warm pod")
	// No pod is made after Close.
	d.prewarm(spec)
	d.warmMu.Lock()
	assert.Nil(t, d.warm)
	d.warmMu.Unlock()
}
