package grader

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// SSEOpen opens a Server-Sent Events stream that later steps read.
type SSEOpen struct {
	Name    string
	Request *Request
	Expect  *Expect
}

// SSEExpect waits for the next event on a stream that matches.
type SSEExpect struct {
	Stream string
	Within time.Duration
	Event  *Template
	Data   []JSONCheck
}

func (o *SSEOpen) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		Name    string   `yaml:"name"`
		Request *Request `yaml:"request"`
		Expect  *Expect  `yaml:"expect"`
	}
	if err := exercises.DecodeNode(node, &raw); err != nil {
		return err
	}
	switch {
	case !identRE.MatchString(raw.Name):
		return exercises.Errorf(node, "sse_open needs a name (letters, digits and _), got %q", raw.Name)
	case raw.Request == nil:
		return exercises.Errorf(node, "sse_open has no request")
	}
	if raw.Expect != nil && (raw.Expect.Body != nil || raw.Expect.JSON != nil || raw.Expect.Schema != nil) {
		return exercises.Errorf(node, "a stream's expect checks status, headers and cookies only; use sse_expect for its events")
	}
	*o = SSEOpen{Name: raw.Name, Request: raw.Request, Expect: raw.Expect}
	return nil
}

func (e *SSEExpect) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		Stream string     `yaml:"stream"`
		Within *Duration  `yaml:"within"`
		Event  *Template  `yaml:"event"`
		Data   jsonChecks `yaml:"data"`
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

// sseEvent is one event as received.
type sseEvent struct {
	event string
	data  string
}

func (e sseEvent) String() string {
	name := e.event
	if name == "" {
		name = "message"
	}
	return fmt.Sprintf("%s %s", name, clip(e.data, 120))
}

// stream is an open SSE connection read in the background.
type stream struct {
	out    *outgoing
	cancel context.CancelFunc
	mu     sync.Mutex
	events []sseEvent
	next   int   // index of the first event not consumed yet
	err    error // why reading stopped, if it did
	notify chan struct{}
}

func (s *stream) read(body *bufio.Reader) {
	var cur sseEvent
	var data []string
	for {
		line, err := body.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		switch {
		case err != nil:
			s.finish(err)
			return
		case line == "":
			if len(data) > 0 || cur.event != "" {
				cur.data = strings.Join(data, "\n")
				s.push(cur)
			}
			cur, data = sseEvent{}, nil
		case strings.HasPrefix(line, ":"): // a comment, often a keep-alive
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				cur.event = value
			case "data":
				data = append(data, value)
			}
		}
	}
}

func (s *stream) push(e sseEvent) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
	s.wake()
}

func (s *stream) finish(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
	s.wake()
}

func (s *stream) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (x *testRun) sseOpen(ctx context.Context, o *SSEOpen) error {
	if x.streams[o.Name] != nil {
		return fmt.Errorf("stream %q is already open", o.Name)
	}
	out, err := build(x.r, x.data, x.target.BaseURL(), o.Request, x.jar)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(sctx, out.method, out.url, nil)
	if err != nil {
		cancel()
		return fmt.Errorf("bad request: %w", err)
	}
	for _, h := range out.headers {
		req.Header[h[0]] = append(req.Header[h[0]], h[1])
	}
	// A stream has a connection of its own, closed when the stream ends:
	// were it kept alive afterwards, a server that ends its streams at
	// shutdown but waits for idle connections would fail a check about
	// streams. Idle connections have checks of their own.
	tr := newTransport(x.target)
	tr.DisableKeepAlives = true
	client := &http.Client{Transport: tr, CheckRedirect: x.client.CheckRedirect}
	// Only the wait for the headers is bounded: the stream stays open.
	timer := time.AfterFunc(out.timeout, cancel)
	start := time.Now()
	resp, err := client.Do(req)
	stopped := timer.Stop()
	if err != nil {
		cancel()
		if !stopped && ctx.Err() == nil {
			err = &transportError{msg: fmt.Sprintf("no response within %s", out.timeout), err: err}
		} else {
			err = classify(ctx, sctx, out.timeout, err, "")
		}
		x.record(out, nil, err)
		return transportFailure(out, err)
	}
	head := &response{status: resp.StatusCode, header: resp.Header, duration: time.Since(start)}
	x.record(out, head, nil)
	if o.Expect != nil {
		if err := x.check(out, head, o.Expect); err != nil {
			resp.Body.Close()
			cancel()
			return err
		}
	}
	s := &stream{out: out, cancel: cancel, notify: make(chan struct{}, 1)}
	x.streams[o.Name] = s
	go func() {
		defer resp.Body.Close()
		s.read(bufio.NewReaderSize(resp.Body, 64<<10))
	}()
	return nil
}

func (x *testRun) sseExpect(ctx context.Context, e *SSEExpect) error {
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

func (x *testRun) sseClose(name string) error {
	s := x.streams[name]
	if s == nil {
		return fmt.Errorf("stream %q is not open", name)
	}
	s.cancel()
	delete(x.streams, name)
	return nil
}

func (x *testRun) closeStreams() {
	for name, s := range x.streams {
		s.cancel()
		delete(x.streams, name)
	}
}

// openStreamsNote names the streams a test still holds open, for an exit
// that did not come: a server that waits for its event streams to end
// never exits while a client stays connected.
func (x *testRun) openStreamsNote() string {
	var paths []string
	for _, s := range x.streams {
		s.mu.Lock()
		open := s.err == nil
		s.mu.Unlock()
		if open {
			paths = append(paths, s.out.method+" "+pathOf(s.out.url))
		}
	}
	if len(paths) == 0 {
		return ""
	}
	sort.Strings(paths)
	return fmt.Sprintf(", with %s still open (%s): a shutdown must end open event streams, not wait for them",
		plural(len(paths), "event stream"), strings.Join(paths, ", "))
}
