package grader

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// SSEExpect waits for the next event on a stream that matches.
type SSEExpect struct {
	Stream string
	Within time.Duration
	Event  *Template
	Data   []JSONCheck
}

var sseExpectKind = kindDef{name: "sse_expect", make: func() stepKind { return &SSEExpect{} }}

func (e *SSEExpect) decode(v, _ *yaml.Node) error { return exercises.DecodeNode(v, e) }

func (*SSEExpect) schema(r *exercises.Reflector) schema { return r.Ref(SSEExpect{}) }

func (*SSEExpect) asserts() bool { return true }

func (e *SSEExpect) chain(c *chain, s *Step) error {
	if !c.streams[e.Stream] {
		return exercises.Errorf(s.node, "sse_expect: no stream %q is open here (open it with sse_open)", e.Stream)
	}
	return nil
}

func (e *SSEExpect) lint(tmpl func(*Template, bool)) (declared, sets []Capture) {
	each := func(t *Template) { tmpl(t, false) }
	each(e.Event)
	checksTemplates(e.Data, each)
	return nil, nil
}

// JSONSchema of sse_expect.
func (SSEExpect) JSONSchema(r *exercises.Reflector) schema {
	s := object(schema{
		"stream": schema{"type": "string", "minLength": 1},
		"within": r.Ref(exercises.Duration(0)),
		"event":  r.Ref(Template{}),
		"data":   mapOf(r.Ref(Matcher{}), jsonPathName()),
	}, "stream")
	s["anyOf"] = []any{schema{"required": []string{"event"}}, schema{"required": []string{"data"}}}
	return s
}

func (e *SSEExpect) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		Stream string              `yaml:"stream"`
		Within *exercises.Duration `yaml:"within"`
		Event  *Template           `yaml:"event"`
		Data   jsonChecks          `yaml:"data"`
	}
	if err := exercises.DecodeNode(node, &raw); err != nil {
		return err
	}
	if raw.Stream == "" {
		return exercises.Errorf(node, "sse_expect needs the stream's name")
	}
	if raw.Event == nil && len(raw.Data) == 0 {
		return exercises.Errorf(node, "sse_expect checks nothing: give event or data")
	}
	*e = SSEExpect{Stream: raw.Stream, Within: time.Second, Event: raw.Event, Data: raw.Data}
	if raw.Within != nil {
		e.Within = time.Duration(*raw.Within)
	}
	return nil
}

func (e *SSEExpect) run(ctx context.Context, x *testRun) error {
	s := x.streams[e.Stream]
	if s == nil {
		return fmt.Errorf("stream %q is not open", e.Stream)
	}
	want, err := x.describeEvent(e)
	if err != nil {
		return err
	}
	deadline := time.NewTimer(e.Within)
	defer deadline.Stop()
	for {
		found, err := x.consumeMatch(s, e)
		if found || err != nil {
			return err
		}
		s.mu.Lock()
		ended := s.err
		s.mu.Unlock()
		if ended != nil {
			return x.sseFailure(s, want, fmt.Sprintf("the stream ended (%v)", innerError(ended)))
		}
		select {
		case <-s.notify:
		case <-deadline.C:
			return x.sseFailure(s, want, fmt.Sprintf("no such event within %s", e.Within))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// consumeMatch looks for the first unconsumed event that matches e and
// consumes everything up to it; events before it are skipped.
func (x *testRun) consumeMatch(s *stream, e *SSEExpect) (bool, error) {
	s.mu.Lock()
	pending := s.events[s.next:]
	s.mu.Unlock()
	for i, ev := range pending {
		ok, err := x.eventMatches(ev, e)
		if err != nil {
			return false, err
		}
		if ok {
			s.mu.Lock()
			s.next += i + 1
			s.mu.Unlock()
			return true, nil
		}
	}
	return false, nil
}

func (x *testRun) eventMatches(ev sseEvent, e *SSEExpect) (bool, error) {
	if e.Event != nil {
		want, err := e.Event.text(x.r, x.data)
		if err != nil {
			return false, err
		}
		if ev.event != want {
			return false, nil
		}
	}
	if len(e.Data) == 0 {
		return true, nil
	}
	doc, err := decodeJSON([]byte(ev.data))
	if err != nil {
		return false, nil
	}
	for _, c := range e.Data {
		m, err := c.Match.match(x.r, x.data, c.eval(doc))
		if err != nil || m != nil {
			return false, err
		}
	}
	return true, nil
}

func (x *testRun) describeEvent(e *SSEExpect) (string, error) {
	var parts []string
	if e.Event != nil {
		ev, err := e.Event.text(x.r, x.data)
		if err != nil {
			return "", err
		}
		parts = append(parts, "event "+ev)
	}
	for _, c := range e.Data {
		d, err := c.Match.describe(x.r, x.data)
		if err != nil {
			return "", err
		}
		parts = append(parts, "data "+c.Path+" "+d)
	}
	return "an event with " + strings.Join(parts, ", "), nil
}

func (x *testRun) sseFailure(s *stream, want, why string) error {
	s.mu.Lock()
	seen := s.events[s.next:]
	s.mu.Unlock()
	actual := why + "; no events arrived"
	if len(seen) > 0 {
		list := make([]string, 0, len(seen))
		for _, ev := range seen[max(0, len(seen)-5):] {
			list = append(list, ev.String())
		}
		actual = fmt.Sprintf("%s; %s arrived, the last: %s", why, plural(len(seen), "event"), strings.Join(list, " | "))
	}
	return &checkFailure{f: Failure{Check: "sse " + s.out.method + " " + pathOf(s.out.url), Curl: s.out.curl() + " -N", Expected: want, Actual: actual}}
}
