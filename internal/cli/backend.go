package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/sandbox"
)

// starter is what a check needs from a sandbox backend.
type starter interface {
	Start(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error)
}

// startServer builds and starts the workspace (or reaches --url) with the
// backend named by kind: docker, process or url. The stop func removes the
// server and everything the backend made for it; it ignores ctx's
// cancellation, so it also cleans up after Ctrl-C.
func startServer(ctx context.Context, g *globalOptions, cfg *config.Config, req serverRequest) (sandbox.Instance, func(), error) {
	inst, owner, err := start(ctx, g, cfg, req)
	if err != nil {
		if owner != nil {
			_ = owner.Close()
		}
		return nil, nil, err
	}
	stop := func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
		defer cancel()
		if err := inst.Close(cctx); err != nil {
			fmt.Fprintf(g.io.Err, "coach: cleanup: %v\n", err)
		}
		if owner != nil {
			_ = owner.Close()
		}
	}
	return inst, stop, nil
}

type closer interface{ Close() error }

// serverRequest says which server to start for which exercise.
type serverRequest struct {
	ex   *exercises.Exercise // whose env and timeouts apply
	kind string              // docker, process or url
	dir  string              // the workspace
	url  string              // for kind url
	port int
	// runtime forces a runtime (else the exercise's, else detection): a
	// later step's solution that demands a Dockerfile is checked against
	// earlier suites with it.
	runtime string
	// docker is a backend shared by many servers (coach grade), which
	// prepares the relay image once; nil connects a new one for this server.
	docker *sandbox.Docker
	// timings, when set, receives how long the build took.
	timings *sandbox.Timings
}

func start(ctx context.Context, g *globalOptions, cfg *config.Config, req serverRequest) (sandbox.Instance, closer, error) {
	ex, kind, url := req.ex, req.kind, req.url
	spec := sandbox.Spec{
		Port:         req.port,
		Env:          ex.Env,
		BuildTimeout: ex.BuildTimeout(),
		StartTimeout: ex.StartTimeout(),
		OutputCap:    sandbox.DefaultOutputCap,
		Progress:     g.io.Err,
		Timings:      req.timings,
	}
	if kind == "url" {
		u, err := sandbox.NewURL(url)
		if err != nil {
			return nil, nil, err
		}
		inst, err := u.Start(ctx, spec)
		return inst, nil, err
	}
	rt := req.runtime
	if rt == "" {
		rt = ex.Runtime
	}
	ws, err := workspaceFor(req.dir, rt)
	if err != nil {
		return nil, nil, err
	}
	ws.Services = ws.Services.With(ex.Services.Required...)
	spec.Workspace = ws
	spec.LogDir = sandbox.WorkspaceLogDir(ws.Dir)
	switch kind {
	case "process":
		// Port 0 (not set anywhere) is a free port, so a server the learner
		// runs on 8080 does not collide.
		inst, err := sandbox.NewProcess().Start(ctx, spec)
		return inst, nil, sandbox.Diagnose(spec.LogDir, err)
	case "docker":
		if req.docker != nil {
			inst, err := req.docker.Start(ctx, spec)
			return inst, nil, sandbox.Diagnose(spec.LogDir, err)
		}
		d, err := sandbox.NewDocker(ctx, dockerOptions(cfg, g))
		if err != nil {
			return nil, nil, err
		}
		inst, err := d.Start(ctx, spec)
		return inst, d, sandbox.Diagnose(spec.LogDir, err)
	}
	return nil, nil, usagef("unknown sandbox %q: want docker or process", kind)
}

// workspaceFor detects the learner's workspace, honouring a demanded
// runtime (the containers step builds the learner's Dockerfile).
func workspaceFor(dir, runtime string) (*sandbox.Workspace, error) {
	if runtime != "" {
		return sandbox.ForceRuntime(dir, sandbox.Runtime(runtime))
	}
	return sandbox.Detect(dir)
}

func instancePort(inst sandbox.Instance, fallback int) int {
	if p, ok := inst.(interface{ Port() int }); ok {
		return p.Port()
	}
	return fallback
}

// dockerOptions maps configuration onto the Docker backend's options.
func dockerOptions(cfg *config.Config, g *globalOptions) sandbox.DockerOptions {
	o := sandbox.DefaultDockerOptions()
	o.Images[sandbox.Node] = cfg.String(config.KeyImageNode)
	o.Images[sandbox.Go] = cfg.String(config.KeyImageGo)
	o.Images[sandbox.Python] = cfg.String(config.KeyImagePython)
	o.CAFile = cfg.String(config.KeyCAFile)
	if mem, err := config.ParseBytes(cfg.String(config.KeyMemory)); err == nil {
		o.Memory = mem
	}
	if cpus := cfg.Float(config.KeyCPUs); cpus > 0 {
		o.NanoCPUs = int64(cpus * 1e9)
	}
	if p := cfg.Int(config.KeyPids); p > 0 {
		o.PidsLimit = int64(p)
	}
	o.Runtime = cfg.String(config.KeyOCIRuntime)
	o.User = cfg.String(config.KeyUser)
	o.ReadOnly = cfg.Bool(config.KeyReadOnly)
	o.Progress = g.io.Err
	o.Getenv = g.io.Getenv
	return o
}
