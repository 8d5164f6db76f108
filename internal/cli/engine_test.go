package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/sandbox/dockertest"
	"github.com/coachcli/coach/sandbox/relays"
)

// engineSocket is the Unix socket of the engine the tests use.
func engineSocket(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		p, ok := strings.CutPrefix(h, "unix://")
		require.True(t, ok, "these tests forward to a unix:// DOCKER_HOST, not %s", h)
		return p
	}
	return "/var/run/docker.sock"
}

// forwardEngine listens on network/addr and passes every connection to the
// engine's socket unchanged (half-closes too), so coach reaches the same
// engine at another address: loopback TCP, or a second socket path.
func forwardEngine(t *testing.T, network, addr string) net.Listener {
	t.Helper()
	sock := engineSocket(t)
	ln, err := net.Listen(network, addr)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("unix", sock)
				if err != nil {
					return
				}
				defer up.Close()
				done := make(chan struct{}, 2)
				pipe := func(dst, src net.Conn) {
					_, _ = io.Copy(dst, src)
					if cw, ok := dst.(interface{ CloseWrite() error }); ok {
						_ = cw.CloseWrite()
					}
					done <- struct{}{}
				}
				go pipe(up, c)
				go pipe(c, up)
				<-done
				<-done
			}()
		}
	}()
	return ln
}

// dockerContextConfig writes a docker config directory whose current
// context points at host, as `docker context create` + `use` would.
func dockerContextConfig(t *testing.T, name, host string) string {
	t.Helper()
	dir := t.TempDir()
	meta := map[string]any{
		"Name":      name,
		"Metadata":  map[string]any{"Description": "coach test"},
		"Endpoints": map[string]any{"docker": map[string]any{"Host": host, "SkipTLSVerify": false}},
	}
	b, err := json.Marshal(meta)
	require.NoError(t, err)
	// The store keeps a context under the sha256 of its name.
	metaDir := filepath.Join(dir, "contexts", "meta", sha256Hex(name))
	require.NoError(t, os.MkdirAll(metaDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(metaDir, "meta.json"), b, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"currentContext": "`+name+`"}`), 0o644))
	return dir
}

// buildCoachWith builds coach with the given CGO_ENABLED.
func buildCoachWith(t *testing.T, cgo string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "coach")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/coachcli/coach/cmd/coach")
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

func dynamicallyLinked(t *testing.T, bin string) bool {
	t.Helper()
	f, err := elf.Open(bin)
	require.NoError(t, err)
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}

// TestDockerEngineReach runs the reference solutions of steps 1-3 in every
// language, in the Docker sandbox, with coach reaching the engine the ways
// learners' machines do. Each way shares no file with the engine but the
// API connection: the grader reaches the pod through the engine's API.
func TestDockerEngineReach(t *testing.T) {
	if testing.Short() {
		t.Skip("builds coach and runs steps 1-3 in Docker several times")
	}
	cli := dockertest.Require(t)
	require.NotEmpty(t, relays.Arches(), "no relay is embedded: run `make relays` before the tests")
	static := buildCoachWith(t, "0")
	require.False(t, dynamicallyLinked(t, static))

	tests := []struct {
		name  string
		setup func(t *testing.T) (bin string, wrap []string, env []string)
	}{
		{"private mount namespace (the Docker Desktop situation)", func(t *testing.T) (string, []string, []string) {
			// coach sees a /tmp (and temp dir) of its own that the engine
			// cannot see: any host path handed to the engine would fail.
			return static, []string{"unshare", "-m", "--propagation", "private", "sh", "-c",
				// coach itself is under the hidden /tmp: hold it open.
				`exec 3<"$0" && mount -t tmpfs coach-private /tmp && exec /proc/self/fd/3 "$@"`}, []string{"TMPDIR=/tmp"}
		}},
		{"engine over loopback TCP", func(t *testing.T) (string, []string, []string) {
			ln := forwardEngine(t, "tcp", "127.0.0.1:0")
			return static, nil, []string{"DOCKER_HOST=tcp://" + ln.Addr().String()}
		}},
		{"docker context naming a second socket, DOCKER_HOST unset", func(t *testing.T) (string, []string, []string) {
			sock := filepath.Join(shortTempDir(t), "engine.sock")
			forwardEngine(t, "unix", sock)
			cfg := dockerContextConfig(t, "coach-test-ctx", "unix://"+sock)
			return static, nil, []string{"DOCKER_CONFIG=" + cfg}
		}},
		{"coach built with cgo (dynamic), through its embedded relay", func(t *testing.T) (string, []string, []string) {
			bin := buildCoachWith(t, "1")
			require.True(t, dynamicallyLinked(t, bin), "a cgo build should be dynamic, like a darwin build")
			return bin, nil, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin, wrap, env := tt.setup(t)
			args := append(append([]string{}, wrap...), bin, "exercise", "verify", "--step", "1,2,3", "--no-mutants", "--jobs", "1")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, args[0], args[1:]...)
			cmd.Env = append(withoutEnv(os.Environ(), "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG"),
				append([]string{"COACH_CONFIG=" + filepath.Join(t.TempDir(), "none.yaml"), "NO_COLOR=1"}, env...)...)
			if os.Getenv("DOCKER_HOST") != "" && !hasEnv(env, "DOCKER_HOST") && !hasEnv(env, "DOCKER_CONFIG") {
				cmd.Env = append(cmd.Env, "DOCKER_HOST="+os.Getenv("DOCKER_HOST"))
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			pid := cmd.Process.Pid
			require.NoError(t, err, out.String())
			assert.Contains(t, out.String(), "✓")
			assert.NotContains(t, out.String(), "✗")
			assert.Empty(t, dockertest.Leftovers(t, cli, pidLabel(pid)), "objects left behind")
		})
	}
}

func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || k == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

func hasEnv(env []string, name string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

// shortTempDir is a temp dir with a short path (socket paths are limited
// to about 100 bytes).
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ce")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestDoctorNamesEngine: coach doctor says which engine it uses and how it
// was chosen, and an unknown context is an engine problem (exit 4) that
// says how to pick one.
func TestDoctorNamesEngine(t *testing.T) {
	dockertest.Require(t)
	sock := filepath.Join(shortTempDir(t), "engine.sock")
	forwardEngine(t, "unix", sock)
	cfg := dockerContextConfig(t, "coach-doctor-ctx", "unix://"+sock)
	env := map[string]string{"DOCKER_HOST": "", "DOCKER_CONFIG": cfg}

	r := coachWith(t, "", env, "doctor")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, `docker: ✓ unix://`+sock+` (docker context "coach-doctor-ctx", from the current context in `+filepath.Join(cfg, "config.json")+`)`)
	assert.Regexp(t, `engine \S+, API \S+, linux/\S+`, r.out)
	assert.Regexp(t, `relay: ✓ (embedded relay|coach's own executable).* for linux/(amd64|arm64)|relay: ✓ .* serves as the linux/(amd64|arm64) relay`, r.out)

	env["DOCKER_CONTEXT"] = "no-such-engine"
	r = coachWith(t, "", env, "doctor")
	assert.Equal(t, ExitSandbox, r.code, r.out+r.err)
	assert.Contains(t, r.out+r.err, `use docker context "no-such-engine" (from DOCKER_CONTEXT): no such context`)
	assert.Contains(t, r.out+r.err, "docker context ls")
}
