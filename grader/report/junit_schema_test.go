package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/grader"
)

// jenkinsSchema is the part of the JUnit schema Jenkins publishes (the one
// GitHub reporters and GitLab also accept) that our output touches: the
// attributes each element may carry, which are required, and the order its
// children must come in. No XSD validator is available in CI, so the test
// checks these rules itself.
var jenkinsSchema = map[string]struct {
	attrs    []string
	required []string
	children []string // allowed children, in schema order
}{
	"testsuites": {attrs: []string{"name", "time", "tests", "failures", "disabled", "errors"}, children: []string{"testsuite"}},
	"testsuite": {
		attrs:    []string{"name", "tests", "failures", "errors", "time", "disabled", "skipped", "timestamp", "hostname", "id", "package"},
		required: []string{"name", "tests"},
		children: []string{"properties", "testcase", "system-out", "system-err"},
	},
	"properties": {children: []string{"property"}},
	"property":   {attrs: []string{"name", "value"}, required: []string{"name", "value"}},
	"testcase": {
		attrs:    []string{"name", "assertions", "time", "classname", "status"},
		required: []string{"name"},
		children: []string{"skipped", "error", "failure", "system-out", "system-err"},
	},
	"skipped":    {attrs: []string{"message"}},
	"error":      {attrs: []string{"message", "type"}},
	"failure":    {attrs: []string{"message", "type"}},
	"system-out": {},
	"system-err": {},
}

func checkJenkinsSchema(t *testing.T, doc []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	type frame struct {
		name      string
		lastChild int // index into children of the last child seen
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		switch el := tok.(type) {
		case xml.StartElement:
			name := el.Name.Local
			rule, ok := jenkinsSchema[name]
			require.True(t, ok, "element <%s> is not in the schema", name)
			if len(stack) == 0 {
				require.Equal(t, "testsuites", name, "root element")
			} else {
				parent := &stack[len(stack)-1]
				pos := indexOf(jenkinsSchema[parent.name].children, name)
				require.GreaterOrEqual(t, pos, 0, "<%s> may not contain <%s>", parent.name, name)
				require.GreaterOrEqual(t, pos, parent.lastChild, "<%s> comes too late in <%s>", name, parent.name)
				parent.lastChild = pos
			}
			seen := map[string]bool{}
			for _, a := range el.Attr {
				assert.Contains(t, rule.attrs, a.Name.Local, "attribute %s on <%s>", a.Name.Local, name)
				seen[a.Name.Local] = true
			}
			for _, a := range rule.required {
				assert.True(t, seen[a], "<%s> needs %s", name, a)
			}
			stack = append(stack, frame{name: name})
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	require.Empty(t, stack)
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

func TestJUnitFollowsJenkinsSchema(t *testing.T) {
	tests := []struct {
		name string
		r    *grader.Result
	}{
		{"fail", failedRun()},
		{"pass", passedRun()},
		{"build error", buildFailedRun()},
		{"hostile output", hostileRun()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkJenkinsSchema(t, render(t, func(w io.Writer) error { return JUnit(w, tt.r) }))
		})
	}
}

// hostileRun is a run whose server printed things that break naive
// writers: a CDATA terminator, NUL and other characters XML forbids, and a
// fake workflow command.
func hostileRun() *grader.Result {
	r := passedRun()
	r.Status = grader.StatusFail
	r.Tests = append(r.Tests, grader.TestResult{
		ID: "echo", Name: "POST /echo echoes", Status: grader.StatusFail, TaskID: 3, MaxScore: 1,
		Message: "body differs",
		Output:  "log ]]> more\x00 \uFFFE end\n::error::fake",
		Failure: &grader.Failure{
			Step: 1, Check: "body", Expected: "ping", Actual: "]]><boom/>",
			Excerpt: "]]><![CDATA[x]]>", LogTail: "done ]]>\x1b[2J\n::warning::fake",
		},
	})
	return r
}

func TestHostileOutput(t *testing.T) {
	t.Run("junit", func(t *testing.T) {
		var doc parsedJUnit
		require.NoError(t, xml.Unmarshal(render(t, func(w io.Writer) error { return JUnit(w, hostileRun()) }), &doc))
		f := doc.Suites[0].Cases[2].Failure
		require.NotNil(t, f)
		assert.Contains(t, f.Text, "Actual:   ]]><boom/>", "CDATA terminators survive as text")
		assert.Contains(t, f.Text, "done ]]>\n")
		assert.NotContains(t, f.Text, "\x1b")
	})
	t.Run("github", func(t *testing.T) {
		var ann bytes.Buffer
		require.NoError(t, GitHub(&ann, io.Discard, hostileRun()))
		for _, line := range bytes.Split(bytes.TrimRight(ann.Bytes(), "\n"), []byte("\n")) {
			assert.True(t, bytes.HasPrefix(line, []byte("::error title=")) || bytes.HasPrefix(line, []byte("::notice title=")),
				"learner output never starts a workflow command of its own: %q", line)
		}
	})
	t.Run("terminal", func(t *testing.T) {
		out := render(t, func(w io.Writer) error { return Terminal(w, hostileRun(), TerminalOptions{}) })
		assert.NotContains(t, string(out), "\x1b")
		assert.NotContains(t, string(out), "\x00")
	})
}
