package grader

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
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

var sseOpenKind = kindDef{name: "sse_open", make: func() stepKind { return &SSEOpen{} }}

func (o *SSEOpen) decode(v, _ *yaml.Node) error { return exercises.DecodeNode(v, o) }

func (*SSEOpen) schema(r *exercises.Reflector) schema { return r.Ref(SSEOpen{}) }

func (o *SSEOpen) asserts() bool { return o.Expect != nil }

func (o *SSEOpen) chain(c *chain, s *Step) error {
	if c.streams[o.Name] {
		return exercises.Errorf(s.node, "stream %q is already open", o.Name)
	}
	c.streams[o.Name] = true
	return nil
}

func (o *SSEOpen) lint(tmpl func(*Template, bool)) (declared, sets []Capture) {
	each := func(t *Template) { tmpl(t, false) }
	o.Request.templates(each)
	o.Expect.templates(each)
	return nil, nil
}

// JSONSchema of sse_open.
func (SSEOpen) JSONSchema(r *exercises.Reflector) schema {
	return object(schema{
		"name":    exercises.Pattern(identRE.String()),
		"request": r.Ref(Request{}),
		"expect":  described(r.Ref(Expect{}), "status, headers and cookies only"),
	}, "name", "request")
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

func (o *SSEOpen) run(ctx context.Context, x *testRun) error {
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
