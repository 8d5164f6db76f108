package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/grader/report"
	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/internal/progress"
	"github.com/coachcli/coach/internal/run"
	"github.com/coachcli/coach/sandbox"
	"github.com/coachcli/coach/sandbox/docker"
	"github.com/coachcli/coach/sandbox/process"
	"github.com/coachcli/coach/sandbox/urltarget"
	"github.com/coachcli/coach/sandbox/workspace"
)

type checkOptions struct {
	g          *globalOptions
	step       string // "" = the workspace's current step
	url        string
	format     string
	output     string
	seed       int64
	verbose    bool
	only       []string
	port       int
	showHidden bool
	previous   bool
	// watching is set by coach watch, where the next step is a key away
	// and the report must fit the screen: the compact report, kept in
	// last (with its options) to page through its problems.
	watching bool
	last     *grader.Result
	lastOpts report.TerminalOptions
	now      func() time.Time
	// teardowns are sandboxes still being removed after their verdict was
	// printed; runCheck waits for them before it returns.
	teardowns []func() time.Duration
	// docker, when set, is the Docker backend the checks share (coach
	// watch keeps one, with a warm pod); nil opens one per check.
	docker run.Backend
}

func newCheckCmd(g *globalOptions) *cobra.Command {
	o := &checkOptions{g: g}
	cmd := &cobra.Command{
		Use:   "check [step]",
		Short: "Build your server, run it sandboxed and check it against a step's tests",
		Long: `Builds the workspace (Node.js, Go, Python or your own Dockerfile), runs it in a
Docker sandbox with no network, and checks it from the outside with the step's tests.

Without a step it checks the current step (the one coach start or coach init chose).
A step is named by its number (3), its name (step-3) or its id (todo-api).
--previous then checks every earlier step too, current step first and stopping at the
first failure, so you know at once when a change broke something that used to work.
Every result is recorded in .coach/progress.json (see coach progress).

Exit codes: 0 all passed, 1 tests failed, 2 usage or config error, 3 your code did
not build or start, 4 sandbox error (Docker unreachable, ...), 130 interrupted.`,
		Example: `  coach check                              # the current step
  coach check --previous                   # ... and every earlier step
  coach check step-1
  coach check 3 --sandbox process          # no Docker: runs on your machine, not isolated
  coach check 3 --url http://127.0.0.1:3000  # a server you already run
  coach check 3 --format json --output results.json
  coach check 3 --seed 42                  # replay the random data of a run`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeSteps(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.step = args[0]
			}
			if !cmd.Flags().Changed("seed") {
				o.seed = rand.Int64N(1_000_000)
			}
			cfg, err := g.loadConfig(cmd, map[string]string{"sandbox": config.KeySandbox, "port": config.KeyPort})
			if err != nil {
				return err
			}
			// --port > COACH_PORT > coach.yaml > user file > 8080.
			o.port = cfg.Settings().Port
			return runCheck(cmd.Context(), o, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "", "check a server you already run at this URL instead of building one")
	f.String("sandbox", "docker", "where to run your server: docker (isolated) or process (on this machine, not isolated)")
	f.StringVarP(&o.format, "format", "f", "terminal", "output format: "+strings.Join(report.Formats, ", "))
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of standard output")
	f.Int64Var(&o.seed, "seed", 0, "seed for the tests' random data (printed with every run)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print every request and response")
	f.StringSliceVar(&o.only, "test", nil, "run only these test ids")
	f.IntVar(&o.port, "port", 0, "the PORT your server is given (default 8080; with --sandbox process a free port)")
	f.BoolVar(&o.showHidden, "show-hidden", false, "show hidden tests' details (instructors)")
	f.BoolVar(&o.previous, "previous", false, "when the step passes, check every earlier step too (stops at the first failure)")
	registerCheckCompletions(cmd)
	return cmd
}

// loadedStep is an exercise with its decoded suite.
type loadedStep struct {
	ex    *exercises.Exercise
	suite *grader.Suite
}

func loadStep(cat *exercises.Catalog, name string) (*loadedStep, error) {
	ex, err := cat.Find(name)
	if err != nil {
		return nil, err
	}
	s, err := parseSuite(ex)
	if err != nil {
		return nil, err
	}
	return &loadedStep{ex: ex, suite: s}, nil
}

func parseSuite(ex *exercises.Exercise) (*grader.Suite, error) {
	data, err := fs.ReadFile(ex.FS, "suite.yaml")
	if err != nil {
		return nil, fmt.Errorf("read %s/suite.yaml: %w", ex.Dir, err)
	}
	file := path.Join(ex.Dir, "suite.yaml")
	s, err := grader.ParseSuite(file, data)
	if err != nil {
		return nil, err
	}
	if total := s.Points(); total != ex.Points {
		return nil, &exercises.PosError{File: path.Join(ex.Dir, "exercise.yaml"),
			Msg: fmt.Sprintf("points is %g but the suite's tests add up to %g", ex.Points, total)}
	}
	return s, nil
}

func runCheck(ctx context.Context, o *checkOptions, cfg *config.Config) error {
	io := o.g.io
	cat, step, err := o.g.stepCatalog(o.step)
	if err != nil {
		return err
	}
	ex, err := resolveStep(o.g, cat, step, "check")
	if err != nil {
		return err
	}
	st, err := loadStep(cat, ex.Name())
	if err != nil {
		return err
	}
	format := strings.ToLower(o.format)
	if !contains(report.Formats, format) {
		return usagef("unknown --format %q: want one of %s", o.format, strings.Join(report.Formats, ", "))
	}
	o.format = format
	live := o.live()
	if o.previous && !live {
		return usagef("--previous prints to the terminal: leave out --format and --output (one report per step would overwrite the last)")
	}
	if o.url != "" && o.previous {
		return usagef("--previous needs a server coach builds: earlier steps start it afresh, which --url cannot")
	}
	defer o.waitTeardowns()
	passed, err := checkStep(ctx, o, cfg, st, "", false)
	if err != nil || !passed {
		return err
	}
	sty := learnerStyle{o.g.colorOut(cfg, io.OutIsTTY)}
	if o.previous && ex.Step > 1 {
		earlier := "step 1"
		if ex.Step > 2 {
			earlier = fmt.Sprintf("steps 1-%d", ex.Step-1)
		}
		fmt.Fprintf(io.Out, "\n%s\n", sty.bold("Checking "+earlier+" too, in order:"))
		for _, prev := range cat.Exercises {
			if prev.Step >= ex.Step {
				break
			}
			pst, err := loadStep(cat, prev.Name())
			if err != nil {
				return err
			}
			// A step that demands a runtime (a Dockerfile) is checked with
			// it against the earlier suites too, as verify does.
			ok, err := checkStep(ctx, o, cfg, pst, ex.Runtime, true)
			if err != nil {
				fmt.Fprintf(io.Out, "\n%s %s\n", sty.red("✗"), sty.bold(fmt.Sprintf("%s no longer passes: a change for %s broke an earlier step", prev.Name(), ex.Name())))
				return err
			}
			if !ok {
				fmt.Fprintf(io.Out, "\n%s %s\n", sty.red("✗"), sty.bold(fmt.Sprintf("%s no longer passes: a change for %s broke an earlier step (details above)", prev.Name(), ex.Name())))
				return withCode(ExitFailed, errSilent)
			}
		}
	}
	if live {
		if why := o.partial(ex); why != "" {
			fmt.Fprintf(io.Out, "\n%s %s\n", sty.green("✓"), sty.bold("Every test that ran passed"))
			fmt.Fprintf(io.Out, "Partial run: %s not marked as passed (%s).\n", ex.Name(), why)
			return nil
		}
		announcePass(o, cat, ex, sty)
	}
	return nil
}

// live says the report is printed on the terminal as the tests run (the
// terminal or text format, no --output file); else one report is written
// at the end. o.format is lower-cased by runCheck.
func (o *checkOptions) live() bool {
	return (o.format == "terminal" || o.format == "text") && o.output == ""
}

// waitTeardowns waits until every sandbox of this check is removed.
func (o *checkOptions) waitTeardowns() {
	for _, wait := range o.teardowns {
		wait()
	}
	o.teardowns = nil
}

// timingsLine is the -v line that says where a check's time went.
func timingsLine(t *grader.Timings, build *sandbox.Timings) string {
	ms := func(v int64) string { return fmt.Sprintf("%.2fs", float64(v)/1000) }
	b := ms(t.BuildMS)
	if parts := build.String(); parts != "" {
		b += " (" + parts + ")"
	}
	return fmt.Sprintf("timings: build %s · start %s · tests %s · teardown %s", b, ms(t.StartMS), ms(t.TestsMS), ms(t.TeardownMS))
}

// partial says why a run that passed proves less than the step: it ran
// only some tests, or checked a server coach did not build for a step the
// folder is not on. "" means the run counts.
func (o *checkOptions) partial(ex *exercises.Exercise) string {
	switch {
	case len(o.only) > 0:
		return fmt.Sprintf("--test ran only %s; coach check %s runs them all", strings.Join(o.only, ", "), ex.Name())
	case o.url == "":
		return ""
	case !progress.Exists(o.g.dir):
		return "--url checked a server in a folder without coach progress; run coach check in your workspace to record it"
	}
	if st, err := progress.Load(o.g.dir); err == nil && st.Current != "" && st.Current != ex.ID {
		return fmt.Sprintf("--url checked %s, but this workspace is on another step", ex.Name())
	}
	return ""
}

// runFlags are the flags that changed a run, for "Reproduce with".
func (o *checkOptions) runFlags(kind string) []string {
	var f []string
	if o.url != "" {
		f = append(f, "--url "+o.url)
	} else if kind == "process" {
		f = append(f, "--sandbox process")
	}
	// 8080 is the default in docker; the process sandbox otherwise picks
	// a free port.
	if o.port != 0 && o.url == "" && (o.port != sandbox.DefaultPort || kind == "process") {
		f = append(f, fmt.Sprintf("--port %d", o.port))
	}
	if len(o.only) > 0 {
		f = append(f, "--test "+strings.Join(o.only, ","))
	}
	return f
}

// The instances tell the grader what it needs beyond a Target: whether the
// server still runs, and whether its output can be seen at all.
var (
	_ grader.StateReporter = (*process.Instance)(nil)
	_ grader.StateReporter = (*docker.Instance)(nil)
	_ grader.OutputHider   = (*urltarget.Instance)(nil)
)

// announcePass says the step passed and what comes next.
func announcePass(o *checkOptions, cat *exercises.Catalog, ex *exercises.Exercise, sty learnerStyle) {
	out := o.g.io.Out
	what := ex.Name() + " passed"
	if o.previous && ex.Step > 1 {
		what += ", and every earlier step still passes"
	}
	fmt.Fprintf(out, "\n%s %s\n", sty.green("✓"), sty.bold(what+"!"))
	next := cat.Next(ex)
	switch {
	case next == nil:
		fmt.Fprintf(out, "That was the last step of %s: you finished the roadmap.\n", cat.Roadmap.Title)
	case o.watching:
		fmt.Fprintf(out, "Next: %s — %s: press n to start it\n", next.Name(), next.Title)
	default:
		fmt.Fprintf(out, "Next: %s — %s: coach start %s\n", next.Name(), next.Title, next.Name())
	}
}

// checkStep builds, starts and checks one step and records the result. An
// earlier step (coach check --previous) is quiet while it passes: one line,
// and the whole report only when it fails.
func checkStep(ctx context.Context, o *checkOptions, cfg *config.Config, st *loadedStep, runtime string, earlier bool) (bool, error) {
	io := o.g.io
	termOpts := report.TerminalOptions{Verbose: o.verbose, ShowHidden: o.showHidden}
	live := o.live()
	if live {
		termOpts.Color = o.g.colorOut(cfg, io.OutIsTTY)
	}
	out := io.Out
	var held bytes.Buffer
	if earlier {
		out = &held
	}

	kind := cfg.Settings().Sandbox.Backend
	if o.url != "" {
		kind = run.URL
	}
	termOpts.RunFlags = o.runFlags(kind)
	if kind == run.Process && !earlier {
		fmt.Fprintln(io.Err, "coach: --sandbox process runs your server on this machine, NOT isolated")
	}

	// The sandbox's progress (image pulls, builds) becomes one spinner line
	// on a terminal; the server's own lines come after it is gone.
	spin := newSpinner(io.Err, io.ErrIsTTY, o.g.colorOut(cfg, io.ErrIsTTY))
	if earlier {
		spin.Status(fmt.Sprintf("checking %s (an earlier step)", st.ex.Name()))
	} else {
		spin.Status(fmt.Sprintf("preparing your server for %s", st.ex.Name()))
	}
	// coach watch keeps the spinner to count the tests done: its report
	// comes at the end, in one screen.
	compact := live && o.watching && !earlier
	req := run.StepRequest{
		Exercise: st.ex, Suite: st.suite, Kind: kind, Dir: o.g.dir, URL: o.url, Port: o.port,
		Runtime: runtime, Seed: o.seed, Only: o.only, Transcript: o.verbose,
		Progress: spin, SaveServerLog: true, LangHints: true,
	}
	if kind == run.Docker && o.docker != nil {
		req.Backend = o.docker
	}
	req.Started = func(r *grader.Result) {
		switch {
		case earlier:
			spin.Status(fmt.Sprintf("checking %s (an earlier step): running its tests", st.ex.Name()))
		case !compact:
			spin.Stop()
		}
		if live && !compact {
			report.Header(out, r, termOpts)
		}
	}
	switch {
	case compact:
		total, done := len(st.suite.Tests), 0
		if len(o.only) > 0 {
			total = len(o.only)
		}
		req.Started = func(*grader.Result) { spin.Status(fmt.Sprintf("checking %s: 0 of %d tests", st.ex.Name(), total)) }
		req.OnTest = func(grader.TestResult) {
			done++
			spin.Status(fmt.Sprintf("checking %s: %d of %d tests", st.ex.Name(), done, total))
		}
	case live:
		req.OnTest = func(t grader.TestResult) { report.TestLine(out, t, termOpts) }
	}
	outcome, err := o.g.checker(cfg).CheckStep(ctx, req)
	spin.Stop()
	got := outcome.Result
	if err != nil && ctx.Err() == nil {
		return false, reportStartFailure(o, cfg, got, st.ex, outcome.Lang, err)
	}
	// The sandbox is being removed while the verdict is printed.
	waitTeardown := outcome.Teardown
	o.teardowns = append(o.teardowns, waitTeardown)
	if ctx.Err() != nil {
		return false, withCode(ExitInterrupted, errors.New("interrupted"))
	}
	timings, build := got.Timings, outcome.Build
	failure := ""
	if !got.Passed() {
		failure = progress.FailureTest
	}
	o.record(st.ex, got, failure)
	saveFailed(o.g.dir, st.ex, got)

	// What the server's output shows it tried and cannot have (a database
	// it did not declare): one line after the report, the last thing read.
	note := func() {
		if outcome.ServerNote != "" {
			fmt.Fprintf(out, "\n%s %s\n", learnerStyle{termOpts.Color}.bold("Note:"), outcome.ServerNote)
		}
	}
	switch {
	case compact:
		o.last, o.lastOpts = got, termOpts
		_ = report.Compact(out, got, termOpts)
		note()
	case live:
		report.Summary(out, got, termOpts)
		note()
		if o.verbose {
			waitTeardown()
			fmt.Fprintln(out, timingsLine(timings, build))
		}
	default:
		// A results file says how long the teardown took too.
		waitTeardown()
		if err := writeReport(o, got, termOpts); err != nil {
			return false, err
		}
	}
	if earlier {
		if got.Passed() {
			sty := learnerStyle{termOpts.Color}
			fmt.Fprintf(io.Out, "  %s %s  %s %s\n", sty.green("✓"), st.ex.Name(), st.ex.Title,
				sty.dim(fmt.Sprintf("(%s/%s)", scoreText(got.Score), scoreText(got.MaxScore))))
		} else {
			fmt.Fprintf(io.Out, "\n%s", held.String())
		}
	}
	if got.Passed() {
		return true, nil
	}
	if earlier {
		return false, nil
	}
	return false, withCode(ExitFailed, errSilent)
}

// record saves a step's result in the workspace's progress. A partial run
// (--test) proves nothing about the step, and a --url check records only
// the current step of a folder that already keeps progress, never in
// wherever it ran.
func (o *checkOptions) record(ex *exercises.Exercise, r *grader.Result, failure string) {
	if o.partial(ex) != "" {
		return
	}
	now := time.Now
	if o.now != nil {
		now = o.now
	}
	err := progress.Update(o.g.dir, func(st *progress.State) {
		if st.Current == "" {
			st.Current = ex.ID
		}
		st.Record(progress.Step{ID: ex.ID, Number: ex.Step, Status: string(r.Status), Failure: failure,
			Score: r.Score, MaxScore: r.MaxScore, CheckedAt: now().UTC().Truncate(time.Second)})
	})
	if err != nil {
		fmt.Fprintf(o.g.io.Err, "coach: your result was not recorded: %v\n", err)
	}
}

func writeReport(o *checkOptions, r *grader.Result, termOpts report.TerminalOptions) error {
	var w io.Writer = o.g.io.Out
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			return withCode(ExitUsage, fmt.Errorf("write report: %w", err))
		}
		defer f.Close()
		w = f
	}
	if err := report.Write(o.format, w, r, termOpts); err != nil {
		return withCode(ExitUsage, err)
	}
	return nil
}

// reportStartFailure turns a build/start/sandbox failure into the run's
// result (status error) so machine formats still get a file, records a
// build failure (so coach hint picks build hints), and explains the problem
// with the step's first build hint.
func reportStartFailure(o *checkOptions, cfg *config.Config, res *grader.Result, ex *exercises.Exercise, lang string, err error) error {
	code := ExitCode(err)
	if code == ExitUsage && !isUserError(err) {
		code = ExitSandbox
	}
	res.Status = grader.StatusError
	res.Message = err.Error()
	if !o.live() {
		if werr := writeReport(o, res, report.TerminalOptions{}); werr != nil {
			return werr
		}
	}
	if code == ExitLearnerCode {
		o.record(ex, res, progress.FailureBuild)
	}
	sc := startContext{url: o.url, process: res.Target == "process", runtime: workspace.Runtime(lang)}
	e := explainStartIn(err, sc)
	if e.headline == "" {
		return withCode(code, err) // not a first-hour problem: the plain message
	}
	text := e.render(learnerStyle{o.g.colorOut(cfg, o.g.io.ErrIsTTY)})
	if log := failureLog(err); log != "" && o.verbose {
		if data, rerr := os.ReadFile(filepath.Join(o.g.dir, log)); rerr == nil {
			text = fmt.Sprintf("── %s (all of it, -v) ──\n%s\n── end of %s ──\n\n", log, strings.TrimRight(string(data), "\n"), log) + text
		}
	}
	// Advice already specific to the problem (the wrong port) beats the
	// step's first, general build hint.
	// A build failure gets the step's first build hint; a server that
	// built but stopped or never answered gets the start hint (the build
	// hints speak of compiler output it does not have).
	var be *workspace.BuildError
	build := ex.Hints.Build.For(string(sc.runtime))
	switch built := !errors.As(err, &be); {
	case code != ExitLearnerCode || len(e.advice) > 0:
	case built:
		text += "\nHint: " + stoppedHint + "\n"
	case len(build) > 0:
		text += "\nHint: " + build[0] + "\n"
		if len(build) > 1 {
			text += "(coach hint shows the next one)\n"
		}
	}
	fmt.Fprint(o.g.io.Err, text)
	return withCode(code, errSilent)
}

// stoppedHint is the hint for a server that built but did not start.
const stoppedHint = "your code built, then the server stopped or never answered: read its output above " +
	"from its first error line, fix that, and check again. To watch it yourself, run the start command " +
	"in coach's first line, with PORT set."

func isUserError(err error) bool {
	var we *workspace.Error
	var ue *usageError
	var urlErr *urltarget.Error
	return errors.As(err, &we) || errors.As(err, &ue) || errors.As(err, &urlErr)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
