// Package report renders a grader.Result for people and for machines: a
// terminal view for learners, Exercism-compatible JSON, JUnit XML, Gradescope
// results.json and GitHub Actions annotations with a step summary.
//
// Every writer renders the one results model (grader.Result) and nothing
// else, so a new output format never needs changes in the grader.
package report

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/coachcli/coach/grader"
)

// Formats lists the names Write accepts, in the order shown in help text.
var Formats = []string{"terminal", "text", "json", "junit", "gradescope", "github"}

// ErrUnknownFormat is returned (wrapped) by Write for a format it does not
// know, so the CLI can report it as a usage error (exit code 2).
var ErrUnknownFormat = errors.New("unknown report format")

// Write renders r in the named format. "github" writes the annotations and
// then the Markdown step summary to the same writer; the CLI splits them when
// it has $GITHUB_STEP_SUMMARY.
//
// Unless o.ShowHidden is set, hidden tests are redacted (see Redact) in every
// format except gradescope: Gradescope enforces test visibility itself, and
// marking the test hidden there is what lets instructors still see it.
func Write(format string, w io.Writer, r *grader.Result, o TerminalOptions) error {
	if r == nil {
		return errors.New("write report: nil result")
	}
	view := r
	if !o.ShowHidden {
		view = Redact(r)
	}
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "terminal", "text":
		return Terminal(w, r, o)
	case "json":
		return JSON(w, view)
	case "junit":
		return JUnit(w, view)
	case "gradescope":
		return Gradescope(w, r)
	case "github":
		return GitHub(w, w, view)
	default:
		return fmt.Errorf("%w %q: want one of %s", ErrUnknownFormat, format, strings.Join(Formats, ", "))
	}
}

// Redact returns a copy of r in which hidden tests keep their verdict and
// points but lose everything that would reveal what they check: id, name,
// message, hint, failure details, transcript and server output. r itself is
// not modified.
func Redact(r *grader.Result) *grader.Result {
	if r == nil {
		return nil
	}
	out := *r
	out.Tests = make([]grader.TestResult, len(r.Tests))
	for i, t := range r.Tests {
		if t.Hidden {
			t = redactTest(t, i)
		}
		out.Tests[i] = t
	}
	return &out
}

func redactTest(t grader.TestResult, index int) grader.TestResult {
	n := t.TaskID
	if n == 0 {
		n = index + 1
	}
	return grader.TestResult{
		ID:         "hidden-" + strconv.Itoa(n),
		Name:       "hidden test",
		Status:     t.Status,
		Message:    hiddenVerdict(t.Status),
		TaskID:     t.TaskID,
		Score:      t.Score,
		MaxScore:   t.MaxScore,
		DurationMS: t.DurationMS,
		Hidden:     true,
	}
}

// hiddenVerdict is all a learner is told about a hidden test.
func hiddenVerdict(s grader.Status) string {
	switch s {
	case grader.StatusPass:
		return "hidden test passed"
	case grader.StatusSkip:
		return "hidden test skipped"
	default:
		return "hidden test failed"
	}
}

// counts tallies test verdicts for footers and suite attributes.
type counts struct {
	passed, failed, errored, skipped int
}

func tally(r *grader.Result) counts {
	var c counts
	for _, t := range r.Tests {
		switch t.Status {
		case grader.StatusPass:
			c.passed++
		case grader.StatusFail:
			c.failed++
		case grader.StatusError:
			c.errored++
		case grader.StatusSkip:
			c.skipped++
		default:
			// An unknown verdict must never read as a pass.
			c.errored++
		}
	}
	return c
}

// String renders "3 passed, 1 failed, 0 skipped", adding errors only when
// there are any so the common case stays short.
func (c counts) String() string {
	parts := []string{fmt.Sprintf("%d passed", c.passed), fmt.Sprintf("%d failed", c.failed)}
	if c.errored > 0 {
		parts = append(parts, fmt.Sprintf("%d errored", c.errored))
	}
	parts = append(parts, fmt.Sprintf("%d skipped", c.skipped))
	return strings.Join(parts, ", ")
}

// points formats a score without a trailing ".0", as people write them.
func points(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// humanDuration keeps one decimal for seconds ("1.2s") since sub-second
// precision on a whole run is noise, but milliseconds matter for one request.
func humanDuration(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", ms)
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	default:
		return d.Round(time.Second).String()
	}
}

// seconds is the "12.345" form JUnit and Gradescope use.
func seconds(ms int64) float64 {
	return float64(ms) / 1000
}

// escapeSeq matches terminal escape sequences: CSI (colours, cursor moves),
// OSC (titles, hyperlinks) and two-byte escapes.
var escapeSeq = regexp.MustCompile(`\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])`)

// clean makes learner-controlled text (server output, response bodies) safe
// to print: a server that logs in colour or prints control characters must
// not be able to repaint the learner's terminal, forge our own output, or put
// characters into XML that XML forbids.
func clean(s string) string {
	if s == "" {
		return s
	}
	s = escapeSeq.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return -1
		case unicode.IsControl(r), r == 0xFFFE, r == 0xFFFF:
			// U+FFFE and U+FFFF are not controls but XML forbids them too.
			return '\uFFFD'
		}
		return r
	}, s)
}

// lastLines keeps the end of s, where a crash or stack trace usually is.
func lastLines(s string, n int) (kept string, dropped int) {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= n {
		return strings.Join(lines, "\n"), 0
	}
	return strings.Join(lines[len(lines)-n:], "\n"), len(lines) - n
}

// firstLines keeps the start of s, where a response body's shape shows.
func firstLines(s string, n int) (kept string, dropped int) {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= n {
		return strings.Join(lines, "\n"), 0
	}
	return strings.Join(lines[:n], "\n"), len(lines) - n
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = strings.TrimRight(prefix, " ")
			continue
		}
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// stickyWriter remembers the first write error so the writers can print
// line after line and check once at the end.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

func (s *stickyWriter) printf(format string, args ...any) {
	fmt.Fprintf(s, format, args...)
}
