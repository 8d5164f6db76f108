package report

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/coachcli/coach/grader"
)

// TerminalOptions controls the human-readable output.
type TerminalOptions struct {
	// Color enables ANSI colours. The CLI sets it only on a TTY and never
	// with NO_COLOR; without it the output holds no escape sequence at all.
	Color bool
	// Verbose prints every request and response of every test.
	Verbose bool
	// ShowHidden reveals hidden tests (instructors, coach exercise verify).
	ShowHidden bool
	// RunFlags are the flags that changed the run (--sandbox process,
	// --url ..., --port N, --test ...), repeated in "Reproduce with".
	RunFlags []string
	// Focus is the failure Compact shows in full (0-based, by problem).
	Focus int
}

// How much learner output a failure block shows: enough to see a stack
// trace, not so much that the next failure scrolls away.
const (
	logTailLines     = 20
	excerptLines     = 20
	transcriptLines  = 30
	transcriptIndent = "    "
)

// Terminal writes the whole report: header, one line per test, then the
// details of each failure and the footer. It is exactly Header, TestLine for
// each test and Summary, so live output (lines printed as tests finish)
// looks the same as a report printed at the end.
func Terminal(w io.Writer, r *grader.Result, o TerminalOptions) error {
	if r == nil {
		return fmt.Errorf("write terminal report: nil result")
	}
	sw := &stickyWriter{w: w}
	Header(sw, r, o)
	for _, t := range r.Tests {
		TestLine(sw, t, o)
	}
	Summary(sw, r, o)
	if sw.err != nil {
		return fmt.Errorf("write terminal report: %w", sw.err)
	}
	return nil
}

// Header writes what is being checked and with which seed, so a pasted
// report is enough to reproduce the run. Only the run's identity fields of r
// are read: the CLI may call it before any test has run.
func Header(w io.Writer, r *grader.Result, o TerminalOptions) {
	st := style{o.Color}
	var b strings.Builder
	b.WriteString("Running tests for ")
	b.WriteString(st.bold(clean(r.Exercise)))
	if r.Step > 0 {
		fmt.Fprintf(&b, " (step %d)", r.Step)
	}
	var meta []string
	if r.Target != "" {
		meta = append(meta, "target "+clean(r.Target))
	}
	meta = append(meta, fmt.Sprintf("seed %d", r.Seed))
	b.WriteString(st.dim(" · " + strings.Join(meta, " · ")))
	fmt.Fprintf(w, "%s\n\n", b.String())
}

// TestLine writes the one-line verdict of a finished test, followed by its
// transcript when o.Verbose is set. Write errors are left to the caller's
// writer: live output has nowhere better to report them.
func TestLine(w io.Writer, t grader.TestResult, o TerminalOptions) {
	st := style{o.Color}
	if t.Hidden && !o.ShowHidden {
		fmt.Fprintf(w, "%s %s\n", mark(st, t.Status), hiddenVerdict(t.Status))
		return
	}
	id, name := clean(t.ID), clean(t.Name)
	switch t.Status {
	case grader.StatusPass:
		fmt.Fprintf(w, "%s %s  %s\n", mark(st, t.Status), id, name)
	case grader.StatusSkip:
		reason := "skipped"
		if t.Message != "" {
			reason += ": " + oneLine(clean(t.Message))
		}
		fmt.Fprintf(w, "%s %s  %s %s\n", mark(st, t.Status), id, name, st.yellow("("+reason+")"))
	case grader.StatusError:
		fmt.Fprintf(w, "%s %s  %s %s\n", mark(st, t.Status), id, name, st.red("(error)"))
	default:
		fmt.Fprintf(w, "%s %s  %s\n", mark(st, t.Status), id, name)
	}
	if o.Verbose {
		writeTranscript(w, t.Transcript, st)
	}
}

// Summary writes the details of every failed or errored test, the run's own
// message, and the footer with counts, score, time and how to reproduce.
func Summary(w io.Writer, r *grader.Result, o TerminalOptions) {
	st := style{o.Color}
	// Sections are separated by a blank line; Header already ends with one,
	// which is all the separation needed when no test line came between.
	started := len(r.Tests) > 0
	gap := func() {
		if started {
			fmt.Fprintln(w)
		}
		started = true
	}
	hiddenFailed := 0
	shown := visibleFailures(r, o)
	if len(shown) > 0 && r.Startup != "" {
		gap()
		fmt.Fprintf(w, "%s\n%s\n", st.bold("Your server's start-up output:"), indent(clean(startupTail(r.Startup)), "  "))
	}
	for _, g := range groupFailures(shown) {
		t := g[0]
		gap()
		fmt.Fprintf(w, "%s %s %s\n", mark(st, t.Status), st.bold(clean(t.Name)), st.dim("("+clean(t.ID)+")"))
		fmt.Fprintln(w, indent(failureBlock(t, st), "  "))
		if len(g) > 1 {
			fmt.Fprintf(w, "\n  %s\n", st.bold(fmt.Sprintf("The same problem fails %s:", plural(len(g)-1, "more test", "more tests"))))
			for _, o := range g[1:] {
				where := ""
				if o.Failure != nil && o.Failure.Setup && o.Failure.Server == "" {
					where = " · at " + failurePlace(o.Failure)
				}
				fmt.Fprintf(w, "    %s %s  %s\n", mark(st, o.Status), clean(o.ID), st.dim(clean(o.Name)+where))
			}
		}
	}
	for _, t := range r.Tests {
		if (t.Status == grader.StatusFail || t.Status == grader.StatusError) && t.Hidden && !o.ShowHidden {
			hiddenFailed++
		}
	}
	if hiddenFailed > 0 {
		gap()
		fmt.Fprintf(w, "%s %s\n", mark(st, grader.StatusFail),
			plural(hiddenFailed, "hidden test failed", "hidden tests failed"))
	}
	// A run's message is the footer's tally in words unless the run itself
	// failed (did not build or start): only then does it add anything.
	if r.Message != "" && r.Status == grader.StatusError {
		gap()
		fmt.Fprintf(w, "%s %s\n", st.red("Error:"), indentTail(clean(r.Message), "  "))
	}

	gap()
	footerLine(w, r, st)
	if !r.Passed() {
		fmt.Fprintf(w, "Reproduce with: %s\n", st.bold(reproduce(r, o.RunFlags...)))
	}
}

// footerLine is the tally: counts, score and time.
func footerLine(w io.Writer, r *grader.Result, st style) {
	c := tally(r)
	parts := []string{
		colourIf(c.passed > 0, st.green, fmt.Sprintf("%d passed", c.passed)),
		colourIf(c.failed > 0, st.red, fmt.Sprintf("%d failed", c.failed)),
	}
	if c.errored > 0 {
		parts = append(parts, st.red(fmt.Sprintf("%d errored", c.errored)))
	}
	parts = append(parts, colourIf(c.skipped > 0, st.yellow, fmt.Sprintf("%d skipped", c.skipped)))
	fmt.Fprintf(w, "%s %s\n", strings.Join(parts, ", "),
		st.dim(fmt.Sprintf("· score %s/%s · %s", points(r.Score), points(r.MaxScore), humanDuration(r.DurationMS))))
}

// Compact's bounds: its one failure in full and the list of the others
// must fit a 40-row terminal together.
var compactLimits = blockLimits{logs: 5, excerpt: 2}

const compactOthers = 4

// Compact is the report for a screen that must hold all of it (coach
// watch): the tally first, then one problem in full (o.Focus) and every
// other one on a line, so nothing important scrolls away.
func Compact(w io.Writer, r *grader.Result, o TerminalOptions) error {
	if r == nil {
		return fmt.Errorf("write compact report: nil result")
	}
	sw := &stickyWriter{w: w}
	st := style{o.Color}
	var head strings.Builder
	Header(&head, r, o)
	fmt.Fprint(sw, strings.TrimSuffix(head.String(), "\n"))
	footerLine(sw, r, st)
	if r.Message != "" && r.Status == grader.StatusError && len(r.Tests) == 0 {
		fmt.Fprintf(sw, "\n%s %s\n", st.red("Error:"), indentTail(clean(r.Message), "  "))
	}
	groups := groupFailures(visibleFailures(r, o))
	if len(groups) > 0 {
		focus := ((o.Focus % len(groups)) + len(groups)) % len(groups)
		g := groups[focus]
		t := g[0]
		label := "Problem"
		if len(groups) > 1 {
			label = fmt.Sprintf("Problem %d of %d", focus+1, len(groups))
		}
		fmt.Fprintf(sw, "\n%s %s %s %s\n", mark(st, t.Status), st.dim(label+":"), st.bold(clean(t.Name)), st.dim("("+clean(t.ID)+")"))
		fmt.Fprintln(sw, indent(failureBlockN(t, st, compactLimits), "  "))
		if len(g) > 1 {
			fmt.Fprintf(sw, "  %s\n", st.bold(fmt.Sprintf("The same problem fails %s.", plural(len(g)-1, "more test", "more tests"))))
		}
		if len(groups) > 1 {
			fmt.Fprintf(sw, "\n%s\n", st.bold("Other problems:"))
			listed := 0
			for i := range groups {
				og := groups[(focus+1+i)%len(groups)] // the next ones first
				if i == len(groups)-1 {
					break // that is the focused one again
				}
				if listed == compactOthers && len(groups)-1-listed > 1 {
					fmt.Fprintf(sw, "  %s\n", st.dim(fmt.Sprintf("… %d more (f shows them one by one)", len(groups)-1-listed)))
					break
				}
				listed++
				ot := og[0]
				more := ""
				if len(og) > 1 {
					more = fmt.Sprintf(" (+%d)", len(og)-1)
				}
				fmt.Fprintf(sw, "  %s %s%s  %s\n", mark(st, ot.Status), clean(ot.ID), more, st.dim(truncate(oneLine(clean(ot.Message)), 90)))
			}
		}
	}
	if !r.Passed() {
		fmt.Fprintf(sw, "Reproduce with: %s\n", st.bold(reproduce(r, o.RunFlags...)))
	}
	if sw.err != nil {
		return fmt.Errorf("write compact report: %w", sw.err)
	}
	return nil
}

// Problems counts what Compact can show in full, one at a time.
func Problems(r *grader.Result, o TerminalOptions) int {
	return len(groupFailures(visibleFailures(r, o)))
}

// visibleFailures are the failed and errored tests whose details may be
// shown.
func visibleFailures(r *grader.Result, o TerminalOptions) []grader.TestResult {
	var out []grader.TestResult
	for _, t := range r.Tests {
		if (t.Status == grader.StatusFail || t.Status == grader.StatusError) && (!t.Hidden || o.ShowHidden) {
			out = append(out, t)
		}
	}
	return out
}

// groupFailures puts failures with one cause together, in the order their
// first member failed, so one bug reads as one problem.
func groupFailures(ts []grader.TestResult) [][]grader.TestResult {
	var groups [][]grader.TestResult
	at := map[string]int{}
	for _, t := range ts {
		cause := ""
		if t.Failure != nil {
			cause = t.Failure.Cause
		}
		if i, ok := at[cause]; ok && cause != "" {
			groups[i] = append(groups[i], t)
			continue
		}
		at[cause] = len(groups)
		groups = append(groups, []grader.TestResult{t})
	}
	return groups
}

// startupLines bounds the start-up output shown once above the failures.
const startupLines = 10

func startupTail(s string) string {
	tail, dropped := lastLines(s, startupLines)
	if dropped > 0 {
		tail = fmt.Sprintf("… %s not shown\n", plural(dropped, "earlier line", "earlier lines")) + tail
	}
	return tail
}

// reproduce is the command that replays this run with the same random data
// and the flags that changed it.
func reproduce(r *grader.Result, flags ...string) string {
	step := "<step>"
	if r.Step > 0 {
		step = fmt.Sprintf("step-%d", r.Step)
	}
	cmd := fmt.Sprintf("coach check %s --seed %d", step, r.Seed)
	if r.Target == "process" && !containsPrefix(flags, "--sandbox") {
		// Without it the replay would run in Docker and might behave differently.
		cmd += " --sandbox process"
	}
	for _, f := range flags {
		cmd += " " + f
	}
	return cmd
}

func containsPrefix(l []string, p string) bool {
	for _, s := range l {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// failureBlock is the plain or coloured text a learner needs to act on one
// failed test, without the heading line. The JUnit, Gradescope and GitHub
// writers reuse it uncoloured, so every format explains a failure the same
// way.
func failureBlock(t grader.TestResult, st style) string {
	return failureBlockN(t, st, blockLimits{logs: logTailLines, excerpt: excerptLines})
}

// blockLimits bound the longest parts of a failure block, in lines.
type blockLimits struct{ logs, excerpt int }

// failureBlockN is failureBlock within limits.
func failureBlockN(t grader.TestResult, st style, lim blockLimits) string {
	logLines := lim.logs
	var b strings.Builder
	section := func(label, body string) {
		body = strings.TrimRight(body, "\n")
		if body == "" {
			return
		}
		fmt.Fprintf(&b, "\n%s\n%s\n", st.bold(label), indent(body, "  "))
	}
	if t.Message != "" {
		fmt.Fprintf(&b, "%s\n", clean(t.Message))
	}
	if f := t.Failure; f != nil {
		where := failurePlace(f)
		if f.Check != "" {
			where += ", checking " + clean(f.Check)
		}
		fmt.Fprintf(&b, "%s\n", st.dim("At "+where))
		if len(f.Before) > 0 {
			before, dropped := lastLines(clean(strings.Join(f.Before, "\n")), beforeLines)
			if dropped > 0 {
				before = st.dim(fmt.Sprintf("… %s not shown", plural(dropped, "earlier request", "earlier requests"))) + "\n" + before
			}
			section("Sent before it (answered as expected):", before)
		}
		section("Request:", clean(f.Curl))
		if f.Expected != "" || f.Actual != "" {
			fmt.Fprintf(&b, "\n%s %s\n", st.bold("Expected:"), indentTail(clean(f.Expected), "          "))
			fmt.Fprintf(&b, "%s   %s\n", st.bold("Actual:"), st.red(indentTail(clean(f.Actual), "          ")))
		}
		if f.Diff != "" {
			section("Diff (- expected, + actual):", colourDiff(clean(f.Diff), st))
		}
		excerpt, more := firstLines(clean(f.Excerpt), lim.excerpt)
		if more > 0 {
			excerpt += "\n" + st.dim(fmt.Sprintf("… %s more", plural(more, "line", "lines")))
		}
		section("Response body (excerpt):", excerpt)
	}
	if t.Hint != "" {
		fmt.Fprintf(&b, "\n%s %s\n", st.yellow("Hint:"), indentTail(clean(t.Hint), "      "))
	}
	logs := t.Output
	if t.Failure != nil && t.Failure.LogTail != "" {
		logs = t.Failure.LogTail
	}
	switch logs = clean(logs); {
	case t.Failure != nil && t.Failure.Timeline != "" && strings.TrimSpace(logs) != "":
		tail, dropped := lastLines(clean(t.Failure.Timeline), logLines)
		if dropped > 0 {
			tail = st.dim(fmt.Sprintf("… %s not shown", plural(dropped, "earlier line", "earlier lines"))) + "\n" + tail
		}
		section("Requests and your server's output, in order:", tail)
	case strings.TrimSpace(logs) != "":
		tail, dropped := lastLines(logs, logLines)
		if dropped > 0 {
			tail = st.dim(fmt.Sprintf("… %s not shown", plural(dropped, "earlier line", "earlier lines"))) + "\n" + tail
		}
		section("Your server's output (last lines):", tail)
	case t.Failure != nil && t.Failure.OutputHidden:
		section("Your server's output:", st.dim("(coach cannot see it with --url: look in the terminal where your server runs)"))
	case t.Failure != nil:
		section("Your server's output:", st.dim("(it printed nothing during this test)"))
	}
	return strings.TrimRight(b.String(), "\n")
}

// beforeLines bounds the requests listed before a failing one.
const beforeLines = 5

// failurePlace says where in the test it failed, in words that do not
// clash with the roadmap's steps: "request 2 of 3", or the part of the
// test that is not a request.
func failurePlace(f *grader.Failure) string {
	switch {
	case f.Request > 0 && f.Setup:
		return fmt.Sprintf("setup request %d of %d", f.Request, f.Requests)
	case f.Request > 0:
		return fmt.Sprintf("request %d of %d", f.Request, f.Requests)
	case f.Steps > 0 && f.Kind != "":
		return fmt.Sprintf("part %d of %d of the test (%s)", f.Step, f.Steps, f.Kind)
	}
	return fmt.Sprintf("part %d of the test", f.Step)
}

// writeTranscript prints requests as sent and responses as received, in the
// "> request / < response" convention of curl -v that learners already know.
func writeTranscript(w io.Writer, xs []grader.Exchange, st style) {
	for _, x := range xs {
		var b strings.Builder
		fmt.Fprintf(&b, "> %s %s\n", clean(x.Method), clean(x.URL))
		writeHeaders(&b, "> ", x.ReqHeaders)
		if x.ReqBody != "" {
			b.WriteString(">\n")
			body, more := firstLines(clean(x.ReqBody), transcriptLines)
			b.WriteString(indent(body, "> ") + "\n")
			if more > 0 {
				fmt.Fprintf(&b, "> … %s more\n", plural(more, "line", "lines"))
			}
		}
		if x.Error != "" {
			fmt.Fprintf(&b, "%s\n", st.red("! "+oneLine(clean(x.Error))))
		} else {
			fmt.Fprintf(&b, "< %d %s %s\n", x.Status, http.StatusText(x.Status), st.dim(fmt.Sprintf("(%s)", humanDuration(x.DurationMS))))
			writeHeaders(&b, "< ", x.Headers)
			if x.Body != "" {
				b.WriteString("<\n")
				body, more := firstLines(clean(x.Body), transcriptLines)
				b.WriteString(indent(body, "< ") + "\n")
				if more > 0 {
					fmt.Fprintf(&b, "< … %s more\n", plural(more, "line", "lines"))
				}
			}
		}
		fmt.Fprintln(w, st.dim(indent(strings.TrimRight(b.String(), "\n"), transcriptIndent)))
	}
}

// writeHeaders sorts header names: maps have no order and golden files,
// like people comparing two runs, need one.
func writeHeaders(b *strings.Builder, prefix string, h map[string][]string) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, clean(k), oneLine(clean(v)))
		}
	}
}

func colourDiff(diff string, st style) string {
	lines := strings.Split(diff, "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "-"):
			lines[i] = st.green(l)
		case strings.HasPrefix(l, "+"):
			lines[i] = st.red(l)
		}
	}
	return strings.Join(lines, "\n")
}

func mark(st style, s grader.Status) string {
	switch s {
	case grader.StatusPass:
		return st.green("✓")
	case grader.StatusSkip:
		return st.yellow("-")
	default:
		return st.red("✗")
	}
}

// indentTail indents every line but the first, for values printed after a
// label ("Expected: ...") that may span several lines.
func indentTail(s, prefix string) string {
	first, rest, ok := strings.Cut(s, "\n")
	if !ok {
		return s
	}
	return first + "\n" + indent(rest, prefix)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func colourIf(cond bool, f func(string) string, s string) string {
	if cond {
		return f(s)
	}
	return s
}

// style applies ANSI colours only when enabled, so that callers never need
// to branch on colour themselves.
type style struct{ on bool }

func (s style) wrap(code, text string) string {
	if !s.on || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s style) bold(t string) string   { return s.wrap("1", t) }
func (s style) dim(t string) string    { return s.wrap("2", t) }
func (s style) red(t string) string    { return s.wrap("31", t) }
func (s style) green(t string) string  { return s.wrap("32", t) }
func (s style) yellow(t string) string { return s.wrap("33", t) }
