package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Timeouts are generous: a loaded CI machine must not fail these tests.
const (
	testBuildTimeout = 3 * time.Minute
	testStartTimeout = 30 * time.Second
)

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed", name)
	}
}

// writeWorkspace creates a workspace from file names and contents.
func writeWorkspace(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

// startProcess starts dir with the process backend and closes it when the
// test ends.
func startProcess(t *testing.T, dir string, spec sandbox.Spec) (*Instance, error) {
	t.Helper()
	ws, err := workspace.Detect(dir)
	require.NoError(t, err)
	spec.Workspace = ws
	if spec.BuildTimeout == 0 {
		spec.BuildTimeout = testBuildTimeout
	}
	if spec.StartTimeout == 0 {
		spec.StartTimeout = testStartTimeout
	}
	inst, err := New().Start(t.Context(), spec)
	if err != nil {
		require.Nil(t, inst)
		return nil, err
	}
	pi, ok := inst.(*Instance)
	require.True(t, ok, "Start returns a *Instance, got %T", inst)
	t.Cleanup(func() { assert.NoError(t, pi.Close(context.Background())) })
	return pi, nil
}

// instClient sends every request through the instance, as the grader does.
// Keep-alives are off so no connection survives a restart.
func instClient(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true},
	}
}

func do(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(data)
}

// gone reports whether pid has exited: no longer in /proc, or a zombie
// waiting for a parent (the test container's init may not reap).
func gone(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(data, ')')
	return i >= 0 && len(data) > i+2 && data[i+2] == 'Z'
}

// copyWorkspace copies a testdata server into a fresh directory, plus
// extra files (a coach.yaml).
func copyWorkspace(t *testing.T, from string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(from)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644))
	}
	for name, content := range extra {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

func TestProcessServes(t *testing.T) {
	tests := []struct {
		name      string
		tool      string
		dir       func(t *testing.T) string
		startLine string
		// sigtermCode is how the server exits on SIGTERM: the Go server
		// shuts down cleanly, the others die of the signal (128+15).
		sigtermCode int
	}{
		{
			name:        "node",
			tool:        "node",
			dir:         func(*testing.T) string { return "testdata/process/node" },
			startLine:   "node server listening on",
			sigtermCode: 143,
		},
		{
			name:        "go",
			tool:        "go",
			dir:         func(*testing.T) string { return "testdata/process/go" },
			startLine:   "go server listening on",
			sigtermCode: 0,
		},
		{
			name:        "python",
			tool:        "python3",
			dir:         func(*testing.T) string { return "testdata/process/python" },
			startLine:   "python server listening on",
			sigtermCode: 143,
		},
		{
			name: "custom run command under sh",
			tool: "python3",
			dir: func(t *testing.T) string {
				return copyWorkspace(t, "testdata/process/python",
					map[string]string{"coach.yaml": "runtime: python\nrun: python3 -u main.py\n"})
			},
			startLine:   "python server listening on",
			sigtermCode: 143, // sh exec'd python, so the signal reached the server
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			requireTool(t, tt.tool)
			var progress bytes.Buffer
			pi, err := startProcess(t, tt.dir(t), sandbox.Spec{Progress: &progress})
			require.NoError(t, err)
			assert.Contains(t, progress.String(), "starting: ", "the start command is said (the CLI says it is not isolated)")

			assert.Equal(t, "process", pi.Kind())
			assert.Equal(t, "http://localhost:"+strconv.Itoa(pi.Port()), pi.BaseURL())
			assert.DirExists(t, pi.DataDir())
			c := instClient(pi.DialContext)

			status, body := do(t, c, http.MethodGet, pi.BaseURL()+"/", "")
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, "hi", body)
			require.Eventually(t, func() bool {
				return strings.Contains(string(pi.LogsSince(0)), tt.startLine)
			}, 10*time.Second, 20*time.Millisecond, "start line in the logs")

			// Restart keeps DATA_DIR and the port; the logs go on.
			status, _ = do(t, c, http.MethodPut, pi.BaseURL()+"/note", "remember me")
			require.Equal(t, http.StatusOK, status)
			mark := pi.LogMark()
			require.NoError(t, pi.Restart(t.Context()))
			status, body = do(t, c, http.MethodGet, pi.BaseURL()+"/note", "")
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, "remember me", body)
			require.Eventually(t, func() bool {
				return strings.Contains(string(pi.LogsSince(mark)), tt.startLine)
			}, 10*time.Second, 20*time.Millisecond, "start line again after the restart")

			_, exited, err := pi.WaitExit(t.Context(), 100*time.Millisecond)
			require.NoError(t, err)
			assert.False(t, exited, "still running")

			require.NoError(t, pi.Signal(t.Context(), syscall.SIGTERM))
			code, exited, err := pi.WaitExit(t.Context(), 20*time.Second)
			require.NoError(t, err)
			require.True(t, exited)
			assert.Equal(t, tt.sigtermCode, code)
			assert.Error(t, pi.Signal(t.Context(), syscall.SIGTERM), "no server to signal")

			// A server that exited can be brought back.
			require.NoError(t, pi.Restart(t.Context()))
			status, _ = do(t, c, http.MethodGet, pi.BaseURL()+"/", "")
			assert.Equal(t, http.StatusOK, status)

			dataDir := pi.DataDir()
			require.NoError(t, pi.Close(t.Context()))
			require.NoError(t, pi.Close(t.Context()), "Close twice")
			assert.NoDirExists(t, dataDir)
			_, err = pi.DialContext(t.Context(), "tcp", "")
			assert.Error(t, err, "nothing listens after Close")
			assert.Error(t, pi.Restart(t.Context()), "no restart after Close")
		})
	}
}

// A server that ignores SIGTERM and has a child that ignores it too (the
// disposition is inherited): Close must still end both.
func TestProcessCloseKillsGroup(t *testing.T) {
	requireTool(t, "python3")
	server := `import os, signal, subprocess
from http.server import BaseHTTPRequestHandler, HTTPServer
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(["sleep", "300"])
print("pids", os.getpid(), child.pid)
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), BaseHTTPRequestHandler).serve_forever()
`
	tests := []struct {
		name string
		ctx  func() context.Context
	}{
		{"after the grace period", context.Background},
		{"with a cancelled context", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pi, err := startProcess(t, writeWorkspace(t, map[string]string{"main.py": server}), sandbox.Spec{})
			require.NoError(t, err)
			var leader, child int
			require.Eventually(t, func() bool {
				_, err := fmt.Sscanf(string(pi.LogsSince(0)), "pids %d %d", &leader, &child)
				return err == nil
			}, 10*time.Second, 20*time.Millisecond)
			require.False(t, gone(leader))
			require.False(t, gone(child))

			require.NoError(t, pi.Close(tt.ctx()))
			assert.Eventually(t, func() bool { return gone(leader) && gone(child) },
				10*time.Second, 20*time.Millisecond, "leader %d and child %d gone", leader, child)
		})
	}
}

func TestProcessStartFailures(t *testing.T) {
	otherPort, err := freeLoopbackPort()
	require.NoError(t, err)
	taken, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { taken.Close() })
	takenPort := taken.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name  string
		tool  string
		files map[string]string
		spec  sandbox.Spec
		check func(t *testing.T, err error)
	}{
		{
			name: "go compile error",
			tool: "go",
			files: map[string]string{
				"go.mod":  "module example.com/broken\n\ngo 1.22\n",
				"main.go": "package main\n\nfunc main() {\n\tx := 1\n}\n",
			},
			check: func(t *testing.T, err error) {
				var be *workspace.BuildError
				require.ErrorAs(t, err, &be)
				assert.Equal(t, "go", be.Runtime)
				assert.Contains(t, be.Output, "main.go:4")
				assert.Contains(t, be.Output, "declared and not used")
			},
		},
		{
			name: "crash at start",
			tool: "python3",
			files: map[string]string{"main.py": "import sys\nprint('starting')\n" +
				"sys.stderr.write('boom: DATABASE_URL is not set\\n')\nsys.exit(3)\n"},
			check: func(t *testing.T, err error) {
				var se *sandbox.StartError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, 3, se.ExitCode)
				assert.Contains(t, se.Reason, "exited with code 3")
				assert.Contains(t, se.Output, "starting")
				assert.Contains(t, se.Output, "boom: DATABASE_URL is not set")
			},
		},
		{
			name:  "never listens",
			tool:  "node",
			files: nodeWS("console.log('started, but no listen'); setInterval(() => {}, 1000);"),
			// Long enough for node to start and print on a loaded machine.
			spec: sandbox.Spec{StartTimeout: 5 * time.Second},
			check: func(t *testing.T, err error) {
				var se *sandbox.StartError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, -1, se.ExitCode)
				assert.Contains(t, se.Reason,
					fmt.Sprintf("did not accept connections on port %d (its $PORT) within 5s", se.Port))
				assert.NotContains(t, se.Reason, "instead")
				assert.Contains(t, se.Output, "started, but no listen")
			},
		},
		{
			name: "listens on the wrong port",
			tool: "node",
			files: nodeWS("require('http').createServer((q, s) => s.end('hi'))" +
				".listen(Number(process.env.OTHER_PORT), () => console.log('listening'));"),
			// Reported as soon as it is seen, not after the start timeout.
			spec: sandbox.Spec{StartTimeout: 5 * time.Minute, Env: map[string]string{"OTHER_PORT": strconv.Itoa(otherPort)}},
			check: func(t *testing.T, err error) {
				var se *sandbox.StartError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, fmt.Sprintf("the server did not accept connections on port %d (its $PORT): "+
					"it is listening on port %d instead: read the port from the PORT environment variable", se.Port, otherPort), se.Reason)
				assert.NotContains(t, se.Reason, "within", "it did not wait for the start timeout")
			},
		},
		{
			name:  "port already taken",
			tool:  "node",
			files: nodeWS("require('http').createServer().listen(process.env.PORT);"),
			spec:  sandbox.Spec{Port: takenPort},
			check: func(t *testing.T, err error) {
				var se *sandbox.StartError
				require.ErrorAs(t, err, &se)
				assert.Contains(t, se.Reason, fmt.Sprintf("port %d is already in use", takenPort))
			},
		},
		{
			name:  "dockerfile runtime",
			files: map[string]string{"Dockerfile": "FROM scratch\n"},
			check: func(t *testing.T, err error) {
				var ee *sandbox.EngineError
				require.ErrorAs(t, err, &ee)
				assert.Contains(t, ee.Error(), "docker sandbox")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.tool != "" {
				requireTool(t, tt.tool)
			}
			_, err := startProcess(t, writeWorkspace(t, tt.files), tt.spec)
			require.Error(t, err)
			tt.check(t, err)
		})
	}
}

// nodeWS is a Node.js workspace whose server.js is server.
func nodeWS(server string) map[string]string {
	return map[string]string{
		"package.json": `{"scripts": {"start": "node server.js"}}`,
		"server.js":    server,
	}
}

// A server that opens another port first (a debugger, metrics) and its
// $PORT a moment later is not reported as listening on the wrong port.
func TestProcessOtherPortFirst(t *testing.T) {
	requireTool(t, "node")
	other, err := freeLoopbackPort()
	require.NoError(t, err)
	pi, err := startProcess(t, writeWorkspace(t, nodeWS(
		"const http = require('http');"+
			"http.createServer((q, s) => s.end('debug')).listen(Number(process.env.OTHER_PORT), () =>"+
			" setTimeout(() => http.createServer((q, s) => s.end('hi')).listen(process.env.PORT), 700));")),
		sandbox.Spec{StartTimeout: time.Minute, Env: map[string]string{"OTHER_PORT": strconv.Itoa(other)}})
	require.NoError(t, err)
	status, body := do(t, instClient(pi.DialContext), http.MethodGet, pi.BaseURL()+"/", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "hi", body)
}

// Not parallel: it empties PATH for the whole process.
func TestProcessMissingTool(t *testing.T) {
	tests := []struct {
		name string
		dir  func(t *testing.T) string
		want string
	}{
		{"node", func(t *testing.T) string { return copyWorkspace(t, "testdata/process/node", nil) },
			"node is not installed\ninstall Node.js 20+ or use the docker sandbox (--sandbox docker)"},
		// As on Windows without Git Bash.
		{"sh for a custom command", func(t *testing.T) string {
			return writeWorkspace(t, map[string]string{"coach.yaml": "runtime: python\nrun: python3 main.py\n", "main.py": ""})
		}, "sh is not installed\ncoach.yaml's build and run commands run under sh: on Windows install Git for Windows " +
			"and put its sh.exe on PATH, or use the docker sandbox (--sandbox docker)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir(t)
			t.Setenv("PATH", t.TempDir())
			_, err := startProcess(t, dir, sandbox.Spec{})
			var ee *sandbox.EngineError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, tt.want, ee.Error())
		})
	}
}

// A server that floods its output must not grow coach's memory.
func TestProcessOutputFloodIsCapped(t *testing.T) {
	requireTool(t, "node")
	const outputCap = 64 << 10
	server := `const line = "x".repeat(1023) + "\n";
require("http").createServer((q, s) => s.end("hi")).listen(process.env.PORT, () => {
  setInterval(() => { for (let i = 0; i < 64; i++) process.stdout.write(line); }, 1);
});`
	pi, err := startProcess(t, writeWorkspace(t, map[string]string{
		"package.json": `{"main": "server.js"}`,
		"server.js":    server,
	}), sandbox.Spec{OutputCap: outputCap})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return pi.LogMark() > 50*outputCap },
		30*time.Second, 20*time.Millisecond, "the server writes a lot")
	assert.LessOrEqual(t, len(pi.LogsSince(0)), outputCap)
	assert.True(t, pi.out.Dropped())
	status, body := do(t, instClient(pi.DialContext), http.MethodGet, pi.BaseURL()+"/", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "hi", body)
}

func TestProcessBuildCommand(t *testing.T) {
	withModules := writeWorkspace(t, map[string]string{"package.json": "{}"})
	require.NoError(t, os.Mkdir(filepath.Join(withModules, "node_modules"), 0o755))
	tests := []struct {
		name     string
		ws       workspace.Workspace
		want     []string
		wantNote string
	}{
		{"go builds the server where it is told", workspace.Workspace{Runtime: workspace.Go, Entry: "."}, []string{"go", "build", "-o", "/bin/server", "."}, ""},
		{"node without dependencies", workspace.Workspace{Runtime: workspace.Node, Dir: t.TempDir()}, nil, ""},
		{"node installs when node_modules is missing", workspace.Workspace{Runtime: workspace.Node, Dir: t.TempDir(), Deps: true},
			[]string{"npm", "install", "--no-audit", "--no-fund"}, ""},
		{"node keeps node_modules", workspace.Workspace{Runtime: workspace.Node, Dir: withModules, Deps: true}, nil, "node_modules exists"},
		{"node builds with the node_modules it has", workspace.Workspace{Runtime: workspace.Node, Dir: withModules, Deps: true, NodeBuild: true},
			[]string{"npm", "run", "build"}, "node_modules exists"},
		{"node installs, then builds", workspace.Workspace{Runtime: workspace.Node, Dir: t.TempDir(), Deps: true, NodeBuild: true},
			[]string{"sh", "-c", "npm install --no-audit --no-fund && npm run build"}, ""},
		{"python never pip installs", workspace.Workspace{Runtime: workspace.Python, Dir: t.TempDir(), Deps: true}, nil, "expected to be installed"},
		{"custom build runs", workspace.Workspace{Runtime: workspace.Python, Deps: true, Build: "make deps"},
			[]string{"sh", "-c", "exec make deps"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, note := processBuildCommand(&tt.ws, "/bin/server")
			assert.Equal(t, tt.want, got)
			if tt.wantNote == "" {
				assert.Empty(t, note)
			} else {
				assert.Contains(t, note, tt.wantNote)
			}
		})
	}
}

func TestProcessParseProcNetTCP(t *testing.T) {
	tcp := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F91 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0
   3: 0100007F:1F92 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 0000000000000000 100 0 0 10 0
`
	tcp6 := `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 100 0 0 10 0
`
	inodes := map[string]bool{"111": true, "222": true, "333": true, "555": true}
	got := parseProcNetTCP(tcp, inodes)
	require.Len(t, got, 2, "LISTEN sockets of the group only")
	assert.Equal(t, "127.0.0.1", got[0].addr.String())
	assert.Equal(t, 8080, got[0].port)
	assert.True(t, got[1].addr.IsUnspecified())
	assert.Equal(t, 3000, got[1].port)

	got = parseProcNetTCP(tcp6, inodes)
	require.Len(t, got, 1)
	assert.Equal(t, "::1", got[0].addr.String())
	assert.Equal(t, 80, got[0].port)
}

func TestProcessWaitReady(t *testing.T) {
	exited := make(chan struct{})
	close(exited)
	fail := func(context.Context) error { return syscall.ECONNREFUSED }
	tests := []struct {
		name   string
		probe  func(context.Context) error
		exited <-chan struct{}
		want   error
	}{
		{"ready", func(context.Context) error { return nil }, nil, nil},
		{"ready wins over an exit", func(context.Context) error { return nil }, exited, nil},
		{"exited", fail, exited, sandbox.ErrExited},
		{"timeout", fail, nil, sandbox.ErrNotReady},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sandbox.WaitReady(t.Context(), 200*time.Millisecond, tt.exited, tt.probe)
			assert.ErrorIs(t, err, tt.want)
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, sandbox.WaitReady(ctx, time.Minute, nil, fail), context.Canceled)
}

// Node.js told to listen on "localhost" may bind ::1 only; coach must still
// reach it. The port is the one the spec asks for.
func TestProcessIPv6OnlyServer(t *testing.T) {
	requireTool(t, "node")
	if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback here")
	} else {
		l.Close()
	}
	port, err := freeLoopbackPort()
	require.NoError(t, err)
	pi, err := startProcess(t, writeWorkspace(t, map[string]string{
		"package.json": `{"main": "server.js"}`,
		"server.js":    "require('http').createServer((q, s) => s.end('hi')).listen(process.env.PORT, '::1');",
	}), sandbox.Spec{Port: port})
	require.NoError(t, err)
	assert.Equal(t, port, pi.Port())
	status, body := do(t, instClient(pi.DialContext), http.MethodGet, pi.BaseURL()+"/", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "hi", body)
}

// windowsSignal decides what a signal step does on Windows; it runs here
// because it is a pure function.
func TestProcessWindowsSignal(t *testing.T) {
	tests := []struct {
		sig      syscall.Signal
		wantCode uint32
		wantErr  string
	}{
		{syscall.SIGKILL, 137, ""},
		{syscall.SIGTERM, 0, "SIGTERM cannot be delivered on Windows with --sandbox process"},
		{syscall.SIGINT, 0, "SIGINT cannot be delivered on Windows with --sandbox process"},
		{syscall.Signal(10), 0, "cannot be delivered on Windows"},
	}
	for _, tt := range tests {
		t.Run(processSignalName(tt.sig), func(t *testing.T) {
			code, err := windowsSignal(tt.sig)
			assert.Equal(t, tt.wantCode, code)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, errors.ErrUnsupported, "the grader reports ErrUnsupported as not checkable")
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), "docker sandbox", "says what to do instead")
		})
	}
}
