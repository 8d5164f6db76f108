package grader

import (
	"context"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// sseCloseStep closes an open SSE stream, as a client that goes away.
type sseCloseStep struct{ stream string }

var sseCloseKind = kindDef{name: "sse_close", make: func() stepKind { return &sseCloseStep{} }}

func (c *sseCloseStep) decode(v, _ *yaml.Node) error { return exercises.DecodeNode(v, &c.stream) }

func (*sseCloseStep) schema(*exercises.Reflector) schema {
	return described(schema{"type": "string", "minLength": 1}, "the name of an open stream")
}

func (c *sseCloseStep) chain(ch *chain, s *Step) error {
	if !ch.streams[c.stream] {
		return exercises.Errorf(s.node, "sse_close: no stream %q is open here", c.stream)
	}
	delete(ch.streams, c.stream)
	return nil
}

func (c *sseCloseStep) run(_ context.Context, x *testRun) error {
	name := c.stream
	s := x.streams[name]
	if s == nil {
		return fmt.Errorf("stream %q is not open", name)
	}
	s.cancel()
	delete(x.streams, name)
	return nil
}
