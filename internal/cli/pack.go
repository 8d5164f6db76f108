package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/pack"
)

type packBuildOptions struct {
	g        *globalOptions
	dir      string
	output   string
	name     string
	version  string
	minCoach string
}

func newPackCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pack",
		Short: "Publish a catalogue as a pack (instructors)",
	}
	cmd.AddCommand(newPackBuildCmd(g))
	return cmd
}

func newPackBuildCmd(g *globalOptions) *cobra.Command {
	o := &packBuildOptions{g: g}
	cmd := &cobra.Command{
		Use:   "build <catalogue-dir>",
		Short: "Lint a catalogue and write it as a pack archive with a manifest",
		Long: `Lints the catalogue (it must be clean), then writes a reproducible tar.gz with a
manifest: the pack's name and version, its roadmap, the oldest coach that reads it
and the sha256 of every file. Prints the archive's sha256, for learners' --sha256.`,
		Example: `  coach pack build ./http-basics --version 1.0.0 -o http-basics-1.0.0.tar.gz`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dir = args[0]
			return runPackBuild(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "the archive to write (default NAME-VERSION.tar.gz)")
	f.StringVar(&o.version, "version", "", "the pack's version, e.g. 1.0.0 (required)")
	f.StringVar(&o.name, "name", "", "the pack's name (default: the roadmap's name)")
	f.StringVar(&o.minCoach, "min-coach", "", "the oldest coach that can use the pack (default: this coach's version)")
	return cmd
}

func runPackBuild(_ context.Context, o *packBuildOptions) error {
	if o.version == "" {
		return usagef("give the pack's version with --version, e.g. --version 1.0.0")
	}
	if st, err := os.Stat(o.dir); err != nil || !st.IsDir() {
		return usagef("%s is not a folder", o.dir)
	}
	if probs := grader.LintCatalog(os.DirFS(o.dir)); len(probs) > 0 {
		printProblems(o.g.io.Err, o.dir, probs)
		return withCode(ExitUsage, fmt.Errorf("%d problem(s) in %s: fix them first (coach exercise lint %s)", len(probs), o.dir, o.dir))
	}
	if o.minCoach == "" {
		o.minCoach = "0.0.0" // a development build cannot say which release it matches
		if pack.ValidVersion(Version()) {
			o.minCoach = Version()
		}
	}
	opts := pack.BuildOptions{Name: o.name, Version: o.version, MinCoach: o.minCoach}
	if o.output == "" {
		name := o.name
		if name == "" {
			cat, err := o.g.openCatalog(o.dir)
			if err != nil {
				return err
			}
			name = cat.Roadmap.Name
		}
		o.output = filepath.Join(o.g.dir, fmt.Sprintf("%s-%s.tar.gz", name, o.version))
	}
	m, sum, err := pack.BuildFile(o.dir, opts, o.output)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	fmt.Fprintf(o.g.io.Out, "wrote %s: %s %s (%s), %d files, for coach %s or newer\nsha256 %s\n\nLearners install it with:\n  coach catalog add %s <https-url-of-%s> --sha256 %s\n",
		o.output, m.Name, m.Version, m.Roadmap, len(m.Files), m.MinCoach, sum, m.Name, filepath.Base(o.output), sum)
	return nil
}
