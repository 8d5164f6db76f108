package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/internal/config"
)

// InstructionsFile is where `coach start` writes the current step's text.
const InstructionsFile = "STEP.md"

type startOptions struct {
	g    *globalOptions
	step string
	lang string
}

func newStartCmd(g *globalOptions) *cobra.Command {
	o := &startOptions{g: g}
	cmd := &cobra.Command{
		Use:   "start <step>",
		Short: "Start a step: write its instructions (and, for step 1, a starter) into the workspace",
		Example: `  coach start step-1 --lang node
  coach start 4`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.step = args[0]
			cfg, err := g.loadConfig(cmd, map[string]string{"lang": config.KeyLang})
			if err != nil {
				return err
			}
			o.lang = cfg.String(config.KeyLang)
			return runStart(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.lang, "lang", "", "your language for the starter: node, go or python")
	return cmd
}

func runStart(_ context.Context, o *startOptions) error {
	cat, step, err := o.g.stepCatalog(o.step)
	if err != nil {
		return err
	}
	ex, err := cat.Find(step)
	if err != nil {
		return err
	}
	out := o.g.io.Out
	if err := os.MkdirAll(o.g.dir, 0o755); err != nil {
		return fmt.Errorf("create workspace: %w", err)
	}
	if ex.Step == 1 {
		if o.lang == "" {
			return usagef("step 1 scaffolds a starter: choose a language with --lang node, --lang go or --lang python")
		}
		if !contains(exercises.Languages, o.lang) {
			return usagef("unknown --lang %q: want node, go or python", o.lang)
		}
		written, err := exercises.CopyTree(ex.FS, exercises.StarterDir(o.lang), o.g.dir, false)
		if errors.Is(err, exercises.ErrExists) {
			return usagef("%v; start in an empty directory or remove the file", err)
		}
		if err != nil {
			return err
		}
		for _, f := range written {
			fmt.Fprintf(out, "  created %s\n", f)
		}
	}
	file := filepath.Join(o.g.dir, InstructionsFile)
	if err := os.WriteFile(file, []byte(ex.README), 0o644); err != nil {
		return fmt.Errorf("write instructions: %w", err)
	}
	fmt.Fprintf(out, "%s: %s\n\nThe instructions are in %s. When you are ready: coach check %s\n",
		ex.Name(), ex.Title, file, ex.Name())
	return nil
}
