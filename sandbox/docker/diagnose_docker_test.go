package docker

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is progress output written from the build's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A build that goes silent is named while it runs; one that runs out of
// time shows its last output, and the whole output is kept in the log.
func TestDockerBuildSilentThenTimeout(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	old := buildSilence
	buildSilence = 2 * time.Second
	t.Cleanup(func() { buildSilence = old })

	dir := t.TempDir()
	for name, body := range map[string]string{
		"go.mod":     "module example.com/server\n\ngo 1.22\n",
		"main.go":    "package main\n\nfunc main() {}\n",
		"coach.yaml": "build: echo fetching the dependencies; sleep 120\n",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	ws, err := workspace.Detect(dir)
	require.NoError(t, err)
	var progress lockedBuffer
	logDir := t.TempDir()
	_, err = d.Start(t.Context(), sandbox.Spec{Workspace: ws, BuildTimeout: 8 * time.Second, Progress: &progress, LogDir: logDir})

	var be *workspace.BuildError
	require.ErrorAs(t, err, &be)
	assert.Contains(t, be.Err.Error(), "the build took longer than 8s")
	assert.Contains(t, be.Output, "last lines before coach stopped it:\nfetching the dependencies")
	assert.Contains(t, progress.String(), "coach: go (go.mod) · build: echo fetching the dependencies; sleep 120")
	assert.Contains(t, progress.String(), "still running `echo fetching the dependencies; sleep 120`: no output for 2s (last line: fetching the dependencies)")
	data, err := os.ReadFile(filepath.Join(logDir, sandbox.BuildLogName))
	require.NoError(t, err)
	assert.Equal(t, "fetching the dependencies\n", string(data))
}
