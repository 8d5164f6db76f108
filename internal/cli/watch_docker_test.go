package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/sandbox/docker"
	"github.com/coachcli/coach/sandbox/dockertest"
)

// syncBuffer is a bytes.Buffer that a running command writes while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDockerWatchSigintLeavesWarmPodNothing interrupts `coach watch` in the
// Docker sandbox once its first check is done and the next pod is warm
// (its relay running, no server in it): the warm pod goes too.
func TestDockerWatchSigintLeavesWarmPodNothing(t *testing.T) {
	cli := dockertest.Require(t)
	bin := buildCoach(t)
	cat, err := exercises.Load(exercises.Backend())
	require.NoError(t, err)
	step1, err := cat.Find("1")
	require.NoError(t, err)
	dir, err := materialize(step1, "node", nil)
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })

	cmd := exec.Command(bin, "--dir", dir, "watch", "1")
	cmd.Env = append(os.Environ(), "COACH_CONFIG="+filepath.Join(t.TempDir(), "none.yaml"), "NO_COLOR=1")
	keys, err := cmd.StdinPipe() // open: watch reads keys until it ends
	require.NoError(t, err)
	t.Cleanup(func() { keys.Close() })
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// The warm pod: a running relay of this coach, and no server.
	f := client.Filters{}.Add("label", pidLabel(cmd.Process.Pid)).Add("status", "running")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if strings.Contains(out.String(), "watching step-1") {
			cs, err := cli.ContainerList(t.Context(), client.ContainerListOptions{Filters: f})
			require.NoError(t, err)
			if len(cs.Items) == 1 && strings.HasSuffix(cs.Items[0].Names[0], "-relay") {
				require.NotContains(t, cs.Items[0].Labels, docker.LabelService)
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "no warm pod after the first check: %s", out.String())
		time.Sleep(50 * time.Millisecond)
	}
	var buf bytes.Buffer
	interruptLeavesNothing(t, cli, cmd, &buf)
	require.Contains(t, out.String(), "step-1", "the first check ran")
}
