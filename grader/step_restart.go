package grader

import (
	"context"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// restartStep stops the server and starts it again, keeping its data.
type restartStep struct{}

var restartKind = kindDef{name: "restart", bare: true, make: func() stepKind { return restartStep{} }}

func (restartStep) decode(v, _ *yaml.Node) error {
	if v.Tag != "!!null" && !(v.Kind == yaml.MappingNode && len(v.Content) == 0) {
		return exercises.Errorf(v, "restart takes no options: write restart: {}")
	}
	return nil
}

func (restartStep) schema(*exercises.Reflector) schema {
	return described(schema{"type": []string{"null", "object"}, "maxProperties": 0}, "write restart: {}")
}

func (restartStep) run(ctx context.Context, x *testRun) error {
	rs, ok := x.target.(Restarter)
	if !ok {
		return notCheckable("restart")
	}
	if err := rs.Restart(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &checkFailure{f: Failure{Check: "restart", Expected: "the server to start again and listen", Actual: err.Error()}}
	}
	// Connections to the old process are dead; do not reuse them.
	x.transport.CloseIdleConnections()
	return nil
}
