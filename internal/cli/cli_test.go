package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/internal/run"
	"github.com/coachcli/coach/sandbox"
	"github.com/coachcli/coach/sandbox/process"
	"github.com/coachcli/coach/sandbox/relay"
	"github.com/coachcli/coach/sandbox/workspace"
)

// result is what one coach invocation did.
type result struct {
	code     int
	out, err string
}

// coach runs one command line in dir with an isolated environment.
func coach(t *testing.T, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	return coachCtx(ctx, t, dir, args...)
}

func coachCtx(ctx context.Context, t *testing.T, dir string, args ...string) result {
	t.Helper()
	return coachCtxEnv(ctx, t, dir, nil, args...)
}

// coachWith runs one command line with extra environment variables.
func coachWith(t *testing.T, dir string, extra map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	return coachCtxEnv(ctx, t, dir, extra, args...)
}

// engineEnv chooses the engine (as the docker CLI reads it).
var engineEnv = []string{"DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "HOME"}

func coachCtxEnv(ctx context.Context, t testing.TB, dir string, extra map[string]string, args ...string) result {
	t.Helper()
	return coachOpen(ctx, t, dir, extra, nil, args...)
}

// coachOpen runs one command line with the sandbox backends replaced by
// open (nil: the real ones).
func coachOpen(ctx context.Context, t testing.TB, dir string, extra map[string]string, open run.Opener, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"COACH_CONFIG": filepath.Join(t.TempDir(), "none.yaml"), "NO_COLOR": "1"}
	// The engine under test is the one the test process was pointed at.
	for _, k := range engineEnv {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	for k, v := range extra {
		env[k] = v
	}
	io := &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut, Getenv: func(k string) string { return env[k] }}
	if dir != "" {
		args = append([]string{"--dir", dir}, args...)
	}
	code := runWith(ctx, io, args, open)
	return result{code: code, out: out.String(), err: errOut.String()}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"check without step or current step", []string{"check"}, "no current step in this workspace"},
		{"check two steps", []string{"check", "1", "2"}, "accepts at most 1 arg"},
		{"unknown step", []string{"check", "step-99", "--url", "http://127.0.0.1:1"}, `no step "step-99"`},
		{"unknown format", []string{"check", "1", "--format", "xml", "--url", "http://127.0.0.1:1"}, `unknown --format "xml"`},
		{"unknown flag", []string{"check", "1", "--colour"}, "unknown flag"},
		{"bad url", []string{"check", "1", "--url", "ftp://x"}, "http"},
		{"start without lang", []string{"start", "1"}, "--lang"},
		{"start bad lang", []string{"start", "1", "--lang", "rust"}, `lang is "rust": want node, go or python`},
		{"bad sandbox config", []string{"check", "1", "--sandbox", "vm"}, `sandbox.backend is "vm"`},
		{"not a catalogue", []string{"--catalog", "/nonexistent", "list"}, "is not a folder"},
		{"no workspace", []string{"check", "1", "--sandbox", "process"}, "no workspace found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := coach(t, t.TempDir(), tt.args...)
			assert.Equal(t, ExitUsage, r.code, r.err)
			assert.Contains(t, r.err, tt.want)
		})
	}
}

func TestListAndVersion(t *testing.T) {
	r := coach(t, "", "list")
	require.Equal(t, ExitOK, r.code, r.err)
	for _, want := range []string{"step-1", "hello-server", "step-3", "todo-api", "REST"} {
		assert.Contains(t, r.out, want)
	}
	r = coach(t, "", "version")
	require.Equal(t, ExitOK, r.code)
	assert.Regexp(t, `^coach \S+ \(go`, r.out)
}

func TestStartScaffoldsAndNeverOverwrites(t *testing.T) {
	for _, lang := range exercises.Languages {
		t.Run(lang, func(t *testing.T) {
			dir := t.TempDir()
			r := coach(t, dir, "start", "step-1", "--lang", lang)
			require.Equal(t, ExitOK, r.code, r.err)
			assert.FileExists(t, filepath.Join(dir, InstructionsFile))
			ws, err := workspace.Detect(dir)
			require.NoError(t, err, "the starter must be a workspace coach recognises")
			assert.Equal(t, workspace.Runtime(lang), ws.Runtime)
			r = coach(t, dir, "start", "step-1", "--lang", lang)
			assert.Equal(t, ExitUsage, r.code)
			assert.Contains(t, r.err, "never overwrites")
		})
	}
}

func TestHintRevealsOneAtATime(t *testing.T) {
	dir := t.TempDir()
	first := coach(t, dir, "hint", "todo-api")
	require.Equal(t, ExitOK, first.code, first.err)
	assert.Contains(t, first.out, "Hint 1/")
	second := coach(t, dir, "hint", "3")
	assert.Contains(t, second.out, "Hint 2/")
	build := coach(t, dir, "hint", "3", "--build")
	assert.Contains(t, build.out, "Hint 1/")
	all := coach(t, dir, "hint", "3", "--all")
	assert.GreaterOrEqual(t, strings.Count(all.out, "Hint "), 3)
}

// startSolution runs a reference solution (optionally mutated) on the host
// and returns its URL.
func startSolution(t *testing.T, step, lang, mutant string) string {
	t.Helper()
	cat, err := exercises.Load(exercises.Backend())
	require.NoError(t, err)
	ex, err := cat.Find(step)
	require.NoError(t, err)
	var m *exercises.Mutant
	for i := range ex.Mutants {
		if ex.Mutants[i].ID == mutant {
			m = &ex.Mutants[i]
		}
	}
	require.True(t, mutant == "" || m != nil, "no mutant %s", mutant)
	dir, err := materialize(ex, lang, m)
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	ws, err := workspace.Detect(dir)
	require.NoError(t, err)
	inst, err := process.New().Start(context.Background(), sandbox.Spec{Workspace: ws, StartTimeout: 30 * time.Second, Env: ex.Env})
	require.NoError(t, err)
	t.Cleanup(func() { _ = inst.Close(context.Background()) })
	return strings.Replace(inst.BaseURL(), "localhost", "127.0.0.1", 1)
}

func TestCheckURLAgainstSolutionAndMutant(t *testing.T) {
	url := startSolution(t, "3", "node", "")
	r := coach(t, "", "check", "step-3", "--url", url)
	assert.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "passed")

	url = startSolution(t, "3", "node", "location-missing")
	r = coach(t, "", "check", "step-3", "--url", url)
	assert.Equal(t, ExitFailed, r.code, r.out+r.err)
	assert.Contains(t, r.out, "curl ")
	assert.Contains(t, r.out, "Expected")
	assert.Contains(t, r.out, "Actual")
	assert.Contains(t, r.out, "todos-create-location")

	out := filepath.Join(t.TempDir(), "results.json")
	r = coach(t, "", "check", "3", "--url", url, "--format", "json", "--output", out, "--seed", "7")
	assert.Equal(t, ExitFailed, r.code)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	var res struct {
		Version int    `json:"version"`
		Status  string `json:"status"`
		Seed    int64  `json:"seed"`
		Tests   []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"tests"`
	}
	require.NoError(t, json.Unmarshal(data, &res))
	assert.Equal(t, 3, res.Version)
	assert.Equal(t, "fail", res.Status)
	assert.EqualValues(t, 7, res.Seed)
	assert.NotEmpty(t, res.Tests)
}

func TestMalformedSuiteExits2WithPosition(t *testing.T) {
	dir := t.TempDir()
	_, err := exercises.CopyTree(exercises.Backend(), ".", dir, true)
	require.NoError(t, err)
	suite := filepath.Join(dir, "step-01-hello-server", "suite.yaml")
	data, err := os.ReadFile(suite)
	require.NoError(t, err)
	broken := strings.Replace(string(data), "tests:", "tests:\n  - id: Bad Id\n    name: x\n    steps: [{sleep: 1s}]", 1)
	require.NoError(t, os.WriteFile(suite, []byte(broken), 0o644))
	r := coach(t, "", "--catalog", dir, "check", "1", "--url", "http://127.0.0.1:1")
	assert.Equal(t, ExitUsage, r.code)
	assert.Regexp(t, `step-01-hello-server/suite.yaml:\d+:\d+: `, r.err)
}

func TestProcessBackendVerdicts(t *testing.T) {
	t.Run("starter fails the step", func(t *testing.T) {
		dir := t.TempDir()
		require.Equal(t, ExitOK, coach(t, dir, "start", "1", "--lang", "python").code)
		r := coach(t, dir, "check", "1", "--sandbox", "process")
		assert.Equal(t, ExitFailed, r.code, r.out+r.err)
		assert.Contains(t, r.err, "NOT isolated")
		assert.Equal(t, 1, strings.Count(strings.ToLower(r.err), "not isolated"), "said once: %s", r.err)
	})
	t.Run("build failure exits 3 with the compiler's line", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n\ngo 1.22\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644))
		r := coach(t, dir, "check", "1", "--sandbox", "process")
		assert.Equal(t, ExitLearnerCode, r.code, r.out+r.err)
		assert.Contains(t, r.err, "main.go:3")
		assert.Contains(t, r.err, "Hint:")
	})
	t.Run("crash at start exits 3", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "main.py"), []byte("import sys\nprint('boom')\nsys.exit(3)\n"), 0o644))
		r := coach(t, dir, "check", "1", "--sandbox", "process")
		assert.Equal(t, ExitLearnerCode, r.code, r.out+r.err)
		assert.Contains(t, r.err, "boom")
	})
}

// TestVerifyCatalogueProcess proves the suites of steps 1-3 with the
// process backend: every reference solution passes steps 1..N and every
// mutant is caught by the test it names. (TestDockerVerifyCatalogue proves
// the whole catalogue in the Docker sandbox.)
func TestVerifyCatalogueProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every reference solution and mutant of steps 1-3")
	}
	cat, err := exercises.Load(exercises.Backend())
	require.NoError(t, err)
	mutants := 0
	for _, ex := range cat.Exercises[:3] {
		mutants += len(ex.Mutants)
	}
	r := coach(t, "", "exercise", "verify", "--step", "1,2,3", "--sandbox", "process")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Equal(t, mutants, strings.Count(r.out, "✓ caught"), r.out)
	rows := regexp.MustCompile(`(?m)^step-[123]\s+✓\s+✓\s+✓\s*$`).FindAllString(r.out, -1)
	assert.Len(t, rows, 3, "every language's solution passes steps 1..N:\n%s", r.out)
	assert.NotContains(t, r.out, "✗")
}

// TestMain lets this test binary serve as the sandbox relay, as coach's own
// executable does.
func TestMain(m *testing.M) {
	relay.MaybeRun()
	os.Exit(m.Run())
}
