package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/internal/progress"
	"github.com/coachcli/coach/sandbox/workspace"
)

// InstructionsFile is where `coach start` writes the current step's text.
const InstructionsFile = "STEP.md"

type startOptions struct {
	g    *globalOptions
	step string // "" = the current step
	lang string
	// langFlag is set when --lang was given: it asks for step 1's starter
	// even in a folder that already has code (and so refuses to overwrite).
	langFlag bool
	color    bool
}

func newStartCmd(g *globalOptions) *cobra.Command {
	o := &startOptions{g: g}
	cmd := &cobra.Command{
		Use:   "start [step]",
		Short: "Start a step: show its instructions, save them to STEP.md and make it the current step",
		Long: `Shows the step's instructions in the terminal, writes them to STEP.md in the workspace
and makes it the current step, so coach check, coach watch and coach hint need no step.
Without a step it shows the current step's instructions again.

Step 1 also writes a runnable starter server in your language (--lang) into an empty
folder; coach never overwrites a file.`,
		Example: `  coach start step-1 --lang node
  coach start 4
  coach start               # the current step's instructions again
  coach start 4 | less      # plain Markdown when not a terminal`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeSteps(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.step = args[0]
			}
			o.langFlag = cmd.Flags().Changed("lang")
			cfg, err := g.loadConfig(cmd, map[string]string{"lang": config.KeyLang})
			if err != nil {
				return err
			}
			o.lang = cfg.Settings().Lang
			o.color = g.colorOut(cfg, g.io.OutIsTTY)
			return runStart(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.lang, "lang", "", "your language for the starter: node, go or python")
	registerLangCompletion(cmd)
	return cmd
}

func runStart(_ context.Context, o *startOptions) error {
	cat, step, err := o.g.stepCatalog(o.step)
	if err != nil {
		return err
	}
	ex, err := resolveStep(o.g, cat, step, "start")
	if err != nil {
		return err
	}
	state, err := progress.Load(o.g.dir)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	lang := learnerLanguage(o.lang, state, o.g.dir)
	if lang != "" && !contains(exercises.Languages, lang) {
		return usagef("unknown --lang %q: want node, go or python", lang)
	}
	out := o.g.io.Out
	if err := os.MkdirAll(o.g.dir, 0o755); err != nil {
		return fmt.Errorf("create workspace: %w", err)
	}
	if ex.Step == 1 && (o.langFlag || !hasCode(o.g.dir)) {
		if lang == "" {
			return usagef("step 1 scaffolds a starter: choose a language with --lang node, --lang go or --lang python")
		}
		written, err := exercises.CopyTree(ex.FS, exercises.StarterDir(lang), o.g.dir, false)
		if errors.Is(err, exercises.ErrExists) {
			return usagef("%v; start in an empty directory or remove the file (coach start 1, without --lang, shows the instructions)", err)
		}
		if err != nil {
			return err
		}
		for _, f := range written {
			fmt.Fprintf(out, "  created %s\n", f)
		}
		if len(written) > 0 {
			fmt.Fprintln(out)
		}
	}

	text := instructions(ex, lang)
	file := filepath.Join(o.g.dir, InstructionsFile)
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write instructions: %w", err)
	}
	if err := progress.Update(o.g.dir, func(st *progress.State) {
		st.Current = ex.ID
		if lang != "" {
			st.Language = lang
		}
	}); err != nil {
		return fmt.Errorf("record the current step: %w", err)
	}

	shown := text
	if o.g.io.OutIsTTY {
		// A table wider than the terminal loses words from its cells when
		// rendered: such a table is shown as a list instead. STEP.md keeps
		// the table.
		shown = fitTables(text, terminalWidth(out)-4)
	}
	if err := renderMarkdown(out, shown, o.g.io.OutIsTTY, o.color, o.g.io.Getenv); err != nil {
		return err
	}
	sty := learnerStyle{o.color}
	fmt.Fprintf(out, "\n%s %s — %s\n", sty.cyan("▶"), sty.bold(ex.Name()), ex.Title)
	fmt.Fprintf(out, "Saved to %s. When you are ready: coach check (or coach watch to check on every save); stuck? coach hint\n", file)
	printServices(out, ex, o.g.dir)
	return nil
}

// printServices says which databases the step's server gets (coach.yaml's
// `services:` and the step's required ones) and which the step offers.
func printServices(out io.Writer, ex *exercises.Exercise, dir string) {
	var declared workspace.Services
	if ws, err := workspace.Detect(dir); err == nil {
		declared = ws.Services
	}
	running := declared.With(ex.Services.Required...)
	if len(running) > 0 {
		fmt.Fprintln(out, "\nYour server gets these services, on 127.0.0.1 inside the sandbox:")
		for _, line := range running.Describe() {
			fmt.Fprintf(out, "  %s\n", line)
		}
	}
	var more []string
	for _, n := range ex.Services.Offered {
		if !slices.Contains(running.Names(), n) {
			more = append(more, n)
		}
	}
	if len(more) > 0 {
		fmt.Fprintf(out, "\nThis step allows a database (%s): declare it in coach.yaml, e.g. `services: [%s]`, "+
			"and your server gets its URL in the environment.\n", strings.Join(more, ", "), more[0])
	}
}

// instructions is the step's README for the learner's language, followed
// for later steps by the notes on what to add in it.
func instructions(ex *exercises.Exercise, lang string) string {
	text := ensureNewline(ex.READMEFor(lang))
	if lang == "" || ex.Step == 1 {
		return text
	}
	notes, err := fs.ReadFile(ex.FS, filepath.ToSlash(filepath.Join(exercises.StarterDir(lang), "NOTES.md")))
	if err != nil {
		return text
	}
	return text + "\n---\n\n" + ensureNewline(strings.TrimSpace(string(notes)))
}

// learnerLanguage is the learner's language: the flag or configuration,
// else what progress recorded, else what the workspace is written in.
func learnerLanguage(configured string, st *progress.State, dir string) string {
	if configured != "" {
		return configured
	}
	if st != nil && st.Language != "" {
		return st.Language
	}
	if ws, err := workspace.Detect(dir); err == nil && contains(exercises.Languages, string(ws.Runtime)) {
		return string(ws.Runtime)
	}
	return ""
}

// hasCode reports whether dir already holds a workspace coach recognises.
func hasCode(dir string) bool {
	_, err := workspace.Detect(dir)
	return err == nil
}

// fitTables rewrites every Markdown table of md that is wider than width
// columns as a list, one item per row: "- **test**: root-hello; **request**: ...".
func fitTables(md string, width int) string {
	lines := strings.Split(md, "\n")
	var out []string
	for i := 0; i < len(lines); {
		end := i
		for end < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[end]), "|") {
			end++
		}
		if end-i < 2 || !tableSeparator.MatchString(strings.TrimSpace(lines[i+1])) {
			out = append(out, lines[i])
			i++
			continue
		}
		table := lines[i:end]
		if tableWidth(table) <= width {
			out = append(out, table...)
		} else {
			head := tableCells(table[0])
			for _, row := range table[2:] {
				cells := tableCells(row)
				parts := make([]string, 0, len(cells))
				for c, cell := range cells {
					if c < len(head) && head[c] != "" {
						cell = "**" + head[c] + "**: " + cell
					}
					parts = append(parts, cell)
				}
				out = append(out, "- "+strings.Join(parts, "; "))
			}
		}
		i = end
	}
	return strings.Join(out, "\n")
}

var tableSeparator = regexp.MustCompile(`^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$`)

// tableCells splits a table row into its trimmed cells.
func tableCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	cells := strings.Split(row, "|")
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
	}
	return cells
}

// tableWidth is how wide a table is when every column fits its widest cell.
func tableWidth(table []string) int {
	var widths []int
	for r, row := range table {
		if r == 1 {
			continue // the separator
		}
		for c, cell := range tableCells(row) {
			for len(widths) <= c {
				widths = append(widths, 0)
			}
			widths[c] = max(widths[c], utf8.RuneCountInString(strings.ReplaceAll(cell, "`", "")))
		}
	}
	total := 1
	for _, w := range widths {
		total += w + 3
	}
	return total
}
