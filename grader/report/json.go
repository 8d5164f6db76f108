package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/coachcli/coach/grader"
)

// jsonResult is Exercism's results.json v3 with coach's extensions after
// the Exercism fields. It is its own type, not grader.Result with tags,
// because Exercism wants "message" and "output" present as null rather than
// omitted, and test_code on every test; docs/results.md documents it.
type jsonResult struct {
	Version int           `json:"version"`
	Status  grader.Status `json:"status"`
	Message *string       `json:"message"`
	Tests   []jsonTest    `json:"tests"`

	Score        float64    `json:"score"`
	MaxScore     float64    `json:"max_score"`
	Counts       jsonCounts `json:"counts"`
	DurationMS   int64      `json:"duration_ms"`
	Exercise     string     `json:"exercise"`
	Step         int        `json:"step"`
	Target       string     `json:"target"`
	Seed         int64      `json:"seed"`
	CoachVersion string     `json:"coach_version"`
	StartedAt    string     `json:"started_at,omitempty"`
	// StartupOutput is what the server printed before the first test.
	StartupOutput string `json:"startup_output,omitempty"`
}

type jsonCounts struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Errored int `json:"errored"`
	Skipped int `json:"skipped"`
}

type jsonTest struct {
	Name     string        `json:"name"`
	TestCode string        `json:"test_code"`
	Status   grader.Status `json:"status"`
	Message  *string       `json:"message"`
	Output   *string       `json:"output"`
	TaskID   int           `json:"task_id,omitempty"`

	ID         string            `json:"id"`
	Score      float64           `json:"score"`
	MaxScore   float64           `json:"max_score"`
	DurationMS int64             `json:"duration_ms"`
	Hint       string            `json:"hint,omitempty"`
	Hidden     bool              `json:"hidden,omitempty"`
	Failure    *grader.Failure   `json:"failure,omitempty"`
	Transcript []grader.Exchange `json:"transcript,omitempty"`
}

// JSON writes r as indented results.json (Exercism v3 compatible, extended).
// It renders r as given: use Redact first for learner-facing output.
func JSON(w io.Writer, r *grader.Result) error {
	if r == nil {
		return fmt.Errorf("write json report: nil result")
	}
	version := r.Version
	if version == 0 {
		version = grader.ResultsVersion
	}
	c := tally(r)
	out := jsonResult{
		Version:      version,
		Status:       r.Status,
		Message:      nullable(r.Message),
		Tests:        make([]jsonTest, 0, len(r.Tests)),
		Score:        r.Score,
		MaxScore:     r.MaxScore,
		Counts:       jsonCounts{Passed: c.passed, Failed: c.failed, Errored: c.errored, Skipped: c.skipped},
		DurationMS:   r.DurationMS,
		Exercise:     r.Exercise,
		Step:         r.Step,
		Target:       r.Target,
		Seed:         r.Seed,
		CoachVersion: r.CoachVersion,
	}
	out.StartupOutput = r.Startup
	if !r.StartedAt.IsZero() {
		out.StartedAt = r.StartedAt.UTC().Format(time.RFC3339Nano)
	}
	for _, t := range r.Tests {
		out.Tests = append(out.Tests, jsonTest{
			Name:       t.Name,
			TestCode:   testCode(t),
			Status:     t.Status,
			Message:    nullable(t.Message),
			Output:     nullable(t.Output),
			TaskID:     t.TaskID,
			ID:         t.ID,
			Score:      t.Score,
			MaxScore:   t.MaxScore,
			DurationMS: t.DurationMS,
			Hint:       t.Hint,
			Hidden:     t.Hidden,
			Failure:    t.Failure,
			Transcript: t.Transcript,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Bodies and curl lines are full of <, > and &; escaping them as \u003c
	// only makes the file harder to read, and nobody embeds it in HTML.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// testCode fills Exercism's test_code, which its UI shows as "the code that
// ran": for an HTTP suite that is the requests, as curl lines.
func testCode(t grader.TestResult) string {
	var lines []string
	for _, x := range t.Transcript {
		if x.Curl != "" {
			lines = append(lines, x.Curl)
		}
	}
	if len(lines) == 0 && t.Failure != nil && t.Failure.Curl != "" {
		lines = append(lines, t.Failure.Curl)
	}
	return strings.Join(lines, "\n")
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
