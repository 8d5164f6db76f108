package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/coachcli/coach/grader"
)

//go:embed templates/class.html.tmpl
var templates embed.FS

// html/template escapes everything a submission controls (ids, messages,
// server output) for its context, so a hostile server cannot script the
// instructor's browser; the page's CSP forbids fetching anything anyway.
var classTemplate = template.Must(template.ParseFS(templates, "templates/class.html.tmpl"))

// HTMLOptions controls the class report page.
type HTMLOptions struct {
	// Title heads the page; default "coach grade: <exercise> (step N)".
	Title string
	// Generated is shown as the report's date; zero leaves it out (goldens).
	Generated time.Time
}

type htmlData struct {
	Title, Exercise, CoachVersion, Seeds, Generated string
	Step                                            int
	Stats                                           classStats
	MeanScore, MaxScore, Median                     string
	Bins                                            []htmlBin
	Tests                                           []htmlTest
	Subs                                            []htmlSub
}

type htmlBin struct {
	Label  string
	Count  int
	Height int // percent of the tallest bin
}

type htmlTest struct {
	ID, Name, MaxScore, Rate string
	Pos, Passed, Ran, Width  int
	RateValue                float64
	Hidden                   bool
}

type htmlSub struct {
	ID, Status, StatusWord, Score, MaxScore, Tests, Time, Summary, Message string
	ScoreValue                                                             float64
	DurationMS                                                             int64
	Failures                                                               []htmlFailure
}

type htmlFailure struct {
	ID, Name, Status, Text string
	Hidden                 bool
}

// ClassHTML writes the class report: one self-contained HTML page (inline
// CSS and a little JS, no external assets) with the score distribution, the
// pass rate of every test and a row per submission whose failures expand.
// It is for instructors: hidden tests are shown in full, marked hidden.
func ClassHTML(w io.Writer, subs []Submission, o HTMLOptions) error {
	d := htmlData{Stats: stats(subs), Title: o.Title}
	if !o.Generated.IsZero() {
		d.Generated = o.Generated.UTC().Format("2006-01-02 15:04 UTC")
	}
	seeds, versions := map[int64]bool{}, map[string]bool{}
	for _, s := range subs {
		seeds[s.Result.Seed] = true
		versions[s.Result.CoachVersion] = true
		if d.Exercise == "" {
			d.Exercise, d.Step = s.Result.Exercise, s.Result.Step
		}
	}
	d.Seeds = joinSorted(seeds, func(v int64) string { return strconv.FormatInt(v, 10) })
	d.CoachVersion = joinSorted(versions, func(v string) string { return v })
	if d.Title == "" {
		d.Title = "coach grade"
		if d.Exercise != "" {
			d.Title += ": " + d.Exercise
			if d.Step > 0 {
				d.Title += fmt.Sprintf(" (step %d)", d.Step)
			}
		}
	}
	d.MeanScore = strconv.FormatFloat(d.Stats.MeanScore, 'f', 1, 64)
	d.MaxScore = points(d.Stats.MaxScore)
	d.Median = percent(d.Stats.Median)
	d.Bins = bins(subs)
	d.Tests = passRates(subs)
	for _, s := range subs {
		d.Subs = append(d.Subs, htmlSubmission(s))
	}
	if err := classTemplate.Execute(w, d); err != nil {
		return fmt.Errorf("write class html: %w", err)
	}
	return nil
}

// bins counts submissions per tenth of the points, with full marks on
// their own: "how many got everything" is the first question asked.
func bins(subs []Submission) []htmlBin {
	out := make([]htmlBin, 11)
	for i := range 10 {
		out[i].Label = fmt.Sprintf("%d–%d%%", i*10, i*10+9)
	}
	out[10].Label = "100%"
	for _, s := range subs {
		f := fraction(s.Result)
		i := 10
		if f < 1 {
			i = min(int(f*10), 9)
		}
		out[i].Count++
	}
	tallest := 0
	for _, b := range out {
		tallest = max(tallest, b.Count)
	}
	for i := range out {
		if tallest > 0 {
			out[i].Height = out[i].Count * 100 / tallest
		}
	}
	return out
}

// passRates counts, per test, the submissions that passed it among those
// that ran it; a submission that did not build ran none.
func passRates(subs []Submission) []htmlTest {
	var out []htmlTest
	for _, c := range columns(subs) {
		t := htmlTest{ID: c.ID, Name: c.Name, Pos: c.Pos, MaxScore: points(c.MaxScore), Hidden: c.Hidden}
		for _, s := range subs {
			st, ok := testStatus(s.Result, c.ID)
			if !ok {
				continue
			}
			t.Ran++
			if st == grader.StatusPass {
				t.Passed++
			}
		}
		if t.Ran > 0 {
			t.RateValue = float64(t.Passed) / float64(t.Ran)
		}
		t.Rate = percent(t.RateValue)
		t.Width = int(t.RateValue * 100)
		out = append(out, t)
	}
	return out
}

func htmlSubmission(s Submission) htmlSub {
	r := s.Result
	c := tally(r)
	h := htmlSub{
		ID: s.ID, Status: string(r.Status), StatusWord: statusWord(r.Status),
		Score: points(r.Score), MaxScore: points(r.MaxScore), ScoreValue: r.Score,
		Tests: fmt.Sprintf("%d/%d", c.passed, len(r.Tests)), Time: humanDuration(r.DurationMS), DurationMS: r.DurationMS,
	}
	if r.Message != "" && r.Status != grader.StatusPass {
		h.Message = clean(r.Message)
		h.Summary = truncate(firstLine(r.Message), 100)
	}
	for _, t := range r.Tests {
		if t.Status == grader.StatusPass {
			continue
		}
		text := failureBlock(t, style{})
		if t.Status == grader.StatusSkip && text == "" {
			text = "skipped"
		}
		h.Failures = append(h.Failures, htmlFailure{ID: t.ID, Name: t.Name, Status: string(t.Status), Text: text, Hidden: t.Hidden})
	}
	return h
}

func joinSorted[T int64 | string](set map[T]bool, format func(T) string) string {
	keys := make([]T, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = format(k)
	}
	return strings.Join(parts, ", ")
}
