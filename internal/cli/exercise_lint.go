package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/grader"
)

type lintOptions struct {
	g      *globalOptions
	path   string
	format string
}

func newLintCmd(g *globalOptions) *cobra.Command {
	o := &lintOptions{g: g}
	cmd := &cobra.Command{
		Use:   "lint [catalogue-or-exercise-dir]",
		Short: "Find mistakes in a catalogue: everything the loader checks, and authoring slips",
		Long: `Checks a catalogue (a folder with roadmap.yaml) or one exercise folder in it: every
rule the loader enforces, plus tests that assert nothing, variables used before they
are captured or never defined, tests without hints, README sections missing, mutants
naming tests that do not exist, and points that do not add up.

Each problem names file:line:column and its rule. Exits 1 when there are problems.`,
		Example: `  coach exercise lint ./http-basics
  coach exercise lint ./http-basics/step-02-routes
  coach exercise lint --format json   # for editors`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.path = args[0]
			}
			return runLint(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	return cmd
}

func runLint(_ context.Context, o *lintOptions) error {
	if o.format != "text" && o.format != "json" {
		return usagef("unknown --format %q: want text or json", o.format)
	}
	root := o.path
	if root == "" {
		root = o.g.catalogDir
	}
	if root == "" {
		root = o.g.dir
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return usagef("%s is not a folder", root)
	}
	// An exercise folder is linted as part of its catalogue (mutants and
	// points need the roadmap), reporting only its own problems.
	only := ""
	if !exists(filepath.Join(root, "roadmap.yaml")) && exists(filepath.Join(root, "exercise.yaml")) {
		only = filepath.Base(filepath.Clean(root)) + "/"
		root = filepath.Dir(filepath.Clean(root))
	}
	if !exists(filepath.Join(root, "roadmap.yaml")) {
		return usagef("%s has no roadmap.yaml: give a catalogue folder or an exercise folder in one", root)
	}
	var probs []*grader.Problem
	for _, p := range grader.LintCatalog(os.DirFS(root)) {
		if only == "" || strings.HasPrefix(p.File, only) || p.File == "roadmap.yaml" {
			probs = append(probs, p)
		}
	}
	if o.format == "json" {
		if err := writeProblemsJSON(o.g.io.Out, root, probs); err != nil {
			return err
		}
	} else {
		printProblems(o.g.io.Out, root, probs)
		if len(probs) == 0 {
			fmt.Fprintf(o.g.io.Out, "%s: no problems\n", filepath.Join(root, strings.TrimSuffix(only, "/")))
		}
	}
	if len(probs) > 0 {
		return withCode(ExitFailed, errSilent)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// problemFile is a problem's file as the user can open it.
func problemFile(root, file string) string {
	if root == "" || root == "." {
		return file
	}
	return filepath.Join(root, filepath.FromSlash(file))
}

func printProblems(w io.Writer, root string, probs []*grader.Problem) {
	for _, p := range probs {
		pe := p.PosError
		pe.File = problemFile(root, p.File)
		fmt.Fprintf(w, "%s (%s)\n", pe.Error(), p.Rule)
	}
	if n := len(probs); n > 0 {
		fmt.Fprintf(w, "%d problem(s)\n", n)
	}
}

// lintJSON is the --format json output: stable field names for editors.
type lintJSON struct {
	Problems []lintProblem `json:"problems"`
}

type lintProblem struct {
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Severity string `json:"severity"`
	Rule     string `json:"rule"`
	Message  string `json:"message"`
}

func writeProblemsJSON(w io.Writer, root string, probs []*grader.Problem) error {
	out := lintJSON{Problems: []lintProblem{}}
	for _, p := range probs {
		out.Problems = append(out.Problems, lintProblem{File: problemFile(root, p.File), Line: p.Line, Column: p.Col,
			Severity: "error", Rule: p.Rule, Message: p.Msg})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
