package grader

import (
	"context"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// sleepStep waits, e.g. for a rate limiter's window to pass.
type sleepStep struct{ d time.Duration }

var sleepKind = kindDef{name: "sleep", make: func() stepKind { return &sleepStep{} }}

func (s *sleepStep) decode(v, _ *yaml.Node) error {
	var d exercises.Duration
	if err := exercises.DecodeNode(v, &d); err != nil {
		return err
	}
	s.d = time.Duration(d)
	return nil
}

func (*sleepStep) schema(r *exercises.Reflector) schema { return r.Ref(exercises.Duration(0)) }

func (s *sleepStep) run(ctx context.Context, _ *testRun) error { return sleep(ctx, s.d) }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
