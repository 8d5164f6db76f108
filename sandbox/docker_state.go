package sandbox

import (
	"context"

	"github.com/moby/moby/client"
)

// ServerState reports whether the server container still runs and, when
// it does not, its exit code and whether the kernel killed it for memory,
// once its output has all arrived.
func (in *DockerInstance) ServerState(ctx context.Context) (ServerState, error) {
	ins, err := in.d.cli.ContainerInspect(ctx, in.serverID, client.ContainerInspectOptions{})
	if err != nil {
		return ServerState{}, &EngineError{Op: "inspect the server container", Err: err}
	}
	st := ins.Container.State
	if st == nil || st.Running {
		return ServerState{Running: true}, nil
	}
	// Its last output is what explains the stop: let the log stream end.
	in.drainLogs()
	return ServerState{ExitCode: st.ExitCode, OOMKilled: st.OOMKilled, MemoryLimit: in.d.opts.Memory}, nil
}
