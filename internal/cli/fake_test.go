package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/internal/progress"
	"github.com/coachcli/coach/internal/run/fake"
	"github.com/coachcli/coach/sandbox"
	"github.com/coachcli/coach/sandbox/workspace"
)

// These tests drive the commands through the check pipeline with a fake
// backend: a real HTTP server on loopback stands in for the learner's
// built server, because what they are about is the command (exit codes,
// reports, progress, results files), not the engine. The engine's own
// end-to-end tests are the TestDocker* ones.

// coachFake runs one command line with the sandbox backends replaced by be.
func coachFake(t *testing.T, dir string, be *fake.Backend, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return coachOpen(ctx, t, dir, nil, be.Opener(), args...)
}

// helloServer is a step-1 server; broken names what it gets wrong.
func helloServer(broken string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(fake.Log(r), "%s %s\n", r.Method, r.URL.Path)
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<h1>Hello Backend World!</h1>")
		case "/health":
			if broken == "health" {
				w.Header().Set("Content-Type", "text/plain")
				fmt.Fprint(w, "ok")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"status":"ok"}`)
		default:
			http.NotFound(w, r)
		}
	})
}

// nodeWorkspace is a folder coach detects as a step-1 Node workspace.
func nodeWorkspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.Equal(t, ExitOK, coach(t, dir, "start", "1", "--lang", "node").code)
	return dir
}

func TestFakeBackendCheck(t *testing.T) {
	t.Parallel()
	buildErr := &workspace.BuildError{Runtime: "node", Output: "server.js:3\n  app.listen(\n  ^\nSyntaxError: Unexpected end of input", Err: errors.New("exit status 1")}
	engineErr := &sandbox.EngineError{Op: "connect to Docker at unix:///var/run/docker.sock", Err: errors.New("no such file"), Advice: "Start Docker Desktop."}
	tests := []struct {
		name     string
		be       *fake.Backend
		code     int
		out, err []string
		status   string // recorded in progress; "" when nothing is recorded
	}{
		{"a passing server", &fake.Backend{Handler: helloServer("")}, ExitOK,
			[]string{"Running tests for hello-server (step 1)", "✓ step-1 passed!", "Next: step-2"}, nil, "pass"},
		{"a failing test", &fake.Backend{Handler: helloServer("health")}, ExitFailed,
			[]string{"health", "Content-Type", "coach check"}, nil, "fail"},
		{"the build fails: the learner's code", &fake.Backend{StartErr: buildErr}, ExitLearnerCode,
			nil, []string{"SyntaxError"}, "error"},
		{"the engine is unreachable: not the learner's", &fake.Backend{StartErr: engineErr}, ExitSandbox,
			nil, []string{"connect to Docker", "Start Docker Desktop."}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := nodeWorkspace(t)
			r := coachFake(t, dir, tc.be, "check")
			require.Equal(t, tc.code, r.code, r.out+r.err)
			for _, s := range tc.out {
				assert.Contains(t, r.out, s)
			}
			for _, s := range tc.err {
				assert.Contains(t, r.err, s)
			}
			assert.Equal(t, 0, tc.be.Live(), "the server is removed before coach exits")
			st, err := progress.Load(dir)
			require.NoError(t, err)
			got := ""
			for _, s := range st.Steps {
				if s.Number == 1 {
					got = s.Status
				}
			}
			assert.Equal(t, tc.status, got, "recorded in .coach/progress.json")
		})
	}
}

func TestFakeBackendResultsFile(t *testing.T) {
	t.Parallel()
	dir := nodeWorkspace(t)
	be := &fake.Backend{Handler: helloServer("health")}
	file := filepath.Join(t.TempDir(), "results.json")
	r := coachFake(t, dir, be, "check", "1", "--format", "json", "--output", file, "--seed", "42")
	require.Equal(t, ExitFailed, r.code, r.out+r.err)
	var res struct {
		Exercise     string `json:"exercise"`
		Step         int    `json:"step"`
		Status       string `json:"status"`
		Seed         int64  `json:"seed"`
		Target       string `json:"target"`
		CoachVersion string `json:"coach_version"`
		Timings      *struct {
			TeardownMS *int64 `json:"teardown_ms"`
		} `json:"timings"`
	}
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &res), string(data))
	assert.Equal(t, "hello-server", res.Exercise)
	assert.Equal(t, 1, res.Step)
	assert.Equal(t, "fail", res.Status)
	assert.Equal(t, int64(42), res.Seed)
	assert.Equal(t, "docker", res.Target)
	assert.Equal(t, Version(), res.CoachVersion)
	require.NotNil(t, res.Timings, string(data))
	// The server's output is kept where the learner can read it.
	log, err := os.ReadFile(filepath.Join(sandbox.WorkspaceLogDir(dir), sandbox.ServerLogName))
	require.NoError(t, err)
	assert.Contains(t, string(log), "GET /health")
}

func TestFakeBackendGrade(t *testing.T) {
	t.Parallel()
	be := &fake.Backend{Handler: helloServer("")}
	root := t.TempDir()
	var args []string
	for _, id := range []string{"ada", "bob", "cy"} {
		dir := filepath.Join(root, id)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.Equal(t, ExitOK, coach(t, dir, "start", "1", "--lang", "go").code)
		args = append(args, dir)
	}
	out := filepath.Join(t.TempDir(), "results")
	r := coachFake(t, "", be, append([]string{"grade", "--step", "1", "--jobs", "2", "--out", out, "--github", "never"}, args...)...)
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Equal(t, 3, be.Starts(), "every submission gets its own server")
	assert.Equal(t, 0, be.Live())
	csv, err := os.ReadFile(filepath.Join(out, "summary.csv"))
	require.NoError(t, err)
	for _, id := range []string{"ada", "bob", "cy"} {
		assert.Contains(t, string(csv), id+",")
		_, err := os.Stat(filepath.Join(out, id, "results.json"))
		assert.NoError(t, err)
	}
}

// TestFormatNameIsCaseInsensitive: --format TERMINAL is the terminal
// format everywhere, a build failure included (it used to print a report
// the terminal format does not).
func TestFormatNameIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	buildErr := &workspace.BuildError{Runtime: "node", Output: "SyntaxError: Unexpected end of input", Err: errors.New("exit status 1")}
	for _, be := range []*fake.Backend{{StartErr: buildErr}, {Handler: helloServer("health")}} {
		dir := nodeWorkspace(t)
		plain := coachFake(t, dir, be, "check", "1", "--seed", "1")
		upper := coachFake(t, dir, be, "check", "1", "--seed", "1", "--format", "TERMINAL")
		norm := regexp.MustCompile(`127\.0\.0\.1:\d+|\d+ms`)
		assert.Equal(t, plain.code, upper.code)
		assert.Equal(t, norm.ReplaceAllString(plain.out, "X"), norm.ReplaceAllString(upper.out, "X"))
		assert.NotContains(t, upper.out, `"version":`, "no JSON report on the terminal")
	}
}

// TestServerNoteNamesTheService: a server whose requests fail because it
// dials a database the workspace did not declare is told, once, after the
// report, which service to declare; declared, it is told to create the
// tables it queries instead.
func TestServerNoteNamesTheService(t *testing.T) {
	dbServer := func(log string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(fake.Log(r), log)
			http.Error(w, "error", http.StatusInternalServerError)
		})
	}
	tests := []struct {
		name, coachYAML, log, want string
	}{
		{"no service declared", "", "Error: connect ECONNREFUSED 127.0.0.1:5432",
			"Note: your server tried to connect to PostgreSQL at 127.0.0.1:5432 and was refused: the sandbox has no network and no database unless you declare one: add `services: [postgres]` to coach.yaml"},
		{"declared, tables missing", "services: [postgres]\n", `error: relation "todo" does not exist`,
			`Note: your server's queries failed: its database has no table "todo". The database starts empty on every check: create your tables when the server starts`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := nodeWorkspace(t)
			if tc.coachYAML != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "coach.yaml"), []byte(tc.coachYAML), 0o644))
			}
			r := coachFake(t, dir, &fake.Backend{Handler: dbServer(tc.log)}, "check", "1")
			require.Equal(t, ExitFailed, r.code, r.out+r.err)
			assert.Contains(t, r.out, tc.want)
			assert.Equal(t, 1, strings.Count(r.out, "Note:"), "said once")
			assert.True(t, strings.Index(r.out, "Note:") > strings.Index(r.out, "Reproduce with"), "after the report")
		})
	}
	t.Run("a passing server gets no note", func(t *testing.T) {
		t.Parallel()
		r := coachFake(t, nodeWorkspace(t), &fake.Backend{Handler: helloServer("")}, "check", "1")
		require.Equal(t, ExitOK, r.code, r.out+r.err)
		assert.NotContains(t, r.out, "Note:")
	})
}
