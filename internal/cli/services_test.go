package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/sandbox"
	"github.com/coachcli/coach/sandbox/dockertest"
)

// TestDockerSigintWhilePostgresStartsLeavesNothing interrupts the real
// binary while the pod's Postgres is starting (its container runs, the
// server has not started): the service container and its volume go too.
func TestDockerSigintWhilePostgresStartsLeavesNothing(t *testing.T) {
	cli := dockertest.Require(t)
	bin := buildCoach(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"coach.yaml": "services: [postgres]\n",
		"main.py": "import http.server, os\n" +
			"http.server.ThreadingHTTPServer(('0.0.0.0', int(os.environ['PORT'])), http.server.SimpleHTTPRequestHandler).serve_forever()\n",
	})
	cmd := exec.Command(bin, "--dir", dir, "check", "1")
	cmd.Env = append(os.Environ(), "COACH_CONFIG="+filepath.Join(t.TempDir(), "none.yaml"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	f := client.Filters{}.Add("label", pidLabel(pid)).Add("label", sandbox.LabelService+"=postgres").Add("status", "running")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		cs, err := cli.ContainerList(t.Context(), client.ContainerListOptions{Filters: f})
		require.NoError(t, err)
		if len(cs.Items) == 1 {
			break
		}
		require.True(t, time.Now().Before(deadline), "postgres never started: %s", out.String())
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("coach did not stop within 60s of SIGINT: %s", out.String())
	}
	assert.Equal(t, ExitInterrupted, cmd.ProcessState.ExitCode(), out.String())
	assert.Empty(t, dockertest.Leftovers(t, cli, pidLabel(pid)), "objects left behind after SIGINT")
}
