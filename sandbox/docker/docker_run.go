package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// stopGrace is how long a stopped server may take to shut down.
const stopGrace = 5

// Instance is a server running in the Docker sandbox: a relay
// container owning a network namespace with only loopback, and the
// learner's container joined to it.
type Instance struct {
	d            *Backend
	runID        string
	port         int
	image        string
	workspace    *workspace.Workspace
	user         string     // who the server runs as
	link         *relayLink // the session through the relay's attached streams
	startTimeout time.Duration
	out          *sandbox.Output
	progress     io.Writer

	relayID  string
	serverID string
	volume   string
	services []*serviceContainer // databases in the pod (docker_services.go)

	relayCreated chan struct{} // closed once the relay is attached, or the pod failed before
	relayOnce    sync.Once
	podDone      chan struct{} // closed when the pod is made (or failed)
	podErr       error         // a warm pod's failure, set before podDone closes
	rewarm       *sandbox.Spec // the spec to make a warm pod for once this one closes

	mu     sync.Mutex // serialises Restart and Close
	closed bool

	logMu    sync.Mutex    // guards the follower fields: WaitExit reads them during a Restart
	logsDone chan struct{} // closed when the current log follower ends
	stopLogs context.CancelFunc
}

var _ sandbox.Instance = (*Instance)(nil)

// Start builds the workspace (or reuses its image) and starts the server.
// The pod (data volume, relay, services) is made while the image builds, or
// taken ready from the warm pod (Options.WarmPod). Whatever fails,
// nothing it created is left behind.
func (d *Backend) Start(ctx context.Context, spec sandbox.Spec) (_ sandbox.Instance, err error) {
	if spec.Workspace == nil {
		return nil, &workspace.Error{Msg: "no workspace to run"}
	}
	if spec.Port <= 0 {
		spec.Port = sandbox.DefaultPort
	}
	if spec.StartTimeout <= 0 {
		spec.StartTimeout = sandbox.DefaultStartTimeout
	}
	w := d.progress(spec)
	d.startSweep(ctx)

	// The first of the build and the pod to fail ends the other.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var first firstError
	first.cancel = cancel
	in := d.takeWarm(spec) // it may still be in the making: it goes on during the build
	warm := in != nil
	if !warm {
		in = d.newInstance(spec, w)
		in.preparePod(pctx, spec, first.set)
	}
	in.workspace, in.startTimeout, in.out = spec.Workspace, spec.StartTimeout, sandbox.NewOutput(spec.OutputCap)
	if d.opts.WarmPod {
		in.rewarm = &spec // also after a failed build: the learner fixes it next
	}
	defer func() {
		if err == nil {
			return
		}
		cancel()
		if warm {
			d.discardWarm(in) // Close waits; it may still be in the making
			return
		}
		<-in.podDone
		_ = in.Close(ctx)
	}()

	image, err := d.buildWorkspace(pctx, spec, w)
	if err != nil {
		first.set(err)
		if !warm {
			<-in.podDone
		}
		return nil, first.get()
	}
	if warm {
		<-in.podDone
		if in.podErr != nil || !in.answers(ctx) {
			// It died while the learner typed (`coach clean` in another
			// terminal, an engine restart): make a pod now.
			d.discardWarm(in)
			in = d.newInstance(spec, w)
			in.workspace, in.startTimeout, in.out, in.rewarm = spec.Workspace, spec.StartTimeout, sandbox.NewOutput(spec.OutputCap), &spec
			warm = false
			in.preparePod(pctx, spec, first.set)
		} else {
			in.progress = w
		}
	}
	in.image, in.user = image, d.opts.User
	if spec.Workspace.Runtime == workspace.Dockerfile {
		if ins, err := d.cli.ImageInspect(ctx, image); err == nil && ins.Config != nil {
			// The engine would refuse to create the container; say why in
			// the learner's terms.
			if len(ins.Config.Cmd) == 0 && len(ins.Config.Entrypoint) == 0 {
				return nil, &sandbox.StartError{ExitCode: -1, Port: spec.Port,
					Reason: "your image has no command to run: add a CMD (e.g. CMD [\"node\", \"server.js\"]) to your Dockerfile"}
			}
			in.user = imageUser(ins.Config.User, in.user)
		}
	}
	// The server joins the relay's namespace: it can be created once the
	// relay exists, while the relay starts.
	<-in.relayCreated
	if in.link != nil {
		first.set(in.createServer(pctx, spec))
	}
	<-in.podDone
	if err := first.get(); err != nil {
		return nil, err
	}
	if err := in.startServer(ctx); err != nil {
		return nil, err
	}
	return in, nil
}

// firstError keeps the first error of work done at once, and cancels the
// rest of it.
type firstError struct {
	mu     sync.Mutex
	err    error
	cancel context.CancelFunc
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *firstError) set(err error) {
	if err == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
		f.cancel()
	}
}

func (d *Backend) newInstance(spec sandbox.Spec, w io.Writer) *Instance {
	return &Instance{
		d:            d,
		runID:        newRunID(),
		port:         spec.Port,
		progress:     w,
		relayCreated: make(chan struct{}),
		podDone:      make(chan struct{}),
	}
}

// preparePod makes the pod in the background: the data volume, the relay
// (created, attached, started and answering) and the services. It closes
// relayCreated once the relay is attached (or could not be made) and
// podDone when it is done, and hands its error to fail.
func (in *Instance) preparePod(ctx context.Context, spec sandbox.Spec, fail func(error)) {
	go func() {
		defer close(in.podDone)
		defer in.markRelayCreated()
		d := in.d
		relayTag, err := d.relayImage(ctx, in.progress)
		if err == nil {
			err = in.createPod(ctx, spec, relayTag)
		}
		if errors.Is(err, errRelayGone) {
			d.forgetRelay()
			if relayTag, err = d.relayImage(ctx, in.progress); err == nil {
				err = in.createPod(ctx, spec, relayTag)
			}
		}
		fail(err)
	}()
}

// markRelayCreated closes relayCreated, once.
func (in *Instance) markRelayCreated() {
	in.relayOnce.Do(func() { close(in.relayCreated) })
}

var errRelayGone = errors.New("the relay image disappeared")

// imageUser is who a learner's own image runs as: the USER its Dockerfile
// names when that is not root (files it chowns for that user, such as
// "chown node:node /data" for USER node, must stay theirs), else fallback,
// coach's unprivileged default.
func imageUser(imageUser, fallback string) string {
	switch u := strings.TrimSpace(imageUser); u {
	case "", "0", "root", "0:0", "root:root", "root:0", "0:root":
		return fallback
	default:
		return u
	}
}

// createPod makes the data volume and the relay, attaches to the relay and
// starts it, then starts the services in its namespace. The server joins
// the namespace later (createServer): the engine only lets a container join
// a running one.
func (in *Instance) createPod(ctx context.Context, spec sandbox.Spec, relayTag string) error {
	d := in.d
	labels := runLabels(in.runID)
	in.volume = "coach-data-" + in.runID
	if _, err := d.volumeCreate(ctx, client.VolumeCreateOptions{Name: in.volume, Labels: labels}); err != nil {
		return &sandbox.EngineError{Op: "create the data volume", Err: err}
	}
	if spec.Workspace.Runtime == workspace.Dockerfile {
		// The learner's image has no world-writable /data to copy into the
		// volume, as the images coach builds do; open it up as root once.
		if err := in.initData(ctx, relayTag, labels); err != nil {
			return err
		}
	}

	cfg, host := relayContainer(d.podEngine(ctx), relayTag, in.port, labels)
	relayRes, err := d.containerCreate(ctx, client.ContainerCreateOptions{
		Name:     "coach-" + in.runID + "-relay",
		Platform: d.relayPlatform(),
		Config:   cfg, HostConfig: host,
	})
	if cerrdefs.IsNotFound(err) {
		return errRelayGone
	}
	if err != nil {
		return &sandbox.EngineError{Op: "create the relay container", Err: err}
	}
	in.relayID = relayRes.ID
	in.warn(relayRes.Warnings)
	if in.link, err = d.attachRelay(ctx, in.relayID); err != nil {
		return err
	}
	// The engine checks that the relay runs only when the server starts:
	// the server may be created while the relay starts (as on Podman, whose
	// order this keeps: attached, then start and create).
	in.markRelayCreated()
	if _, err := d.cli.ContainerStart(ctx, in.relayID, client.ContainerStartOptions{}); err != nil {
		return &sandbox.EngineError{Op: "start the relay container", Err: err}
	}
	if err := in.waitRelay(ctx); err != nil {
		return err
	}
	return in.startServices(ctx, spec.Workspace.Services)
}

// createServer creates the server container in the relay's namespace.
func (in *Instance) createServer(ctx context.Context, spec sandbox.Spec) error {
	d := in.d
	senv := spec.Workspace.Services.ServerEnv() // the exercise's Env wins
	for k, v := range spec.Env {
		senv[k] = v
	}
	cfg, host := serverContainer(d.podEngine(ctx), d.opts, serverSpec{
		image: in.image, user: in.user, relayID: in.relayID, volume: in.volume,
		port: in.port, env: senv, labels: runLabels(in.runID),
	})
	srvRes, err := d.containerCreate(ctx, client.ContainerCreateOptions{
		Name: "coach-" + in.runID + "-server", Config: cfg, HostConfig: host,
	})
	if err != nil {
		return &sandbox.EngineError{Op: "create the server container", Err: err}
	}
	in.serverID = srvRes.ID
	in.warn(srvRes.Warnings)
	return nil
}

func (in *Instance) warn(ws []string) {
	for _, w := range ws {
		fmt.Fprintf(in.progress, "warning: %s\n", w)
	}
}

func (in *Instance) initData(ctx context.Context, relayTag string, labels map[string]string) error {
	d := in.d
	cfg, host := initDataContainer(d.podEngine(ctx), relayTag, in.volume, labels)
	res, err := d.containerCreate(ctx, client.ContainerCreateOptions{
		Config: cfg, HostConfig: host,
	})
	if cerrdefs.IsNotFound(err) {
		return errRelayGone
	}
	if err != nil {
		return &sandbox.EngineError{Op: "prepare the data volume", Err: err}
	}
	defer func() {
		cctx, cancel := cleanupCtx(ctx)
		defer cancel()
		_, _ = d.cli.ContainerRemove(cctx, res.ID, client.ContainerRemoveOptions{Force: true})
	}()
	if _, err := d.cli.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		return &sandbox.EngineError{Op: "prepare the data volume", Err: err}
	}
	if code, err := d.waitExit(ctx, res.ID); err != nil || code != 0 {
		return &sandbox.EngineError{Op: "prepare the data volume", Err: errors.Join(err, fmt.Errorf("exit code %d: %s", code, d.containerOutput(ctx, res.ID, 5)))}
	}
	return nil
}

// waitRelay waits until the relay answers over its attached streams.
func (in *Instance) waitRelay(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := in.link.Ping(pctx)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	said := strings.TrimSpace(in.link.stderr.Tail(10))
	if said == "" {
		said = "(it printed nothing)"
	}
	return &sandbox.EngineError{Op: "start the sandbox relay", Err: fmt.Errorf("%w; the relay said: %s", err, said)}
}

// startServer starts the server container, follows its output from then
// on, and waits until its port accepts connections.
func (in *Instance) startServer(ctx context.Context) error {
	since := time.Now()
	if _, err := in.d.cli.ContainerStart(ctx, in.serverID, client.ContainerStartOptions{}); err != nil {
		return &sandbox.EngineError{Op: "start the server container", Err: err}
	}
	in.followLogs(since)
	return in.waitReady(ctx)
}

// followLogs copies the server's output into in.out until the container
// stops. After a restart, since skips what the previous life wrote (it was
// read already). Output keeps only the tail, so memory stays bounded
// however much the server writes.
func (in *Instance) followLogs(since time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	in.logMu.Lock()
	in.stopLogs, in.logsDone = cancel, done
	in.logMu.Unlock()
	go func() {
		defer close(done)
		in.d.followOutput(ctx, in.serverID, since, in.out)
	}()
}

// drainLogs waits a little for the follower to deliver what a stopped
// container wrote last, for the verdict's output tail.
func (in *Instance) drainLogs() {
	in.logMu.Lock()
	done := in.logsDone
	in.logMu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
}

func (in *Instance) cancelLogs() {
	in.logMu.Lock()
	defer in.logMu.Unlock()
	if in.stopLogs != nil {
		in.stopLogs()
	}
}

func (in *Instance) mib() string {
	return fmt.Sprintf("%d MiB", in.d.opts.Memory>>20)
}

// waitReady polls the relay's probe (WaitReady's loop) until the server
// accepts connections, the container exits, it listens on other ports
// only, or the start timeout passes. The engine tells when the container
// stops (a wait), so until then the probe alone is polled; should the wait
// end while the container runs, the container is inspected every round.
func (in *Instance) waitReady(ctx context.Context) error {
	var (
		listening []int
		exited    *container.State
	)
	wctx, stopWait := context.WithCancel(ctx)
	defer stopWait()
	stopped := in.d.stopped(wctx, in.serverID)
	services := in.servicePorts() // the pod's services are up before the server starts
	probe := func(ctx context.Context) error {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, ports, perr := in.link.Probe(pctx)
		cancel()
		if ok {
			return nil
		}
		if perr == nil {
			listening = slices.DeleteFunc(ports, func(p int) bool { return slices.Contains(services, p) })
		}
		if stopped == nil || isClosed(stopped) {
			ins, err := in.d.cli.ContainerInspect(ctx, in.serverID, client.ContainerInspectOptions{})
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return sandbox.StopWaiting(&sandbox.EngineError{Op: "inspect the server container", Err: err})
			}
			if st := ins.Container.State; st != nil && !st.Running {
				exited = st
				return sandbox.ErrExited
			}
			stopped = nil
		}
		if wp := sandbox.WrongPort(listening, in.port); wp != nil {
			return wp
		}
		return errors.New("not listening yet")
	}
	// Not stopped as WaitReady's exited: the wait may also end without an
	// exit (an engine error), which the inspection tells apart.
	err := sandbox.WaitReady(ctx, in.startTimeout, nil, probe)
	var wp *sandbox.WrongPortError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sandbox.ErrExited):
		in.drainLogs()
		return in.exitedError(exited)
	case errors.As(err, &wp):
		return in.startError(fmt.Sprintf("the server did not accept connections on port %d (its $PORT): %s", in.port, wp.Reason()))
	case errors.Is(err, sandbox.ErrNotReady):
		return in.neverListened(listening)
	default:
		return err
	}
}

// stopped is closed when container id is not running (or the wait for
// that ended: ctx, an engine error).
func (d *Backend) stopped(ctx context.Context, id string) <-chan struct{} {
	res := d.cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	ch := make(chan struct{})
	go func() {
		select {
		case <-res.Result:
		case <-res.Error:
		}
		close(ch)
	}()
	return ch
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func (in *Instance) exitedError(st *container.State) *sandbox.StartError {
	e := &sandbox.StartError{ExitCode: st.ExitCode, OOMKilled: st.OOMKilled, Port: in.port, Output: in.out.Tail(20), Full: in.out.LogsSince(0)}
	switch {
	case st.OOMKilled:
		e.Reason = fmt.Sprintf("the server was killed before it accepted connections: it ran out of memory (limit %s)", in.mib())
	case in.d.podmanUnreportedOOM(st):
		e.Reason = fmt.Sprintf("the server was killed (SIGKILL, exit code 137) before it accepted connections: most likely it ran out of memory (limit %s); Podman does not report out-of-memory kills", in.mib())
	default:
		e.Reason = fmt.Sprintf("the server exited with code %d before it accepted connections on port %d", st.ExitCode, in.port)
	}
	return e
}

func (in *Instance) startError(reason string) *sandbox.StartError {
	return &sandbox.StartError{ExitCode: -1, Port: in.port, Output: in.out.Tail(20), Full: in.out.LogsSince(0), Reason: reason}
}

func (in *Instance) neverListened(listening []int) *sandbox.StartError {
	reason := fmt.Sprintf("the server did not accept connections on port %d (its $PORT) within %s", in.port, in.startTimeout)
	switch wp := sandbox.WrongPort(listening, in.port); {
	case wp != nil:
		reason += ": " + wp.Reason()
	case slices.Contains(listening, in.port):
		reason += fmt.Sprintf(": something listens on port %d but does not accept connections on 127.0.0.1; listen on all interfaces (0.0.0.0)", in.port)
	}
	return in.startError(reason)
}

// BaseURL is what the learner would type to reach their own server.
func (in *Instance) BaseURL() string { return "http://localhost:" + strconv.Itoa(in.port) }

// Port is the server's PORT.
func (in *Instance) Port() int { return in.port }

// Kind names the backend.
func (in *Instance) Kind() string { return "docker" }

// DialContext connects to the server through the relay, whatever addr says.
func (in *Instance) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	return in.link.Dial(ctx)
}

// LogMark is how much the server has written so far.
func (in *Instance) LogMark() int64 { return in.out.LogMark() }

// LogsSince returns the server's output after mark, as far as it is kept.
func (in *Instance) LogsSince(mark int64) []byte { return in.out.LogsSince(mark) }

// Output is the server's captured output.
func (in *Instance) Output() *sandbox.Output { return in.out }

// RunID is the coach.run label value of everything this instance created.
func (in *Instance) RunID() string { return in.runID }

// ContainerID is the server container's ID.
func (in *Instance) ContainerID() string { return in.serverID }

// Restart stops the server (SIGTERM, then SIGKILL after 5s) and starts it
// again in the same namespace with the same data volume, then waits until
// it accepts connections.
func (in *Instance) Restart(ctx context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return errors.New("restart: the server was closed")
	}
	if _, err := in.d.cli.ContainerStop(ctx, in.serverID, client.ContainerStopOptions{Timeout: ptr(stopGrace)}); err != nil {
		return &sandbox.EngineError{Op: "stop the server", Err: err}
	}
	in.drainLogs()
	in.cancelLogs()
	return in.startServer(ctx)
}

// Signal delivers sig to the server process (through the container's init).
func (in *Instance) Signal(ctx context.Context, sig syscall.Signal) error {
	if _, err := in.d.cli.ContainerKill(ctx, in.serverID, client.ContainerKillOptions{Signal: strconv.Itoa(int(sig))}); err != nil {
		if cerrdefs.IsConflict(err) {
			return errors.New("signal: the server is not running")
		}
		return &sandbox.EngineError{Op: "signal the server", Err: err}
	}
	return nil
}

// WaitExit waits up to timeout for the server to exit and reports its code;
// exited is false when it still runs at the deadline.
func (in *Instance) WaitExit(ctx context.Context, timeout time.Duration) (code int, exited bool, err error) {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	code, err = in.d.waitExit(wctx, in.serverID)
	if err != nil {
		if ctx.Err() == nil && wctx.Err() != nil {
			return 0, false, nil
		}
		return 0, false, err
	}
	in.drainLogs()
	return code, true, nil
}

// OOMKilled reports whether the server was killed for running out of memory.
func (in *Instance) OOMKilled(ctx context.Context) bool {
	ins, err := in.d.cli.ContainerInspect(ctx, in.serverID, client.ContainerInspectOptions{})
	return err == nil && ins.Container.State != nil && ins.Container.State.OOMKilled
}

// Close ends the relay session and removes both containers and the data
// volume.
// It works with a cancelled ctx (Ctrl-C) and may be called more than once.
func (in *Instance) Close(ctx context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return nil
	}
	in.closed = true
	cctx, cancel := cleanupCtx(ctx)
	defer cancel()
	if in.link != nil {
		_ = in.link.Close()
	}
	errs := []error{in.d.removePod(cctx, in.relayID, append([]string{in.serverID}, in.serviceIDs()...)...)}
	in.cancelLogs()
	for _, v := range append([]string{in.volume}, in.serviceVolumes()...) {
		if v == "" {
			continue
		}
		if _, err := in.d.cli.VolumeRemove(cctx, v, client.VolumeRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", v, err))
		}
	}
	// Anything else labelled with this run (e.g. an init container whose
	// removal failed) goes too.
	rep, err := in.d.removeRunObjects(cctx, LabelRun+"="+in.runID, func(map[string]string) bool { return true })
	errs = append(errs, err)
	for _, e := range rep.Errors {
		errs = append(errs, errors.New(e))
	}
	// The next pod is made even when this one's removal reported an
	// error (a volume still in use for a moment under Podman): that error
	// is reported, and the learner's next check should not wait for it.
	if in.rewarm != nil {
		in.d.prewarm(*in.rewarm)
	}
	if err := errors.Join(errs...); err != nil {
		return &sandbox.EngineError{Op: "clean up the sandbox", Err: err}
	}
	return nil
}
