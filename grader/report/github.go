package report

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/coachcli/coach/grader"
)

// GitHub writes GitHub Actions workflow commands to annotations (one error
// per failed test, a notice with the points) and a Markdown step summary to
// summary, which the CLI appends to $GITHUB_STEP_SUMMARY. Either writer may
// be io.Discard.
func GitHub(annotations io.Writer, summary io.Writer, r *grader.Result) error {
	if r == nil {
		return fmt.Errorf("write github report: nil result")
	}
	aw := &stickyWriter{w: annotations}
	writeAnnotations(aw, r)
	if aw.err != nil {
		return fmt.Errorf("write github annotations: %w", aw.err)
	}
	sw := &stickyWriter{w: summary}
	writeStepSummary(sw, r)
	if sw.err != nil {
		return fmt.Errorf("write github step summary: %w", sw.err)
	}
	return nil
}

func writeAnnotations(w *stickyWriter, r *grader.Result) {
	if r.Status == grader.StatusError && r.Message != "" {
		w.printf("::error title=%s::%s\n", escapeProperty("coach: "+r.Exercise), escapeData(clean(r.Message)))
	}
	for _, t := range r.Tests {
		if t.Status != grader.StatusFail && t.Status != grader.StatusError {
			continue
		}
		w.printf("::error title=%s::%s\n", escapeProperty(t.ID+": "+t.Name), escapeData(annotationText(t)))
	}
	w.printf("::notice title=Points::%s\n", escapeData(fmt.Sprintf("Points %s/%s", points(r.Score), points(r.MaxScore))))
}

// annotationText is short on purpose: annotations are shown inline in a
// narrow box; the step summary and the log carry the full failure block.
func annotationText(t grader.TestResult) string {
	var lines []string
	if t.Message != "" {
		lines = append(lines, clean(t.Message))
	}
	if f := t.Failure; f != nil {
		if f.Expected != "" || f.Actual != "" {
			lines = append(lines, "Expected: "+oneLine(clean(f.Expected)), "Actual: "+oneLine(clean(f.Actual)))
		}
		if f.Curl != "" {
			lines = append(lines, "Request: "+clean(f.Curl))
		}
	}
	if t.Hint != "" {
		lines = append(lines, "Hint: "+oneLine(clean(t.Hint)))
	}
	if len(lines) == 0 {
		lines = append(lines, "test "+string(t.Status))
	}
	return strings.Join(lines, "\n")
}

// escapeData applies GitHub's rules for a workflow command's message. Without
// it a newline in learner output could end our command and start one of its
// own (::add-mask::, ::stop-commands::, ...).
func escapeData(s string) string {
	s = strings.ReplaceAll(s, "%", "%25")
	s = strings.ReplaceAll(s, "\r", "%0D")
	return strings.ReplaceAll(s, "\n", "%0A")
}

// escapeProperty additionally escapes the separators of key=value lists.
func escapeProperty(s string) string {
	s = escapeData(s)
	s = strings.ReplaceAll(s, ":", "%3A")
	return strings.ReplaceAll(s, ",", "%2C")
}

func writeStepSummary(w *stickyWriter, r *grader.Result) {
	c := tally(r)
	icon := "✅"
	if !r.Passed() {
		icon = "❌"
	}
	title := mdText(r.Exercise)
	if r.Step > 0 {
		title += fmt.Sprintf(" (step %d)", r.Step)
	}
	w.printf("### %s coach: %s\n\n", icon, title)
	w.printf("**Points %s/%s** · %s · %s · seed `%d`", points(r.Score), points(r.MaxScore), c, humanDuration(r.DurationMS), r.Seed)
	if r.Target != "" {
		w.printf(" · target %s", mdText(r.Target))
	}
	w.printf("\n\n")
	if r.Message != "" {
		w.printf("%s\n\n", fenced(clean(r.Message)))
	}
	if len(r.Tests) > 0 {
		w.printf("| | Test | Status | Points |\n|---|---|---|---:|\n")
		for _, t := range r.Tests {
			w.printf("| %s | `%s` %s | %s | %s/%s |\n", statusEmoji(t.Status), mdCode(t.ID), mdText(t.Name),
				statusWord(t.Status), points(t.Score), points(t.MaxScore))
		}
		w.printf("\n")
	}
	for _, t := range r.Tests {
		if t.Status != grader.StatusFail && t.Status != grader.StatusError {
			continue
		}
		if t.Hidden && t.Failure == nil && t.Output == "" {
			// A redacted hidden test: the table row already says it all.
			continue
		}
		// <details> keeps a long run readable; the summary line still says
		// which test failed.
		w.printf("<details><summary>%s %s: %s</summary>\n\n%s\n\n</details>\n\n",
			statusEmoji(t.Status), html.EscapeString(t.ID), html.EscapeString(t.Name), fenced(failureBlock(t, style{})))
	}
	if !r.Passed() {
		w.printf("Reproduce with `%s`.\n", reproduce(r))
	}
}

func statusEmoji(s grader.Status) string {
	switch s {
	case grader.StatusPass:
		return "✅"
	case grader.StatusSkip:
		return "⏭️"
	case grader.StatusFail:
		return "❌"
	default:
		return "⚠️"
	}
}

func statusWord(s grader.Status) string {
	switch s {
	case grader.StatusPass:
		return "passed"
	case grader.StatusSkip:
		return "skipped"
	case grader.StatusFail:
		return "failed"
	default:
		return "error"
	}
}

// mdText makes suite-provided text safe inside a table cell.
func mdText(s string) string {
	s = oneLine(clean(s))
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "<", "&lt;")
	return strings.ReplaceAll(s, ">", "&gt;")
}

func mdCode(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(oneLine(clean(s)), "`", "'"), "|", `\|`)
}

// fenced wraps text in a code fence longer than any backtick run inside it,
// so learner output cannot close the fence and inject Markdown.
func fenced(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return fence + "text\n" + strings.TrimRight(s, "\n") + "\n" + fence
}
