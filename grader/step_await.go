package grader

import (
	"context"
	"net/url"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// awaitStep waits for an async request and checks its answer.
type awaitStep struct {
	name    string
	awaited *Step // the async request step, found at load time
}

var awaitKind = kindDef{name: "await", make: func() stepKind { return &awaitStep{} }}

func (a *awaitStep) decode(v, _ *yaml.Node) error {
	if err := exercises.DecodeNode(v, &a.name); err != nil {
		return err
	}
	if a.name == "" {
		return exercises.Errorf(v, "await needs the name of an async request")
	}
	return nil
}

func (*awaitStep) schema(*exercises.Reflector) schema {
	return described(schema{"type": "string", "minLength": 1}, "the name of an earlier async request")
}

func (a *awaitStep) chain(c *chain, s *Step) error {
	req := c.pending[a.name]
	if req == nil {
		return exercises.Errorf(s.node, "await %q names no earlier async request of this test", a.name)
	}
	a.awaited = req
	delete(c.pending, a.name)
	return nil
}

func (a *awaitStep) sends() (*Request, *Step) { return a.awaited.Request, a.awaited }

// lint: the awaited request's captures are set here.
func (a *awaitStep) lint(func(*Template, bool)) (declared, sets []Capture) {
	return nil, a.awaited.Capture
}

func (a *awaitStep) run(ctx context.Context, x *testRun) error {
	var res asyncResult
	select {
	case res = <-x.async[a.name]:
	case <-ctx.Done():
		return ctx.Err()
	}
	if res.err == nil {
		if u, perr := url.Parse(res.out.url); perr == nil {
			x.jar.SetCookies(u, readSetCookies(res.resp.header))
		}
	}
	x.record(res.out, res.resp, res.err)
	x.noteSent(x.plan.num[x.stepIdx-1], res.mark, res.out, res.resp, res.err)
	return x.verify(res.out, res.resp, res.err, a.awaited.Expect, a.awaited.Capture)
}
