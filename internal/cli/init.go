package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/internal/progress"
)

type initOptions struct {
	g    *globalOptions
	dir  string
	lang string
}

func newInitCmd(g *globalOptions) *cobra.Command {
	o := &initOptions{g: g}
	cmd := &cobra.Command{
		Use:   "init [dir]",
		Short: "Create a workspace: coach.yaml, the step-1 starter server and a .gitignore",
		Long: `Creates a workspace in dir (default: the current folder, or --dir): a coach.yaml with
your language, the step-1 starter server, a .gitignore and STEP.md with the first
step's instructions, and makes step 1 the current step. It never overwrites a file.`,
		Example: `  coach init --lang node my-server
  coach init --lang go
  coach init --lang python ~/code/backend`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dir = g.dir
			if len(args) == 1 {
				// Relative to --dir, as git -C does: "as if started there".
				o.dir = args[0]
				if !filepath.IsAbs(o.dir) {
					o.dir = filepath.Join(g.dir, o.dir)
				}
			}
			cfg, err := g.loadConfig(cmd, map[string]string{"lang": config.KeyLang})
			if err != nil {
				return err
			}
			o.lang = cfg.Settings().Lang
			return runInit(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.lang, "lang", "", "your language: node, go or python")
	registerLangCompletion(cmd)
	return cmd
}

// gitignores are what each language's tools leave in a workspace.
var gitignores = map[string]string{
	"node":   "node_modules/\nnpm-debug.log*\n",
	"go":     "/bin/\n*.exe\n*.test\n",
	"python": "__pycache__/\n*.pyc\n.venv/\nvenv/\n",
}

func workspaceFiles(lang string) map[string]string {
	return map[string]string{
		"coach.yaml": fmt.Sprintf(`# A coach workspace: coach check builds and checks the server in this folder.
# Your language: starters, notes and reference solutions come in it.
lang: %s
# coach detects how to build and run your server; say it here to be explicit:
# runtime: %s   # node | go | python | dockerfile
`, lang, lang),
		".gitignore": "# what your tools build; .coach/ (your progress) is fine to commit\n" + gitignores[lang] + ".env\n",
	}
}

func runInit(_ context.Context, o *initOptions) error {
	if o.lang == "" {
		return usagef("choose your language: coach init --lang node, --lang go or --lang python")
	}
	if !contains(exercises.Languages, o.lang) {
		return usagef("unknown --lang %q: want node, go or python", o.lang)
	}
	cat, err := o.g.catalog()
	if err != nil {
		return err
	}
	if len(cat.Exercises) == 0 {
		return usagef("the %s roadmap has no steps", cat.Roadmap.Name)
	}
	first := cat.Exercises[0]
	own := workspaceFiles(o.lang)
	own[InstructionsFile] = instructions(first, o.lang)

	// Refuse before writing anything, so a refused init leaves no trace.
	starter := exercises.StarterDir(o.lang)
	var clash []string
	for name := range own {
		if pathExists(filepath.Join(o.dir, name)) {
			clash = append(clash, name)
		}
	}
	_ = fs.WalkDir(first.FS, starter, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(starter, filepath.FromSlash(p))
			name := exercises.OutName(filepath.ToSlash(rel))
			if pathExists(filepath.Join(o.dir, filepath.FromSlash(name))) {
				clash = append(clash, name)
			}
		}
		return nil
	})
	if pathExists(progress.Path(o.dir)) {
		clash = append(clash, path.Join(progress.Dir, progress.FileName))
	}
	if len(clash) > 0 {
		sort.Strings(clash)
		return usagef("%s already has %s: coach init never overwrites a file; init an empty folder, "+
			"or use coach start to go on in this one", o.dir, strings.Join(clash, ", "))
	}

	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return fmt.Errorf("create workspace: %w", err)
	}
	out := o.g.io.Out
	written, err := exercises.CopyTree(first.FS, starter, o.dir, false)
	if errors.Is(err, exercises.ErrExists) {
		return usagef("%v", err)
	}
	if err != nil {
		return err
	}
	for _, name := range []string{"coach.yaml", ".gitignore", InstructionsFile} {
		if err := os.WriteFile(filepath.Join(o.dir, name), []byte(own[name]), 0o644); err != nil {
			return fmt.Errorf("create workspace: %w", err)
		}
		written = append(written, name)
	}
	if err := progress.Save(o.dir, &progress.State{Language: o.lang, Current: first.ID}); err != nil {
		return err
	}
	written = append(written, path.Join(progress.Dir, progress.FileName))

	fmt.Fprintf(out, "Created a %s workspace in %s:\n", o.lang, o.dir)
	for _, f := range written {
		fmt.Fprintf(out, "  %s\n", f)
	}
	fmt.Fprintf(out, "\nYour first step is %s — %s. Next:\n", first.Name(), first.Title)
	if abs, _ := filepath.Abs(o.dir); abs != "" {
		if wd, _ := os.Getwd(); wd != abs {
			fmt.Fprintf(out, "  cd %s\n", o.dir)
		}
	}
	fmt.Fprintf(out, "  coach start   # read the instructions (also in %s)\n", InstructionsFile)
	fmt.Fprintf(out, "  coach watch   # check your server every time you save\n")
	return nil
}

func pathExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
