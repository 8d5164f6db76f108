package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/internal/run"
)

type verifyOptions struct {
	g       *globalOptions
	path    string // catalogue folder; "" = the embedded one
	steps   []string
	langs   []string
	repeat  int
	sandbox string
	noMut   bool
	jobs    int
	// fullMutants runs a mutant's whole suite, not only the test that must
	// catch it.
	fullMutants bool
	// backend is shared by every workspace (Docker), or nil.
	backend run.Backend
}

func newExerciseCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exercise",
		Short: "Author and verify exercises (instructors)",
	}
	cmd.AddCommand(newVerifyCmd(g), newNewCmd(g), newLintCmd(g), newSchemaCmd(g))
	return cmd
}

func newVerifyCmd(g *globalOptions) *cobra.Command {
	o := &verifyOptions{g: g}
	cmd := &cobra.Command{
		Use:   "verify [catalogue-dir]",
		Short: "Prove the suites: every reference solution passes, every mutant is caught",
		Long: `Builds and runs every reference solution (every language) and every style (an extra
solution under styles/) of every step N against the suites of steps 1..N, and every
mutant against its own step's suite, and prints a matrix. --lang names a language (its
reference solution and its styles) or one style. Exits 1 when a solution fails a suite or a mutant is not caught by the test
it names.`,
		Example: `  coach exercise verify --all
  coach exercise verify --step 3 --lang go
  coach exercise verify --step 9 --lang node-pg   # one style and its mutants
  coach exercise verify ./my-pack --sandbox process
  coach exercise verify --all --repeat 5     # flakiness guard: identical verdicts`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.path = args[0]
			}
			cfg, err := g.loadConfig(cmd, map[string]string{"sandbox": config.KeySandbox})
			if err != nil {
				return err
			}
			o.sandbox = cfg.Settings().Sandbox.Backend
			return runVerify(cmd.Context(), o, cfg)
		},
	}
	f := cmd.Flags()
	f.Bool("all", false, "verify every step (the default when no --step is given)")
	f.StringSliceVar(&o.steps, "step", nil, "verify only these steps")
	f.StringSliceVar(&o.langs, "lang", nil, "verify only these languages or styles")
	f.IntVar(&o.repeat, "repeat", 1, "run everything this many times; verdicts must be identical")
	f.String("sandbox", "docker", "docker or process")
	f.BoolVar(&o.noMut, "no-mutants", false, "skip the mutants")
	f.IntVarP(&o.jobs, "jobs", "j", 2, "how many workspaces to build and check at once")
	f.BoolVar(&o.fullMutants, "full-mutants", false, "run each mutant's whole suite, not only the test that must catch it")
	return cmd
}

// verdict is one cell of the verification: a workspace against a suite.
type verdict struct {
	Step     int      // the solution's (or mutant's) step
	Solution string   // a language (reference solution) or a style's name
	Mutant   string   // "" for the solution itself
	Suite    int      // the step whose suite ran
	Status   string   // pass, fail, error
	Failed   []string // failed test ids
	Message  string
}

func (v verdict) key() string {
	return fmt.Sprintf("%d/%s/%s/%d", v.Step, v.Solution, v.Mutant, v.Suite)
}

func (v verdict) ok(want string) bool {
	if v.Mutant == "" {
		return v.Status == "pass"
	}
	return v.Status == "fail" && contains(v.Failed, want)
}

func runVerify(ctx context.Context, o *verifyOptions, cfg *config.Config) error {
	if o.path != "" {
		o.g.catalogDir = o.path
	}
	cat, err := o.g.catalog()
	if err != nil {
		return err
	}
	steps := make([]*loadedStep, 0, len(cat.Exercises))
	for _, ex := range cat.Exercises {
		s, err := parseSuite(ex)
		if err != nil {
			return err
		}
		steps = append(steps, &loadedStep{ex: ex, suite: s})
	}
	if err := checkMutantTests(steps); err != nil {
		return err
	}
	var selected []*loadedStep
	for _, st := range steps {
		if len(o.steps) == 0 || contains(o.steps, fmt.Sprint(st.ex.Step)) || contains(o.steps, st.ex.Name()) || contains(o.steps, st.ex.ID) {
			selected = append(selected, st)
		}
	}
	if len(selected) == 0 {
		return usagef("no step matches --step %s", strings.Join(o.steps, ","))
	}
	if o.sandbox == run.Docker {
		// One engine connection for the whole catalogue, as grade does.
		be, release, err := o.g.checker(cfg).Share(ctx, o.sandbox, o.g.io.Err)
		if err != nil {
			return withCode(ExitSandbox, err)
		}
		defer release()
		o.backend = be
	}
	out := o.g.io.Out
	start := time.Now()
	var first map[string]verdict
	var all []verdict
	for round := 1; round <= max(o.repeat, 1); round++ {
		if o.repeat > 1 {
			fmt.Fprintf(out, "round %d/%d\n", round, o.repeat)
		}
		vs, err := verifyRound(ctx, o, cfg, steps, selected)
		if err != nil {
			return err
		}
		if first == nil {
			first = map[string]verdict{}
			for _, v := range vs {
				first[v.key()] = v
			}
			all = vs
			continue
		}
		for _, v := range vs {
			if p := first[v.key()]; p.Status != v.Status || strings.Join(p.Failed, ",") != strings.Join(v.Failed, ",") {
				return withCode(ExitFailed, fmt.Errorf("flaky: %s gave %s %v in round 1 and %s %v in round %d",
					v.key(), p.Status, p.Failed, v.Status, v.Failed, round))
			}
		}
	}
	misses := printMatrix(out, steps, selected, all)
	fmt.Fprintf(out, "\nverified in %s (%s sandbox)\n", time.Since(start).Round(time.Second), o.sandbox)
	if misses > 0 {
		return withCode(ExitFailed, fmt.Errorf("%d verification(s) failed", misses))
	}
	return nil
}

// checkMutantTests makes sure every mutant names a test of its step.
func checkMutantTests(steps []*loadedStep) error {
	var errs exercises.ErrorList
	for _, st := range steps {
		for _, m := range st.ex.Mutants {
			if !hasTest(st.suite, m.CaughtBy) {
				errs = append(errs, &exercises.PosError{File: m.File, Line: m.Line,
					Msg: fmt.Sprintf("mutant %s: caught_by names %q, which is not a test of this step's suite", m.ID, m.CaughtBy)})
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func hasTest(s *grader.Suite, id string) bool {
	for _, t := range s.Tests {
		if t.ID == id {
			return true
		}
	}
	return false
}

// verifyTask is one workspace to build — a reference solution, a style or
// a mutant of one — and the suites to run against it, one after the other.
// Tasks run in parallel; the runs of one workspace never do, so no two runs
// build the same workspace image at once.
type verifyTask struct {
	st     *loadedStep
	sol    exercises.Solution
	mutant *exercises.Mutant
	suites []*loadedStep
}

// verifyTasks lists the workspaces to verify for the selected steps: each
// solution (reference solutions and styles) against steps 1..N, each mutant
// against its own step. --lang names a language (its reference solution
// and styles) or a style.
func verifyTasks(o *verifyOptions, steps, selected []*loadedStep, skip func(*loadedStep) bool) []verifyTask {
	wanted := func(sol exercises.Solution) bool {
		return len(o.langs) == 0 || contains(o.langs, sol.Lang) || contains(o.langs, sol.Name)
	}
	var tasks []verifyTask
	for _, st := range selected {
		if skip(st) {
			continue
		}
		for _, sol := range st.ex.Solutions() {
			if wanted(sol) {
				tasks = append(tasks, verifyTask{st: st, sol: sol, suites: steps[:st.ex.Step]})
			}
		}
		if o.noMut {
			continue
		}
		for i := range st.ex.Mutants {
			m := &st.ex.Mutants[i]
			if sol, ok := st.ex.Solution(m.Solution()); ok && wanted(sol) {
				tasks = append(tasks, verifyTask{st: st, sol: sol, mutant: m, suites: []*loadedStep{st}})
			}
		}
	}
	return tasks
}

func verifyRound(ctx context.Context, o *verifyOptions, cfg *config.Config, steps, selected []*loadedStep) ([]verdict, error) {
	quiet := *o.g
	quiet.io = &IOStreams{In: o.g.io.In, Out: io.Discard, Err: io.Discard, Getenv: o.g.io.Getenv}
	var progressMu sync.Mutex
	progressf := func(format string, a ...any) {
		progressMu.Lock()
		defer progressMu.Unlock()
		fmt.Fprintf(o.g.io.Err, format, a...)
	}
	tasks := verifyTasks(o, steps, selected, func(st *loadedStep) bool {
		if o.sandbox == "process" && st.ex.Runtime == "dockerfile" {
			progressf("  %s builds a Dockerfile: it needs --sandbox docker (skipped)\n", st.ex.Name())
			return true
		}
		return false
	})

	results := make([][]verdict, len(tasks))
	errs := make([]error, len(tasks))
	sem := make(chan struct{}, max(o.jobs, 1))
	var wg sync.WaitGroup
	for i, tk := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				return
			}
			if ctx.Err() != nil {
				return
			}
			results[i], errs[i] = runTask(ctx, &quiet, cfg, o, tk, progressf)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, withCode(ExitInterrupted, ctx.Err())
	}
	var out []verdict
	for i := range tasks {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, results[i]...)
	}
	return out, nil
}

// runTask builds one workspace and runs its suites against it.
func runTask(ctx context.Context, g *globalOptions, cfg *config.Config, o *verifyOptions, tk verifyTask,
	progressf func(string, ...any)) ([]verdict, error) {
	dir, err := materialize(tk.st.ex, tk.sol.Name, tk.mutant)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var out []verdict
	for _, suite := range tk.suites {
		if ctx.Err() != nil {
			break
		}
		// Tests are independent (own cookies, captures and data), so a
		// mutant's verdict needs only the test that must catch it.
		var only []string
		if tk.mutant != nil && !o.fullMutants {
			only = []string{tk.mutant.CaughtBy}
		}
		v := runOne(ctx, g, cfg, run.StepRequest{Kind: o.sandbox, Backend: o.backend, Dir: dir, Runtime: tk.st.ex.Runtime, Only: only}, suite)
		v.Step, v.Solution, v.Suite = tk.st.ex.Step, tk.sol.Name, suite.ex.Step
		if tk.mutant != nil {
			v.Mutant = tk.mutant.ID
			progressf("  %s mutant %s (%s): %s %v\n", tk.st.ex.Name(), v.Mutant, tk.sol.Name, v.Status, v.Failed)
		} else {
			progressf("  %s %s solution vs step %d suite: %s\n", tk.st.ex.Name(), tk.sol.Name, suite.ex.Step, v.Status)
		}
		out = append(out, v)
	}
	return out, nil
}

// materialize writes a solution — a language's reference solution or a
// style, by name — with a mutant's edits, if any, into a fresh temporary
// workspace.
func materialize(ex *exercises.Exercise, name string, m *exercises.Mutant) (string, error) {
	sol, ok := ex.Solution(name)
	if !ok {
		return "", fmt.Errorf("%s has no solution %q", ex.Name(), name)
	}
	dir, err := os.MkdirTemp("", "coach-verify-")
	if err != nil {
		return "", fmt.Errorf("create workspace: %w", err)
	}
	if err := ex.WriteSolution(sol, m, dir); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// runOne starts the workspace req names and runs one step's suite against it.
func runOne(ctx context.Context, g *globalOptions, cfg *config.Config, req run.StepRequest, st *loadedStep) verdict {
	req.Exercise, req.Suite, req.Seed, req.Progress = st.ex, st.suite, 1, g.io.Err
	out, err := g.checker(cfg).CheckStep(ctx, req)
	out.Teardown()
	if err != nil {
		return verdict{Status: "error", Message: firstLine(err.Error())}
	}
	r := out.Result
	v := verdict{Status: string(r.Status), Message: r.Message}
	for _, t := range r.Tests {
		if t.Status != grader.StatusPass {
			v.Failed = append(v.Failed, t.ID)
			if v.Message == "" {
				v.Message = t.ID + ": " + firstLine(t.Message)
			}
		}
	}
	return v
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// printMatrix prints step × language for solutions and mutant → caught by,
// and returns how many verifications failed.
func printMatrix(w io.Writer, steps, selected []*loadedStep, vs []verdict) int {
	misses := 0
	byKey := map[string][]verdict{}
	for _, v := range vs {
		k := fmt.Sprintf("%d/%s/%s", v.Step, v.Solution, v.Mutant)
		byKey[k] = append(byKey[k], v)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSOLUTIONS (passes steps 1..N)\t")
	fmt.Fprintf(tw, "STEP\t%s\n", strings.Join(exercises.Languages, "\t"))
	var details []string
	for _, st := range selected {
		row := []string{st.ex.Name()}
		for _, lang := range exercises.Languages {
			cell := "·"
			if runs := byKey[fmt.Sprintf("%d/%s/", st.ex.Step, lang)]; len(runs) > 0 {
				cell = "✓"
				for _, v := range runs {
					if !v.ok("") {
						cell = fmt.Sprintf("✗ step %d", v.Suite)
						misses++
						details = append(details, fmt.Sprintf("%s %s solution fails the step %d suite: %s", st.ex.Name(), lang, v.Suite, v.Message))
					}
				}
			}
			row = append(row, cell)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	styled := false
	for _, st := range selected {
		for _, style := range st.ex.Styles {
			runs := byKey[fmt.Sprintf("%d/%s/", st.ex.Step, style.Name)]
			if len(runs) == 0 {
				continue
			}
			if !styled {
				styled = true
				fmt.Fprintln(tw, "\nSTYLES (passes steps 1..N)\t\t\t")
				fmt.Fprintln(tw, "STEP\tSTYLE\tLANG\tRESULT")
			}
			cell := "✓"
			for _, v := range runs {
				if !v.ok("") {
					cell = fmt.Sprintf("✗ step %d", v.Suite)
					misses++
					details = append(details, fmt.Sprintf("%s style %s fails the step %d suite: %s", st.ex.Name(), style.Name, v.Suite, v.Message))
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", st.ex.Name(), style.Name, style.Lang, cell)
		}
	}
	fmt.Fprintln(tw, "\nMUTANTS\t\t\t\t")
	fmt.Fprintln(tw, "STEP\tMUTANT\tSOLUTION\tMUST FAIL\tRESULT")
	for _, st := range selected {
		ms := append([]exercises.Mutant(nil), st.ex.Mutants...)
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].Solution() < ms[j].Solution() })
		for _, m := range ms {
			runs := byKey[fmt.Sprintf("%d/%s/%s", st.ex.Step, m.Solution(), m.ID)]
			if len(runs) == 0 {
				continue
			}
			v := runs[0]
			res := "✓ caught"
			if !v.ok(m.CaughtBy) {
				misses++
				res = fmt.Sprintf("✗ %s (failed: %s)", v.Status, strings.Join(v.Failed, ", "))
				details = append(details, fmt.Sprintf("%s mutant %s is not caught by %s: %s %s", st.ex.Name(), m.ID, m.CaughtBy, v.Status, v.Message))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", st.ex.Name(), m.ID, m.Solution(), m.CaughtBy, res)
		}
	}
	_ = tw.Flush()
	for _, d := range details {
		fmt.Fprintln(w, "  ✗ "+d)
	}
	return misses
}
