package report

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/grader"
)

// allPassedRun is failedRun with every test passed.
func allPassedRun() *grader.Result {
	r := failedRun()
	r.Status, r.Score, r.DurationMS, r.Seed = grader.StatusPass, 0, 980, 42
	for i := range r.Tests {
		t := &r.Tests[i]
		t.Status, t.Score, t.Message, t.Failure, t.Hint, t.Output = grader.StatusPass, t.MaxScore, "", nil, "", ""
		r.Score += t.Score
	}
	return r
}

// class is a small class: one perfect, one failing (with a hidden test),
// one that did not build, and one whose server printed hostile text.
func class() []Submission {
	hostile := failedRun()
	hostile.Score, hostile.DurationMS = 0, 30000
	hostile.Status = grader.StatusError
	hostile.Message = "=HYPERLINK(\"http://evil\") grading stopped: the time budget of 30s ran out"
	hostile.Tests = hostile.Tests[:1]
	hostile.Tests[0] = grader.TestResult{ID: "health-json", Name: "GET /health answers JSON", Status: grader.StatusFail, TaskID: 1,
		MaxScore: 2, Message: "<script>alert(1)</script>", Output: "</pre><img src=x onerror=alert(2)>\x1b[31m::error::forged\n|pipe|"}
	subs := []Submission{
		{ID: "dave", Result: hostile},
		{ID: "bob", Result: failedRun()},
		{ID: "alice", Result: allPassedRun()},
		{ID: "carol", Result: buildFailedRun()},
	}
	SortSubmissions(subs)
	return subs
}

func TestClassGolden(t *testing.T) {
	tests := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"class_csv", func(w io.Writer) error { return ClassCSV(w, class()) }},
		{"class_table", func(w io.Writer) error { return ClassTable(w, class(), TerminalOptions{}) }},
		{"class_table_color", func(w io.Writer) error { return ClassTable(w, class(), TerminalOptions{Color: true}) }},
		{"class_markdown", func(w io.Writer) error { return ClassMarkdown(w, class()) }},
		{"class_annotations", func(w io.Writer) error { return ClassAnnotations(w, class()) }},
		{"class_html", func(w io.Writer) error { return ClassHTML(w, class(), HTMLOptions{}) }},
		{"class_csv_empty", func(w io.Writer) error { return ClassCSV(w, nil) }},
		{"class_table_empty", func(w io.Writer) error { return ClassTable(w, nil, TerminalOptions{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, render(t, tt.write))
		})
	}
}

func TestClassCSV(t *testing.T) {
	rows, err := csv.NewReader(bytes.NewReader(render(t, func(w io.Writer) error { return ClassCSV(w, class()) }))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 5, "a header and one row per submission")
	head := rows[0]
	assert.Equal(t, []string{"submission", "status", "score", "max_score"}, head[:4])
	assert.Equal(t, []string{"health-json", "todos-create", "todos-list", "restart-keeps-data", "auth-forged", "auth-expired"}, head[14:],
		"one column per test in suite order, hidden tests by their real id (instructors)")
	col := func(name string) int { return indexOf(head, name) }
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[0]] = r
	}
	assert.Equal(t, "12", byID["alice"][col("score")])
	assert.Equal(t, "pass", byID["alice"][col("auth-forged")])
	assert.Equal(t, "fail", byID["bob"][col("auth-forged")])
	assert.Equal(t, "skip", byID["bob"][col("restart-keeps-data")])
	assert.Equal(t, "error", byID["carol"][col("status")])
	assert.Equal(t, "", byID["carol"][col("health-json")], "a submission that did not build ran no test")
	assert.True(t, strings.HasPrefix(byID["dave"][col("message")], "'="), "a formula is defused: %q", byID["dave"][col("message")])
}

func TestClassHTMLIsSafeAndSelfContained(t *testing.T) {
	page := string(render(t, func(w io.Writer) error { return ClassHTML(w, class(), HTMLOptions{Generated: time.Now()}) }))
	assert.NotContains(t, page, "<script>alert", "learner text is escaped")
	assert.NotContains(t, page, "<img src=x")
	assert.NotContains(t, page, "\x1b")
	assert.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;")
	// Learner text (escaped) may hold URLs; the page's own markup must not
	// reference anything outside itself.
	for _, external := range []string{`src="`, `href="`, "<link", "@import", "url("} {
		assert.NotContains(t, page, external, "no external asset")
	}
	assert.Contains(t, page, secret, "hidden tests are shown in full to instructors")
	assert.Contains(t, page, `<span class="badge">hidden</span>`)
}

func TestClassFigures(t *testing.T) {
	s := stats(class())
	assert.Equal(t, 4, s.N)
	assert.Equal(t, 1, s.PassedAll)
	assert.Equal(t, 2, s.Errored)
	assert.InDelta(t, (12+4+0+0)/4.0, s.MeanScore, 1e-9)
	assert.InDelta(t, (4.0/12)/2, s.Median, 1e-9, "median of 0, 0, 1/3, 1")
	b := bins(class())
	assert.Equal(t, 2, b[0].Count, "0–9%")
	assert.Equal(t, 1, b[3].Count, "30–39%: 4/12")
	assert.Equal(t, 1, b[10].Count, "100%")
	rates := passRates(class())
	require.Len(t, rates, 6)
	assert.Equal(t, htmlTest{ID: "health-json", Name: "GET /health answers JSON", Pos: 1, MaxScore: "2", Passed: 2, Ran: 3, Rate: "67%", Width: 66, RateValue: 2.0 / 3}, rates[0])
	assert.Equal(t, 1, rates[1].Passed)
	assert.Equal(t, 2, rates[1].Ran)
}

func TestReadJSONRoundTrips(t *testing.T) {
	for _, r := range []*grader.Result{failedRun(), buildFailedRun(), allPassedRun()} {
		var buf bytes.Buffer
		require.NoError(t, JSON(&buf, r))
		got, err := ReadJSON(&buf)
		require.NoError(t, err)
		assert.Equal(t, r, got)
	}
	_, err := ReadJSON(strings.NewReader(`{"version": 2, "status": "pass"}`))
	assert.ErrorContains(t, err, "version 2")
	_, err = ReadJSON(strings.NewReader(`{"version": 3, "status": "great"}`))
	assert.ErrorContains(t, err, `unknown status "great"`)
	_, err = ReadJSON(strings.NewReader(`not json`))
	assert.ErrorContains(t, err, "read results json")
}
