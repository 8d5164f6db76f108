//go:build linux

// Linux only: the pseudo-terminal checks read termios with TCGETS.

package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// These tests run the real coach binary in a pseudo-terminal, as a learner
// does, with the process sandbox: the checks really run, without Docker.

var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`) // a colour or text style

var (
	ttyBinOnce sync.Once
	ttyBin     string
	ttyBinErr  error
)

// buildTTYCoach builds cmd/coach once per test binary, statically as CI does.
func buildTTYCoach(t *testing.T) string {
	t.Helper()
	ttyBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "coach-bin-")
		if err != nil {
			ttyBinErr = err
			return
		}
		ttyBin = filepath.Join(dir, "coach")
		cmd := exec.Command("go", "build", "-o", ttyBin, "../../cmd/coach")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			ttyBinErr = errors.New(string(out))
		}
	})
	require.NoError(t, ttyBinErr, "build coach")
	return ttyBin
}

func ttyEnv(t *testing.T, extra ...string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"TERM=xterm-256color",
		"COACH_CONFIG=" + filepath.Join(t.TempDir(), "none.yaml"),
	}, extra...)
}

// ptyRun is coach running in a pseudo-terminal.
type ptyRun struct {
	t    *testing.T
	ptmx *os.File // our end
	tty  *os.File // coach's end, kept open to read its terminal modes
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu  sync.Mutex
	out bytes.Buffer
}

func startPTY(t *testing.T, dir string, env []string, args ...string) *ptyRun {
	t.Helper()
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	require.NoError(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 120}))
	cmd := exec.Command(buildTTYCoach(t), args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	require.NoError(t, cmd.Start())
	p := &ptyRun{t: t, ptmx: ptmx, tty: tty, cmd: cmd, done: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		ptmx.Close()
		tty.Close()
	})
	return p
}

func (p *ptyRun) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitFor waits until the output after offset from contains s and returns
// the offset just past it.
func (p *ptyRun) waitFor(s string, from int, timeout time.Duration) int {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out := p.output()
		if i := strings.Index(out[min(from, len(out)):], s); i >= 0 {
			return from + i + len(s)
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no %q within %s; output:\n%s", s, timeout, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exitCode waits for coach to end.
func (p *ptyRun) exitCode(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("coach did not exit within %s; output:\n%s", timeout, p.output())
	}
	// Let the reader drain what coach wrote last.
	time.Sleep(50 * time.Millisecond)
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(p.t, p.err)
	return 0
}

// canonical reports whether coach's terminal is in its normal (cooked)
// mode: line editing and echo on.
func (p *ptyRun) canonical() bool {
	p.t.Helper()
	tio, err := unix.IoctlGetTermios(int(p.tty.Fd()), unix.TCGETS)
	require.NoError(p.t, err)
	return tio.Lflag&unix.ICANON != 0 && tio.Lflag&unix.ECHO != 0
}

// learnerWorkspace makes a step-1 Python workspace on the test roadmap.
func learnerWorkspace(t *testing.T) (dir string, catalogArgs []string) {
	t.Helper()
	dir = t.TempDir()
	catalogArgs = []string{"--catalog", learnerCatalog(t)}
	cmd := exec.Command(buildTTYCoach(t), append(catalogArgs, "init", "--lang", "python")...)
	cmd.Dir, cmd.Env = dir, ttyEnv(t)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return dir, catalogArgs
}

func TestTerminalColours(t *testing.T) {
	dir, cat := learnerWorkspace(t)
	check := append(append([]string{}, cat...), "check", "--sandbox", "process")
	start := append(append([]string{}, cat...), "start")

	t.Run("colour on a terminal", func(t *testing.T) {
		p := startPTY(t, dir, ttyEnv(t), check...)
		assert.Equal(t, ExitFailed, p.exitCode(60*time.Second))
		out := p.output()
		assert.Contains(t, out, "✗", "the starter fails step 1")
		assert.Regexp(t, sgr, out)
		assert.Contains(t, out, "\x1b[32m✓\x1b[0m", "a passing test is green")

		p = startPTY(t, dir, ttyEnv(t), start...)
		assert.Equal(t, ExitOK, p.exitCode(30*time.Second))
		assert.Regexp(t, sgr, p.output(), "instructions are rendered")
		assert.NotContains(t, p.output(), "## What coach checks", "headings are rendered, not shown as Markdown")
	})
	t.Run("no colour with NO_COLOR", func(t *testing.T) {
		p := startPTY(t, dir, ttyEnv(t, "NO_COLOR=1"), check...)
		assert.Equal(t, ExitFailed, p.exitCode(60*time.Second))
		assert.Contains(t, p.output(), "✗")
		assert.NotRegexp(t, sgr, p.output())

		p = startPTY(t, dir, ttyEnv(t, "NO_COLOR=1"), start...)
		assert.Equal(t, ExitOK, p.exitCode(30*time.Second))
		assert.Contains(t, p.output(), "Answer a ping")
		assert.NotRegexp(t, sgr, p.output())
	})
	t.Run("no colour and no spinner when piped", func(t *testing.T) {
		cmd := exec.Command(buildTTYCoach(t), check...)
		cmd.Dir, cmd.Env = dir, ttyEnv(t)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var ee *exec.ExitError
		require.True(t, errors.As(err, &ee), "%v", err)
		assert.Equal(t, ExitFailed, ee.ExitCode())
		assert.Contains(t, out.String(), "✗")
		assert.NotContains(t, out.String()+errOut.String(), "\x1b[")

		cmd = exec.Command(buildTTYCoach(t), start...)
		cmd.Dir, cmd.Env = dir, ttyEnv(t)
		md, err := cmd.Output()
		require.NoError(t, err)
		assert.Contains(t, string(md), "## What coach checks", "plain Markdown when piped")
	})
}

func TestTerminalWatch(t *testing.T) {
	dir, cat := learnerWorkspace(t)
	p := startPTY(t, dir, ttyEnv(t), append(cat, "watch", "--sandbox", "process")...)

	at := p.waitFor("watching step-1", 0, 60*time.Second)
	assert.Contains(t, p.output(), "\x1b[H\x1b[2J", "the screen is cleared for each check")
	assert.False(t, p.canonical(), "keys act at once: the terminal is in raw mode")

	copySolution(t, "step-01-ping", dir)
	saved := time.Now()
	at = p.waitFor("main.py changed: checking again", at, 10*time.Second)
	assert.Less(t, time.Since(saved), 2*time.Second, "a save re-runs the check within 2 s")
	at = p.waitFor("step-1 passed!", at, 60*time.Second)
	at = p.waitFor("press n to start it", at, 5*time.Second)

	_, err := p.ptmx.Write([]byte("h"))
	require.NoError(t, err)
	at = p.waitFor("Hint 1/2 for step-1", at, 5*time.Second)
	assert.NotContains(t, p.output(), "In Node.js", "h gives a Python workspace no Node.js hint")

	_, err = p.ptmx.Write([]byte("n"))
	require.NoError(t, err)
	at = p.waitFor("Now on step-2", at, 5*time.Second)
	p.waitFor("watching step-2", at, 60*time.Second)
	assert.Equal(t, "echo", loadProgress(t, dir).Current)

	_, err = p.ptmx.Write([]byte("q"))
	require.NoError(t, err)
	assert.Equal(t, ExitOK, p.exitCode(15*time.Second))
	assert.True(t, p.canonical(), "the terminal is restored on q")
	assert.NotRegexp(t, `[^\r]\n`, p.output(), "in raw mode every line must end in \\r\\n")
}

func TestTerminalWatchCtrlCRestoresTerminal(t *testing.T) {
	dir, cat := learnerWorkspace(t)
	p := startPTY(t, dir, ttyEnv(t), append(cat, "watch", "--sandbox", "process", "--poll", "--interval", "200ms")...)
	p.waitFor("watching step-1 (polling every 200ms (--poll))", 0, 60*time.Second)
	require.False(t, p.canonical())
	_, err := p.ptmx.Write([]byte{keyCtrlC})
	require.NoError(t, err)
	assert.Equal(t, ExitInterrupted, p.exitCode(15*time.Second))
	assert.True(t, p.canonical(), "the terminal is restored on Ctrl-C")
}
