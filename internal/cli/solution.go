package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/internal/progress"
)

type solutionOptions struct {
	g     *globalOptions
	step  string // "" = the current step
	lang  string
	write string // folder to write the files into instead of printing them
	color bool
}

func newSolutionCmd(g *globalOptions) *cobra.Command {
	o := &solutionOptions{g: g}
	cmd := &cobra.Command{
		Use:   "solution [step]",
		Short: "Show a step's reference solution in your language, once you have passed it",
		Long: `Shows the reference solution of a step in your language, to compare with your own.
It unlocks once coach check has passed the step in this workspace: the point is to
learn from a second way of doing it, not to skip the doing. Solutions are cumulative:
step N's solution passes steps 1 to N.`,
		Example: `  coach solution step-3
  coach solution            # the current step
  coach solution 3 --lang go
  coach solution 3 --write ../step-3-reference   # as files, never overwriting`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeSteps(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.step = args[0]
			}
			cfg, err := g.loadConfig(cmd, map[string]string{"lang": config.KeyLang})
			if err != nil {
				return err
			}
			o.lang = cfg.Settings().Lang
			o.color = g.colorOut(cfg, g.io.OutIsTTY)
			return runSolution(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.lang, "lang", "", "the solution's language: node, go or python (default: yours)")
	cmd.Flags().StringVar(&o.write, "write", "", "write the solution's files into this folder instead of printing them")
	registerLangCompletion(cmd)
	return cmd
}

func runSolution(_ context.Context, o *solutionOptions) error {
	cat, err := o.g.catalog()
	if err != nil {
		return err
	}
	ex, err := resolveStep(o.g, cat, o.step, "solution")
	if err != nil {
		return err
	}
	st, err := progress.Load(o.g.dir)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	if !st.Step(ex.ID).EverPassed() {
		return usagef("the reference solution of %s unlocks once you pass it: coach check %s "+
			"(stuck? coach hint %s shows hints, gentle first)", ex.Name(), ex.Name(), ex.Name())
	}
	lang := learnerLanguage(o.lang, st, o.g.dir)
	if lang == "" {
		return usagef("which language? coach solution %s --lang node, go or python", ex.Name())
	}
	if !contains(ex.SolutionLanguages(), lang) {
		return usagef("%s has no %s reference solution (it has: %s)", ex.Name(), lang, strings.Join(ex.SolutionLanguages(), ", "))
	}
	dir := exercises.SolutionDir(lang)
	out := o.g.io.Out
	if o.write != "" {
		written, err := exercises.CopyTree(ex.FS, dir, o.write, false)
		if errors.Is(err, exercises.ErrExists) {
			return usagef("%v; choose an empty folder", err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "The %s reference solution of %s is in %s:\n", lang, ex.Name(), o.write)
		for _, f := range written {
			fmt.Fprintf(out, "  %s\n", f)
		}
		return nil
	}

	// One Markdown document, so a terminal gets headings and highlighted
	// code, and a pipe gets text that is still easy to read.
	var md strings.Builder
	fmt.Fprintf(&md, "# %s — %s: reference solution (%s)\n\n", ex.Name(), ex.Title, lang)
	md.WriteString("One way to pass this step and every step before it; yours may be just as good.\n")
	err = fs.WalkDir(ex.FS, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(ex.FS, p)
		if err != nil {
			return err
		}
		name := exercises.OutName(strings.TrimPrefix(p, dir+"/"))
		fence := "```"
		for strings.Contains(string(data), fence) {
			fence += "`"
		}
		fmt.Fprintf(&md, "\n## %s\n\n%s%s\n%s%s\n", name, fence, codeLanguage(name), ensureNewline(string(data)), fence)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the solution: %w", err)
	}
	return renderMarkdown(out, md.String(), o.g.io.OutIsTTY, o.color, o.g.io.Getenv)
}

// codeLanguage names a file's language for the highlighter.
func codeLanguage(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs", ".cjs":
		return "javascript"
	case ".go":
		return "go"
	case ".py":
		return "python"
	case ".json":
		return "json"
	case ".md":
		return "markdown"
	case ".yaml", ".yml":
		return "yaml"
	}
	if path.Base(name) == "Dockerfile" {
		return "dockerfile"
	}
	return ""
}
