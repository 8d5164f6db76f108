package grader

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"
)

// logPoll is how often the server's output is re-read while a logs step
// waits for it: output arrives a little after the response.
const logPoll = 50 * time.Millisecond

func (x *testRun) logs(ctx context.Context, l *LogsStep) error {
	deadline := time.Now().Add(l.Within)
	for {
		m, err := x.checkLogs(l, x.target.LogsSince(x.mark))
		if err != nil || m == nil {
			return err
		}
		if !time.Now().Before(deadline) {
			return &checkFailure{f: Failure{Check: "logs", Expected: m.expected, Actual: m.actual}}
		}
		if err := sleep(ctx, min(logPoll, time.Until(deadline))); err != nil {
			return err
		}
	}
}

// checkLogs returns what is missing from out, or nil when it all holds.
func (x *testRun) checkLogs(l *LogsStep, out []byte) (*mismatch, error) {
	text := string(out)
	summary := func() string {
		if len(out) == 0 {
			return "no output since the test began"
		}
		n := bytes.Count(bytes.TrimRight(out, "\n"), []byte("\n")) + 1
		return fmt.Sprintf("%s of output, none matching (see the output below)", plural(n, "line"))
	}
	if l.Contains != nil {
		want, err := l.Contains.text(x.r, x.data)
		if err != nil {
			return nil, err
		}
		if !strings.Contains(text, want) {
			return &mismatch{expected: fmt.Sprintf("output containing %q", want), actual: summary()}, nil
		}
	}
	if l.Regex != nil {
		re, err := l.Regex.compile(x.r, x.data)
		if err != nil {
			return nil, err
		}
		if !re.MatchString(text) {
			return &mismatch{expected: fmt.Sprintf("output matching /%s/", re), actual: summary()}, nil
		}
	}
	if l.JSONLines != nil {
		return x.checkJSONLines(l.JSONLines, text)
	}
	return nil, nil
}

func (x *testRun) checkJSONLines(j *JSONLines, text string) (*mismatch, error) {
	matched, jsonLines := 0, 0
	var near string // a JSON line that failed, to show what the server logs
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "{") {
			continue
		}
		doc, err := decodeJSON([]byte(line))
		if err != nil {
			continue
		}
		if _, ok := doc.(map[string]any); !ok {
			continue
		}
		jsonLines++
		ok, why, err := x.lineMatches(j, doc)
		if err != nil {
			return nil, err
		}
		if ok {
			matched++
		} else if near == "" {
			near = clip(line, 200) + " (" + why + ")"
		}
	}
	want, err := x.describeLines(j)
	if err != nil {
		return nil, err
	}
	if (j.Count == nil && matched > 0) || (j.Count != nil && matched == *j.Count) {
		return nil, nil
	}
	exp := "at least one JSON line with " + want
	if j.Count != nil {
		exp = fmt.Sprintf("exactly %s with %s", plural(*j.Count, "JSON line"), want)
	}
	var act string
	switch {
	case jsonLines == 0:
		act = "no line of output is a JSON object"
	case matched == 0:
		act = fmt.Sprintf("%s, none matching; e.g. %s", plural(jsonLines, "JSON line"), near)
	default:
		act = fmt.Sprintf("%s matching", plural(matched, "JSON line"))
	}
	return &mismatch{expected: exp, actual: act}, nil
}

func (x *testRun) lineMatches(j *JSONLines, doc any) (bool, string, error) {
	for _, c := range j.Match {
		m, err := c.Match.match(x.r, x.data, c.eval(doc))
		if err != nil {
			return false, "", err
		}
		if m != nil {
			return false, fmt.Sprintf("%s: expected %s, got %s", c.Path, m.expected, m.actual), nil
		}
	}
	return true, "", nil
}

func (x *testRun) describeLines(j *JSONLines) (string, error) {
	parts := make([]string, len(j.Match))
	for i, c := range j.Match {
		d, err := c.Match.describe(x.r, x.data)
		if err != nil {
			return "", err
		}
		parts[i] = c.Path + " " + d
	}
	return strings.Join(parts, ", "), nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
