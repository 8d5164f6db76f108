//go:build windows

package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/sandbox/workspace"
)

// treeHelperEnv makes this test binary a small server that starts a child,
// so the tests below have a process tree to stop (Windows has no sh, node
// or python to rely on).
const treeHelperEnv = "COACH_TEST_TREE"

func init() {
	switch os.Getenv(treeHelperEnv) {
	case "server":
		child := exec.Command(os.Args[0])
		child.Env = append(os.Environ(), treeHelperEnv+"=child")
		if err := child.Start(); err != nil {
			fmt.Println("start child:", err)
			os.Exit(2)
		}
		fmt.Printf("pids %d %d\n", os.Getpid(), child.Process.Pid)
		l, err := net.Listen("tcp4", "127.0.0.1:"+os.Getenv("PORT"))
		if err != nil {
			fmt.Println("listen:", err)
			os.Exit(2)
		}
		_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hi") }))
		os.Exit(2)
	case "child":
		time.Sleep(time.Hour)
		os.Exit(0)
	}
}

// startTree starts the helper server as the process backend starts a
// learner's server, and returns it with the pids of it and its child.
func startTree(t *testing.T) (pi *Instance, leader, child int) {
	t.Helper()
	port, err := freeLoopbackPort()
	require.NoError(t, err)
	tmp := t.TempDir()
	pi = &Instance{
		ws:           &workspace.Workspace{Dir: tmp},
		argv:         []string{os.Args[0]},
		env:          append(os.Environ(), treeHelperEnv+"=server", "PORT="+strconv.Itoa(port)),
		port:         port,
		startTimeout: testStartTimeout,
		tmpDir:       tmp,
		dataDir:      tmp,
		out:          sandbox.NewOutput(64 << 10),
	}
	require.NoError(t, pi.launch(t.Context()))
	t.Cleanup(func() { assert.NoError(t, pi.Close(context.Background())) })
	require.Eventually(t, func() bool {
		_, err := fmt.Sscanf(string(pi.LogsSince(0)), "pids %d %d", &leader, &child)
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	require.True(t, sandbox.ProcessAlive(leader), "server %d runs", leader)
	require.True(t, sandbox.ProcessAlive(child), "child %d runs", child)
	status, body := do(t, instClient(pi.DialContext), http.MethodGet, pi.BaseURL()+"/", "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "hi", body)
	return pi, leader, child
}

func TestProcessWindowsJobObject(t *testing.T) {
	gone := func(pids ...int) func() bool {
		return func() bool {
			for _, p := range pids {
				if sandbox.ProcessAlive(p) {
					return false
				}
			}
			return true
		}
	}
	t.Run("SIGTERM is not deliverable", func(t *testing.T) {
		pi, leader, child := startTree(t)
		err := pi.Signal(t.Context(), syscall.SIGTERM)
		require.ErrorIs(t, err, errors.ErrUnsupported)
		assert.Contains(t, err.Error(), "SIGTERM cannot be delivered on Windows with --sandbox process")
		assert.True(t, sandbox.ProcessAlive(leader) && sandbox.ProcessAlive(child), "nothing was stopped")
	})
	t.Run("SIGKILL kills the tree with 128+9", func(t *testing.T) {
		pi, leader, child := startTree(t)
		require.NoError(t, pi.Signal(t.Context(), syscall.SIGKILL))
		code, exited, err := pi.WaitExit(t.Context(), 10*time.Second)
		require.NoError(t, err)
		require.True(t, exited)
		assert.Equal(t, 137, code)
		assert.Eventually(t, gone(leader, child), 10*time.Second, 20*time.Millisecond)
	})
	t.Run("Close kills the tree", func(t *testing.T) {
		pi, leader, child := startTree(t)
		require.NoError(t, pi.Close(t.Context()))
		assert.Eventually(t, gone(leader, child), 10*time.Second, 20*time.Millisecond)
	})
	t.Run("Restart starts a new tree", func(t *testing.T) {
		pi, leader, child := startTree(t)
		require.NoError(t, pi.Restart(t.Context()))
		assert.Eventually(t, gone(leader, child), 10*time.Second, 20*time.Millisecond)
		status, _ := do(t, instClient(pi.DialContext), http.MethodGet, pi.BaseURL()+"/", "")
		assert.Equal(t, http.StatusOK, status)
	})
	t.Run("the tree dies with the job handle", func(t *testing.T) {
		// What happens when coach itself is killed: its handles close.
		port, err := freeLoopbackPort()
		require.NoError(t, err)
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), treeHelperEnv+"=server", "PORT="+strconv.Itoa(port))
		out := sandbox.NewOutput(4 << 10)
		cmd.Stdout = out
		tree, err := newProcessTree(cmd)
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		require.NoError(t, tree.started())
		var leader, child int
		require.Eventually(t, func() bool {
			_, err := fmt.Sscanf(string(out.LogsSince(0)), "pids %d %d", &leader, &child)
			return err == nil
		}, 10*time.Second, 20*time.Millisecond)
		tree.release()
		assert.Eventually(t, gone(leader, child), 10*time.Second, 20*time.Millisecond)
		_ = cmd.Wait()
	})
}

func TestProcessWindowsConnRefused(t *testing.T) {
	port, err := freeLoopbackPort()
	require.NoError(t, err)
	_, err = net.Dial("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	require.Error(t, err)
	assert.True(t, connRefused(err), "%v", err)
}

func TestProcessWindowsAlive(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), treeHelperEnv+"=child")
	require.NoError(t, cmd.Start())
	assert.True(t, sandbox.ProcessAlive(cmd.Process.Pid))
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	assert.False(t, sandbox.ProcessAlive(cmd.Process.Pid))
	assert.False(t, sandbox.ProcessAlive(0x7ffffff0), "no such process")
}
