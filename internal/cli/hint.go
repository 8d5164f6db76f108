package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/internal/progress"
	"github.com/coachcli/coach/internal/run"
)

type hintOptions struct {
	g     *globalOptions
	step  string // "" = the current step
	build bool
	test  bool
	all   bool
}

func newHintCmd(g *globalOptions) *cobra.Command {
	o := &hintOptions{g: g}
	cmd := &cobra.Command{
		Use:   "hint [step]",
		Short: "Reveal the next hint for a step, gentle first",
		Long: `Reveals the next hint, one at a time, from gentle to specific. Without a step it is
for the current step. When your last check failed because the code did not build or
start, the hints are about that; otherwise they are about the failing tests.`,
		Example: `  coach hint               # the current step, for what failed last
  coach hint step-3
  coach hint 3 --build     # hints for code that does not build or start
  coach hint 3 --test      # hints for failing tests
  coach hint 3 --all`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeSteps(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.step = args[0]
			}
			if o.build && o.test {
				return usagef("--build and --test ask for different hints: choose one")
			}
			return runHint(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.build, "build", false, "hints for when your code does not build or start")
	cmd.Flags().BoolVar(&o.test, "test", false, "hints for failing tests")
	cmd.Flags().BoolVar(&o.all, "all", false, "show every hint")
	return cmd
}

// hintState remembers how many hints were shown per step and kind, in the
// workspace's .coach folder.
type hintState map[string]int

// hintsFile keeps the count of hints shown per step and kind.
func hintsFile(dir string) string { return filepath.Join(dir, progress.Dir, "hints.json") }

func runHint(_ context.Context, o *hintOptions) error {
	cat, step, err := o.g.stepCatalog(o.step)
	if err != nil {
		return err
	}
	ex, err := resolveStep(o.g, cat, step, "hint")
	if err != nil {
		return err
	}
	kind := o.kind(ex)
	if o.all {
		hints, _ := hintList(ex, kind, o.g.dir)
		for i, h := range hints {
			fmt.Fprintf(o.g.io.Out, "Hint %d/%d: %s\n\n", i+1, len(hints), h)
		}
		return nil
	}
	revealHint(o.g.io.Out, o.g.dir, ex, kind, fmt.Sprintf("run `coach hint %s` again", ex.Name()))
	return nil
}

// kind picks the hint list: the flag, else what failed at the step's last
// check (coach check records it), else test hints.
func (o *hintOptions) kind(ex *exercises.Exercise) string {
	switch {
	case o.build:
		return progress.FailureBuild
	case o.test:
		return progress.FailureTest
	}
	return lastFailure(o.g.dir, ex)
}

func lastFailure(dir string, ex *exercises.Exercise) string {
	if st, err := progress.Load(dir); err == nil {
		if rec := st.Step(ex.ID); rec != nil && rec.Failure == progress.FailureBuild {
			return progress.FailureBuild
		}
	}
	return progress.FailureTest
}

// hintList is the hints of a kind for the workspace in dir, in its
// language (every hint when coach cannot tell it, or it is a Dockerfile),
// and what they are about.
func hintList(ex *exercises.Exercise, kind, dir string) ([]string, string) {
	lang := run.DetectLang(dir)
	if kind == progress.FailureBuild {
		return ex.Hints.Build.For(lang), "your code did not build or start"
	}
	return ex.Hints.Test.For(lang), ""
}

// failedTests are the failed tests of a step's last check, with their
// hints, kept in the workspace's .coach folder: the hints of what failed
// come before the step's general ones.
type failedTests struct {
	Step  string       `json:"step"`
	Tests []failedTest `json:"tests"`
}

type failedTest struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Hint string `json:"hint"`
}

func failedFile(dir string) string { return filepath.Join(dir, progress.Dir, "failed.json") }

// saveFailed records the failed tests of a check of ex, one per cause (a
// test that failed only because another did adds no hint of its own).
func saveFailed(dir string, ex *exercises.Exercise, r *grader.Result) {
	if !progress.Exists(dir) {
		return
	}
	ft := failedTests{Step: ex.ID, Tests: []failedTest{}}
	causes := map[string]bool{}
	for _, t := range r.Tests {
		if t.Status != grader.StatusFail || t.Hidden || t.Hint == "" {
			continue
		}
		if f := t.Failure; f != nil && f.Cause != "" {
			if causes[f.Cause] {
				continue
			}
			causes[f.Cause] = true
		}
		ft.Tests = append(ft.Tests, failedTest{ID: t.ID, Name: t.Name, Hint: t.Hint})
	}
	data, _ := json.MarshalIndent(ft, "", "  ")
	_ = progress.WriteFileAtomic(failedFile(dir), append(data, '\n'))
}

func loadFailed(dir string, ex *exercises.Exercise) []failedTest {
	var ft failedTests
	data, err := os.ReadFile(failedFile(dir))
	if err != nil || json.Unmarshal(data, &ft) != nil || ft.Step != ex.ID {
		return nil
	}
	return ft.Tests
}

// revealHint prints the next hint of a kind and counts it: first the hint
// of each test that failed in the last check, then the step's own hints,
// gentle to specific. again says how to ask for the next one.
func revealHint(out io.Writer, dir string, ex *exercises.Exercise, kind, again string) {
	file := hintsFile(dir)
	state := hintState{}
	if data, err := os.ReadFile(file); err == nil {
		_ = json.Unmarshal(data, &state) // a damaged file only resets the count
	}
	save := func() {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err == nil {
			data, _ := json.MarshalIndent(state, "", "  ")
			_ = progress.WriteFileAtomic(file, append(data, '\n'))
		}
	}
	hints, about := hintList(ex, kind, dir)
	if kind == progress.FailureTest {
		failed := loadFailed(dir, ex)
		for i, f := range failed {
			key := ex.ID + "/failed/" + f.ID
			if state[key] > 0 {
				continue
			}
			fmt.Fprintf(out, "Hint for %s (%s), which failed in your last check:\n%s\n", f.ID, f.Name, f.Hint)
			switch {
			case i+1 < len(failed):
				fmt.Fprintf(out, "\n(%s for the next failing test)\n", again)
			case len(hints) > 0:
				fmt.Fprintf(out, "\n(%s for the step's general hints)\n", again)
			}
			state[key] = 1
			save()
			return
		}
	}
	if len(hints) == 0 {
		fmt.Fprintf(out, "%s has no hints of this kind.\n", ex.Name())
		return
	}
	key := ex.ID + "/" + kind
	n := min(state[key], len(hints)-1)
	if about != "" {
		fmt.Fprintf(out, "Hint %d/%d for %s (%s): %s\n", n+1, len(hints), ex.Name(), about, hints[n])
	} else {
		fmt.Fprintf(out, "Hint %d/%d for %s: %s\n", n+1, len(hints), ex.Name(), hints[n])
	}
	if n+1 < len(hints) {
		fmt.Fprintf(out, "\n(%s for a more specific one)\n", again)
	}
	state[key] = n + 1
	save()
}
