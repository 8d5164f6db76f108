package grader

import (
	"context"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// ExitStep waits for the server to exit (after a signal, say).
type ExitStep struct {
	Within time.Duration
	Code   *int
}

var exitKind = kindDef{name: "exit", bare: true, make: func() stepKind { return &ExitStep{} }}

func (e *ExitStep) decode(v, _ *yaml.Node) error {
	e.Within = 5 * time.Second
	if v.Tag == "!!null" {
		return nil
	}
	return exercises.DecodeNode(v, e)
}

func (e *ExitStep) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		Within *exercises.Duration `yaml:"within"`
		Code   *int                `yaml:"code"`
	}
	if err := exercises.DecodeNode(node, &raw); err != nil {
		return err
	}
	e.Code = raw.Code
	if raw.Within != nil {
		e.Within = time.Duration(*raw.Within)
	}
	return nil
}

func (*ExitStep) asserts() bool { return true }

func (*ExitStep) schema(r *exercises.Reflector) schema { return nullOr(r.Ref(ExitStep{})) }

// JSONSchema of an exit step's options.
func (ExitStep) JSONSchema(r *exercises.Reflector) schema {
	return object(schema{"within": r.Ref(exercises.Duration(0)), "code": schema{"type": "integer"}})
}

func (e *ExitStep) run(ctx context.Context, x *testRun) error {
	sg, ok := x.target.(Signaler)
	if !ok {
		return notCheckable("exit")
	}
	code, exited, err := sg.WaitExit(ctx, e.Within)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &checkFailure{f: Failure{Check: "exit", Expected: fmt.Sprintf("the server to exit within %s", e.Within), Actual: err.Error()}}
	}
	want := fmt.Sprintf("the server to exit within %s", e.Within)
	if e.Code != nil {
		want = fmt.Sprintf("the server to exit with code %d within %s", *e.Code, e.Within)
	}
	switch {
	case !exited:
		return &checkFailure{f: Failure{Check: "exit", Expected: want, Actual: fmt.Sprintf("still running after %s", e.Within) + x.openStreamsNote()}}
	case e.Code != nil && code != *e.Code:
		return &checkFailure{f: Failure{Check: "exit code", Expected: fmt.Sprint(*e.Code), Actual: exitText(code)}}
	}
	return nil
}
