package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/coachcli/coach/grader"
)

// gradescopeResult is Gradescope's autograder results.json. max_score at the
// top level is coach's addition (Gradescope ignores it and takes the
// assignment's total from its own settings); it saves a reader summing tests.
type gradescopeResult struct {
	Score            float64          `json:"score"`
	MaxScore         float64          `json:"max_score"`
	ExecutionTime    float64          `json:"execution_time"`
	Output           string           `json:"output"`
	OutputFormat     string           `json:"output_format"`
	TestOutputFormat string           `json:"test_output_format"`
	ExtraData        gradescopeExtra  `json:"extra_data"`
	Tests            []gradescopeTest `json:"tests"`
}

type gradescopeExtra struct {
	Exercise     string        `json:"exercise"`
	Step         int           `json:"step"`
	Status       grader.Status `json:"status"`
	Seed         int64         `json:"seed"`
	Target       string        `json:"target"`
	CoachVersion string        `json:"coach_version"`
}

type gradescopeTest struct {
	Name       string  `json:"name"`
	Number     string  `json:"number,omitempty"`
	Score      float64 `json:"score"`
	MaxScore   float64 `json:"max_score"`
	Status     string  `json:"status"`
	Output     string  `json:"output"`
	Visibility string  `json:"visibility"`
}

// Gradescope writes r as Gradescope's results.json. Hidden tests are kept in
// full with visibility "hidden": Gradescope shows them to instructors only.
// Gradescope knows only passed and failed, so skipped and errored tests are
// "failed" with zero points, and their output says why.
func Gradescope(w io.Writer, r *grader.Result) error {
	if r == nil {
		return fmt.Errorf("write gradescope report: nil result")
	}
	out := gradescopeResult{
		Score:            r.Score,
		MaxScore:         r.MaxScore,
		ExecutionTime:    seconds(r.DurationMS),
		Output:           gradescopeOutput(r),
		OutputFormat:     "text",
		TestOutputFormat: "text",
		ExtraData: gradescopeExtra{
			Exercise:     r.Exercise,
			Step:         r.Step,
			Status:       r.Status,
			Seed:         r.Seed,
			Target:       r.Target,
			CoachVersion: r.CoachVersion,
		},
		Tests: make([]gradescopeTest, 0, len(r.Tests)),
	}
	for _, t := range r.Tests {
		gt := gradescopeTest{
			Name:       t.ID + ": " + t.Name,
			Score:      t.Score,
			MaxScore:   t.MaxScore,
			Status:     "failed",
			Visibility: "visible",
		}
		if t.TaskID > 0 {
			gt.Number = strconv.Itoa(t.TaskID)
		}
		if t.Hidden {
			gt.Visibility = "hidden"
		}
		switch t.Status {
		case grader.StatusPass:
			gt.Status = "passed"
		case grader.StatusSkip:
			gt.Score = 0
			gt.Output = "skipped"
			if t.Message != "" {
				gt.Output += ": " + clean(t.Message)
			}
		default:
			gt.Score = 0
			gt.Output = failureBlock(t, style{})
		}
		out.Tests = append(out.Tests, gt)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write gradescope report: %w", err)
	}
	return nil
}

// gradescopeOutput is the text shown above the tests on the submission page.
func gradescopeOutput(r *grader.Result) string {
	var b strings.Builder
	if r.Message != "" {
		b.WriteString(clean(r.Message))
		b.WriteString("\n\n")
	}
	fmt.Fprintf(&b, "%s · score %s/%s · %s\n", tally(r), points(r.Score), points(r.MaxScore), humanDuration(r.DurationMS))
	fmt.Fprintf(&b, "%s (step %d) · seed %d", r.Exercise, r.Step, r.Seed)
	return b.String()
}
