package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/internal/golden"
	"github.com/coachcli/coach/internal/progress"
	"github.com/coachcli/coach/sandbox"
	"github.com/coachcli/coach/sandbox/process"
	"github.com/coachcli/coach/sandbox/workspace"
)

// assertGolden compares got with testdata/golden/name (-update rewrites it).
func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Assert(t, filepath.Join("testdata", "golden", name), []byte(got))
}

// learnerCatalog is a two-step roadmap kept for these tests.
func learnerCatalog(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("testdata", "learner"))
	require.NoError(t, err)
	return abs
}

// learner runs coach on the test roadmap in dir.
func learner(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return coach(t, dir, append([]string{"--catalog", learnerCatalog(t)}, args...)...)
}

// normalise replaces what changes from run to run.
func normalise(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "$WORKSPACE")
	s = regexp.MustCompile(`seed \d+`).ReplaceAllString(s, "seed N")
	s = regexp.MustCompile(`· \d+(\.\d+)?m?s\n`).ReplaceAllString(s, "· TIME\n")
	return s
}

func copySolution(t *testing.T, step, dir string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "learner", step, "solutions", "python", "main.py"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.py"), data, 0o644))
}

// TestLearnerGoldenPlain pins the plain output (not a terminal) of init,
// start, hint, progress and solution.
func TestLearnerGoldenPlain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	step := func(name string, code int, args ...string) {
		t.Helper()
		r := learner(t, dir, args...)
		require.Equal(t, code, r.code, "%s: %s%s", name, r.out, r.err)
		assertGolden(t, name, normalise(r.out+r.err, dir))
	}
	step("init.golden", ExitOK, "init", "--lang", "python")
	step("init-again.golden", ExitUsage, "init", "--lang", "python")
	step("start-current.golden", ExitOK, "start")
	step("hint-test-1.golden", ExitOK, "hint")
	step("hint-test-2.golden", ExitOK, "hint")
	step("hint-test-last.golden", ExitOK, "hint")
	step("solution-locked.golden", ExitUsage, "solution")

	// A known history: step 1 passed once, then broke at the build.
	passed := time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)
	st, err := progress.Load(dir)
	require.NoError(t, err)
	st.Record(progress.Step{ID: "ping", Number: 1, Status: "pass", Score: 2, MaxScore: 2, CheckedAt: passed})
	st.Record(progress.Step{ID: "ping", Number: 1, Status: "error", Failure: progress.FailureBuild, MaxScore: 2, CheckedAt: passed.Add(time.Hour)})
	require.NoError(t, progress.Save(dir, st))
	step("hint-build.golden", ExitOK, "hint")
	step("solution-1.golden", ExitOK, "solution", "1")
	step("start-2.golden", ExitOK, "start", "2")

	var out bytes.Buffer
	g := &globalOptions{io: &IOStreams{Out: &out, Err: &out, Getenv: func(string) string { return "" }}, dir: dir, catalogDir: learnerCatalog(t)}
	err = runProgress(context.Background(), &progressOptions{g: g, now: func() time.Time { return passed.Add(3 * time.Hour) }, loc: time.UTC}, false)
	require.NoError(t, err)
	assertGolden(t, "progress.golden", out.String())
}

// TestCheckRecordsProgressAndHintKinds drives a learner's first hour on the
// test roadmap with the process sandbox: a failing starter, a server that
// does not start, a pass, the next step, and a change that breaks step 1.
func TestCheckRecordsProgressAndHintKinds(t *testing.T) {
	dir := t.TempDir()
	require.Equal(t, ExitOK, learner(t, dir, "init", "--lang", "python").code)

	r := learner(t, dir, "check", "--sandbox", "process")
	require.Equal(t, ExitFailed, r.code, r.out+r.err)
	assert.Contains(t, r.out, "Running tests for ping (step 1)", "no step: the current one")
	st := loadProgress(t, dir)
	assert.Equal(t, "fail", st.Step("ping").Status)
	assert.Equal(t, progress.FailureTest, st.Step("ping").Failure)
	// The hint of the test that failed comes before the step's own.
	assert.Contains(t, learner(t, dir, "hint").out, "Hint for ping (GET /ping answers pong), which failed in your last check:\nAnswer /ping with status 200")

	// A server that reads the wrong port does not start: exit 3, the
	// wrong-port headline, and build hints from now on.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.py"), []byte(
		"from http.server import HTTPServer, BaseHTTPRequestHandler\nprint('up', flush=True)\n"+
			"HTTPServer(('127.0.0.1', 0), BaseHTTPRequestHandler).serve_forever()\n"), 0o644))
	r = learner(t, dir, "check", "--sandbox", "process")
	require.Equal(t, ExitLearnerCode, r.code, r.out+r.err)
	assert.Contains(t, r.err, "Your server is listening on the wrong port")
	assert.Contains(t, r.err, `os.environ.get("PORT", "8080")`)
	assert.NotContains(t, r.err, "process.env.PORT", "a Python learner reads how Python does it")
	assert.Equal(t, progress.FailureBuild, loadProgress(t, dir).Step("ping").Failure)
	h := learner(t, dir, "hint")
	assert.Contains(t, h.out, "your code did not build or start")
	assert.Contains(t, h.out, "Run your server yourself")
	assert.Contains(t, learner(t, dir, "hint", "--test").out, "Hint 1/2 for step-1: Try the request yourself", "--test picks test hints, counted apart")

	copySolution(t, "step-01-ping", dir)
	r = learner(t, dir, "check", "--sandbox", "process")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "✓ step-1 passed!")
	assert.Contains(t, r.out, "Next: step-2 — Echo a query parameter: coach start step-2")
	rec := loadProgress(t, dir).Step("ping")
	assert.True(t, rec.Passed())
	assert.EqualValues(t, 2, rec.Score)
	assert.Equal(t, ExitOK, learner(t, dir, "solution").code, "passing unlocks the solution")

	require.Equal(t, ExitOK, learner(t, dir, "start", "2").code)
	assert.Equal(t, "echo", loadProgress(t, dir).Current)
	copySolution(t, "step-02-echo", dir)
	r = learner(t, dir, "check", "--previous", "--sandbox", "process")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Regexp(t, `(?s)Running tests for echo.*Checking step 1 too.*✓ step-1  Answer a ping`, r.out, "current step first")
	assert.Contains(t, r.out, "every earlier step still passes")
	assert.Contains(t, r.out, "you finished the roadmap")

	// Step 2 passes, but /ping broke: --previous says so, with the report.
	data, err := os.ReadFile(filepath.Join(dir, "main.py"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.py"), bytes.Replace(data, []byte(`"/ping"`), []byte(`"/pong"`), 1), 0o644))
	r = learner(t, dir, "check", "--previous", "--sandbox", "process")
	require.Equal(t, ExitFailed, r.code, r.out+r.err)
	assert.Contains(t, r.out, "step-1 no longer passes: a change for step-2 broke an earlier step")
	assert.Contains(t, r.out, "curl -i 'http://localhost:", "the earlier step's failure is shown in full")
	st = loadProgress(t, dir)
	assert.Equal(t, "fail", st.Step("ping").Status)
	assert.True(t, st.Step("ping").EverPassed(), "the solution stays unlocked")

	r = learner(t, dir, "check", "--previous", "--format", "json")
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.err, "--previous prints to the terminal")
}

func loadProgress(t *testing.T, dir string) *progress.State {
	t.Helper()
	st, err := progress.Load(dir)
	require.NoError(t, err)
	return st
}

// TestURLCheckRecordsOnlyInAWorkspace keeps coach from littering the
// folder it happens to run in when it checks a server by URL.
func TestURLCheckRecordsOnlyInAWorkspace(t *testing.T) {
	dir := t.TempDir()
	copySolution(t, "step-01-ping", dir)
	ws, err := workspace.Detect(dir)
	require.NoError(t, err)
	inst, err := process.New().Start(context.Background(), sandbox.Spec{Workspace: ws, StartTimeout: 30 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = inst.Close(context.Background()) })
	url := strings.Replace(inst.BaseURL(), "localhost", "127.0.0.1", 1)

	elsewhere := t.TempDir()
	r := learner(t, elsewhere, "check", "1", "--url", url)
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.NoDirExists(t, filepath.Join(elsewhere, progress.Dir))

	require.Equal(t, ExitOK, learner(t, elsewhere, "init", "--lang", "node").code)
	r = learner(t, elsewhere, "check", "--url", url)
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.True(t, loadProgress(t, elsewhere).Step("ping").Passed())

	r = learner(t, elsewhere, "check", "--url", url, "--test", "ping")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
}

func TestBadProgressFileIsExplained(t *testing.T) {
	dir := t.TempDir()
	require.Equal(t, ExitOK, learner(t, dir, "init", "--lang", "python").code)
	require.NoError(t, os.WriteFile(progress.Path(dir), []byte("{\n  \"current\": \"ping\",\n  \"steps\": [oops]\n}\n"), 0o644))
	for _, args := range [][]string{{"progress"}, {"check", "--sandbox", "process"}, {"hint"}, {"start"}, {"solution"}, {"watch"}} {
		t.Run(args[0], func(t *testing.T) {
			r := learner(t, dir, args...)
			assert.Equal(t, ExitUsage, r.code, r.out+r.err)
			assert.Contains(t, r.err, "progress.json:3:13: not valid JSON")
			assert.Contains(t, r.err, "delete it to start the record afresh")
			assert.NotContains(t, r.err, "panic")
		})
	}
	// A named step still checks; only the recording is refused, loudly.
	r := learner(t, dir, "check", "1", "--sandbox", "process")
	assert.Equal(t, ExitFailed, r.code, r.out+r.err)
	assert.Contains(t, r.err, "your result was not recorded")
	data, err := os.ReadFile(progress.Path(dir))
	require.NoError(t, err)
	assert.Contains(t, string(data), "[oops]", "a hand-edited file is never overwritten")
}

func TestInitAndStartRules(t *testing.T) {
	tests := []struct {
		name string
		prep func(dir string)
		args []string
		code int
		want string
	}{
		{"init needs a language", nil, []string{"init"}, ExitUsage, "choose your language"},
		{"init refuses a used folder", func(dir string) { os.WriteFile(filepath.Join(dir, "main.py"), nil, 0o644) },
			[]string{"init", "--lang", "python"}, ExitUsage, "never overwrites"},
		{"init takes a folder", nil, []string{"init", "--lang", "node", "sub/dir"}, ExitOK, "Created a node workspace"},
		{"start 1 after init shows the instructions", func(dir string) {
			require.Equal(t, ExitOK, learner(t, dir, "init", "--lang", "python").code)
		}, []string{"start", "1"}, ExitOK, "Answer `GET /ping`"},
		{"start 1 --lang after init never overwrites", func(dir string) {
			require.Equal(t, ExitOK, learner(t, dir, "init", "--lang", "python").code)
		}, []string{"start", "1", "--lang", "python"}, ExitUsage, "without --lang, shows the instructions"},
		{"start with no current step", nil, []string{"start"}, ExitUsage, "no current step"},
		{"hint with no current step", nil, []string{"hint"}, ExitUsage, "no current step"},
		{"watch with no current step", nil, []string{"watch"}, ExitUsage, "no current step"},
		{"solution names a language it lacks", func(dir string) {
			require.NoError(t, progress.Save(dir, &progress.State{Current: "ping",
				Steps: []progress.Step{{ID: "ping", Number: 1, Status: "pass", PassedAt: &time.Time{}}}}))
		}, []string{"solution", "--lang", "go"}, ExitUsage, "has no go reference solution (it has: python)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.prep != nil {
				tt.prep(dir)
			}
			r := learner(t, dir, tt.args...)
			assert.Equal(t, tt.code, r.code, r.out+r.err)
			assert.Contains(t, r.out+r.err, tt.want)
		})
	}
}

func TestInitWorkspaceIsRecognised(t *testing.T) {
	for _, lang := range []string{"node", "go", "python"} {
		t.Run(lang, func(t *testing.T) {
			dir := t.TempDir()
			r := coach(t, dir, "init", "--lang", lang)
			require.Equal(t, ExitOK, r.code, r.err)
			ws, err := workspace.Detect(dir)
			require.NoError(t, err)
			assert.Equal(t, workspace.Runtime(lang), ws.Runtime)
			for _, f := range []string{"coach.yaml", ".gitignore", InstructionsFile} {
				assert.FileExists(t, filepath.Join(dir, f))
			}
			st := loadProgress(t, dir)
			assert.Equal(t, lang, st.Language)
			assert.Equal(t, "hello-server", st.Current)
		})
	}
}

func TestCompletion(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"steps", []string{"__complete", "check", ""}, []string{"step-1\tAnswer a ping", "step-2\tEcho a query parameter"}},
		{"steps by id", []string{"__complete", "hint", "ec"}, []string{"echo\tEcho a query parameter"}},
		{"languages", []string{"__complete", "init", "--lang", ""}, []string{"node\tNode.js", "go\tGo", "python\tPython"}},
		{"sandbox", []string{"__complete", "watch", "--sandbox", ""}, []string{"docker", "process"}},
		{"shells", []string{"__complete", "completion", ""}, []string{"bash", "zsh", "fish", "powershell"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := learner(t, t.TempDir(), tt.args...)
			require.Equal(t, ExitOK, r.code, r.err)
			for _, w := range tt.want {
				assert.Contains(t, r.out, w)
			}
		})
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := coach(t, "", "completion", shell)
		require.Equal(t, ExitOK, r.code, r.err)
		assert.Contains(t, r.out, "coach", shell)
	}
}

// TestEveryCommandHasExamples walks the whole command tree, including
// commands other files add, so a new command cannot ship without them.
func TestEveryCommandHasExamples(t *testing.T) {
	root := NewRootCmd(&IOStreams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		// A group without a run of its own (coach exercise) lists its
		// subcommands, whose examples are checked in turn.
		if c.Runnable() || !c.HasAvailableSubCommands() {
			t.Run(c.CommandPath(), func(t *testing.T) {
				assert.NotEmpty(t, strings.TrimSpace(c.Example), "%s --help shows no examples", c.CommandPath())
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func TestExplainFirstHourProblems(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"wrong port", &sandbox.StartError{Port: 8080, ExitCode: -1,
			Reason: "the server did not accept connections on port 8080 (its $PORT) within 20s: it is listening on port 3000 instead: read the port from the PORT environment variable"},
			[]string{"✗ Your server is listening on the wrong port: coach gave it PORT=8080", "listening on port 3000", "os.Getenv(\"PORT\")"}},
		{"crash", &sandbox.StartError{ExitCode: 1, Reason: "the server exited with code 1", Output: "boom"},
			[]string{"✗ Your server exited (code 1) before it was ready", "boom"}},
		{"docker down", &sandbox.EngineError{Op: "connect to Docker", Err: errors.New("cannot connect"), Advice: "start it\nor run without isolation: --sandbox process"},
			[]string{"✗ Docker is not running, or not installed", "--sandbox process", "not installed?"}},
		{"wrong folder", &workspace.Error{Kind: workspace.Missing, Msg: "no workspace found in /x: coach looked for coach.yaml, package.json",
			Hint: "run coach in your project's folder, or name it: coach check -C path/to/project"},
			[]string{"✗ No workspace here", "coach looked for coach.yaml", "coach check -C"}},
		{"no start", &workspace.Error{Kind: workspace.NoStart, File: "package.json", Msg: "coach read package.json and found no \"start\" script"},
			[]string{"✗ coach can't tell how to start your server", "coach read package.json"}},
		{"too large", &workspace.Error{Kind: workspace.TooLarge, Msg: "the workspace /x is larger than 50 MiB"},
			[]string{"✗ Your workspace is too large to send to the sandbox"}},
		{"registry", &sandbox.EngineError{Op: "the build could not reach 127.0.0.1:9", Host: "127.0.0.1:9"},
			[]string{"✗ coach could not reach 127.0.0.1:9 (not your code)"}},
		{"database", &sandbox.StartError{ExitCode: 1, Reason: "the server exited with code 1", Hint: "your server tried to connect to PostgreSQL"},
			[]string{"✗ Your server exited (code 1)", "your server tried to connect to PostgreSQL"}},
		{"build", &workspace.BuildError{Runtime: "go", Output: "main.go:3: undefined"}, []string{"✗ Your code did not build", "main.go:3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := explainStart(tt.err).render(learnerStyle{})
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
			assert.NotContains(t, got, "\x1b[", "plain without colour")
		})
	}
	for _, goos := range []string{"linux", "darwin", "windows", "plan9"} {
		assert.Contains(t, dockerInstallAdvice(goos), "not installed?")
	}
}

func TestSpinner(t *testing.T) {
	t.Run("plain lines when not a terminal", func(t *testing.T) {
		var b bytes.Buffer
		s := newSpinner(&b, false, false)
		s.Status("preparing")
		_, _ = s.Write([]byte("building your go code\n  step 1/3"))
		s.Stop()
		assert.Equal(t, "building your go code\n  step 1/3\n", b.String())
	})
	t.Run("one updating line on a terminal", func(t *testing.T) {
		var b bytes.Buffer
		s := newSpinner(&b, true, false)
		_, _ = s.Write([]byte("pulling node:22\n  abc: Downloading\nwarning: rootless Docker ignores limits\n  abc: Done\n"))
		s.Stop()
		out := b.String()
		assert.Contains(t, out, "\r\x1b[K⠋ pulling node:22")
		assert.Contains(t, out, "\r\x1b[K⠋ abc: Downloading")
		assert.Contains(t, out, "warning: rootless Docker ignores limits\n", "warnings stay on screen")
		assert.NotContains(t, out, "pulling node:22\n", "progress lines do not scroll")
		assert.True(t, strings.HasSuffix(out, "\r\x1b[K"), "the spinner line is gone at the end")
		_, _ = s.Write([]byte("cleanup: done\n"))
		assert.True(t, strings.HasSuffix(b.String(), "cleanup: done\n"), "after Stop lines pass through")
	})
}

func TestWatchFiles(t *testing.T) {
	for _, poll := range []bool{false, true} {
		name := map[bool]string{false: "events", true: "polling"}[poll]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("dist/\n*.log\n"), 0o644))
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "src"), 0o755))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w := watchFiles(ctx, dir, poll, 50*time.Millisecond, 50*time.Millisecond)
			defer w.Close()
			if poll {
				assert.Contains(t, w.Mode, "polling every 50ms (--poll)")
			} else {
				assert.Equal(t, "file events", w.Mode)
			}
			time.Sleep(100 * time.Millisecond) // let polling take its first look

			// Ignored: what tools, editors and coach itself write.
			for _, p := range []string{"node_modules/x.js", ".coach/progress.json", "dist/app.js", "server.log", "STEP.md", "src/.server.js.swp", "__pycache__/m.pyc"} {
				require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o644))
			}
			select {
			case p := <-w.C:
				t.Fatalf("an ignored file triggered a check: %s", p)
			case <-time.After(400 * time.Millisecond):
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, "src", "server.js"), []byte("x"), 0o644))
			select {
			case p := <-w.C:
				assert.Equal(t, "src/server.js", p)
			case <-time.After(5 * time.Second):
				t.Fatal("a saved file did not trigger a check")
			}
		})
	}
}

func TestIgnoreRules(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("# build\n/bin/\nout\n*.exe\n!keep.exe\ndocs/gen/\n"), 0o644))
	r := loadIgnore(dir)
	tests := []struct {
		rel   string
		isDir bool
		want  bool
	}{
		{"main.go", false, false},
		{"bin", true, true},
		{"bin/app", false, true},
		{"bin", false, false}, // a file named bin is not the folder bin/
		{"cmd/out/x", false, true},
		{"app.exe", false, true},
		{"docs/gen/a.md", false, true},
		{"docs/a.md", false, false},
		{".coach/progress.json", false, true},
		{"node_modules", true, true},
		{"src/.#main.go", false, true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, r.match(tt.rel, tt.isDir), tt.rel)
	}
}
