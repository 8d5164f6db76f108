package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/grader/report"
	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/sandbox"
)

type checkOptions struct {
	g          *globalOptions
	step       string
	url        string
	sandbox    string
	format     string
	output     string
	seed       int64
	verbose    bool
	only       []string
	port       int
	showHidden bool
}

func newCheckCmd(g *globalOptions) *cobra.Command {
	o := &checkOptions{g: g}
	cmd := &cobra.Command{
		Use:   "check <step>",
		Short: "Build your server, run it sandboxed and check it against a step's tests",
		Long: `Builds the workspace (Node.js, Go, Python or your own Dockerfile), runs it in a
Docker sandbox with no network, and checks it from the outside with the step's tests.

A step is named by its number (3), its name (step-3) or its id (todo-api).

Exit codes: 0 all passed, 1 tests failed, 2 usage or config error, 3 your code did
not build or start, 4 sandbox error (Docker unreachable, ...), 130 interrupted.`,
		Example: `  coach check step-1
  coach check 3 --sandbox process          # no Docker: runs on your machine, not isolated
  coach check 3 --url http://127.0.0.1:3000  # a server you already run
  coach check 3 --format json --output results.json
  coach check 3 --seed 42                  # replay the random data of a run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.step = args[0]
			if !cmd.Flags().Changed("seed") {
				o.seed = rand.Int64N(1_000_000)
			}
			cfg, err := g.loadConfig(cmd, map[string]string{"sandbox": config.KeySandbox, "port": config.KeyPort})
			if err != nil {
				return err
			}
			return runCheck(cmd.Context(), o, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "", "check a server you already run at this URL instead of building one")
	f.StringVar(&o.sandbox, "sandbox", "docker", "where to run your server: docker (isolated) or process (on this machine, not isolated)")
	f.StringVarP(&o.format, "format", "f", "terminal", "output format: "+strings.Join(report.Formats, ", "))
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of standard output")
	f.Int64Var(&o.seed, "seed", 0, "seed for the tests' random data (printed with every run)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print every request and response")
	f.StringSliceVar(&o.only, "test", nil, "run only these test ids")
	f.IntVar(&o.port, "port", 8080, "the PORT your server is given")
	f.BoolVar(&o.showHidden, "show-hidden", false, "show hidden tests' details (instructors)")
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
	st, err := loadStep(cat, step)
	if err != nil {
		return err
	}
	termOpts := report.TerminalOptions{Verbose: o.verbose, ShowHidden: o.showHidden}
	format := strings.ToLower(o.format)
	if !contains(report.Formats, format) {
		return usagef("unknown --format %q: want one of %s", o.format, strings.Join(report.Formats, ", "))
	}
	live := (format == "terminal" || format == "text") && o.output == ""
	if live {
		termOpts.Color = o.g.colorOut(cfg, io.OutIsTTY)
	}

	res := &grader.Result{
		Version: grader.ResultsVersion, Exercise: st.ex.ID, Step: st.ex.Step,
		CoachVersion: Version(), Seed: o.seed, StartedAt: time.Now().UTC(),
	}
	kind := cfg.String(config.KeySandbox)
	if o.url != "" {
		kind = "url"
	}
	res.Target = kind
	if kind == "process" {
		fmt.Fprintln(io.Err, "coach: --sandbox process runs your server on this machine, NOT isolated")
	}

	inst, stop, err := startServer(ctx, o.g, cfg, serverRequest{ex: st.ex, kind: kind, dir: o.g.dir, url: o.url, port: o.port})
	if err != nil {
		return reportStartFailure(o, cfg, res, st.ex, err)
	}
	defer stop()

	if live {
		report.Header(io.Out, res, termOpts)
	}
	runOpts := grader.RunOptions{
		Seed: o.seed, Env: st.ex.Env, Port: instancePort(inst, o.port), DefaultTestTimeout: st.ex.TestTimeout(),
		Only: o.only, Transcript: o.verbose, ShowHidden: o.showHidden,
	}
	if live {
		runOpts.OnTest = func(t grader.TestResult) { report.TestLine(io.Out, t, termOpts) }
	}
	got := grader.Run(ctx, st.suite, inst, runOpts)
	got.Exercise, got.Step, got.CoachVersion, got.Target = res.Exercise, res.Step, res.CoachVersion, res.Target
	if ctx.Err() != nil {
		return withCode(ExitInterrupted, errors.New("interrupted"))
	}

	if live {
		report.Summary(io.Out, got, termOpts)
	} else if err := writeReport(o, got, termOpts); err != nil {
		return err
	}
	if got.Passed() {
		if next := cat.Next(st.ex); next != nil && live {
			fmt.Fprintf(io.Out, "\nNext: %s — %s (coach start %s)\n", next.Name(), next.Title, next.Name())
		}
		return nil
	}
	return withCode(ExitFailed, errSilent)
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
// result (status error) so machine formats still get a file, and prints the
// message with the step's first build hint for people.
func reportStartFailure(o *checkOptions, cfg *config.Config, res *grader.Result, ex *exercises.Exercise, err error) error {
	code := ExitCode(err)
	if code == ExitUsage && !isUserError(err) {
		code = ExitSandbox
	}
	res.Status = grader.StatusError
	res.Message = err.Error()
	if o.format != "terminal" && o.format != "text" || o.output != "" {
		if werr := writeReport(o, res, report.TerminalOptions{}); werr != nil {
			return werr
		}
	}
	msg := err.Error()
	if code == ExitLearnerCode && len(ex.Hints.Build) > 0 {
		msg += "\n\nHint: " + ex.Hints.Build[0]
	}
	return withCode(code, errors.New(msg))
}

func isUserError(err error) bool {
	var we *sandbox.WorkspaceError
	var ue *usageError
	var urlErr *sandbox.URLError
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
