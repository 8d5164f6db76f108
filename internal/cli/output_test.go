package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/sandbox"
	"github.com/coachcli/coach/sandbox/dockertest"
	"github.com/coachcli/coach/sandbox/workspace"
)

// Golden output of what a learner reads when a check cannot pass as it is
// (issue 13): nothing at --url, a missing package, a partial run. Each
// test asserts the headline and the message besides its golden file.

var portInText = regexp.MustCompile(`(localhost|127\.0\.0\.1):\d+`)

// normaliseRun is normalise plus the ports and temporary paths of a run.
func normaliseRun(s, dir string) string {
	s = portInText.ReplaceAllString(normalise(s, dir), "$1:PORT")
	s = regexp.MustCompile(`port \d+`).ReplaceAllString(s, "port N")
	return regexp.MustCompile(`PORT=\d+`).ReplaceAllString(s, "PORT=N")
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

func TestGoldenURLNothingListening(t *testing.T) {
	dir := t.TempDir()
	require.Equal(t, ExitOK, learner(t, dir, "init", "--lang", "python").code)
	port := closedPort(t)
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	// The exercise's start timeout is longer than this context: were it
	// waited, the run would end interrupted (130), not with exit 3.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	r := coachCtx(ctx, t, dir, "--catalog", learnerCatalog(t), "check", "--url", url)
	require.Equal(t, ExitLearnerCode, r.code, r.out+r.err)
	assert.Contains(t, r.err, "PORT="+strconv.Itoa(port)+" python3 main.py", "the command starts it on the URL's port")
	got := normaliseRun(r.err, dir)
	assertGolden(t, "url-nothing-listening.golden", got)
	assert.Contains(t, got, "✗ Nothing is listening on 127.0.0.1:PORT")
	assert.Contains(t, got, "PORT=N python3 main.py", "the learner's own language")
	assert.NotContains(t, got, "npm start")
}

func TestGoldenCannotFindModule(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name": "todo", "scripts": {"start": "node server.js"}}`+"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "server.js"), []byte("const express = require('express');\nexpress().listen(process.env.PORT);\n"), 0o644))
	r := learner(t, dir, "check", "1", "--sandbox", "process")
	require.Equal(t, ExitLearnerCode, r.code, r.out+r.err)
	got := normaliseRun(r.err, dir)
	got = regexp.MustCompile(`(?m)^.*(node:internal|Node\.js v|at |requireStack|code:|\{|\}|\]).*\n`).ReplaceAllString(got, "")
	assertGolden(t, "cannot-find-module.golden", got)
	assert.Contains(t, got, "✗ Your server needs the package express, which is not installed")
	assert.Contains(t, got, "npm install express")
	assert.NotContains(t, got, "Hint:", "specific advice replaces the step's general build hint")
}

func TestGoldenPartialRun(t *testing.T) {
	dir := t.TempDir()
	require.Equal(t, ExitOK, learner(t, dir, "init", "--lang", "python").code)
	copySolution(t, "step-01-ping", dir)
	r := learner(t, dir, "check", "--sandbox", "process", "--test", "ping")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	got := normaliseRun(r.out, dir)
	assertGolden(t, "partial-test.golden", got)
	assert.Contains(t, got, "Partial run: step-1 not marked as passed (--test ran only ping; coach check step-1 runs them all).")
	assert.NotContains(t, got, "step-1 passed!")
	assert.NotContains(t, got, "Next:")
	data, err := os.ReadFile(filepath.Join(dir, ".coach", "progress.json"))
	require.NoError(t, err)
	assert.NotContains(t, string(data), `"pass"`, "a partial run is not recorded as a pass")
}

func TestGoldenReproduceRepeatsRunFlags(t *testing.T) {
	dir := t.TempDir()
	require.Equal(t, ExitOK, learner(t, dir, "init", "--lang", "python").code)
	r := learner(t, dir, "check", "--sandbox", "process", "--seed", "5", "--test", "ping,not-found")
	require.Equal(t, ExitFailed, r.code, r.out+r.err)
	assert.Contains(t, r.out, "Reproduce with: coach check step-1 --seed 5 --sandbox process --test ping,not-found\n")
	assert.Equal(t, 1, strings.Count(r.out, "--sandbox process"))
}

func TestVersionFlag(t *testing.T) {
	a, b := coach(t, "", "--version"), coach(t, "", "version")
	require.Equal(t, ExitOK, a.code, a.err)
	assert.Regexp(t, `^coach \S+ \(go\S+, \w+/\w+\)\n$`, a.out)
	assert.Equal(t, b.out, a.out, "coach --version says what coach version does")
}

func TestStartHints(t *testing.T) {
	nodeSyntax := "/app/server.js:3\n  app.get('/', (req, res) => {\n  ^^^\n\nSyntaxError: Unexpected identifier 'app'\n    at wrapSafe (node:internal/modules/cjs/loader:1469:18)"
	pySyntax := "  File \"/app/main.py\", line 12\n    def do_GET(self)\n                    ^\nSyntaxError: expected ':'"
	tests := []struct {
		name     string
		err      error
		sc       startContext
		headline string
		advice   string
	}{
		{"node syntax error", &sandbox.StartError{ExitCode: 1, Port: 8080, Output: nodeSyntax}, startContext{},
			"Your code has a syntax error at server.js:3: Unexpected identifier 'app'", ""},
		{"python syntax error", &sandbox.StartError{ExitCode: 1, Port: 8080, Output: pySyntax}, startContext{},
			"Your code has a syntax error at main.py:12: expected ':'", ""},
		{"python module", &sandbox.StartError{ExitCode: 1, Port: 8080, Output: "ModuleNotFoundError: No module named 'flask'"}, startContext{},
			"Your server needs the Python package flask, which is not installed", "requirements.txt"},
		{"port in use on this machine", &sandbox.StartError{ExitCode: 1, Port: 8080, Output: "Error: listen EADDRINUSE: address already in use :::8080"}, startContext{process: true},
			"Port 8080 is already in use", "maybe your own server"},
		{"port opened twice in the sandbox", &sandbox.StartError{ExitCode: 1, Port: 8080, Output: "OSError: [Errno 98] Address already in use"}, startContext{},
			"Your server tried to listen on port 8080 twice", "call listen once"},
		{"nothing on $PORT", &sandbox.StartError{ExitCode: -1, Port: 8080, Reason: "the server did not accept connections on port 8080 (its $PORT) within 20s"}, startContext{},
			"Your server did not listen on port 8080 (its $PORT)", "PORT environment variable"},
		{"wrong port: --port checks it as it is", &sandbox.StartError{ExitCode: -1, Port: 8080,
			Reason: "the server did not accept connections on port 8080 (its $PORT) within 20s: it is listening on port 3000 instead: read the port from the PORT environment variable"},
			startContext{}, "Your server is listening on the wrong port: coach gave it PORT=8080", "coach check --port 3000"},
		{"build error starts with its first error", &workspace.BuildError{Runtime: "go", Output: "# example\n./main.go:3:15: undefined: undefinedThing\nnote: more"}, startContext{},
			"Your code did not build: ./main.go:3:15: undefined: undefinedThing", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := explainStartIn(tt.err, tt.sc)
			assert.Equal(t, tt.headline, e.headline)
			if tt.advice != "" {
				assert.Contains(t, strings.Join(e.advice, "\n"), tt.advice)
			}
		})
	}
}

func TestGoldenHintFollowsFailures(t *testing.T) {
	dir := t.TempDir()
	require.Equal(t, ExitOK, learner(t, dir, "init", "--lang", "python").code)
	require.Equal(t, ExitFailed, learner(t, dir, "check", "--sandbox", "process").code)
	first, second := learner(t, dir, "hint"), learner(t, dir, "hint")
	require.Equal(t, ExitOK, first.code, first.err)
	assertGolden(t, "hint-after-failure.golden", first.out+"---\n"+second.out)
	assert.True(t, strings.HasPrefix(first.out, "Hint for ping (GET /ping answers pong), which failed in your last check:"), first.out)
	assert.Contains(t, first.out, "again for the step's general hints")
	assert.True(t, strings.HasPrefix(second.out, "Hint 1/2 for step-1:"), second.out)
}

func TestFitTables(t *testing.T) {
	md := "Intro\n\n| test | must come back |\n|---|---|\n| `root-hello` | status `200`, the body contains `<h1>Hello Backend World!</h1>` |\n\nAfter\n"
	assert.Equal(t, md, fitTables(md, 120), "a table that fits stays a table")
	assert.Equal(t, "Intro\n\n- **test**: `root-hello`; **must come back**: status `200`, the body contains `<h1>Hello Backend World!</h1>`\n\nAfter\n",
		fitTables(md, 60), "a table wider than the terminal becomes a list, every word kept")
}

// TestGoldenWrongPort: a server that listens on a port of its own choosing
// and ignores $PORT fails the start with exit 3 as soon as coach sees the
// other port (its start phase stays far below the start timeout), says
// which port, and how to check the server as it is.
func TestGoldenWrongPort(t *testing.T) {
	// The test roadmap with a start timeout no loaded machine comes near:
	// a start phase that waited for it could not pass.
	catalog := t.TempDir()
	require.NoError(t, os.CopyFS(catalog, os.DirFS(learnerCatalog(t))))
	exYAML := filepath.Join(catalog, "step-01-ping", "exercise.yaml")
	data, err := os.ReadFile(exYAML)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(exYAML, []byte(strings.Replace(string(data), "start: 10s", "start: 5m", 1)), 0o644))
	cat, err := exercises.Load(os.DirFS(catalog))
	require.NoError(t, err)
	ex, err := cat.Find("1")
	require.NoError(t, err)
	require.Equal(t, 5*time.Minute, ex.StartTimeout())
	tests := []struct {
		sandbox string
		listen  func(t *testing.T) int // the port the server hard-codes
	}{
		// On this machine: a port nobody else uses.
		{"process", closedPort},
		// In the pod: the classic hard-coded 3000.
		{"docker", func(t *testing.T) int { dockertest.Require(t); return 3000 }},
	}
	for _, tt := range tests {
		t.Run(tt.sandbox, func(t *testing.T) {
			port := tt.listen(t)
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"package.json": `{"name": "hello", "scripts": {"start": "node server.js"}}` + "\n",
				"server.js": fmt.Sprintf("require('http').createServer((req, res) => res.end('hi'))"+
					".listen(%d, () => console.log('listening on %d'));\n", port, port),
			})
			results := filepath.Join(t.TempDir(), "results.json")
			r := coach(t, dir, "--catalog", catalog, "check", "1", "--sandbox", tt.sandbox, "--format", "json", "--output", results)
			require.Equal(t, ExitLearnerCode, r.code, r.out+r.err)
			want := "it is listening on port " + strconv.Itoa(port) + " instead"
			assert.Contains(t, r.err, want)
			assert.Contains(t, r.err, "coach check --port "+strconv.Itoa(port))
			got := normaliseRun(strings.ReplaceAll(r.err, strconv.Itoa(port), "LISTEN"), dir)
			// What depends on the engine's caches: the relay image once per
			// engine, the workspace image built or reused.
			got = regexp.MustCompile(`(?m)^(preparing the sandbox relay image|building your node code|workspace unchanged: reusing).*\n`).ReplaceAllString(got, "")
			assertGolden(t, "wrong-port-"+tt.sandbox+".golden", got)
			assert.Contains(t, got, "✗ Your server is listening on the wrong port: coach gave it PORT=")
			assert.NotContains(t, got, "within", "reported when found, not after the start timeout")
			assert.Contains(t, got, "process.env.PORT", "how to read PORT in the learner's language")
			assert.NotContains(t, got, "os.environ", "and in no other")

			data, err := os.ReadFile(results)
			require.NoError(t, err)
			var res grader.Result
			require.NoError(t, json.Unmarshal(data, &res))
			require.NotNil(t, res.Timings)
			assert.Equal(t, grader.StatusError, res.Status)
			assert.Contains(t, res.Message, want)
			assert.Less(t, res.Timings.StartMS, ex.StartTimeout().Milliseconds()/2,
				"the start phase ends when the other port is found, long before the %s start timeout", ex.StartTimeout())
			if tt.sandbox == "docker" {
				assertNoLeftovers(t, os.Getpid())
			}
		})
	}
}

// TestGoldenHintsInTheLearnersLanguage: coach hint gives a workspace the
// hints of its own language (step 1's build and test hints name each
// language's API), and a Dockerfile workspace every hint.
func TestGoldenHintsInTheLearnersLanguage(t *testing.T) {
	tests := []struct {
		lang      string
		want, not []string
	}{
		{"node", []string{"`npm start`", "process.env.PORT", "new URL(req.url"}, []string{"python3 main.py", "os.environ", "go run", "r.URL.Path"}},
		{"python", []string{"`python3 main.py`", `os.environ.get("PORT")`, "urlsplit(self.path)"}, []string{"npm start", "process.env", "go run", "r.URL.Path"}},
		{"go", []string{"`go run .`", `os.Getenv("PORT")`, "r.URL.Path"}, []string{"npm start", "process.env", "python3", "os.environ"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			dir := t.TempDir()
			require.Equal(t, ExitOK, coach(t, dir, "init", "--lang", tt.lang).code)
			build, test := coach(t, dir, "hint", "1", "--build", "--all"), coach(t, dir, "hint", "1", "--test", "--all")
			require.Equal(t, ExitOK, build.code, build.err)
			require.Equal(t, ExitOK, test.code, test.err)
			got := build.out + "---\n" + test.out
			assertGolden(t, "hint-lang-"+tt.lang+".golden", got)
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
			for _, n := range tt.not {
				assert.NotContains(t, got, n, "advice for another language")
			}
			first := coach(t, dir, "hint", "1", "--build")
			assert.Contains(t, first.out, "Hint 1/3 for step-1", "counted among the hints of its language (7 in all)")
		})
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM node:22-bookworm-slim\nCOPY . .\nCMD [\"node\", \"server.js\"]\n"})
	all := coach(t, dir, "hint", "1", "--build", "--all")
	require.Equal(t, ExitOK, all.code, all.err)
	for _, w := range []string{"npm start", "go run .", "python3 main.py"} {
		assert.Contains(t, all.out, w, "a Dockerfile workspace gets every language's hints")
	}
}

// otherLanguageFiles are the files and commands of each language's
// workspace: STEP.md of a workspace in another language must not name them.
var otherLanguageFiles = map[string][]string{
	"node":   {"server.js", "package.json", "npm start", "**Node.js** —"},
	"go":     {"main.go", "go.mod", "go run", "**Go** —"},
	"python": {"main.py", "requirements.txt", "python3 main.py", "**Python** —"},
}

// TestGoldenStepMarkdownPerLanguage: STEP.md as coach init and coach start
// write it names the files of the workspace's language only (step 1 and
// step 2 are pinned as golden files), and no step of the catalogue names
// another language's files in any language.
func TestGoldenStepMarkdownPerLanguage(t *testing.T) {
	for _, lang := range exercises.Languages {
		t.Run(lang, func(t *testing.T) {
			dir := t.TempDir()
			require.Equal(t, ExitOK, coach(t, dir, "init", "--lang", lang).code)
			step1, err := os.ReadFile(filepath.Join(dir, InstructionsFile))
			require.NoError(t, err)
			r := coach(t, dir, "start", "2")
			require.Equal(t, ExitOK, r.code, r.err)
			step2, err := os.ReadFile(filepath.Join(dir, InstructionsFile))
			require.NoError(t, err)
			got := string(step1) + "=== coach start 2 ===\n" + string(step2)
			assertGolden(t, "step-md-"+lang+".golden", got)
			assert.Contains(t, got, "## Pointers for "+exercises.LanguageNames[lang])
			assert.Contains(t, got, "**"+exercises.LanguageNames[lang]+"** —")
			for other, files := range otherLanguageFiles {
				if other == lang {
					continue
				}
				for _, f := range files {
					assert.NotContains(t, got, f, "a %s workspace's STEP.md names a %s file", lang, other)
				}
			}
		})
	}
	cat, err := exercises.Load(exercises.Backend())
	require.NoError(t, err)
	for _, ex := range cat.Exercises {
		for _, lang := range exercises.Languages {
			text := instructions(ex, lang)
			for other, files := range otherLanguageFiles {
				if other == lang {
					continue
				}
				for _, f := range files {
					assert.NotContains(t, text, f, "%s's instructions for a %s workspace name a %s file", ex.Name(), lang, other)
				}
			}
		}
	}
}

// TestCheckTestHintsInTheLearnersLanguage: a failing test's hint (the
// suite's, which coach hint shows first) is given in the workspace's
// language: step 1's starters fail health-content-type, whose hint has
// an entry per language.
func TestCheckTestHintsInTheLearnersLanguage(t *testing.T) {
	tests := []struct {
		lang      string
		want, not string
	}{
		{"node", "res.writeHead(200, { 'Content-Type': 'application/json' })", "send_header"},
		{"python", `self.send_header("Content-Type", "application/json")`, "res.writeHead"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			dir := t.TempDir()
			require.Equal(t, ExitOK, coach(t, dir, "init", "--lang", tt.lang).code)
			r := coach(t, dir, "check", "--sandbox", "process", "--format", "json")
			require.Equal(t, ExitFailed, r.code, r.err)
			var res grader.Result
			require.NoError(t, json.Unmarshal([]byte(r.out), &res))
			var hint string
			for _, tr := range res.Tests {
				if tr.ID == "health-content-type" {
					hint = tr.Hint
				}
			}
			assert.Contains(t, hint, "Send Content-Type: application/json with the /health answer", "the text for every language")
			assert.Contains(t, hint, tt.want)
			assert.NotContains(t, hint, tt.not, "another language's API")
			assert.NotContains(t, hint, "WriteHeader", "Go's API")
			failed, err := os.ReadFile(failedFile(dir))
			require.NoError(t, err)
			assert.NotContains(t, string(failed), tt.not, "coach hint shows the same text")
		})
	}
}
