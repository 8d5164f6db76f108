package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/grader/report"
)

type mergeOptions struct {
	g      *globalOptions
	dirs   []string
	out    string
	html   string
	github string
}

func newGradeMergeCmd(g *globalOptions) *cobra.Command {
	o := &mergeOptions{g: g}
	cmd := &cobra.Command{
		Use:   "merge <results-dir>...",
		Short: "Combine the results of sharded grade runs into one summary",
		Long: `Reads the per-submission results (<dir>/<submission-id>/results.json) of several
coach grade runs, e.g. the shards of a CI matrix, copies them into --out and writes
one class summary: --out/summary.csv, a table on the terminal, --html, and under
GitHub Actions annotations and a step summary. The result is the same as one
unsharded run's. Exits 0 when every folder could be read: the grading jobs carry
the verdicts.`,
		Example: `  coach grade merge shard-1 shard-2 shard-3 --out results --html report.html`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dirs = args
			return runGradeMerge(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "grade-results", "folder for the merged results and summary.csv")
	f.StringVar(&o.html, "html", "", "also write the class report as one self-contained HTML file")
	f.StringVar(&o.github, "github", "auto", "GitHub Actions annotations and step summary: auto, always or never")
	return cmd
}

func runGradeMerge(_ context.Context, o *mergeOptions) error {
	io := o.g.io
	gh, err := (&gradeOptions{g: o.g, github: o.github}).githubMode()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return withCode(ExitUsage, fmt.Errorf("create --out: %w", err))
	}
	from := map[string]string{}
	var class []report.Submission
	for _, d := range o.dirs {
		subs, err := readResultsDir(d)
		if err != nil {
			return err
		}
		for _, s := range subs {
			if prev, ok := from[s.ID]; ok {
				return usagef("submission %s is in both %s and %s", s.ID, prev, d)
			}
			from[s.ID] = d
			if err := copyResults(filepath.Join(d, s.ID), filepath.Join(o.out, s.ID)); err != nil {
				return withCode(ExitSandbox, err)
			}
			class = append(class, s)
		}
	}
	report.SortSubmissions(class)
	if err := writeClass(o.out, o.html, class); err != nil {
		return err
	}
	if err := report.ClassTable(io.Out, class, report.TerminalOptions{Color: o.g.colorOut(nil, io.OutIsTTY)}); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "\nmerged %d folders into %s\n", len(o.dirs), o.out)
	if gh {
		return (&gradeOptions{g: o.g}).writeGitHub(class)
	}
	return nil
}

// readResultsDir reads every <dir>/<id>/results.json. A folder without one
// is a submission whose grading was interrupted: it is reported, since a
// merged summary that silently lacks a student is worse than none.
func readResultsDir(dir string) ([]report.Submission, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, usagef("read results: %v", err)
	}
	var out []report.Submission
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name(), fileResults)
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			return nil, usagef("%s has no %s: was its grading interrupted?", filepath.Join(dir, e.Name()), fileResults)
		}
		if err != nil {
			return nil, usagef("read results: %v", err)
		}
		r, err := report.ReadJSON(f)
		f.Close()
		if err != nil {
			return nil, usagef("%s: %v", path, err)
		}
		out = append(out, report.Submission{ID: e.Name(), Result: r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// copyResults copies one submission's results folder (flat files only).
func copyResults(from, to string) error {
	if same, _ := sameDir(from, to); same {
		return nil
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return fmt.Errorf("copy results: %w", err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return fmt.Errorf("copy results: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		src, err := os.Open(filepath.Join(from, e.Name()))
		if err != nil {
			return fmt.Errorf("copy results: %w", err)
		}
		err = writeResultFile(filepath.Join(to, e.Name()), func(w io.Writer) error {
			_, err := io.Copy(w, src)
			return err
		})
		src.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func sameDir(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}
