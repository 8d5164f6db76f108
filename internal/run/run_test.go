package run_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/internal/run"
	"github.com/coachcli/coach/internal/run/fake"
	"github.com/coachcli/coach/sandbox"
	"github.com/coachcli/coach/sandbox/workspace"
)

const suiteSrc = `tests:
  - id: health
    name: health answers
    points: 2
    steps: [{request: {path: /health}, expect: {status: 200}}]
  - id: secret
    name: a hidden one
    points: 3
    visibility: hidden
    steps: [{request: {path: /secret}, expect: {status: 200}}]
`

func step(t *testing.T) (*exercises.Exercise, *grader.Suite) {
	t.Helper()
	s, err := grader.ParseSuite("suite.yaml", []byte(suiteSrc))
	require.NoError(t, err)
	ex := &exercises.Exercise{ID: "hello", Step: 1, Points: 5, Env: map[string]string{"GREETING": "hi"}}
	return ex, s
}

// nodeWorkspace is a folder coach detects as a Node workspace.
func nodeWorkspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "server.js"), []byte("// a server\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"scripts":{"start":"node server.js"}}`), 0o644))
	return dir
}

func serve(status int, log string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(fake.Log(r), "%s %s\n", log, r.URL.Path)
		w.WriteHeader(status)
	})
}

func TestCheckStep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		want    grader.Status
		score   float64
		message string
	}{
		{"every test passes", 200, grader.StatusPass, 5, "2 of 2 tests passed"},
		{"every test fails", 500, grader.StatusFail, 0, "0 of 2 tests passed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ex, suite := step(t)
			be := &fake.Backend{Handler: serve(tc.status, "got")}
			svc := &run.Service{Open: be.Opener(), Version: "1.2.3"}
			var started *grader.Result
			var seen []string
			out, err := svc.CheckStep(context.Background(), run.StepRequest{
				Exercise: ex, Suite: suite, Kind: run.Docker, Dir: nodeWorkspace(t), Seed: 7,
				Started: func(r *grader.Result) { started = r },
				OnTest: func(tr grader.TestResult) {
					require.NotNil(t, started, "Started comes before the first test")
					seen = append(seen, tr.ID)
				},
			})
			require.NoError(t, err)
			took := out.Teardown()
			assert.Equal(t, 0, be.Live(), "the server is removed once Teardown returns")
			assert.GreaterOrEqual(t, took, time.Duration(0))

			r := out.Result
			assert.Equal(t, tc.want, r.Status)
			assert.Equal(t, tc.message, r.Message)
			assert.Equal(t, tc.score, r.Score)
			assert.Equal(t, 5.0, r.MaxScore)
			// The metadata is set once, here, for every command.
			assert.Equal(t, "hello", r.Exercise)
			assert.Equal(t, 1, r.Step)
			assert.Equal(t, "1.2.3", r.CoachVersion)
			assert.Equal(t, run.Docker, r.Target)
			assert.Equal(t, int64(7), r.Seed)
			assert.False(t, r.StartedAt.IsZero())
			require.NotNil(t, r.Timings)
			assert.Equal(t, []string{"health", "secret"}, seen)
			// The pipeline is blind to visibility: the hidden test's
			// result is whole (report redacts it for learners).
			require.Len(t, r.Tests, 2)
			assert.True(t, r.Tests[1].Hidden)
			assert.Equal(t, "secret", r.Tests[1].ID)
			assert.Equal(t, "hello", started.Exercise)
		})
	}
}

func TestCheckStepSpec(t *testing.T) {
	t.Parallel()
	ex, suite := step(t)
	ex.Services.Required = []string{"postgres"}
	ex.Timeouts.Start = exercises.Duration(3 * time.Second)
	be := &fake.Backend{Handler: serve(200, "")}
	svc := &run.Service{Open: be.Opener()}
	dir := nodeWorkspace(t)
	out, err := svc.CheckStep(context.Background(), run.StepRequest{Exercise: ex, Suite: suite, Kind: run.Docker, Dir: dir, Port: 9123})
	require.NoError(t, err)
	out.Teardown()
	specs := be.Specs()
	require.Len(t, specs, 1)
	sp := specs[0]
	assert.Equal(t, 9123, sp.Port)
	assert.Equal(t, "hi", sp.Env["GREETING"])
	assert.Equal(t, 3*time.Second, sp.StartTimeout)
	require.NotNil(t, sp.Workspace)
	assert.Equal(t, workspace.Node, sp.Workspace.Runtime)
	assert.Contains(t, sp.Workspace.Services.Names(), "postgres", "a service the exercise requires runs whatever coach.yaml says")
	assert.Equal(t, sandbox.WorkspaceLogDir(sp.Workspace.Dir), sp.LogDir)

	// A URL check has no workspace to detect.
	out, err = svc.CheckStep(context.Background(), run.StepRequest{Exercise: ex, Suite: suite, Kind: run.URL, URL: "http://127.0.0.1:1"})
	require.NoError(t, err)
	out.Teardown()
	assert.Nil(t, be.Specs()[1].Workspace)
}

func TestCheckStepStartFailure(t *testing.T) {
	t.Parallel()
	ex, suite := step(t)
	buildErr := &workspace.BuildError{Runtime: "node", Output: "npm ERR! missing script: build", Err: errors.New("exit status 1")}
	tests := []struct {
		name string
		be   *fake.Backend
		dir  string
		want any
	}{
		{"the build fails", &fake.Backend{StartErr: buildErr}, nodeWorkspace(t), &workspace.BuildError{}},
		{"no workspace in the folder", &fake.Backend{Handler: serve(200, "")}, t.TempDir(), &workspace.Error{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc := &run.Service{Open: tc.be.Opener()}
			out, err := svc.CheckStep(context.Background(), run.StepRequest{Exercise: ex, Suite: suite, Kind: run.Process, Dir: tc.dir})
			require.Error(t, err)
			switch tc.want.(type) {
			case *workspace.BuildError:
				var be *workspace.BuildError
				assert.ErrorAs(t, err, &be)
			case *workspace.Error:
				var we *workspace.Error
				assert.ErrorAs(t, err, &we)
			}
			assert.Equal(t, grader.StatusError, out.Result.Status)
			assert.Equal(t, err.Error(), out.Result.Message)
			assert.Equal(t, 5.0, out.Result.MaxScore)
			assert.Empty(t, out.Result.Tests)
			assert.Equal(t, 0, tc.be.Live())
			assert.Equal(t, time.Duration(0), out.Teardown(), "nothing is left to remove")
		})
	}
}

func TestCheckStepOpenFails(t *testing.T) {
	t.Parallel()
	ex, suite := step(t)
	engine := &sandbox.EngineError{Op: "connect", Err: errors.New("no socket")}
	svc := &run.Service{Open: func(context.Context, run.StepRequest) (run.Backend, error) { return nil, engine }}
	out, err := svc.CheckStep(context.Background(), run.StepRequest{Exercise: ex, Suite: suite, Kind: run.Docker, Dir: nodeWorkspace(t)})
	require.ErrorIs(t, err, engine)
	assert.Equal(t, grader.StatusError, out.Result.Status)
}

func TestCheckStepBudget(t *testing.T) {
	t.Parallel()
	ex, suite := step(t)
	be := &fake.Backend{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/secret" {
			<-r.Context().Done() // never answers in time
			return
		}
		w.WriteHeader(200)
	})}
	svc := &run.Service{Open: be.Opener()}
	out, err := svc.CheckStep(context.Background(), run.StepRequest{Exercise: ex, Suite: suite, Kind: run.Docker, Dir: nodeWorkspace(t), Budget: 500 * time.Millisecond})
	require.NoError(t, err)
	out.Teardown()
	assert.True(t, out.OutOfTime)
	assert.Equal(t, grader.StatusError, out.Result.Status)
	assert.Contains(t, out.Result.Message, "the time budget of 500ms ran out")
	assert.Equal(t, 2.0, out.Result.Score, "tests that passed before the budget ran out keep their points")
	assert.Equal(t, 0, be.Live())
}

func TestCheckStepInterrupted(t *testing.T) {
	t.Parallel()
	ex, suite := step(t)
	ctx, cancel := context.WithCancel(context.Background())
	be := &fake.Backend{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel() // Ctrl-C while the first request is in flight
		w.WriteHeader(200)
	})}
	svc := &run.Service{Open: be.Opener()}
	out, err := svc.CheckStep(ctx, run.StepRequest{Exercise: ex, Suite: suite, Kind: run.Docker, Dir: nodeWorkspace(t)})
	require.ErrorIs(t, err, context.Canceled)
	out.Teardown()
	assert.Equal(t, 0, be.Live(), "an interrupted check still removes its server")
}

func TestCheckStepSavesServerLog(t *testing.T) {
	t.Parallel()
	ex, suite := step(t)
	be := &fake.Backend{Handler: serve(200, "served")}
	svc := &run.Service{Open: be.Opener()}
	dir := nodeWorkspace(t)
	out, err := svc.CheckStep(context.Background(), run.StepRequest{Exercise: ex, Suite: suite, Kind: run.Docker, Dir: dir, SaveServerLog: true})
	require.NoError(t, err)
	out.Teardown()
	data, err := os.ReadFile(filepath.Join(sandbox.WorkspaceLogDir(dir), sandbox.ServerLogName))
	require.NoError(t, err)
	assert.Equal(t, "served /health\nserved /secret\n", string(data))
}

// TestCheckStepHintLanguage: check and grade keep the hints of the
// workspace's language, which the pipeline detects once and reports;
// verify (LangHints false) keeps every hint.
func TestCheckStepHintLanguage(t *testing.T) {
	t.Parallel()
	src := `tests:
  - id: health
    name: health answers
    hint:
      - {lang: [node], text: "res.status(200)"}
      - {lang: [go], text: "w.WriteHeader(200)"}
    steps: [{request: {path: /health}, expect: {status: 200}}]
`
	suite, err := grader.ParseSuite("suite.yaml", []byte(src))
	require.NoError(t, err)
	ex := &exercises.Exercise{ID: "hello", Step: 1, Points: 1}
	withDockerfile := nodeWorkspace(t)
	require.NoError(t, os.WriteFile(filepath.Join(withDockerfile, "Dockerfile"), []byte("FROM node:22\nCMD [\"node\", \"server.js\"]\n"), 0o644))
	tests := []struct {
		name      string
		kind      string
		dir       string
		runtime   string
		langHints bool
		wantLang  string
		wantHint  string
	}{
		{"a Node workspace's hints", run.Docker, nodeWorkspace(t), "", true, "node", "res.status(200)"},
		{"every hint for verify", run.Docker, nodeWorkspace(t), "", false, "node", "res.status(200) w.WriteHeader(200)"},
		{"a demanded Dockerfile keeps the learner's language", run.Docker, withDockerfile, "dockerfile", true, "node", "res.status(200)"},
		{"a URL check reads the folder", run.URL, nodeWorkspace(t), "", true, "node", "res.status(200)"},
		{"a URL check of no workspace: every hint", run.URL, t.TempDir(), "", true, "", "res.status(200) w.WriteHeader(200)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			be := &fake.Backend{Handler: serve(500, "")}
			svc := &run.Service{Open: be.Opener()}
			out, err := svc.CheckStep(context.Background(), run.StepRequest{
				Exercise: ex, Suite: suite, Kind: tc.kind, Dir: tc.dir, URL: "http://127.0.0.1:1", Runtime: tc.runtime, LangHints: tc.langHints,
			})
			require.NoError(t, err)
			out.Teardown()
			if tc.runtime != "" {
				specs := be.Specs()
				require.Len(t, specs, 1)
				assert.Equal(t, workspace.Runtime(tc.runtime), specs[0].Workspace.Runtime, "the demanded runtime is built")
			}
			assert.Equal(t, tc.wantLang, out.Lang)
			require.Len(t, out.Result.Tests, 1)
			assert.Equal(t, grader.StatusFail, out.Result.Tests[0].Status)
			assert.Equal(t, tc.wantHint, out.Result.Tests[0].Hint)
		})
	}
}
