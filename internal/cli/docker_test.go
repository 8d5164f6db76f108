package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/sandbox/docker"
	"github.com/coachcli/coach/sandbox/dockertest"
)

// pidLabel selects what this test process created in the engine.
func pidLabel(pid int) string { return fmt.Sprintf("%s=%d", docker.LabelPID, pid) }

// assertNoLeftovers fails when a container, volume or network made by
// process pid is still there.
func assertNoLeftovers(t *testing.T, pid int) {
	t.Helper()
	cli := dockertest.Require(t)
	assert.Empty(t, dockertest.Leftovers(t, cli, pidLabel(pid)), "objects left behind")
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
}

// solutionDir writes a reference solution into a fresh workspace.
func solutionDir(t *testing.T, step, lang string) string {
	t.Helper()
	cat, err := exercises.Load(exercises.Backend())
	require.NoError(t, err)
	ex, err := cat.Find(step)
	require.NoError(t, err)
	dir, err := materialize(ex, lang, nil)
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestDockerCheckWorkspaces(t *testing.T) {
	dockertest.Require(t)
	express := map[string]string{
		"package.json": `{"name":"hello","version":"1.0.0","main":"app.js","scripts":{"start":"node app.js"},"dependencies":{"express":"^4.21.2"}}`,
		"app.js": `const express = require('express');
const app = express();
app.get('/', (req, res) => res.type('html').send('<h1>Hello Backend World!</h1>'));
app.get('/health', (req, res) => res.json({ status: 'ok' }));
app.listen(process.env.PORT || 8080, () => console.log('express listening'));
`,
	}
	dockerfile := map[string]string{
		"coach.yaml": "runtime: dockerfile\n",
		"Dockerfile": "FROM node:22-bookworm-slim\nWORKDIR /app\nCOPY . .\nUSER 10001\nEXPOSE 8080\nCMD [\"node\", \"server.js\"]\n",
	}
	tests := []struct {
		name  string
		step  string
		files map[string]string
		base  string // a reference solution to start from
		env   map[string]string
	}{
		{name: "node solution step 3", step: "3", base: "node"},
		{name: "go solution step 3", step: "3", base: "go"},
		{name: "python solution step 3", step: "3", base: "python"},
		{name: "own Dockerfile step 1", step: "1", base: "node", files: dockerfile},
		{name: "express from npm step 1", step: "1", files: express,
			env: map[string]string{"COACH_SANDBOX_CA_FILE": "/etc/ssl/certs/ca-certificates.crt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.base != "" {
				dir = solutionDir(t, tt.step, tt.base)
			}
			writeFiles(t, dir, tt.files)
			r := coachWith(t, dir, tt.env, "check", tt.step)
			assert.Equal(t, ExitOK, r.code, r.out+r.err)
			assert.Contains(t, r.out, "target docker")
			assertNoLeftovers(t, os.Getpid())
		})
	}
}

func TestDockerCheckVerdicts(t *testing.T) {
	dockertest.Require(t)
	tests := []struct {
		name  string
		files map[string]string
		code  int
		want  []string
	}{
		{"build fails", map[string]string{"go.mod": "module x\n\ngo 1.22\n", "main.go": "package main\n\nfunc main() { undefinedThing() }\n"},
			ExitLearnerCode, []string{"did not build", "main.go:3", "undefined: undefinedThing"}},
		{"crash at start", map[string]string{"main.py": "import sys\nprint('boom at start')\nsys.exit(3)\n"},
			ExitLearnerCode, []string{"exit", "3", "boom at start"}},
		{"never listens on PORT", map[string]string{"main.py": "import http.server\nhttp.server.ThreadingHTTPServer(('0.0.0.0', 3000), http.server.SimpleHTTPRequestHandler).serve_forever()\n"},
			ExitLearnerCode, []string{"8080", "3000"}},
		{"tests fail", map[string]string{"main.py": "import http.server, os\nhttp.server.ThreadingHTTPServer(('0.0.0.0', int(os.environ['PORT'])), http.server.SimpleHTTPRequestHandler).serve_forever()\n"},
			ExitFailed, []string{"curl -i", "Expected", "Actual"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			r := coachWith(t, dir, nil, "check", "1")
			assert.Equal(t, tt.code, r.code, r.out+r.err)
			for _, w := range tt.want {
				assert.Contains(t, r.out+r.err, w)
			}
			assertNoLeftovers(t, os.Getpid())
		})
	}
}

// buildCoach builds the coach binary (static: it is also the relay).
func buildCoach(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "coach")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/coachcli/coach/cmd/coach")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

func TestDockerSigintMidCheckLeavesNothing(t *testing.T) {
	cli := dockertest.Require(t)
	bin := buildCoach(t)
	dir := t.TempDir()
	// A server that takes its time to listen: coach is waiting for it when
	// the interrupt comes, with relay, server and data volume in place.
	writeFiles(t, dir, map[string]string{"main.py": "import time, http.server, os\nprint('warming up', flush=True)\ntime.sleep(60)\n" +
		"http.server.ThreadingHTTPServer(('0.0.0.0', int(os.environ['PORT'])), http.server.SimpleHTTPRequestHandler).serve_forever()\n"})
	cmd := exec.Command(bin, "--dir", dir, "check", "1")
	cmd.Env = append(os.Environ(), "COACH_CONFIG="+filepath.Join(t.TempDir(), "none.yaml"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	deadline := time.Now().Add(2 * time.Minute)
	for {
		objs := dockertest.Leftovers(t, cli, pidLabel(pid))
		running := 0
		for _, o := range objs {
			if strings.HasPrefix(o, "container") && strings.HasSuffix(o, "running") {
				running++
			}
		}
		if running >= 2 { // relay and server
			break
		}
		require.True(t, time.Now().Before(deadline), "the server never started: %s", out.String())
		time.Sleep(100 * time.Millisecond)
	}
	interruptLeavesNothing(t, cli, cmd, &out)
}

// TestDockerVerifyCatalogue is the catalogue's proof in the real sandbox:
// every reference solution and style passes steps 1..N, every mutant is
// caught by the test it names.
func TestDockerVerifyCatalogue(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every solution and mutant in Docker")
	}
	dockertest.Require(t)
	cat, err := exercises.Load(exercises.Backend())
	require.NoError(t, err)
	mutants := 0
	for _, ex := range cat.Exercises {
		mutants += len(ex.Mutants)
	}
	start := time.Now()
	// The whole catalogue: about 10 minutes on a quiet 2-core machine, much
	// more on a loaded one; the test binary's own -timeout still bounds it.
	// Styles download their dependencies (npm, the Go module proxy); they
	// and their mutants are proven here, once (coach exercise verify --step
	// N --lang STYLE checks one).
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Minute)
	defer cancel()
	r := coachCtxEnv(ctx, t, "", map[string]string{"COACH_SANDBOX_CA_FILE": "/etc/ssl/certs/ca-certificates.crt"}, "exercise", "verify", "--all")
	t.Logf("verify --all under docker: %s\n%s", time.Since(start).Round(time.Second), r.out)
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Equal(t, mutants, strings.Count(r.out, "✓ caught"))
	rows := regexp.MustCompile(`(?m)^step-\d+\s+✓\s+✓\s+✓\s*$`).FindAllString(r.out, -1)
	assert.Len(t, rows, len(cat.Exercises), "every language's solution passes steps 1..N")
	for _, ex := range cat.Exercises {
		for _, st := range ex.Styles {
			assert.Regexp(t, fmt.Sprintf(`(?m)^%s\s+%s\s+%s\s+✓\s*$`, ex.Name(), st.Name, st.Lang), r.out, "style %s passes", st.Name)
		}
	}
	assert.NotContains(t, r.out, "✗")
	assertNoLeftovers(t, os.Getpid())
}

// interruptLeavesNothing sends SIGINT to a running coach and asserts that it
// stops within a minute with exit 130, leaving nothing of its own behind.
func interruptLeavesNothing(t *testing.T, cli *client.Client, cmd *exec.Cmd, out *bytes.Buffer) {
	t.Helper()
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("coach did not stop within 60s of SIGINT: %s", out.String())
	}
	assert.Equal(t, ExitInterrupted, cmd.ProcessState.ExitCode(), out.String())
	assert.Empty(t, dockertest.Leftovers(t, cli, pidLabel(cmd.Process.Pid)), "objects left behind after SIGINT")
}
