package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/coachcli/coach/grader"
)

// The JUnit types follow the schema Jenkins publishes (and GitHub test
// reporters and GitLab accept): attribute sets and element order are the
// ones it allows, so strict validators pass too.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitText      `xml:"system-out"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitMessage `xml:"skipped"`
	Error     *junitMessage `xml:"error"`
	Failure   *junitMessage `xml:"failure"`
	SystemOut *junitText    `xml:"system-out"`
}

// Multi-line text goes into CDATA so the report stays readable as a file;
// clean has already replaced every character XML 1.0 forbids, which CDATA
// cannot escape.
type junitMessage struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// JUnit writes r as JUnit XML: one testsuite named after the exercise, one
// testcase per test. Failures carry the same explanation the terminal
// shows, so a CI test tab is enough to act on.
func JUnit(w io.Writer, r *grader.Result) error {
	if r == nil {
		return fmt.Errorf("write junit report: nil result")
	}
	c := tally(r)
	exercise := r.Exercise
	if exercise == "" {
		exercise = "exercise"
	}
	suite := junitSuite{
		Name:     exercise,
		Tests:    len(r.Tests),
		Failures: c.failed,
		Errors:   c.errored,
		Skipped:  c.skipped,
		Time:     junitTime(r.DurationMS),
		Properties: []junitProperty{
			{"exercise", r.Exercise},
			{"step", strconv.Itoa(r.Step)},
			{"target", r.Target},
			{"seed", strconv.FormatInt(r.Seed, 10)},
			{"coach_version", r.CoachVersion},
			{"status", string(r.Status)},
			{"score", points(r.Score)},
			{"max_score", points(r.MaxScore)},
		},
	}
	if !r.StartedAt.IsZero() {
		// The schema's timestamp has no zone; the value is UTC.
		suite.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	if r.Message != "" {
		// A run that never reached its tests (build failed) would otherwise
		// show as an empty, green suite.
		suite.SystemOut = &junitText{clean(r.Message)}
	}
	for _, t := range r.Tests {
		suite.Cases = append(suite.Cases, junitTestCase(exercise, t))
	}
	doc := junitSuites{
		Name:     "coach",
		Tests:    len(r.Tests),
		Failures: c.failed,
		Errors:   c.errored,
		Time:     suite.Time,
		Suites:   []junitSuite{suite},
	}
	sw := &stickyWriter{w: w}
	sw.printf("%s", xml.Header)
	enc := xml.NewEncoder(sw)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	sw.printf("\n")
	if sw.err != nil {
		return fmt.Errorf("write junit report: %w", sw.err)
	}
	return nil
}

func junitTestCase(exercise string, t grader.TestResult) junitCase {
	tc := junitCase{
		Classname: "coach." + exercise,
		Name:      t.ID + ": " + t.Name,
		Time:      junitTime(t.DurationMS),
	}
	switch t.Status {
	case grader.StatusPass:
	case grader.StatusSkip:
		tc.Skipped = &junitMessage{Message: oneLine(clean(t.Message))}
	case grader.StatusFail:
		typ := "assertion"
		if t.Failure != nil && t.Failure.Check != "" {
			typ = oneLine(clean(t.Failure.Check))
		}
		tc.Failure = &junitMessage{
			Message: junitSummary(t),
			Type:    typ,
			Text:    failureBlock(t, style{}),
		}
	default:
		tc.Error = &junitMessage{
			Message: junitSummary(t),
			Type:    "error",
			Text:    failureBlock(t, style{}),
		}
	}
	// The failure text already ends with the server's output; repeat it in
	// system-out only for tests that passed or were skipped, where CI tools
	// would otherwise show nothing of it.
	if tc.Failure == nil && tc.Error == nil && strings.TrimSpace(t.Output) != "" {
		tc.SystemOut = &junitText{clean(t.Output)}
	}
	return tc
}

// junitSummary is the one-line message attribute CI tools show in lists.
func junitSummary(t grader.TestResult) string {
	if t.Message != "" {
		return oneLine(clean(t.Message))
	}
	if f := t.Failure; f != nil {
		return oneLine(clean(fmt.Sprintf("%s: expected %s, got %s", f.Check, f.Expected, f.Actual)))
	}
	return string(t.Status)
}

func junitTime(ms int64) string {
	return strconv.FormatFloat(seconds(ms), 'f', 3, 64)
}
