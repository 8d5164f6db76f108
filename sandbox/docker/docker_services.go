package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"

	"github.com/moby/moby/client"
)

// serviceStartTimeout bounds the wait for a service to accept connections.
const serviceStartTimeout = 60 * time.Second

// Limits of a service container. Postgres forks a process per connection
// and MariaDB runs a thread per connection: both count against pids.
const (
	serviceMemory = 512 << 20
	servicePids   = 256
)

// LabelService names the service a container or volume belongs to.
const LabelService = "coach.service"

// serviceContainer is one service of a pod.
type serviceContainer struct {
	svc    workspace.Service
	id     string
	volume string
}

// startServices creates, starts and waits for the workspace's services, all
// at once, in the relay's namespace. It runs after the relay and before the
// server, so the server finds its databases ready. What it creates carries
// the run's label, so Close and the stale sweep remove it.
func (in *Instance) startServices(ctx context.Context, ss workspace.Services) error {
	if len(ss) == 0 {
		return nil
	}
	in.services = make([]*serviceContainer, len(ss))
	errs := make([]error, len(ss))
	took := make([]string, len(ss))
	began := time.Now()
	fmt.Fprintf(in.progress, "starting %s in the sandbox\n", strings.Join(ss.Names(), ", "))
	var wg sync.WaitGroup
	for i, s := range ss {
		sc := &serviceContainer{svc: s}
		in.services[i] = sc
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = in.startService(ctx, sc)
			took[i] = fmt.Sprintf("%s %.1fs", s.Name, time.Since(began).Seconds())
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Fprintf(in.progress, "ready: %s\n", strings.Join(took, ", "))
	return nil
}

func (in *Instance) startService(ctx context.Context, sc *serviceContainer) error {
	d, s := in.d, sc.svc
	ref := s.ImageRef()
	if _, err := d.ensureImage(ctx, workspace.Runtime(s.Name), ref, in.progress); err != nil {
		var ee *sandbox.EngineError
		if errors.As(err, &ee) {
			ee.Advice = fmt.Sprintf("run `docker pull %s` on a machine with network access (or `docker load` it here; "+
				"scripts/build-service-images.sh builds a stand-in), or set `services: {%s: {image: ...}}` in coach.yaml",
				ref, s.Name)
		}
		return err
	}
	labels := runLabels(in.runID)
	labels[LabelService] = s.Name
	sc.volume = "coach-" + s.Name + "-" + in.runID
	if _, err := d.volumeCreate(ctx, client.VolumeCreateOptions{Name: sc.volume, Labels: labels}); err != nil {
		return &sandbox.EngineError{Op: "create the " + s.Name + " data volume", Err: err}
	}
	cfg, host := serviceContainerConfig(d.podEngine(ctx), s, in.relayID, sc.volume, labels)
	res, err := d.containerCreate(ctx, client.ContainerCreateOptions{
		Name: "coach-" + in.runID + "-" + s.Name, Config: cfg, HostConfig: host,
	})
	if err != nil {
		return &sandbox.EngineError{Op: "create the " + s.Name + " service container", Err: err}
	}
	sc.id = res.ID
	in.warn(res.Warnings)
	if _, err := d.cli.ContainerStart(ctx, sc.id, client.ContainerStartOptions{}); err != nil {
		return &sandbox.EngineError{Op: "start the " + s.Name + " service", Err: err}
	}
	return in.waitService(ctx, sc)
}

// waitService runs the service's readiness command inside its container
// (in the pod's namespace) until it succeeds, the container exits, or
// serviceStartTimeout passes.
func (in *Instance) waitService(ctx context.Context, sc *serviceContainer) error {
	d, s := in.d, sc.svc
	deadline := time.Now().Add(serviceStartTimeout)
	wait := 20 * time.Millisecond
	for {
		ok, err := d.execOK(ctx, sc.id, s.Ready())
		if ok {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ins, ierr := d.cli.ContainerInspect(ctx, sc.id, client.ContainerInspectOptions{})
		if ierr != nil {
			return &sandbox.EngineError{Op: "inspect the " + s.Name + " service", Err: ierr}
		}
		if st := ins.Container.State; st != nil && !st.Running {
			why := fmt.Sprintf("it exited with code %d", st.ExitCode)
			if st.OOMKilled {
				why = fmt.Sprintf("it ran out of memory (limit %d MiB)", serviceMemory>>20)
			}
			return in.serviceFailed(ctx, sc, errors.New(why))
		}
		if time.Now().After(deadline) {
			return in.serviceFailed(ctx, sc, errors.Join(
				fmt.Errorf("it did not accept connections on 127.0.0.1:%d within %s", s.Port(), serviceStartTimeout), err))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 250*time.Millisecond)
	}
}

func (in *Instance) serviceFailed(ctx context.Context, sc *serviceContainer, why error) error {
	tail := strings.TrimSpace(in.d.containerOutput(ctx, sc.id, 20))
	if tail == "" {
		tail = "(it printed nothing)"
	}
	return &sandbox.EngineError{
		Op:  fmt.Sprintf("start the %s service (%s)", sc.svc.Name, sc.svc.ImageRef()),
		Err: fmt.Errorf("%w; its last lines:\n%s", why, tail),
	}
}

// execOK runs argv in container id and reports whether it exited 0; err
// is set when the exec itself failed (not when the command said no).
func (d *Backend) execOK(ctx context.Context, id string, argv []string) (bool, error) {
	ex, err := d.cli.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: argv, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return false, fmt.Errorf("exec %s: %w", argv[0], err)
	}
	att, err := d.cli.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		return false, fmt.Errorf("exec %s: %w", argv[0], err)
	}
	_, _ = io.Copy(io.Discard, att.Reader)
	att.Close()
	st, err := d.cli.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
	if err != nil {
		return false, fmt.Errorf("exec %s: %w", argv[0], err)
	}
	return !st.Running && st.ExitCode == 0, nil
}

// serviceIDs are the service containers to remove with the pod.
func (in *Instance) serviceIDs() []string {
	return ofServices(in.services, func(sc *serviceContainer) string { return sc.id })
}

// servicePorts are the ports the pod's services listen on: the pod shares
// one loopback, so the server's probe sees them too, and they are never
// the server's.
func (in *Instance) servicePorts() []int {
	return ofServices(in.services, func(sc *serviceContainer) int { return sc.svc.Port() })
}

// serviceVolumes are the services' data volumes, removed after their
// containers.
func (in *Instance) serviceVolumes() []string {
	return ofServices(in.services, func(sc *serviceContainer) string { return sc.volume })
}

// ofServices collects of(sc) for each service container made so far (a
// slot stays nil until its creation succeeds), leaving out zero values (a
// container or volume not made yet).
func ofServices[T comparable](scs []*serviceContainer, of func(*serviceContainer) T) []T {
	var out []T
	var zero T
	for _, sc := range scs {
		if sc == nil {
			continue
		}
		if v := of(sc); v != zero {
			out = append(out, v)
		}
	}
	return out
}
