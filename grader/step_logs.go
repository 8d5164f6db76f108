package grader

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ohler55/ojg/jp"
	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// LogsStep checks the server's output since the test began.
type LogsStep struct {
	Within    time.Duration
	Contains  *Template
	Regex     *pattern
	JSONLines *JSONLines
}

// JSONLines matches output lines that are JSON objects.
type JSONLines struct {
	Match []JSONCheck
	Count *int // exactly this many; nil means at least one
}

func (l *LogsStep) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		Within    *exercises.Duration `yaml:"within"`
		Contains  *Template           `yaml:"contains"`
		Regex     *nodeRef            `yaml:"regex"`
		JSONLines *nodeRef            `yaml:"json_lines"`
	}
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "logs is a map with within, contains, regex, json_lines")
	}
	if err := exercises.DecodeNode(node, &raw); err != nil {
		return err
	}
	*l = LogsStep{Contains: raw.Contains}
	if raw.Within != nil {
		l.Within = time.Duration(*raw.Within)
	}
	if raw.Regex != nil {
		p, err := parsePattern(raw.Regex.node)
		if err != nil {
			return err
		}
		l.Regex = p
	}
	if raw.JSONLines != nil {
		l.JSONLines = &JSONLines{}
		if err := l.JSONLines.decode(raw.JSONLines.node); err != nil {
			return err
		}
	}
	if l.Contains == nil && l.Regex == nil && l.JSONLines == nil {
		return exercises.Errorf(node, "logs checks nothing: give contains, regex or json_lines")
	}
	return nil
}

func (j *JSONLines) decode(node *yaml.Node) error {
	var raw struct {
		Match *nodeRef `yaml:"match"`
		Count *int     `yaml:"count"`
	}
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "json_lines is a map with match and count")
	}
	if err := exercises.DecodeNode(node, &raw); err != nil {
		return err
	}
	if raw.Match == nil || raw.Match.node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "json_lines needs match: a map of field: matcher")
	}
	if raw.Count != nil && *raw.Count < 0 {
		return exercises.Errorf(node, "count must not be negative")
	}
	j.Count = raw.Count
	match := raw.Match.node
	for i := 0; i+1 < len(match.Content); i += 2 {
		k := match.Content[i]
		var c JSONCheck
		if strings.HasPrefix(k.Value, "$") {
			var err error
			if c, err = parseJSONPath(k); err != nil {
				return err
			}
		} else {
			// A plain key names a top-level field of the line.
			c = JSONCheck{Path: k.Value, expr: jp.Expr{jp.Root('$'), jp.Child(k.Value)}, singular: true}
		}
		c.Match = &Matcher{}
		if err := c.Match.UnmarshalYAML(match.Content[i+1]); err != nil {
			return err
		}
		j.Match = append(j.Match, c)
	}
	return nil
}

var logsKind = kindDef{name: "logs", make: func() stepKind { return &LogsStep{} }}

func (l *LogsStep) decode(v, _ *yaml.Node) error { return exercises.DecodeNode(v, l) }

func (*LogsStep) schema(r *exercises.Reflector) schema { return r.Ref(LogsStep{}) }

func (*LogsStep) asserts() bool { return true }

func (l *LogsStep) lint(tmpl func(*Template, bool)) (declared, sets []Capture) {
	each := func(t *Template) { tmpl(t, false) }
	each(l.Contains)
	if l.Regex != nil {
		each(l.Regex.src)
	}
	if l.JSONLines != nil {
		checksTemplates(l.JSONLines.Match, each)
	}
	return nil, nil
}

// JSONSchema of a logs step.
func (LogsStep) JSONSchema(r *exercises.Reflector) schema {
	s := object(schema{
		"within":     r.Ref(exercises.Duration(0)),
		"contains":   r.Ref(Template{}),
		"regex":      r.Ref(Template{}),
		"json_lines": r.Ref(JSONLines{}),
	})
	s["anyOf"] = []any{schema{"required": []string{"contains"}}, schema{"required": []string{"regex"}}, schema{"required": []string{"json_lines"}}}
	return s
}

// JSONSchema of json_lines.
func (JSONLines) JSONSchema(r *exercises.Reflector) schema {
	return object(schema{
		"match": described(mapOf(r.Ref(Matcher{}), nil), "top-level field names, or JSONPaths starting with $"),
		"count": schema{"type": "integer", "minimum": 0},
	}, "match")
}

// logPoll is how often the server's output is re-read while a logs step
// waits for it: output arrives a little after the response.
const logPoll = 50 * time.Millisecond

func (l *LogsStep) run(ctx context.Context, x *testRun) error {
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
