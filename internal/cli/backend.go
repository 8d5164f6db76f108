package cli

import (
	"context"

	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/internal/run"
	"github.com/coachcli/coach/sandbox/docker"
	"github.com/coachcli/coach/sandbox/process"
	"github.com/coachcli/coach/sandbox/urltarget"
)

// checker is the check pipeline the commands share, with the backends
// configured by cfg (or the ones a test injected).
func (g *globalOptions) checker(cfg *config.Config) *run.Service {
	open := g.open
	if open == nil {
		open = func(ctx context.Context, req run.StepRequest) (run.Backend, error) {
			return openBackend(ctx, g, cfg, req)
		}
	}
	return &run.Service{Open: open, Version: Version()}
}

// openBackend opens the real backend a request names.
func openBackend(ctx context.Context, g *globalOptions, cfg *config.Config, req run.StepRequest) (run.Backend, error) {
	switch req.Kind {
	case run.URL:
		u, err := urltarget.New(req.URL)
		if err != nil {
			return nil, err
		}
		return u, nil
	case run.Process:
		return process.New(), nil
	case run.Docker:
		o := dockerOptions(cfg, g)
		if req.Progress != nil {
			o.Progress = req.Progress
		}
		d, err := docker.New(ctx, o)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	return nil, usagef("unknown sandbox %q: want docker or process", req.Kind)
}

// dockerOptions maps the sandbox settings onto the Docker backend's options.
func dockerOptions(cfg *config.Config, g *globalOptions) docker.Options {
	set := cfg.Settings().Sandbox
	o := docker.DefaultOptions()
	for rt, img := range set.Images {
		o.Images[rt] = img
	}
	o.CAFile = set.CAFile
	o.Memory = set.Memory
	o.NanoCPUs = int64(set.CPUs * 1e9)
	o.PidsLimit = int64(set.Pids)
	o.Runtime = set.Runtime
	o.User = set.User
	o.ReadOnly = set.ReadOnly
	o.Progress = g.io.Err
	o.Getenv = g.io.Getenv
	return o
}
