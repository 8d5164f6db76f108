//go:build linux

// Linux only: these read the screen of a pseudo-terminal (see terminal_test.go).

package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTerminalWatchFitsAScreen: on a 40-row terminal, a check with many
// failures shows the tally first, one problem in full and the others a
// line each, and f pages to the next problem.
func TestTerminalWatchFitsAScreen(t *testing.T) {
	const rows, cols = 40, 120
	dir := t.TempDir()
	starter, err := os.ReadFile(filepath.Join("testdata", "learner", "step-01-ping", "starter", "python", "main.py"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.py"), starter, 0o644))
	p := startPTY(t, dir, ttyEnv(t, "NO_COLOR=1"), "watch", "3", "--sandbox", "process")
	require.NoError(t, pty.Setsize(p.ptmx, &pty.Winsize{Rows: rows, Cols: cols}))

	end := p.waitFor("q quit", 0, 90*time.Second)
	screen := lastScreen(p.output()[:end])
	assert.LessOrEqual(t, screenRows(screen, cols), rows, "the report fits the screen:\n%s", screen)
	tally := strings.Index(screen, " failed, ")
	problem := strings.Index(screen, "Problem 1 of ")
	require.GreaterOrEqual(t, tally, 0, screen)
	require.Greater(t, problem, tally, "the tally comes before the first problem:\n%s", screen)
	assert.Contains(t, screen, "Other problems:")
	assert.Contains(t, screen, "f next problem")

	_, err = p.ptmx.Write([]byte("f"))
	require.NoError(t, err)
	end = p.waitFor("Problem 2 of ", end, 5*time.Second)
	end = p.waitFor("q quit", end, 5*time.Second)
	assert.LessOrEqual(t, screenRows(lastScreen(p.output()[:end]), cols), rows)

	_, err = p.ptmx.Write([]byte("q"))
	require.NoError(t, err)
	assert.Equal(t, ExitOK, p.exitCode(15*time.Second))
}

// lastScreen is what follows the last screen clear, without the spinner's
// line redraws.
func lastScreen(out string) string {
	if i := strings.LastIndex(out, screenClear); i >= 0 {
		out = out[i+len(screenClear):]
	}
	out = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`).ReplaceAllString(out, "")
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n") {
		if i := strings.LastIndex(l, "\r"); i >= 0 {
			l = l[i+1:] // a line redrawn in place shows only its last state
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// screenRows is how many terminal rows s takes at a width of cols.
func screenRows(s string, cols int) int {
	n := 0
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		n += max(1, (utf8.RuneCountInString(l)+cols-1)/cols)
	}
	return n
}

// TestStartFitsTheTerminal: coach start on a 100-column terminal shows
// every word of step 1's table of checks.
func TestStartFitsTheTerminal(t *testing.T) {
	dir := t.TempDir()
	p := startPTY(t, dir, ttyEnv(t, "NO_COLOR=1"), "start", "1", "--lang", "python")
	require.NoError(t, pty.Setsize(p.ptmx, &pty.Winsize{Rows: 50, Cols: 100}))
	require.Equal(t, ExitOK, p.exitCode(60*time.Second), p.output())
	out := strings.Join(strings.Fields(sgr.ReplaceAllString(p.output(), "")), " ")
	for _, w := range []string{"curl -i localhost:8080/api/kettle/42", "status 404 each time (any body)", "(charset suffix fine)"} {
		assert.Contains(t, out, w)
	}
}
