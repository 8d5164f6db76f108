package cli

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/grader/report"
	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/internal/run"
)

type gradeOptions struct {
	g          *globalOptions
	step       string
	dirs       []string
	manifest   string
	out        string
	jobs       int
	timeout    time.Duration
	shard      string
	seed       int64
	html       string
	showHidden bool
	github     string
	exitZero   bool
	port       int
	backend    run.Backend // shared by every submission's sandbox (Docker), or nil
}

func newGradeCmd(g *globalOptions) *cobra.Command {
	o := &gradeOptions{g: g}
	cmd := &cobra.Command{
		Use:   "grade --step <step> <submission-dir>...",
		Short: "Grade one submission or a whole class, each in its own sandbox (instructors, CI)",
		Long: `Grades each submission folder against a step's suite, each in its own sandbox, and
writes per-submission results (coach JSON, the learner's redacted JSON, Gradescope
results.json, JUnit XML, a Markdown summary) to --out/<submission-id>/, then a class
summary: --out/summary.csv, a table on the terminal and, with --html, a self-contained
HTML report. Under GitHub Actions it also prints annotations and a Points notice and
appends a Markdown summary to $GITHUB_STEP_SUMMARY.

A submission's id is its folder's name, or the first column of --manifest (CSV:
id,path; paths relative to the manifest). Hidden tests are shown in instructors'
outputs (results.json, gradescope.json, summary.csv, the table, the HTML report) and
redacted in learner-facing ones (learner.json, junit.xml, summary.md, annotations)
unless --show-hidden.

Exit codes: the most severe over all submissions: 0 all passed, 1 some tests failed,
3 some code did not build or start (or ran out of --timeout), 4 sandbox error;
2 usage error, 130 interrupted (results graded so far are kept). --exit-zero exits 0
whenever every submission was graded.`,
		Example: `  coach grade --step 3 ./submissions/*
  coach grade --step 3 --manifest class.csv --jobs 4 --html report.html
  coach grade --step 3 --shard 2/4 --seed 1234 --out shard-2 ./submissions/*
  coach grade merge shard-1 shard-2 shard-3 shard-4 --out results`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dirs = args
			if o.step == "" {
				return usagef("--step is required")
			}
			if len(args) == 0 && o.manifest == "" {
				return usagef("name submission folders or give --manifest")
			}
			if !cmd.Flags().Changed("seed") {
				o.seed = rand.Int64N(1_000_000)
			}
			cfg, err := g.loadConfig(cmd, map[string]string{"sandbox": config.KeySandbox})
			if err != nil {
				return err
			}
			return runGrade(cmd.Context(), o, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.step, "step", "", "the step to grade (number, name or id)")
	f.StringVar(&o.manifest, "manifest", "", "CSV file of submissions: id,path (a header row is allowed)")
	f.StringVarP(&o.out, "out", "o", "grade-results", "folder for the results: <out>/<submission-id>/ and <out>/summary.csv")
	f.IntVarP(&o.jobs, "jobs", "j", 1, "grade this many submissions at once")
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "time budget of one submission (build, start and tests)")
	f.StringVar(&o.shard, "shard", "", "grade only shard k of n (k/n), chosen by a hash of the submission id")
	f.Int64Var(&o.seed, "seed", 0, "seed for the tests' random data, the same for every submission (default random)")
	f.StringVar(&o.html, "html", "", "also write the class report as one self-contained HTML file")
	f.BoolVar(&o.showHidden, "show-hidden", false, "show hidden tests in learner-facing outputs too")
	f.StringVar(&o.github, "github", "auto", "GitHub Actions annotations and step summary: auto (when GITHUB_ACTIONS=true), always or never")
	f.BoolVar(&o.exitZero, "exit-zero", false, "exit 0 when every submission was graded, whatever the verdicts")
	f.IntVar(&o.port, "port", 0, "the PORT each server is given (default 8080; with --sandbox process a free port each)")
	f.String("sandbox", "docker", "where to run the servers: docker (isolated) or process (NOT isolated: trusted code only)")
	cmd.AddCommand(newGradeMergeCmd(g))
	return cmd
}

// submission is one folder to grade.
type submission struct {
	ID  string
	Dir string
}

// graded is one submission's outcome.
type graded struct {
	ID     string
	Result *grader.Result
	Code   int // the exit code this submission alone would give
}

func runGrade(ctx context.Context, o *gradeOptions, cfg *config.Config) error {
	io := o.g.io
	cat, err := o.g.catalog()
	if err != nil {
		return err
	}
	st, err := loadStep(cat, o.step)
	if err != nil {
		return err
	}
	subs, err := collectSubmissions(o.dirs, o.manifest)
	if err != nil {
		return err
	}
	if o.shard != "" {
		k, n, err := parseShard(o.shard)
		if err != nil {
			return err
		}
		subs = shardOf(subs, k, n)
	}
	if o.jobs < 1 {
		return usagef("--jobs must be at least 1")
	}
	if o.timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	gh, err := o.githubMode()
	if err != nil {
		return err
	}
	kind := cfg.Settings().Sandbox.Backend
	if kind == "process" {
		fmt.Fprintln(io.Err, "coach: --sandbox process runs every submission on this machine, NOT isolated: grade only code you trust")
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return withCode(ExitUsage, fmt.Errorf("create --out: %w", err))
	}
	if kind == run.Docker {
		// One connection for the whole class: the relay image is prepared
		// once, not once per submission, and an unreachable engine stops
		// the run before any submission is blamed for it.
		be, release, err := o.g.checker(cfg).Share(ctx, kind, io.Err)
		if err != nil {
			return withCode(ExitSandbox, err)
		}
		defer release()
		o.backend = be
	}
	fmt.Fprintf(io.Err, "coach: grading %s against %s (step %d) · seed %d · %d at a time\n",
		plural(len(subs), "submission"), st.ex.ID, st.ex.Step, o.seed, o.jobs)

	results := gradeAll(ctx, o, cfg, st, kind, subs)

	class := make([]report.Submission, 0, len(results))
	worst := ExitOK
	for _, r := range results {
		class = append(class, report.Submission{ID: r.ID, Result: r.Result})
		worst = worse(worst, r.Code)
	}
	report.SortSubmissions(class)
	if err := writeClass(o.out, o.html, class); err != nil {
		return err
	}
	if ctx.Err() != nil {
		fmt.Fprintf(io.Err, "coach: interrupted: %d of %d submissions graded; their results and a partial summary are in %s; everything coach started was removed\n",
			len(results), len(subs), o.out)
		return withCode(ExitInterrupted, errSilent)
	}

	if len(results) == 1 {
		// One submission (a learner's repository in CI): the learner's own
		// report, as coach check prints it.
		r := results[0].Result
		if err := report.Terminal(io.Out, r, report.TerminalOptions{ShowHidden: o.showHidden, Color: o.g.colorOut(cfg, io.OutIsTTY)}); err != nil {
			return err
		}
	} else if err := report.ClassTable(io.Out, class, report.TerminalOptions{Color: o.g.colorOut(cfg, io.OutIsTTY)}); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "\nresults in %s\n", o.out)
	if gh {
		if err := o.writeGitHub(class); err != nil {
			return err
		}
	}
	if o.exitZero || worst == ExitOK {
		return nil
	}
	return withCode(worst, errSilent)
}

// gradeAll grades subs with o.jobs workers. A submission interrupted by
// ctx is left out: its result would say nothing about the code.
func gradeAll(ctx context.Context, o *gradeOptions, cfg *config.Config, st *loadedStep, kind string, subs []submission) []graded {
	var (
		mu   sync.Mutex
		out  []graded
		next = make(chan submission)
		wg   sync.WaitGroup
		done int
	)
	for range min(o.jobs, max(len(subs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range next {
				r, ok := o.gradeOne(ctx, cfg, st, kind, s)
				mu.Lock()
				if ok {
					out = append(out, r)
					done++
					fmt.Fprintf(o.g.io.Err, "  [%d/%d] %s: %s %s/%s (%s)\n", done, len(subs), s.ID, r.Result.Status,
						points(r.Result.Score), points(r.Result.MaxScore), (time.Duration(r.Result.DurationMS) * time.Millisecond).Round(100*time.Millisecond))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, s := range subs {
		select {
		case next <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return out
}

// gradeOne builds, starts and checks one submission in its own sandbox
// within the time budget, writes its results folder and returns its
// outcome; ok is false when ctx (Ctrl-C) interrupted it.
func (o *gradeOptions) gradeOne(ctx context.Context, cfg *config.Config, st *loadedStep, kind string, s submission) (graded, bool) {
	dir := filepath.Join(o.out, s.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return o.infraFailure(s, st, kind, fmt.Errorf("create results folder: %w", err)), true
	}
	// Build progress and warnings go to the submission's own log: with
	// several jobs they would interleave on the terminal.
	logf, err := os.Create(filepath.Join(dir, "grade.log"))
	if err != nil {
		return o.infraFailure(s, st, kind, fmt.Errorf("create grade log: %w", err)), true
	}
	defer logf.Close()
	g := *o.g
	g.io = &IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: logf, Getenv: o.g.io.Getenv}

	r, code := gradeWorkspace(ctx, &g, cfg, st, gradeRequest{
		kind: kind, dir: s.Dir, port: o.port, seed: o.seed, budget: o.timeout, backend: o.backend,
	})
	if ctx.Err() != nil {
		return graded{}, false
	}
	if err := writeSubmission(dir, r, o.showHidden); err != nil {
		return o.infraFailure(s, st, kind, err), true
	}
	return graded{ID: s.ID, Result: r, Code: code}, true
}

func (o *gradeOptions) infraFailure(s submission, st *loadedStep, kind string, err error) graded {
	r := newResult(st, kind, o.seed)
	r.Status, r.Message = grader.StatusError, err.Error()
	return graded{ID: s.ID, Result: r, Code: ExitSandbox}
}

// gradeRequest says how to grade one workspace.
type gradeRequest struct {
	kind    string // docker or process
	dir     string
	port    int
	seed    int64
	budget  time.Duration // 0: no budget of its own
	backend run.Backend   // shared backend, or nil
}

func newResult(st *loadedStep, kind string, seed int64) *grader.Result {
	return &grader.Result{
		Version: grader.ResultsVersion, Exercise: st.ex.ID, Step: st.ex.Step, CoachVersion: Version(),
		Seed: seed, Target: kind, StartedAt: time.Now().UTC(), MaxScore: st.suite.Points(), Tests: []grader.TestResult{},
	}
}

// gradeWorkspace builds, starts and checks one workspace with a step's
// suite, hidden tests in full, and removes everything it started before it
// returns. A build, start or sandbox failure becomes a result with status
// error; code is the exit code coach check would give for it.
func gradeWorkspace(ctx context.Context, g *globalOptions, cfg *config.Config, st *loadedStep, req gradeRequest) (*grader.Result, int) {
	out, err := g.checker(cfg).CheckStep(ctx, run.StepRequest{
		Exercise: st.ex, Suite: st.suite, Kind: req.kind, Dir: req.dir, Port: req.port, Seed: req.seed,
		Budget: req.budget, Backend: req.backend, Progress: g.io.Err, LangHints: true,
	})
	out.Teardown()
	r := out.Result
	switch {
	case out.OutOfTime:
		return r, ExitLearnerCode
	case err != nil:
		code := ExitCode(err)
		if code == ExitUsage && !isUserError(err) {
			code = ExitSandbox
		}
		if code == ExitUsage {
			// A submission coach cannot make sense of (no workspace found)
			// is the learner's to fix, not the grader's command line.
			code = ExitLearnerCode
		}
		return r, code
	}
	switch r.Status {
	case grader.StatusPass:
		return r, ExitOK
	case grader.StatusFail:
		return r, ExitFailed
	}
	return r, ExitSandbox
}

// worse orders outcomes: a sandbox error says the grading itself is in
// doubt, so it outranks the learners' own failures.
func worse(a, b int) int {
	rank := map[int]int{ExitOK: 0, ExitFailed: 1, ExitLearnerCode: 2, ExitUsage: 3, ExitSandbox: 4}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// The files of one submission's results folder.
const (
	fileResults    = "results.json"    // instructors: coach JSON, hidden tests in full
	fileLearner    = "learner.json"    // learners: coach JSON, hidden tests redacted
	fileGradescope = "gradescope.json" // Gradescope's results.json (it hides hidden tests itself)
	fileJUnit      = "junit.xml"       // learner-facing (CI test tabs)
	fileMarkdown   = "summary.md"      // learner-facing GitHub step summary
	fileSummaryCSV = "summary.csv"     // the class, in --out
)

// writeSubmission writes a submission's results folder. Each file is
// written whole and renamed into place, so an interrupted run never leaves
// a half-written results.json for `grade merge` to trip on.
func writeSubmission(dir string, r *grader.Result, showHidden bool) error {
	learner := r
	if !showHidden {
		learner = report.Redact(r)
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{fileLearner, func(w io.Writer) error { return report.JSON(w, learner) }},
		{fileGradescope, func(w io.Writer) error { return report.Gradescope(w, r) }},
		{fileJUnit, func(w io.Writer) error { return report.JUnit(w, learner) }},
		{fileMarkdown, func(w io.Writer) error { return report.GitHub(io.Discard, w, learner) }},
		// Last: merge takes a folder with results.json as complete.
		{fileResults, func(w io.Writer) error { return report.JSON(w, r) }},
	}
	for _, f := range files {
		if err := writeResultFile(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	return nil
}

func writeResultFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeClass writes the class summary CSV into out and the HTML report.
func writeClass(out, html string, class []report.Submission) error {
	if err := writeResultFile(filepath.Join(out, fileSummaryCSV), func(w io.Writer) error { return report.ClassCSV(w, class) }); err != nil {
		return withCode(ExitSandbox, err)
	}
	if html != "" {
		err := writeResultFile(html, func(w io.Writer) error {
			return report.ClassHTML(w, class, report.HTMLOptions{Generated: time.Now()})
		})
		if err != nil {
			return withCode(ExitUsage, err)
		}
	}
	return nil
}

func (o *gradeOptions) githubMode() (bool, error) {
	switch o.github {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
		return o.g.io.Getenv != nil && o.g.io.Getenv("GITHUB_ACTIONS") == "true", nil
	}
	return false, usagef("unknown --github %q: want auto, always or never", o.github)
}

// writeGitHub prints annotations and appends the Markdown summary to
// $GITHUB_STEP_SUMMARY. One submission gets the learner's per-test view
// (hidden tests redacted); a class gets a table per submission.
func (o *gradeOptions) writeGitHub(class []report.Submission) error {
	var summary io.Writer = io.Discard
	if path := o.g.io.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return withCode(ExitSandbox, fmt.Errorf("open $GITHUB_STEP_SUMMARY: %w", err))
		}
		defer f.Close()
		summary = f
	}
	if len(class) == 1 {
		r := class[0].Result
		if !o.showHidden {
			r = report.Redact(r)
		}
		return report.GitHub(o.g.io.Out, summary, r)
	}
	if err := report.ClassAnnotations(o.g.io.Out, class); err != nil {
		return err
	}
	return report.ClassMarkdown(summary, class)
}

func parseShard(s string) (k, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return 0, 0, usagef("--shard %q: want k/n with 1 ≤ k ≤ n, e.g. 2/4", s)
	}
	return k, n, nil
}

// shardOf keeps the submissions of shard k of n. The hash of the id, not
// the position, decides: adding a submission to the class never moves the
// others to another shard, and every shard agrees without talking.
func shardOf(subs []submission, k, n int) []submission {
	var out []submission
	for _, s := range subs {
		h := fnv.New32a()
		h.Write([]byte(s.ID))
		if int(h.Sum32()%uint32(n)) == k-1 {
			out = append(out, s)
		}
	}
	return out
}

func points(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
