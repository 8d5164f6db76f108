package docker

import (
	"context"

	"github.com/coachcli/coach/sandbox"

	"github.com/moby/moby/client"
)

// ServerState reports whether the server container still runs and, when
// it does not, its exit code and whether the kernel killed it for memory,
// once its output has all arrived.
func (in *Instance) ServerState(ctx context.Context) (sandbox.ServerState, error) {
	ins, err := in.d.cli.ContainerInspect(ctx, in.serverID, client.ContainerInspectOptions{})
	if err != nil {
		return sandbox.ServerState{}, &sandbox.EngineError{Op: "inspect the server container", Err: err}
	}
	st := ins.Container.State
	if st == nil || st.Running {
		return sandbox.ServerState{Running: true}, nil
	}
	// Its last output is what explains the stop: let the log stream end.
	in.drainLogs()
	return sandbox.ServerState{ExitCode: st.ExitCode, OOMKilled: st.OOMKilled, MemoryLimit: in.d.opts.Memory}, nil
}
