package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/grader"
	goldenfile "github.com/coachcli/coach/internal/golden"
)

// golden compares got with testdata/<name>.golden, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Assert(t, filepath.Join("testdata", name+".golden"), got)
}

func render(t *testing.T, f func(w io.Writer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, f(&buf))
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	terminal := func(r *grader.Result, o TerminalOptions) func(io.Writer) error {
		return func(w io.Writer) error { return Terminal(w, r, o) }
	}
	tests := []struct {
		name  string
		write func(io.Writer) error
		color bool // output is expected to hold ANSI escapes
	}{
		{"terminal_fail", terminal(failedRun(), TerminalOptions{}), false},
		{"terminal_fail_color", terminal(failedRun(), TerminalOptions{Color: true}), true},
		{"terminal_fail_verbose", terminal(failedRun(), TerminalOptions{Verbose: true}), false},
		{"terminal_fail_verbose_color", terminal(failedRun(), TerminalOptions{Verbose: true, Color: true}), true},
		{"terminal_fail_show_hidden", terminal(failedRun(), TerminalOptions{ShowHidden: true}), false},
		{"terminal_pass", terminal(passedRun(), TerminalOptions{}), false},
		{"terminal_pass_color", terminal(passedRun(), TerminalOptions{Color: true}), true},
		{"terminal_build_error", terminal(buildFailedRun(), TerminalOptions{}), false},
		{"compact_fail", func(w io.Writer) error { return Compact(w, failedRun(), TerminalOptions{}) }, false},
		{"compact_fail_focus", func(w io.Writer) error { return Compact(w, failedRun(), TerminalOptions{Focus: 1}) }, false},
		{"compact_pass", func(w io.Writer) error { return Compact(w, passedRun(), TerminalOptions{}) }, false},
		{"json_fail", func(w io.Writer) error { return JSON(w, failedRun()) }, false},
		{"json_fail_redacted", func(w io.Writer) error { return JSON(w, Redact(failedRun())) }, false},
		{"json_build_error", func(w io.Writer) error { return JSON(w, buildFailedRun()) }, false},
		{"junit_fail", func(w io.Writer) error { return JUnit(w, failedRun()) }, false},
		{"junit_build_error", func(w io.Writer) error { return JUnit(w, buildFailedRun()) }, false},
		{"gradescope_fail", func(w io.Writer) error { return Gradescope(w, failedRun()) }, false},
		{"gradescope_build_error", func(w io.Writer) error { return Gradescope(w, buildFailedRun()) }, false},
		{"github_fail", func(w io.Writer) error { return Write("github", w, failedRun(), TerminalOptions{}) }, false},
		{"github_pass", func(w io.Writer) error { return Write("github", w, passedRun(), TerminalOptions{}) }, false},
		{"github_build_error", func(w io.Writer) error { return Write("github", w, buildFailedRun(), TerminalOptions{}) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, tt.write)
			golden(t, tt.name, got)
			if tt.color {
				assert.Contains(t, string(got), "\x1b[")
			} else {
				assert.NotContains(t, string(got), "\x1b[", "no ANSI escape without colour, not even the learner's own")
				assert.NotContains(t, string(got), "\x07", "control characters from learner output are replaced")
			}
		})
	}
}

func TestTerminalHiddenTests(t *testing.T) {
	tests := []struct {
		name       string
		opts       TerminalOptions
		wantSecret bool
	}{
		{"hidden by default", TerminalOptions{}, false},
		{"hidden with verbose", TerminalOptions{Verbose: true, Color: true}, false},
		{"shown with ShowHidden", TerminalOptions{ShowHidden: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(render(t, func(w io.Writer) error { return Terminal(w, failedRun(), tt.opts) }))
			if tt.wantSecret {
				assert.Contains(t, out, secret)
				assert.Contains(t, out, "auth-forged")
				return
			}
			assert.NotContains(t, out, secret)
			assert.NotContains(t, out, "auth-forged")
			assert.NotContains(t, out, "alg none")
			assert.Contains(t, out, "hidden test failed")
			// Hidden tests still count.
			assert.Contains(t, out, "2 passed")
			assert.Contains(t, out, "score 4/12")
		})
	}
}

func TestTerminalIsHeaderLinesSummary(t *testing.T) {
	// Live output (Header, then TestLine as each test ends, then Summary)
	// must read exactly like the report printed at the end.
	for _, o := range []TerminalOptions{{}, {Color: true, Verbose: true}} {
		r := failedRun()
		var live bytes.Buffer
		Header(&live, r, o)
		for _, tr := range r.Tests {
			TestLine(&live, tr, o)
		}
		Summary(&live, r, o)
		assert.Equal(t, string(render(t, func(w io.Writer) error { return Terminal(w, r, o) })), live.String())
	}
}

func TestTerminalFooter(t *testing.T) {
	tests := []struct {
		name      string
		r         *grader.Result
		want      []string
		reproduce bool
	}{
		{"fail", failedRun(), []string{"2 passed, 2 failed, 1 errored, 1 skipped · score 4/12 · 1.2s"}, true},
		{"pass", passedRun(), []string{"2 passed, 0 failed, 0 skipped · score 2/2 · 350ms"}, false},
		{"build error", buildFailedRun(), []string{"Error: your code did not build:", "0 passed, 0 failed, 0 skipped · score 0/12 · 2.1s"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(render(t, func(w io.Writer) error { return Terminal(w, tt.r, TerminalOptions{}) }))
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
			if tt.reproduce {
				assert.Contains(t, out, "Reproduce with: coach check step-3 --seed 42")
			} else {
				assert.NotContains(t, out, "Reproduce with")
			}
		})
	}
}

func TestReproduce(t *testing.T) {
	tests := []struct {
		name   string
		step   int
		target string
		want   string
	}{
		{"docker", 3, "docker", "coach check step-3 --seed 42"},
		{"process keeps the sandbox", 3, "process", "coach check step-3 --seed 42 --sandbox process"},
		{"unknown step", 0, "url", "coach check <step> --seed 42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, reproduce(&grader.Result{Step: tt.step, Target: tt.target, Seed: 42}))
		})
	}
}

func TestJSONExercismFields(t *testing.T) {
	tests := []struct {
		name   string
		r      *grader.Result
		status string
	}{
		{"fail", failedRun(), "fail"},
		{"pass", passedRun(), "pass"},
		{"error", buildFailedRun(), "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			require.NoError(t, json.Unmarshal(render(t, func(w io.Writer) error { return JSON(w, tt.r) }), &doc))

			assert.Equal(t, float64(3), doc["version"])
			assert.Equal(t, tt.status, doc["status"])
			require.Contains(t, doc, "message")
			if tt.status == "error" {
				assert.IsType(t, "", doc["message"], "message is required when status is error")
			} else {
				assert.Nil(t, doc["message"])
			}
			for _, k := range []string{"score", "max_score", "duration_ms", "seed", "step"} {
				assert.IsType(t, float64(0), doc[k], k)
			}
			for _, k := range []string{"exercise", "coach_version", "target", "started_at"} {
				assert.IsType(t, "", doc[k], k)
			}
			tests, ok := doc["tests"].([]any)
			require.True(t, ok, "tests is an array, also when empty")
			require.Len(t, tests, len(tt.r.Tests))
			for i, raw := range tests {
				test, ok := raw.(map[string]any)
				require.True(t, ok)
				assert.IsType(t, "", test["name"])
				assert.IsType(t, "", test["test_code"])
				assert.Contains(t, []any{"pass", "fail", "error", "skip"}, test["status"])
				for _, k := range []string{"message", "output"} {
					require.Contains(t, test, k, "Exercism wants %s present (null when empty)", k)
					if test[k] != nil {
						assert.IsType(t, "", test[k], k)
					}
				}
				assert.Equal(t, float64(i+1), test["task_id"])
				assert.IsType(t, float64(0), test["score"])
				assert.IsType(t, float64(0), test["max_score"])
			}
		})
	}
}

func TestJSONRoundTripsFailure(t *testing.T) {
	var doc struct {
		Tests []struct {
			ID       string          `json:"id"`
			TestCode string          `json:"test_code"`
			Failure  *grader.Failure `json:"failure"`
		} `json:"tests"`
	}
	r := failedRun()
	require.NoError(t, json.Unmarshal(render(t, func(w io.Writer) error { return JSON(w, r) }), &doc))
	require.Len(t, doc.Tests, len(r.Tests))
	assert.Equal(t, r.Tests[1].Failure, doc.Tests[1].Failure, "failure details survive unchanged")
	assert.Equal(t, r.Tests[1].Transcript[0].Curl, doc.Tests[1].TestCode)
}

// The JUnit types here are written from the schema, independently of the
// writer's, so a mistake in one is not hidden by the same mistake in both.
type parsedJUnit struct {
	XMLName xml.Name `xml:"testsuites"`
	Tests   int      `xml:"tests,attr"`
	Suites  []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Errors     int    `xml:"errors,attr"`
		Skipped    int    `xml:"skipped,attr"`
		Time       string `xml:"time,attr"`
		Timestamp  string `xml:"timestamp,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitParsesBack(t *testing.T) {
	tests := []struct {
		name                                               string
		r                                                  *grader.Result
		tests, failures, errors, skipped, casesWithFailure int
	}{
		{"fail", failedRun(), 6, 2, 1, 1, 2},
		{"redacted", Redact(failedRun()), 6, 2, 1, 1, 2},
		{"pass", passedRun(), 2, 0, 0, 0, 0},
		{"build error", buildFailedRun(), 0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, func(w io.Writer) error { return JUnit(w, tt.r) })
			require.True(t, bytes.HasPrefix(out, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)))
			var doc parsedJUnit
			require.NoError(t, xml.Unmarshal(out, &doc))
			require.Len(t, doc.Suites, 1)
			s := doc.Suites[0]
			assert.Equal(t, tt.r.Exercise, s.Name)
			assert.Equal(t, tt.tests, doc.Tests)
			assert.Equal(t, tt.tests, s.Tests)
			assert.Equal(t, tt.failures, s.Failures)
			assert.Equal(t, tt.errors, s.Errors)
			assert.Equal(t, tt.skipped, s.Skipped)
			assert.Equal(t, "2026-03-14T09:26:53", s.Timestamp)
			require.Len(t, s.Cases, tt.tests)

			var failures, errs, skipped int
			for i, c := range s.Cases {
				assert.Equal(t, "coach."+tt.r.Exercise, c.Classname)
				assert.Equal(t, tt.r.Tests[i].ID+": "+tt.r.Tests[i].Name, c.Name)
				assert.NotEmpty(t, c.Time)
				if c.Failure != nil {
					failures++
					assert.NotEmpty(t, c.Failure.Message)
					assert.NotEmpty(t, c.Failure.Type)
					assert.NotEmpty(t, c.Failure.Text)
				}
				if c.Error != nil {
					errs++
				}
				if c.Skipped != nil {
					skipped++
				}
			}
			assert.Equal(t, tt.casesWithFailure, failures)
			assert.Equal(t, tt.errors, errs)
			assert.Equal(t, tt.skipped, skipped)

			props := map[string]string{}
			for _, p := range s.Properties {
				props[p.Name] = p.Value
			}
			assert.Equal(t, strconv.FormatInt(tt.r.Seed, 10), props["seed"])
			assert.Equal(t, tt.r.CoachVersion, props["coach_version"])
		})
	}
}

func TestJUnitFailureText(t *testing.T) {
	var doc parsedJUnit
	require.NoError(t, xml.Unmarshal(render(t, func(w io.Writer) error { return JUnit(w, failedRun()) }), &doc))
	f := doc.Suites[0].Cases[1].Failure
	require.NotNil(t, f)
	assert.Equal(t, "json $", f.Type)
	assert.Equal(t, "POST /todos answered with a body that is missing fields.", f.Message)
	for _, want := range []string{"Request:", "curl -sS -X POST", "Expected:", "Actual:", "Response body (excerpt):", "Hint:", "Your server's output (last lines):", "INFO listening on :8080"} {
		assert.Contains(t, f.Text, want)
	}
}

func TestGradescopeFields(t *testing.T) {
	var doc struct {
		Score         *float64 `json:"score"`
		MaxScore      *float64 `json:"max_score"`
		ExecutionTime *float64 `json:"execution_time"`
		Output        *string  `json:"output"`
		Tests         []struct {
			Name       string   `json:"name"`
			Score      *float64 `json:"score"`
			MaxScore   *float64 `json:"max_score"`
			Status     string   `json:"status"`
			Output     *string  `json:"output"`
			Visibility string   `json:"visibility"`
		} `json:"tests"`
	}
	r := failedRun()
	require.NoError(t, json.Unmarshal(render(t, func(w io.Writer) error { return Gradescope(w, r) }), &doc))

	require.NotNil(t, doc.Score)
	require.NotNil(t, doc.MaxScore)
	require.NotNil(t, doc.ExecutionTime)
	require.NotNil(t, doc.Output)
	assert.Equal(t, 4.0, *doc.Score)
	assert.Equal(t, 12.0, *doc.MaxScore)
	assert.Equal(t, 1.234, *doc.ExecutionTime)
	require.Len(t, doc.Tests, len(r.Tests))

	var sum float64
	want := []struct{ status, visibility string }{
		{"passed", "visible"}, {"failed", "visible"}, {"failed", "visible"},
		{"failed", "visible"}, {"failed", "hidden"}, {"passed", "hidden"},
	}
	for i, tc := range doc.Tests {
		require.NotNil(t, tc.Score)
		require.NotNil(t, tc.MaxScore)
		require.NotNil(t, tc.Output)
		assert.Equal(t, want[i].status, tc.Status, tc.Name)
		assert.Equal(t, want[i].visibility, tc.Visibility, tc.Name)
		assert.Equal(t, r.Tests[i].MaxScore, *tc.MaxScore)
		sum += *tc.Score
	}
	assert.Equal(t, *doc.Score, sum, "test scores add up to the total")
	assert.Contains(t, *doc.Tests[4].Output, secret, "hidden tests keep their details: Gradescope hides them from students")
}

func TestGitHubEscaping(t *testing.T) {
	tests := []struct {
		in, data, property string
	}{
		{"plain", "plain", "plain"},
		{"100% done", "100%25 done", "100%25 done"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"id: name, more", "id: name, more", "id%3A name%2C more"},
		{"%0A", "%250A", "%250A"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.data, escapeData(tt.in))
			assert.Equal(t, tt.property, escapeProperty(tt.in))
		})
	}
}

func TestGitHubAnnotations(t *testing.T) {
	r := failedRun()
	// A learner's server trying to inject its own workflow command.
	r.Tests[1].Message = "bad body\n::add-mask::x\n"
	var ann, sum bytes.Buffer
	require.NoError(t, GitHub(&ann, &sum, Redact(r)))

	lines := strings.Split(strings.TrimRight(ann.String(), "\n"), "\n")
	require.Len(t, lines, 4, "three failed or errored tests and the points notice")
	for _, l := range lines {
		assert.True(t, strings.HasPrefix(l, "::error title=") || strings.HasPrefix(l, "::notice title="), l)
	}
	assert.True(t, strings.HasPrefix(lines[0], "::error title=todos-create%3A POST /todos creates a todo::bad body%0A::add-mask::x%0A%0AExpected: "), lines[0])
	assert.Equal(t, "::error title=hidden-5%3A hidden test::hidden test failed", lines[2])
	assert.Equal(t, "::notice title=Points::Points 4/12", lines[3])

	assert.Contains(t, sum.String(), "| ✅ | `health-json` GET /health answers JSON | passed | 2/2 |")
	assert.Contains(t, sum.String(), "| ❌ | `hidden-5` hidden test | failed | 0/1 |")
	assert.NotContains(t, sum.String(), secret)
	assert.NotContains(t, ann.String(), secret)
}

func TestFenceOutlastsBackticks(t *testing.T) {
	got := fenced("before\n````\nafter")
	assert.True(t, strings.HasPrefix(got, "`````text\n"), got)
	assert.True(t, strings.HasSuffix(got, "\n`````"), got)
}

func TestWriteDispatch(t *testing.T) {
	tests := []struct {
		format string
		prefix string
	}{
		{"terminal", "Running tests for todo-api"},
		{"text", "Running tests for todo-api"},
		{"TEXT", "Running tests for todo-api"},
		{"json", "{\n  \"version\": 3,"},
		{"junit", "<?xml"},
		{"gradescope", "{\n  \"score\": 4,"},
		{"github", "::error title="},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			out := string(render(t, func(w io.Writer) error { return Write(tt.format, w, failedRun(), TerminalOptions{}) }))
			assert.True(t, strings.HasPrefix(out, tt.prefix), out)
			if tt.format != "gradescope" {
				assert.NotContains(t, out, secret, "hidden tests are redacted unless ShowHidden")
			}
		})
	}
	for _, f := range Formats {
		assert.NoError(t, Write(f, io.Discard, failedRun(), TerminalOptions{}), f)
	}

	t.Run("show hidden", func(t *testing.T) {
		out := string(render(t, func(w io.Writer) error {
			return Write("json", w, failedRun(), TerminalOptions{ShowHidden: true})
		}))
		assert.Contains(t, out, secret)
	})

	t.Run("unknown", func(t *testing.T) {
		err := Write("yaml", io.Discard, failedRun(), TerminalOptions{})
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrUnknownFormat))
		for _, f := range Formats {
			assert.Contains(t, err.Error(), f)
		}
	})

	t.Run("nil result", func(t *testing.T) {
		assert.Error(t, Write("json", io.Discard, nil, TerminalOptions{}))
	})
}

func TestRedactLeavesOriginal(t *testing.T) {
	r := failedRun()
	red := Redact(r)
	assert.Equal(t, failedRun(), r)
	h := red.Tests[4]
	assert.Equal(t, "hidden-5", h.ID)
	assert.Equal(t, "hidden test", h.Name)
	assert.Equal(t, "hidden test failed", h.Message)
	assert.Nil(t, h.Failure)
	assert.Empty(t, h.Hint)
	assert.Equal(t, grader.StatusFail, h.Status)
	assert.Equal(t, 1.0, h.MaxScore)
	assert.Equal(t, r.Tests[0], red.Tests[0], "visible tests are untouched")
}

var errDiskFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteErrorsAreWrapped(t *testing.T) {
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			err := Write(f, failingWriter{}, failedRun(), TerminalOptions{})
			require.Error(t, err)
			assert.True(t, errors.Is(err, errDiskFull), err)
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\x1b[1;31mred\x1b[0m", "red"},
		{"title\x1b]0;pwned\x07done", "titledone"},
		{"line\r\nnext\r", "line\nnext"},
		{"bell\x07", "bell\uFFFD"},
		{"tab\tok", "tab\tok"},
		{"ünïcode ✓", "ünïcode ✓"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, clean(tt.in), "%q", tt.in)
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		ms   int64
		want string
	}{{0, "0ms"}, {999, "999ms"}, {1234, "1.2s"}, {59_949, "59.9s"}, {65_400, "1m5s"}}
	for _, tt := range tests {
		assert.Equal(t, tt.want, humanDuration(tt.ms))
	}
}
