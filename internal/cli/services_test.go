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

// TestStartShowsServices: `coach start` lists the declared services and
// the variables the server gets; an unknown service is a usage error (2)
// that lists the catalogue.
func TestStartShowsServices(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"coach.yaml": "services:\n  postgres: {database: todos}\n  redis: {}\n",
		"main.py":    "print('hi')\n",
	})
	r := coach(t, dir, "start", "3")
	require.Equal(t, ExitOK, r.code, r.err)
	assert.Contains(t, r.out, "Your server gets these services, on 127.0.0.1 inside the sandbox:\n"+
		"  postgres (postgres:16-bookworm) on 127.0.0.1:5432: DATABASE_URL, PGDATABASE, PGHOST, PGPASSWORD, PGPORT, PGUSER\n"+
		"  redis (redis:7-bookworm) on 127.0.0.1:6379: REDIS_URL\n")

	writeFiles(t, dir, map[string]string{"coach.yaml": "services: [mongodb]\n"})
	r = coach(t, dir, "check", "3", "--sandbox", "process")
	assert.Equal(t, ExitUsage, r.code, r.out+r.err)
	assert.Contains(t, r.err, `unknown service "mongodb" (coach offers mariadb, postgres, redis)`)
}
