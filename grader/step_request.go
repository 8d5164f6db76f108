package grader

import (
	"context"
	"net/url"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// RequestStep sends one request and checks the answer: its expect,
// capture and async keys sit beside request in the step map.
type RequestStep struct {
	Request *Request
	Expect  *Expect
	Capture []Capture
	Async   string
}

var requestKind = kindDef{
	name: "request",
	siblings: []sibling{
		{"expect", func(r *exercises.Reflector) schema { return r.Ref(Expect{}) }},
		{"capture", func(r *exercises.Reflector) schema { return r.Ref(captureList{}) }},
		{"async", func(*exercises.Reflector) schema {
			return described(exercises.Pattern(identRE.String()), "send in the background; a later await checks it")
		}},
	},
	make: func() stepKind { return &RequestStep{} },
}

func (s *RequestStep) decode(v, step *yaml.Node) error {
	s.Request = &Request{}
	if err := exercises.DecodeNode(v, s.Request); err != nil {
		return err
	}
	if _, v := valueOf(step, "expect"); v != nil {
		if v.ShortTag() == "!!null" {
			return exercises.Errorf(v, "expect is empty")
		}
		s.Expect = &Expect{}
		if err := exercises.DecodeNode(v, s.Expect); err != nil {
			return err
		}
	}
	if _, v := valueOf(step, "capture"); v != nil {
		var c captureList
		if err := exercises.DecodeNode(v, &c); err != nil {
			return err
		}
		s.Capture = c
	}
	if _, v := valueOf(step, "async"); v != nil {
		if err := exercises.DecodeNode(v, &s.Async); err != nil {
			return err
		}
		if !identRE.MatchString(s.Async) {
			return exercises.Errorf(v, "bad async name %q: use letters, digits and _", s.Async)
		}
		if s.Expect != nil && s.Expect.Refused {
			return exercises.Errorf(v, "a request that must be refused cannot be async")
		}
	}
	return nil
}

func (*RequestStep) schema(r *exercises.Reflector) schema { return r.Ref(Request{}) }

func (s *RequestStep) asserts() bool { return s.Expect != nil }

// chain puts an async request in flight, for a later await.
func (s *RequestStep) chain(c *chain, step *Step) error {
	if s.Async == "" {
		return nil
	}
	if c.pending[s.Async] != nil {
		return exercises.Errorf(step.node, "async %q is already in flight", s.Async)
	}
	c.pending[s.Async] = step
	return nil
}

func (s *RequestStep) sends() (*Request, *Step) { return s.Request, nil }

// lint: an async request's captures are set by its await.
func (s *RequestStep) lint(tmpl func(*Template, bool)) (declared, sets []Capture) {
	s.Request.templates(func(t *Template) { tmpl(t, false) })
	s.Expect.templates(func(t *Template) { tmpl(t, false) })
	if s.Async != "" {
		return s.Capture, nil
	}
	return s.Capture, s.Capture
}

func (s *RequestStep) run(ctx context.Context, x *testRun) error {
	o, err := build(x.r, x.data, x.target.BaseURL(), s.Request, x.jar)
	if err != nil {
		return err
	}
	mark := x.target.LogMark()
	if s.Async != "" {
		ch := make(chan asyncResult, 1)
		x.async[s.Async] = ch
		go func() {
			resp, err := send(ctx, x.client, o)
			ch <- asyncResult{o, resp, err, mark}
		}()
		return nil
	}
	if s.Expect != nil && s.Expect.Refused {
		return x.refused(ctx, o)
	}
	resp, err := x.exchangeOnce(ctx, o)
	x.record(o, resp, err)
	x.noteSent(x.plan.num[x.stepIdx-1], mark, o, resp, err)
	return x.verify(o, resp, err, s.Expect, s.Capture)
}

type asyncResult struct {
	out  *outgoing
	resp *response
	err  error
	mark int64 // server output before it was sent
}

// exchangeOnce sends o, records it and stores the cookies it set.
func (x *testRun) exchangeOnce(ctx context.Context, o *outgoing) (*response, error) {
	resp, err := send(ctx, x.client, o)
	if err == nil {
		if u, perr := url.Parse(o.url); perr == nil {
			x.jar.SetCookies(u, readSetCookies(resp.header))
		}
	}
	return resp, err
}
