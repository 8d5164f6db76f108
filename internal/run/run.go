// Package run is coach's check pipeline, the one sequence that check,
// watch, exercise verify and grade share: open a sandbox backend, build
// and start the learner's server, run a step's suite against it, set the
// result's metadata and timings, and remove the sandbox.
//
// The backend is injected (Service.Open), as cli/cli injects its HTTP
// client: the commands use the real Docker, process and URL backends,
// tests may use a fake one where the engine is not what they are about.
// What the pipeline does not know: how a result is shown or redacted
// (package report), exit codes and words for learners (package cli).
package run

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/sandbox"
	"github.com/coachcli/coach/sandbox/workspace"
)

// The sandbox kinds a request may name.
const (
	Docker  = "docker"  // the locked-down container sandbox
	Process = "process" // the learner's machine, not isolated
	URL     = "url"     // a server the learner already runs
)

// Backend starts servers; docker.Backend, process.Backend and
// urltarget.Target are backends.
type Backend interface {
	Start(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error)
}

// Opener opens the backend a request names (its Kind, its URL, its
// Progress). A backend that is also an io.Closer is closed when the
// request is done with it.
type Opener func(ctx context.Context, req StepRequest) (Backend, error)

// Service runs steps. The zero value is not usable: Open is required.
type Service struct {
	Open Opener
	// Version is the coach version written into every result.
	Version string
}

// Share opens one backend of kind for many requests (a class to grade, a
// catalogue to verify), passed to each as StepRequest.Backend: the Docker
// connection is made, the engine checked and the relay image prepared
// once, and an unreachable engine fails before any workspace is blamed.
// release closes it.
func (s *Service) Share(ctx context.Context, kind string, progress io.Writer) (be Backend, release func(), err error) {
	if be, err = s.Open(ctx, StepRequest{Kind: kind, Progress: progress}); err != nil {
		return nil, nil, err
	}
	return be, func() { closeBackend(be) }, nil
}

// closeBackend releases a backend that holds something (an engine
// connection).
func closeBackend(be Backend) {
	if c, ok := be.(io.Closer); ok {
		_ = c.Close()
	}
}

// StepRequest is one step to check against one server.
type StepRequest struct {
	Exercise *exercises.Exercise // whose env, timeouts and services apply
	Suite    *grader.Suite
	Kind     string // Docker, Process or URL
	Dir      string // the workspace (not for URL)
	URL      string // for URL
	// Port is the PORT the server is given: 0 lets the backend choose.
	Port int
	// Runtime forces a runtime (else the exercise's, else detection): a
	// later step's solution that demands a Dockerfile is checked against
	// earlier suites with it.
	Runtime string
	Seed    int64
	// Only runs just these test ids.
	Only       []string
	Transcript bool
	// LangHints keeps in the results only the hints for the workspace's
	// language (Outcome.Lang); false keeps every hint (an instructor's
	// verify).
	LangHints bool
	// Budget bounds build, start and tests (0: none of its own).
	Budget time.Duration
	// Progress receives the sandbox's progress lines (builds, pulls).
	Progress io.Writer
	// Backend, when set, is used instead of opening one (coach grade
	// shares one Docker connection across a class); it is not closed.
	Backend Backend
	// SaveServerLog keeps the server's output in the workspace's log folder.
	SaveServerLog bool
	// Started is called once the server is ready, before the first test,
	// with the result's metadata (exercise, step, seed, target) set.
	Started func(*grader.Result)
	// OnTest is called after each test (live output).
	OnTest func(grader.TestResult)
}

// Outcome is what checking one step gave.
type Outcome struct {
	// Result always exists: a build, start or sandbox failure is a result
	// with status error (so machine formats still get a file).
	Result *grader.Result
	// Build is where the build's time went.
	Build *sandbox.Timings
	// OutOfTime says the request's Budget ran out.
	OutOfTime bool
	// Lang is the checked workspace's language, the runtime detected in its
	// folder ("" when there is none, or coach cannot tell).
	Lang string
	// ServerNote says in one line what the server's output shows it tried
	// and cannot have in the sandbox (a database it did not declare,
	// another host), when tests failed; "" otherwise.
	ServerNote string

	teardown func() time.Duration
}

// Teardown waits until the sandbox is removed and says how long the
// removal took; the result may be shown meanwhile. It may be called more
// than once.
func (o *Outcome) Teardown() time.Duration {
	if o.teardown == nil {
		return 0
	}
	return o.teardown()
}

// CheckStep builds and starts the server, runs the suite against it and
// returns the outcome, with the sandbox's removal under way (Outcome
// Teardown waits for it; the removal ignores ctx, so Ctrl-C still removes
// everything). A build, start or sandbox failure is returned as err too,
// the sandbox already removed. An interrupted check (ctx done) returns the
// partial outcome and ctx's error.
func (s *Service) CheckStep(ctx context.Context, req StepRequest) (*Outcome, error) {
	began := time.Now()
	res := &grader.Result{
		Version: grader.ResultsVersion, Exercise: req.Exercise.ID, Step: req.Exercise.Step,
		CoachVersion: s.Version, Seed: req.Seed, Target: req.Kind, StartedAt: began.UTC(),
		MaxScore: req.Suite.Points(), Tests: []grader.TestResult{},
	}
	out := &Outcome{Result: res, Build: &sandbox.Timings{}}
	sctx := ctx
	if req.Budget > 0 {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(ctx, req.Budget)
		defer cancel()
	}
	outOfTime := func() bool { return ctx.Err() == nil && sctx.Err() != nil }
	timings := &grader.Timings{}
	finish := func(r *grader.Result) {
		r.Exercise, r.Step, r.CoachVersion, r.Target, r.StartedAt = res.Exercise, res.Step, res.CoachVersion, res.Target, res.StartedAt
		r.Timings = timings
		r.DurationMS = time.Since(began).Milliseconds()
		out.Result = r
	}

	inst, spec, stop, err := s.start(sctx, req, out.Build)
	out.Lang = workspaceLang(req, spec)
	timings.BuildMS = out.Build.Build.Milliseconds()
	timings.StartMS = (time.Since(began) - out.Build.Build).Milliseconds()
	if err != nil {
		res.Status, res.Message = grader.StatusError, err.Error()
		if outOfTime() {
			out.OutOfTime = true
			res.Message = fmt.Sprintf("%s before the server answered", budgetMessage(req.Budget))
		}
		finish(res)
		return out, err
	}
	torn := false
	defer func() {
		if !torn {
			stop()
		}
	}()
	if req.Started != nil {
		req.Started(res)
	}
	testsBegan := time.Now()
	got := grader.Run(sctx, req.Suite, inst, grader.RunOptions{
		Seed: req.Seed, Env: req.Exercise.Env, Port: instancePort(inst, req.Port),
		DefaultTestTimeout: req.Exercise.TestTimeout(), Only: req.Only, Transcript: req.Transcript,
		OnTest: req.OnTest, Lang: hintLang(req, out.Lang),
	})
	timings.TestsMS = time.Since(testsBegan).Milliseconds()
	if req.Kind != URL {
		log := inst.LogsSince(0)
		if req.SaveServerLog {
			sandbox.SaveLog(sandbox.WorkspaceLogDir(req.Dir), sandbox.ServerLogName, log)
		}
		// A server refused by a database it did not declare is told which
		// one to declare; one whose tables are missing, to create them.
		if got.Status != grader.StatusPass && spec.Workspace != nil {
			out.ServerNote = sandbox.ExplainOutput(string(log), spec.Workspace.Services)
		}
	}
	torn = true
	out.teardown = tearDown(stop, timings)
	finish(got)
	if outOfTime() {
		// Tests that passed before the budget ran out keep their points.
		got.Status, got.Message = grader.StatusError, budgetMessage(req.Budget)
		out.OutOfTime = true
	}
	return out, ctx.Err()
}

func budgetMessage(budget time.Duration) string {
	return fmt.Sprintf("grading stopped: the time budget of %s ran out (--timeout)", budget)
}

// tearDown starts removing a sandbox and returns the func that waits for
// the removal, recording how long it took in timings.
func tearDown(stop func(), timings *grader.Timings) func() time.Duration {
	began := time.Now()
	done := make(chan struct{})
	var took time.Duration
	go func() {
		defer close(done)
		stop()
		took = time.Since(began)
	}()
	var once sync.Once
	return func() time.Duration {
		<-done
		once.Do(func() { timings.TeardownMS = took.Milliseconds() })
		return took
	}
}

// start opens the backend, builds and starts the server; stop removes the
// server and everything the backend made for it, ignoring ctx's
// cancellation, so it also cleans up after Ctrl-C.
func (s *Service) start(ctx context.Context, req StepRequest, build *sandbox.Timings) (sandbox.Instance, sandbox.Spec, func(), error) {
	be, owned := req.Backend, false
	if be == nil {
		var err error
		if be, err = s.Open(ctx, req); err != nil {
			return nil, sandbox.Spec{}, nil, err
		}
		owned = true
	}
	release := func() {
		if owned {
			closeBackend(be)
		}
	}
	spec, err := Spec(req)
	if err != nil {
		release()
		return nil, spec, nil, err
	}
	spec.Timings = build
	inst, err := be.Start(ctx, spec)
	if err != nil {
		release()
		return nil, spec, nil, sandbox.Diagnose(spec.LogDir, err)
	}
	stop := func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
		defer cancel()
		if err := inst.Close(cctx); err != nil && req.Progress != nil {
			fmt.Fprintf(req.Progress, "coach: cleanup: %v\n", err)
		}
		release()
	}
	return inst, spec, stop, nil
}

// Spec is the sandbox spec of a request: the exercise's environment and
// timeouts, and, unless it checks a URL, the detected workspace with the
// services the exercise requires.
func Spec(req StepRequest) (sandbox.Spec, error) {
	ex := req.Exercise
	spec := sandbox.Spec{
		Port:         req.Port,
		Env:          ex.Env,
		BuildTimeout: ex.BuildTimeout(),
		StartTimeout: ex.StartTimeout(),
		OutputCap:    sandbox.DefaultOutputCap,
		Progress:     req.Progress,
	}
	if req.Kind == URL {
		return spec, nil
	}
	rt := req.Runtime
	if rt == "" {
		rt = ex.Runtime
	}
	ws, err := Workspace(req.Dir, rt)
	if err != nil {
		return spec, err
	}
	ws.Services = ws.Services.With(ex.Services.Required...)
	spec.Workspace = ws
	spec.LogDir = sandbox.WorkspaceLogDir(ws.Dir)
	return spec, nil
}

// Workspace detects the learner's workspace, honouring a demanded
// runtime (the containers step builds the learner's Dockerfile).
func Workspace(dir, runtime string) (*workspace.Workspace, error) {
	if runtime != "" {
		return workspace.ForceRuntime(dir, workspace.Runtime(runtime))
	}
	return workspace.Detect(dir)
}

// workspaceLang is the language of the workspace a request checks, as
// detected in its folder (a runtime the exercise demands, as step 13's
// Dockerfile, does not change the learner's language; "" when coach cannot
// tell).
func workspaceLang(req StepRequest, spec sandbox.Spec) string {
	if spec.Workspace != nil {
		return string(spec.Workspace.Detected)
	}
	if req.Kind == URL && req.Dir != "" {
		return DetectLang(req.Dir)
	}
	return ""
}

// DetectLang is the runtime detected in dir, "" when there is none: the
// language whose hints a learner there gets.
func DetectLang(dir string) string {
	if ws, err := workspace.Detect(dir); err == nil {
		return string(ws.Runtime)
	}
	return ""
}

// hintLang is the language whose hints the results keep ("": every hint).
func hintLang(req StepRequest, lang string) string {
	if !req.LangHints {
		return ""
	}
	return lang
}

func instancePort(inst sandbox.Instance, fallback int) int {
	if p, ok := inst.(interface{ Port() int }); ok {
		return p.Port()
	}
	return fallback
}
