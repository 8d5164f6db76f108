package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"
)

const (
	// processStopGrace is how long a server may take to shut down after
	// SIGTERM before its process group is killed.
	processStopGrace = 3 * time.Second
	// processDrainWait bounds the wait for the last output after the server
	// exited: a child that escaped the group could keep the pipe open.
	processDrainWait = time.Second
	// Defaults for a Spec that leaves the timeouts zero.
	processBuildTimeout = 5 * time.Minute
	processStartTimeout = 20 * time.Second
	// Lines of output kept in a BuildError and a StartError.
	buildTailLines = 40
	startTailLines = 20
	// buildOutputCap bounds what a build may print into memory.
	buildOutputCap = 256 << 10
)

// processTools says how to get each tool the default commands need, so a
// learner without Node.js hears that rather than "executable not found".
var processTools = map[string]string{
	"node":    "install Node.js 20+ or use the docker sandbox (--sandbox docker)",
	"npm":     "install Node.js 20+ (npm comes with it) or use the docker sandbox (--sandbox docker)",
	"go":      "install Go 1.22+ or use the docker sandbox (--sandbox docker)",
	"python3": "install Python 3.11+ or use the docker sandbox (--sandbox docker)",
	// Custom build and run commands from coach.yaml run under sh, which
	// Windows lacks unless Git for Windows (Git Bash) put it on PATH.
	"sh": "coach.yaml's build and run commands run under sh: on Windows install Git for Windows " +
		"and put its sh.exe on PATH, or use the docker sandbox (--sandbox docker)",
}

// Backend runs the learner's server as a plain process on this machine. It
// is not isolated: the server can read and write whatever the user can. It
// exists for learners without Docker.
type Backend struct{}

// New returns the process backend.
func New() *Backend { return &Backend{} }

// Start builds the workspace on the host, starts the server in its own
// process group and waits until it accepts connections on its port.
func (p *Backend) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	ws := spec.Workspace
	if ws == nil {
		return nil, errors.New("process sandbox: no workspace given")
	}
	if ws.Runtime == workspace.Dockerfile {
		return nil, &sandbox.EngineError{
			Op:     "the process sandbox cannot build and run a Dockerfile",
			Advice: "this step builds your own image: use the docker sandbox (--sandbox docker)",
		}
	}
	if len(ws.Services) > 0 {
		return nil, &sandbox.EngineError{
			Op:     "the process sandbox cannot run services (" + strings.Join(ws.Services.Names(), ", ") + ")",
			Advice: "coach.yaml declares databases, which run in the server's pod: use the docker sandbox (--sandbox docker)",
		}
	}
	prog := spec.ProgressWriter()

	tmp, err := os.MkdirTemp("", "coach-process-*")
	if err != nil {
		return nil, &sandbox.EngineError{Op: "create a temporary directory", Err: err}
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp)
		}
	}()
	binDir, dataDir := filepath.Join(tmp, "bin"), filepath.Join(tmp, "data")
	for _, d := range []string{binDir, dataDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, &sandbox.EngineError{Op: "create a temporary directory", Err: err}
		}
	}

	server := filepath.Join(binDir, "server"+exeSuffix)
	buildArgv, note := processBuildCommand(ws, server)
	if note != "" {
		fmt.Fprintln(prog, note)
	}
	runArgv := ws.RunCommand(server)
	if len(runArgv) == 0 {
		return nil, &sandbox.EngineError{Op: fmt.Sprintf("the process sandbox cannot run a %s workspace", ws.Runtime)}
	}
	ws.Announce(prog, buildArgv, runArgv)
	if err := processCheckTools(buildArgv, runArgv); err != nil {
		return nil, err
	}

	port := spec.Port
	if port == 0 {
		if port, err = freeLoopbackPort(); err != nil {
			return nil, &sandbox.EngineError{Op: "find a free port", Err: err}
		}
	} else if processPortTaken(ctx, port) {
		return nil, &sandbox.StartError{
			Reason: fmt.Sprintf("port %d is already in use on this machine (is your server still running?): "+
				"stop that program, or let coach choose a free port", port),
			ExitCode: -1,
			Port:     port,
		}
	}

	if buildArgv != nil {
		if err := processBuild(ctx, spec, buildArgv, prog); err != nil {
			return nil, err
		}
	}

	inst := &Instance{
		ws:           ws,
		argv:         runArgv,
		env:          processEnv(spec.Env, port, dataDir),
		port:         port,
		startTimeout: spec.StartTimeout,
		tmpDir:       tmp,
		dataDir:      dataDir,
		out:          sandbox.NewOutput(spec.OutputCap),
	}
	if inst.startTimeout <= 0 {
		inst.startTimeout = processStartTimeout
	}
	fmt.Fprintf(prog, "starting: %s (PORT=%d)\n", processArgvString(runArgv), port)
	if err := inst.launch(ctx); err != nil {
		return nil, err
	}
	ok = true
	return inst, nil
}

// processBuildCommand decides what to run before the server, given the
// process backend's rules: node_modules that exist are not reinstalled, and
// nothing is pip installed on the user's own Python. The note is progress
// text for the user.
func processBuildCommand(ws *workspace.Workspace, server string) (argv []string, note string) {
	if ws.Build != "" {
		return ws.BuildCommand(server), ""
	}
	switch {
	case ws.Runtime == workspace.Node && ws.Deps && dirExists(ws.Dir, "node_modules"):
		return ws.CompileCommand(server), "node_modules exists: not reinstalling dependencies (delete it to reinstall)"
	case ws.Runtime == workspace.Python && ws.Deps:
		return nil, "process sandbox: coach does not pip install on your machine; " +
			"the packages in requirements.txt are expected to be installed already"
	}
	return ws.BuildCommand(server), ""
}

// processCheckTools finds the programs the commands start, so a missing
// toolchain is an EngineError with advice instead of a failed build.
// Programs under sh -c are left to the shell, which names them itself.
func processCheckTools(cmds ...[]string) error {
	for _, argv := range cmds {
		if len(argv) == 0 || filepath.IsAbs(argv[0]) {
			continue
		}
		if _, err := exec.LookPath(argv[0]); err != nil {
			advice := processTools[argv[0]]
			if advice == "" {
				advice = "install it, or use the docker sandbox (--sandbox docker)"
			}
			return &sandbox.EngineError{Op: argv[0] + " is not installed", Advice: advice}
		}
	}
	return nil
}

// processBuild runs the build in the workspace, in its own process group
// so a timeout also ends what npm or sh started.
func processBuild(ctx context.Context, spec sandbox.Spec, argv []string, prog io.Writer) error {
	timeout := spec.BuildTimeout
	if timeout <= 0 {
		timeout = processBuildTimeout
	}
	fmt.Fprintf(prog, "building: %s\n", processArgvString(argv))
	bctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := sandbox.NewOutput(buildOutputCap)
	cmd := exec.CommandContext(bctx, argv[0], argv[1:]...)
	cmd.Dir = spec.Workspace.Dir
	cmd.Stdout, cmd.Stderr = out, out
	tree, err := newProcessTree(cmd)
	if err != nil {
		return &sandbox.EngineError{Op: "prepare the build " + processArgvString(argv), Err: err}
	}
	defer tree.release()
	cmd.Cancel = tree.kill
	// A grandchild holding the output pipe must not keep Wait waiting.
	cmd.WaitDelay = 2 * time.Second
	err = cmd.Start()
	if err == nil {
		if err = tree.started(); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return &sandbox.EngineError{Op: "run the build " + processArgvString(argv), Err: err}
		}
		err = cmd.Wait()
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("build: %w", ctx.Err())
	}
	ws := spec.Workspace
	all := out.LogsSince(0)
	log := sandbox.SaveLog(spec.LogDir, sandbox.BuildLogName, all)
	var exitErr *exec.ExitError
	switch {
	case errors.Is(bctx.Err(), context.DeadlineExceeded):
		if err := sandbox.HostNet(ws).NetError(ws.Runtime, string(all), log); err != nil {
			return err
		}
		err = fmt.Errorf("the build took longer than %s", processDurationString(timeout))
		return &workspace.BuildError{Runtime: string(ws.Runtime), Output: sandbox.Excerpt(string(all), 12, buildTailLines-12), Err: err, Log: log}
	case errors.As(err, &exitErr):
		// The same classifier as the Docker build's: a registry the build
		// could not reach is not the learner's code.
		return sandbox.ClassifyBuild(sandbox.HostNet(ws), ws, "`"+workspace.DisplayCommand(argv)+"`", exitErr.ExitCode(), string(all), log)
	}
	return &sandbox.EngineError{Op: "run the build " + processArgvString(argv), Err: err}
}

// processEnv is the host environment with the exercise's variables on top,
// and PORT and DATA_DIR last because the backend owns them.
func processEnv(extra map[string]string, port int, dataDir string) []string {
	env := os.Environ()
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		env = append(env, k+"="+extra[k])
	}
	return append(env, "PORT="+strconv.Itoa(port), "DATA_DIR="+dataDir)
}

// freeLoopbackPort asks the kernel for a free port so parallel runs do not
// collide. The port is released before the server binds it; another
// program taking it in between is unlikely enough.
func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// processPortTaken reports whether something already accepts connections
// on the port, which would otherwise pass the readiness check and answer
// in place of the learner's new server.
func processPortTaken(ctx context.Context, port int) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := dialLoopback(ctx, port)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// dialLoopback dials 127.0.0.1 first and falls back to [::1] when refused:
// a Node.js server told to listen on "localhost" may bind ::1 only.
func dialLoopback(ctx context.Context, port int) (net.Conn, error) {
	var d net.Dialer
	p := strconv.Itoa(port)
	conn, err := d.DialContext(ctx, "tcp4", net.JoinHostPort("127.0.0.1", p))
	if err == nil || !connRefused(err) {
		return conn, err
	}
	if conn6, err6 := d.DialContext(ctx, "tcp6", net.JoinHostPort("::1", p)); err6 == nil {
		return conn6, nil
	}
	return nil, err
}

// Instance is a server running as a host process. Besides Instance
// it can restart the server and signal it.
type Instance struct {
	ws           *workspace.Workspace
	argv         []string
	env          []string
	port         int
	startTimeout time.Duration
	tmpDir       string
	dataDir      string
	out          *sandbox.Output

	// mu serialises launching, stopping and closing; Signal and WaitExit
	// only read run and do not take it, so a test can signal the server
	// while nothing else is going on.
	mu     sync.Mutex
	run    atomic.Pointer[processRun]
	closed bool
}

// processRun is one life of the server process; Restart makes a new one.
type processRun struct {
	cmd     *exec.Cmd
	tree    *processTree  // the server and everything it started
	pid     int           // also the process group id on Unix
	done    chan struct{} // closed once the process has exited and been reaped
	state   *os.ProcessState
	logs    *os.File      // read end of the output pipe
	drained chan struct{} // closed when the output pipe is at EOF or closed
	// stopped makes stop run once: signalling the group again after its
	// leader was reaped could hit a new group that reused the id.
	stopped sync.Once
}

func (r *processRun) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// BaseURL is how the learner would reach the server themselves.
func (pi *Instance) BaseURL() string { return "http://localhost:" + strconv.Itoa(pi.port) }

// DialContext connects to the server's port on loopback, whatever addr says.
func (pi *Instance) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	return dialLoopback(ctx, pi.port)
}

// LogMark is the number of output bytes written so far, across restarts.
func (pi *Instance) LogMark() int64 { return pi.out.LogMark() }

// LogsSince returns the server's output after mark, as far as it is kept.
func (pi *Instance) LogsSince(mark int64) []byte { return pi.out.LogsSince(mark) }

// Kind is "process".
func (pi *Instance) Kind() string { return "process" }

// Port is the port the server was told to listen on.
func (pi *Instance) Port() int { return pi.port }

// DataDir is the server's $DATA_DIR.
func (pi *Instance) DataDir() string { return pi.dataDir }

// launch starts the server and waits until it accepts connections. On
// failure the process group is stopped and a StartError returned.
func (pi *Instance) launch(ctx context.Context) error {
	pr, pw, err := os.Pipe()
	if err != nil {
		return &sandbox.EngineError{Op: "create the output pipe", Err: err}
	}
	cmd := exec.Command(pi.argv[0], pi.argv[1:]...)
	cmd.Dir = pi.ws.Dir
	cmd.Env = pi.env
	// One pipe for both streams keeps their lines in the order written. An
	// *os.File is handed to the child as is, so Wait returns when the
	// server exits even if a child of it still holds the pipe.
	cmd.Stdout, cmd.Stderr = pw, pw
	tree, err := newProcessTree(cmd)
	if err != nil {
		_ = pr.Close()
		_ = pw.Close()
		return &sandbox.EngineError{Op: "prepare to start " + processArgvString(pi.argv), Err: err}
	}
	if err := cmd.Start(); err != nil {
		tree.release()
		_ = pr.Close()
		_ = pw.Close()
		return &sandbox.StartError{
			Reason:   fmt.Sprintf("coach could not start %s: %v", processArgvString(pi.argv), err),
			ExitCode: -1,
			Port:     pi.port,
		}
	}
	_ = pw.Close()
	if err := tree.started(); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		tree.release()
		_ = pr.Close()
		return &sandbox.EngineError{Op: "start " + processArgvString(pi.argv), Err: err}
	}
	r := &processRun{
		cmd:     cmd,
		tree:    tree,
		pid:     cmd.Process.Pid,
		done:    make(chan struct{}),
		logs:    pr,
		drained: make(chan struct{}),
	}
	go func() {
		_, _ = io.Copy(pi.out, pr)
		close(r.drained)
	}()
	go func() {
		_ = cmd.Wait()
		r.state = cmd.ProcessState
		close(r.done)
	}()
	pi.run.Store(r)

	err = sandbox.WaitReady(ctx, pi.startTimeout, r.done, processProbe(r.pid, pi.port))
	if err == nil {
		return nil
	}
	var wp *sandbox.WrongPortError
	switch {
	case errors.Is(err, sandbox.ErrExited):
		r.stop(context.WithoutCancel(ctx), 0)
		code, reason := processExitVerdict(r.state)
		return &sandbox.StartError{
			Reason:   fmt.Sprintf("the server %s before it accepted connections on port %d", reason, pi.port),
			ExitCode: code,
			Port:     pi.port,
			Output:   pi.out.Tail(startTailLines),
		}
	case errors.As(err, &wp):
		reason := fmt.Sprintf("the server did not accept connections on port %d (its $PORT): %s", pi.port, wp.Reason())
		r.stop(context.WithoutCancel(ctx), processStopGrace)
		return &sandbox.StartError{Reason: reason, ExitCode: -1, Port: pi.port, Output: pi.out.Tail(startTailLines)}
	case errors.Is(err, sandbox.ErrNotReady):
		// Look while it still runs: the sockets vanish with the process.
		reason := fmt.Sprintf("the server did not accept connections on port %d (its $PORT) within %s",
			pi.port, processDurationString(pi.startTimeout))
		if hint := processListenHint(listeningSockets(r.pid), pi.port); hint != "" {
			reason += "; " + hint
		}
		r.stop(context.WithoutCancel(ctx), processStopGrace)
		return &sandbox.StartError{Reason: reason, ExitCode: -1, Port: pi.port, Output: pi.out.Tail(startTailLines)}
	default:
		r.stop(context.WithoutCancel(ctx), processStopGrace)
		return fmt.Errorf("wait for the server: %w", err)
	}
}

// processSocketScan is how often the process probe looks for the group's
// listening sockets: reading /proc for every process costs more than a
// dial, and a wrong port is only reported after wrongPortGrace anyway.
const processSocketScan = 250 * time.Millisecond

// processProbe dials the server's port on loopback; when that fails it
// says which other ports the process group listens on, looking at most
// every processSocketScan (and only where the system lets coach see it).
func processProbe(pgid, port int) func(context.Context) error {
	dial := sandbox.DialProbe(func(ctx context.Context) (net.Conn, error) { return dialLoopback(ctx, port) })
	var (
		scanned time.Time
		last    error
	)
	return func(ctx context.Context) error {
		err := dial(ctx)
		if err == nil {
			return nil
		}
		if time.Since(scanned) >= processSocketScan {
			scanned, last = time.Now(), nil
			var ports []int
			for _, s := range listeningSockets(pgid) {
				ports = append(ports, s.port)
			}
			if wp := sandbox.WrongPort(ports, port); wp != nil {
				last = wp
			}
		}
		if last != nil {
			return last
		}
		return err
	}
}

// processListenHint says where the server listens instead of its port on
// loopback, when the system lets coach see it.
func processListenHint(socks []listenSocket, port int) string {
	var ports []int
	for _, s := range socks {
		if s.port == port && s.addr != nil && !s.addr.IsLoopback() && !s.addr.IsUnspecified() {
			return fmt.Sprintf("it listens on %s, which coach cannot reach: listen on 0.0.0.0 or 127.0.0.1",
				net.JoinHostPort(s.addr.String(), strconv.Itoa(port)))
		}
		ports = append(ports, s.port)
	}
	if wp := sandbox.WrongPort(ports, port); wp != nil {
		return wp.Reason()
	}
	return ""
}

// stop ends the process tree: SIGTERM, up to grace for the leader to
// exit, then SIGKILL for whatever is left (a child ignoring SIGTERM, or
// everything when the grace ran out or ctx ended). Where there are no
// signals (Windows) the tree is killed at once. It then collects the last
// output and closes the pipe.
func (r *processRun) stop(ctx context.Context, grace time.Duration) {
	r.stopped.Do(func() { r.terminate(ctx, grace) })
}

func (r *processRun) terminate(ctx context.Context, grace time.Duration) {
	defer r.tree.release()
	if !r.exited() && grace > 0 && r.tree.interrupt() == nil {
		t := time.NewTimer(grace)
		select {
		case <-r.done:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	// The tree outlives its leader when children remain; an error when it
	// is empty is expected.
	_ = r.tree.kill()
	t := time.NewTimer(5 * time.Second)
	select {
	case <-r.done:
	case <-t.C: // unkillable (uninterruptible sleep): nothing more to do
	}
	t.Stop()
	t = time.NewTimer(processDrainWait)
	select {
	case <-r.drained:
	case <-t.C:
	}
	t.Stop()
	_ = r.logs.Close()
}

// processExitVerdict turns a wait status into the exit code the grader
// sees (128+signal for a server killed by a signal, as a shell and Docker
// report it) and words for a message.
func processExitVerdict(st *os.ProcessState) (code int, reason string) {
	if st == nil {
		return -1, "stopped"
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), fmt.Sprintf("was killed by signal %s", processSignalName(ws.Signal()))
	}
	return st.ExitCode(), fmt.Sprintf("exited with code %d", st.ExitCode())
}

func processSignalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGABRT:
		return "SIGABRT"
	}
	return sig.String()
}

// windowsSignal is what a signal step can do on Windows, which has no
// signals: SIGKILL ends the server's job object with the exit code a
// signal death has on Linux (128+9), so exit steps read the same; any
// other signal cannot be delivered, and the error says so in words the
// grader shows as "not checkable".
func windowsSignal(sig syscall.Signal) (exitCode uint32, err error) {
	if sig == syscall.SIGKILL {
		return 128 + uint32(sig), nil
	}
	return 0, fmt.Errorf("%s cannot be delivered on Windows with --sandbox process "+
		"(Windows has no signals; coach can only kill the server): check this step with the docker sandbox: %w",
		processSignalName(sig), errors.ErrUnsupported)
}

// Restart stops the server as Close does and starts it again with the same
// port and DATA_DIR, waiting until it accepts connections.
func (pi *Instance) Restart(ctx context.Context) error {
	pi.mu.Lock()
	defer pi.mu.Unlock()
	if pi.closed {
		return errors.New("restart: the server was closed")
	}
	if r := pi.run.Load(); r != nil {
		r.stop(ctx, processStopGrace)
	}
	return pi.launch(ctx)
}

// Signal delivers sig to the server process (the group leader; a custom
// command runs under sh -c with exec, so that is the server itself). On
// Windows only SIGKILL can be delivered (see windowsSignal); other signals
// return an error that wraps errors.ErrUnsupported.
func (pi *Instance) Signal(_ context.Context, sig syscall.Signal) error {
	r := pi.run.Load()
	if r == nil || r.exited() {
		return errors.New("signal: the server is not running")
	}
	if err := r.tree.signal(sig); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			return err
		}
		if errors.Is(err, os.ErrProcessDone) {
			return errors.New("signal: the server is not running")
		}
		return fmt.Errorf("signal %s: %w", processSignalName(sig), err)
	}
	return nil
}

// WaitExit waits up to timeout for the server to exit. exited is false when
// it still runs at the deadline. code is its exit status, or 128+N when a
// signal N killed it.
func (pi *Instance) WaitExit(ctx context.Context, timeout time.Duration) (code int, exited bool, err error) {
	r := pi.run.Load()
	if r == nil {
		return 0, false, errors.New("wait: the server was never started")
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-r.done:
		code, _ := processExitVerdict(r.state)
		return code, true, nil
	case <-t.C:
		return 0, false, nil
	case <-ctx.Done():
		return 0, false, fmt.Errorf("wait for the server to exit: %w", ctx.Err())
	}
}

// Close stops the server's whole process group and removes the temporary
// directories (DATA_DIR and the build output). A cancelled ctx only cuts
// the grace period short; the group is killed either way.
func (pi *Instance) Close(ctx context.Context) error {
	pi.mu.Lock()
	defer pi.mu.Unlock()
	if pi.closed {
		return nil
	}
	pi.closed = true
	if r := pi.run.Load(); r != nil {
		r.stop(ctx, processStopGrace)
	}
	if err := os.RemoveAll(pi.tmpDir); err != nil {
		return fmt.Errorf("remove %s: %w", pi.tmpDir, err)
	}
	return nil
}

func processArgvString(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n\"'") {
			a = strconv.Quote(a)
		}
		quoted[i] = a
	}
	return strings.Join(quoted, " ")
}

// processDurationString prints whole seconds as "20s" rather than
// Duration's "20s"/"1m0s" mix, for messages read by learners.
func processDurationString(d time.Duration) string {
	if d >= time.Second && d%time.Second == 0 {
		return strconv.Itoa(int(d/time.Second)) + "s"
	}
	return d.String()
}

// listenSocket is a TCP socket in LISTEN state.
type listenSocket struct {
	addr net.IP
	port int
}

// listeningSockets finds the listening TCP sockets of a process group, on
// Linux: the group's socket inodes from /proc/<pid>/fd matched against
// /proc/net/tcp{,6}. It is best effort and returns nil elsewhere or when
// /proc cannot be read.
func listeningSockets(pgid int) []listenSocket {
	inodes := map[string]bool{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !processInGroup(pid, pgid) {
			continue
		}
		fdDir := filepath.Join("/proc", e.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil {
				continue
			}
			if inode, ok := strings.CutPrefix(link, "socket:["); ok {
				inodes[strings.TrimSuffix(inode, "]")] = true
			}
		}
	}
	if len(inodes) == 0 {
		return nil
	}
	var socks []listenSocket
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		socks = append(socks, parseProcNetTCP(string(data), inodes)...)
	}
	return socks
}

// processInGroup reads the process group from /proc/<pid>/stat, whose
// second field (the command name in parentheses) may contain spaces.
func processInGroup(pid, pgid int) bool {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return false
	}
	// After the name: state, ppid, pgrp, ...
	fields := strings.Fields(string(data[i+1:]))
	return len(fields) > 2 && fields[2] == strconv.Itoa(pgid)
}

// tcpListenState is TCP_LISTEN as /proc/net/tcp prints it.
const tcpListenState = "0A"

// parseProcNetTCP picks the LISTEN sockets with the given inodes from a
// /proc/net/tcp or tcp6 table. Addresses are hex in host byte order per
// 32-bit word, e.g. "0100007F:1F90" is 127.0.0.1:8080.
func parseProcNetTCP(table string, inodes map[string]bool) []listenSocket {
	var socks []listenSocket
	for _, line := range strings.Split(table, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != tcpListenState || !inodes[f[9]] {
			continue
		}
		hexAddr, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil {
			continue
		}
		socks = append(socks, listenSocket{addr: parseProcNetAddr(hexAddr), port: int(port)})
	}
	return socks
}

func parseProcNetAddr(h string) net.IP {
	if len(h) != 8 && len(h) != 32 {
		return nil
	}
	ip := make(net.IP, len(h)/2)
	for w := 0; w < len(h)/8; w++ {
		word, err := strconv.ParseUint(h[w*8:w*8+8], 16, 32)
		if err != nil {
			return nil
		}
		// Each 32-bit word is in the kernel's (little-endian) byte order.
		for b := 0; b < 4; b++ {
			ip[w*4+b] = byte(word >> (8 * b))
		}
	}
	return ip
}

// dirExists reports whether dir holds name.
func dirExists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// stateDrainWait bounds the wait for a stopped server's last output.
const stateDrainWait = 200 * time.Millisecond

// ServerState reports whether the server process still runs and, when it
// does not, how it ended, once its output has all arrived.
func (pi *Instance) ServerState(context.Context) (sandbox.ServerState, error) {
	r := pi.run.Load()
	if r == nil {
		return sandbox.ServerState{}, errors.New("the server was never started")
	}
	if !r.exited() {
		return sandbox.ServerState{Running: true}, nil
	}
	// Its last output is what explains the exit: let the pipe drain. A
	// child still holding it would keep it open, so the wait is short: it
	// is paid after every test while the server is down.
	t := time.NewTimer(stateDrainWait)
	defer t.Stop()
	select {
	case <-r.drained:
	case <-t.C:
	}
	code, _ := processExitVerdict(r.state)
	return sandbox.ServerState{ExitCode: code}, nil
}
