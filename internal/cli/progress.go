package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/internal/progress"
)

type progressOptions struct {
	g   *globalOptions
	now func() time.Time // injected so golden output is stable
	loc *time.Location   // where times are shown; nil: local time
}

func newProgressCmd(g *globalOptions) *cobra.Command {
	o := &progressOptions{g: g, now: time.Now}
	return &cobra.Command{
		Use:   "progress",
		Short: "Show the roadmap with what you have passed, your language and your last check",
		Long: `Shows every step of the roadmap: ✓ passed, ✗ failed at the last check, · not checked
yet; the current step is marked. Your progress lives in .coach/progress.json in the
workspace (plain JSON: commit it if you like).`,
		Example: `  coach progress
  coach progress -C ~/code/my-server`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			return runProgress(cmd.Context(), o, g.colorOut(cfg, g.io.OutIsTTY))
		},
	}
}

func runProgress(_ context.Context, o *progressOptions, color bool) error {
	cat, err := o.g.catalog()
	if err != nil {
		return err
	}
	st, err := progress.Load(o.g.dir)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	now := time.Now
	if o.now != nil {
		now = o.now
	}
	loc := o.loc
	if loc == nil {
		loc = time.Local
	}
	sty := learnerStyle{color}
	out := o.g.io.Out

	fmt.Fprintln(out, sty.bold(cat.Roadmap.Title))
	lang := st.Language
	if lang == "" {
		lang = "not chosen yet (coach init --lang node|go|python)"
	}
	fmt.Fprintf(out, "language: %s\n", lang)
	if last := st.LastCheck(); !last.IsZero() {
		fmt.Fprintf(out, "last check: %s (%s)\n", last.In(loc).Format("2006-01-02 15:04 MST"), ago(now().Sub(last)))
	} else {
		fmt.Fprintln(out, "last check: never")
	}
	fmt.Fprintln(out)

	// Columns are padded by hand: tabwriter would count the colour codes.
	nameW, titleW := 0, 0
	for _, ex := range cat.Exercises {
		nameW = max(nameW, utf8.RuneCountInString(ex.Name()))
		titleW = max(titleW, utf8.RuneCountInString(ex.Title))
	}
	passed := 0
	for _, ex := range cat.Exercises {
		rec := st.Step(ex.ID)
		mark, score := sty.dim("·"), ""
		switch {
		case rec.Passed():
			mark = sty.green("✓")
			passed++
		case rec != nil:
			mark = sty.red("✗")
		}
		if rec != nil {
			score = fmt.Sprintf("%s/%s", scoreText(rec.Score), scoreText(rec.MaxScore))
		}
		line := fmt.Sprintf("  %s %s  %s  %s", mark, pad(ex.Name(), nameW), pad(ex.Title, titleW), score)
		line = strings.TrimRight(line, " ")
		if ex.ID == st.Current {
			line += "  " + sty.bold("← current")
		}
		fmt.Fprintln(out, line)
	}
	fmt.Fprintf(out, "\n%d of %d steps passed.", passed, len(cat.Exercises))
	if cur, _ := cat.Find(st.Current); st.Current != "" && cur != nil {
		rec := st.Step(cur.ID)
		switch {
		case rec.Passed():
			if next := cat.Next(cur); next != nil {
				fmt.Fprintf(out, " Next: coach start %s (%s)\n", next.Name(), next.Title)
			} else {
				fmt.Fprintln(out, " You finished the roadmap.")
			}
		default:
			fmt.Fprintf(out, " Working on %s: coach check (or coach watch), coach hint when stuck\n", cur.Name())
		}
	} else {
		fmt.Fprintln(out, " Begin with: coach init --lang node|go|python")
	}
	return nil
}

// ago is a short, friendly age.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return countOf(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return countOf(int(d/time.Hour), "hour") + " ago"
	}
	return countOf(int(d/(24*time.Hour)), "day") + " ago"
}

func countOf(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// scoreText prints a score without a needless ".0".
func scoreText(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }

// resolveStep finds the step named on the command line, else the
// workspace's current step (set by coach start and coach init).
func resolveStep(g *globalOptions, cat *exercises.Catalog, name, command string) (*exercises.Exercise, error) {
	if name != "" {
		return cat.Find(name)
	}
	st, err := progress.Load(g.dir)
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	if st.Current == "" {
		return nil, usagef("no current step in this workspace: name one (coach %s 1), or begin with coach init --lang node|go|python "+
			"(or coach start 1)", command)
	}
	ex, err := cat.Find(st.Current)
	if err != nil {
		return nil, usagef("the current step %q (in %s) is not in the %s roadmap: name a step (coach %s 1) or choose one with coach start",
			st.Current, progress.Path(g.dir), cat.Roadmap.Name, command)
	}
	return ex, nil
}

// learnerStyle colours the learner commands' output; without colour every
// method returns its text unchanged, so plain output holds no escapes.
type learnerStyle struct{ color bool }

func (s learnerStyle) wrap(code, text string) string {
	if !s.color {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s learnerStyle) bold(t string) string  { return s.wrap("1", t) }
func (s learnerStyle) dim(t string) string   { return s.wrap("2", t) }
func (s learnerStyle) red(t string) string   { return s.wrap("31", t) }
func (s learnerStyle) green(t string) string { return s.wrap("32", t) }
func (s learnerStyle) cyan(t string) string  { return s.wrap("36", t) }

// pad fills s with spaces to width runes.
func pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}
