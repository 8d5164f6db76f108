package docker

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
)

// Labels every object coach creates carries, so `coach clean` and the
// sweep of crashed runs can find them.
const (
	LabelRun       = "coach.run"       // a run's containers, volumes, images
	LabelBuild     = "coach.build"     // build containers (not coach.run: commit copies labels into the image)
	LabelPID       = "coach.pid"       // the coach process that created the object
	LabelHost      = "coach.host"      // the host that process runs on
	LabelCreated   = "coach.created"   // unix seconds
	LabelWorkspace = "coach.workspace" // built workspace images: hash of the workspace directory
	LabelCache     = "coach.cache"     // dependency and compiler cache volumes
	LabelRelay     = "coach.relay"     // relay images
)

// Options configures the Docker backend. Zero fields take the
// defaults of DefaultOptions.
type Options struct {
	// Images maps each runtime to the image its code is built and run in.
	Images map[workspace.Runtime]string
	// CAFile is an extra CA bundle for the build (users behind a TLS proxy).
	CAFile string
	// HTTPProxy, HTTPSProxy and NoProxy are passed to the build.
	HTTPProxy, HTTPSProxy, NoProxy string
	// BuildEnv is further environment for the build (GOPROXY, a registry
	// mirror); by default copied from the host for a fixed list of names.
	BuildEnv map[string]string
	// Memory is the server's memory limit in bytes (swap is not allowed).
	Memory int64
	// NanoCPUs is the CPU quota in units of 1e-9 CPUs.
	NanoCPUs int64
	// PidsLimit bounds the server's processes and threads.
	PidsLimit int64
	// User is the numeric uid:gid the server runs as.
	User string
	// ReadOnly makes the server's root filesystem read-only.
	ReadOnly bool
	// Runtime is the OCI runtime: "" for the engine's default or "runsc".
	Runtime string
	// LogMaxSize bounds the engine's log file of the server ("1m").
	LogMaxSize string
	// MaxContextBytes caps the workspace sent to the engine.
	MaxContextBytes int64
	// RelayArch overrides the architecture of the relay (GOARCH spelling)
	// the engine gets; empty means the engine's own. Tests use it to run
	// the arm64 relay under emulation.
	RelayArch string
	// StaleAfter is the age after which another coach's run counts as
	// abandoned even when its process seems alive. Default 2h.
	StaleAfter time.Duration
	// WarmPod keeps a pod ready for the next Start once a server closes
	// (coach watch): its next check then only creates and starts the
	// server. Close removes it.
	WarmPod bool
	// Progress receives progress lines and warnings; nil discards them.
	Progress io.Writer
	// Getenv reads the environment that chooses the engine (DOCKER_HOST,
	// DOCKER_CONTEXT, DOCKER_CONFIG); nil means os.Getenv.
	Getenv func(string) string
}

// buildEnvNames are passed from the host environment to builds.
var buildEnvNames = []string{"GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY",
	"NPM_CONFIG_REGISTRY", "npm_config_registry", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST"}

// DefaultOptions returns the defaults, with proxies and build
// environment taken from the host environment.
func DefaultOptions() Options {
	o := Options{
		Images:          DefaultImages(),
		HTTPProxy:       firstEnv("HTTP_PROXY", "http_proxy"),
		HTTPSProxy:      firstEnv("HTTPS_PROXY", "https_proxy"),
		NoProxy:         firstEnv("NO_PROXY", "no_proxy"),
		BuildEnv:        map[string]string{},
		Memory:          DefaultMemory,
		NanoCPUs:        DefaultNanoCPUs,
		PidsLimit:       DefaultPids,
		User:            DefaultUser,
		ReadOnly:        true,
		LogMaxSize:      "1m",
		MaxContextBytes: workspace.DefaultMaxContextBytes,
		StaleAfter:      2 * time.Hour,
	}
	for _, n := range buildEnvNames {
		if v := os.Getenv(n); v != "" {
			o.BuildEnv[n] = v
		}
	}
	return o
}

// The sandbox's default limits: the defaults of coach's sandbox.* settings.
const (
	DefaultMemory   = 512 << 20     // bytes
	DefaultNanoCPUs = 1e9           // one CPU
	DefaultPids     = 256           // processes
	DefaultUser     = "10001:10001" // uid:gid, not root
)

// DefaultImages are the runtime images workspaces build on (the defaults
// of the sandbox.images.* settings), a fresh map each call.
func DefaultImages() map[workspace.Runtime]string {
	return map[workspace.Runtime]string{
		workspace.Node:   "node:22-bookworm-slim",
		workspace.Go:     "golang:1.25-bookworm",
		workspace.Python: "python:3.13-slim-bookworm",
	}
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// withDefaults fills zero fields, so callers may set only what they change.
func (o Options) withDefaults() Options {
	def := DefaultOptions()
	images := map[workspace.Runtime]string{}
	for rt, img := range def.Images {
		images[rt] = img
	}
	for rt, img := range o.Images {
		if img != "" {
			images[rt] = img
		}
	}
	o.Images = images
	if o.Memory <= 0 {
		o.Memory = def.Memory
	}
	if o.NanoCPUs <= 0 {
		o.NanoCPUs = def.NanoCPUs
	}
	if o.PidsLimit <= 0 {
		o.PidsLimit = def.PidsLimit
	}
	if o.User == "" {
		o.User = def.User
	}
	if o.LogMaxSize == "" {
		o.LogMaxSize = def.LogMaxSize
	}
	if o.MaxContextBytes <= 0 {
		o.MaxContextBytes = def.MaxContextBytes
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = def.StaleAfter
	}
	return o
}

// Backend is the Docker backend: it builds workspaces into images and runs
// them in network-less containers.
type Backend struct {
	cli      *client.Client
	endpoint Endpoint
	opts     Options
	info     system.Info
	warnings []string
	runtime  string // OCI runtime actually used

	relayMu  sync.Mutex
	relayTag string

	sweepOnce sync.Once
	swept     chan struct{} // closed when the sweep of crashed runs is done

	engineOnce sync.Once // Podman asks the engine once
	podman     bool

	bg bgWork // cleanups still running (docker_image.go)

	// The warm pod (docker_warm.go).
	warmMu     sync.Mutex
	warm       *Instance
	warmKey    string
	warmCtx    context.Context // ends with Close
	warmCancel context.CancelFunc
	warmWG     sync.WaitGroup
}

// dockerAdvice is what to do when the engine at ep cannot be reached.
func dockerAdvice(ep Endpoint) string {
	var b strings.Builder
	b.WriteString("coach runs your server in Docker. Is Docker installed and running?\n")
	switch ep.Source {
	case "DOCKER_HOST":
		fmt.Fprintf(&b, "  DOCKER_HOST is set to %s: check that it points to a running engine (or unset it)\n", ep.Host)
	case "default":
		switch runtime.GOOS {
		case "linux":
			b.WriteString("  start it with `sudo systemctl start docker` (and add yourself to the docker group);\n" +
				"  for Podman: `systemctl --user start podman.socket` and set DOCKER_HOST to its socket\n")
		default:
			b.WriteString("  start Docker Desktop (or Colima, OrbStack, Rancher Desktop, Podman Desktop) and wait until it runs\n")
		}
		b.WriteString("  if your engine listens elsewhere, choose it with `docker context use NAME` or DOCKER_HOST\n")
	default:
		fmt.Fprintf(&b, "  coach follows docker context %q (%s), which points to %s: start that engine,\n"+
			"  or choose another with `docker context use NAME` (see `docker context ls`)\n", ep.Context, ep.Source, ep.Host)
	}
	b.WriteString("  or run without isolation: --sandbox process")
	return b.String()
}

// New connects to the engine (DOCKER_HOST and friends, API version
// negotiated down to the engine's) and checks what it supports.
func New(ctx context.Context, o Options) (*Backend, error) {
	o = o.withDefaults()
	ep, err := ResolveEndpoint(o.Getenv)
	if err != nil {
		return nil, err
	}
	cli, err := ep.client()
	if err != nil {
		return nil, &sandbox.EngineError{Op: "connect to Docker at " + ep.String(), Err: err, Advice: dockerAdvice(ep)}
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		cli.Close()
		return nil, &sandbox.EngineError{Op: "connect to Docker at " + ep.String(), Err: err, Advice: dockerAdvice(ep)}
	}
	info, err := cli.Info(pctx, client.InfoOptions{})
	if err != nil {
		cli.Close()
		return nil, &sandbox.EngineError{Op: "ask Docker about itself", Err: err, Advice: dockerAdvice(ep)}
	}
	d := &Backend{cli: cli, endpoint: ep, opts: o, info: info.Info}
	if o.WarmPod {
		d.warmCtx, d.warmCancel = context.WithCancel(context.Background())
	}
	d.checkInfo()
	for _, w := range d.warnings {
		fmt.Fprintf(sandbox.OrDiscard(o.Progress), "warning: %s\n", w)
	}
	d.startSweep(ctx)
	return d, nil
}

// checkInfo notes what the engine will not enforce, so nobody believes in
// limits that are not there.
func (d *Backend) checkInfo() {
	if d.rootless() {
		d.warnings = append(d.warnings, "Docker runs rootless: memory, CPU and process limits may not be enforced")
	}
	if !d.info.MemoryLimit {
		d.warnings = append(d.warnings, "the Docker engine reports no memory limit support: a server can use all memory")
	}
	if !d.info.PidsLimit {
		d.warnings = append(d.warnings, "the Docker engine reports no pids limit support: a fork bomb is not contained")
	}
	if d.info.OSType != "" && d.info.OSType != "linux" {
		d.warnings = append(d.warnings, "the Docker engine runs "+d.info.OSType+" containers; coach needs Linux containers")
	}
	if d.opts.Runtime != "" {
		if _, ok := d.info.Runtimes[d.opts.Runtime]; ok {
			d.runtime = d.opts.Runtime
		} else {
			d.warnings = append(d.warnings, fmt.Sprintf(
				"the OCI runtime %q is not available in this engine; using the default runtime", d.opts.Runtime))
		}
	}
}

func (d *Backend) rootless() bool {
	for _, s := range d.info.SecurityOptions {
		if strings.Contains(s, "rootless") {
			return true
		}
	}
	return false
}

// Close removes the warm pod and releases the connection to the engine.
func (d *Backend) Close() error {
	d.closeWarm()
	d.sweepOnce.Do(func() {}) // orders the read of swept after startSweep's write
	if d.swept != nil {
		<-d.swept
	}
	d.bg.wait()
	return d.cli.Close()
}

// Client exposes the engine client, for tests and diagnostics.
func (d *Backend) Client() *client.Client { return d.cli }

func (d *Backend) progress(spec sandbox.Spec) io.Writer {
	if spec.Progress != nil {
		return spec.Progress
	}
	return sandbox.OrDiscard(d.opts.Progress)
}

// newRunID is random, short enough for socket paths and container names.
func newRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

func ownerLabels() map[string]string {
	return map[string]string{
		LabelPID:     strconv.Itoa(os.Getpid()),
		LabelHost:    hostname(),
		LabelCreated: strconv.FormatInt(time.Now().Unix(), 10),
	}
}

func runLabels(runID string) map[string]string {
	l := ownerLabels()
	l[LabelRun] = runID
	return l
}

func hashString(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// cleanupCtx outlives a cancelled caller (Ctrl-C must still clean up) but
// not forever.
func cleanupCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}

func labelFilter(kv ...string) client.Filters {
	f := client.Filters{}
	return f.Add("label", kv...)
}

// CleanReport lists what Clean removed.
type CleanReport struct {
	Containers []string
	Volumes    []string
	Images     []string
	Networks   []string
	// Errors are objects that could not be removed (e.g. an image in use).
	Errors []string
}

func (r *CleanReport) add(o CleanReport) {
	r.Containers = append(r.Containers, o.Containers...)
	r.Volumes = append(r.Volumes, o.Volumes...)
	r.Images = append(r.Images, o.Images...)
	r.Networks = append(r.Networks, o.Networks...)
	r.Errors = append(r.Errors, o.Errors...)
}

// Clean removes every object of every coach run (also of runs still going).
// With all, it also removes built workspace images, relay images and the
// dependency caches.
func (d *Backend) Clean(ctx context.Context, all bool) (CleanReport, error) {
	return d.clean(ctx, all, func(map[string]string) bool { return true })
}

// clean is Clean restricted to objects that match (tests limit it to their
// own process, so as not to disturb other coach runs).
func (d *Backend) clean(ctx context.Context, all bool, match func(map[string]string) bool) (CleanReport, error) {
	var rep CleanReport
	r, err := d.removeLabelled(ctx, LabelRun, match)
	rep.add(r)
	if err != nil {
		return rep, err
	}
	r, err = d.removeBuildContainers(ctx, match)
	rep.add(r)
	if err != nil {
		return rep, err
	}
	if all {
		for _, key := range []string{LabelWorkspace, LabelRelay, LabelCache} {
			r, err := d.removeLabelled(ctx, key, match)
			rep.add(r)
			if err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// removeLabelled removes containers, then volumes, networks and images that
// carry label key ("k" or "k=v") and that match, in that order so nothing is
// in use when its turn comes.
func (d *Backend) removeLabelled(ctx context.Context, key string, match func(map[string]string) bool) (CleanReport, error) {
	rep, err := d.removeRunObjects(ctx, key, match)
	if err != nil {
		return rep, err
	}
	f := labelFilter(key)
	ns, err := d.cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return rep, &sandbox.EngineError{Op: "list networks", Err: err}
	}
	for _, n := range ns.Items {
		if !match(n.Labels) {
			continue
		}
		if _, err := d.cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			rep.Errors = append(rep.Errors, fmt.Sprintf("network %s: %v", n.Name, err))
			continue
		}
		rep.Networks = append(rep.Networks, n.Name)
	}
	is, err := d.cli.ImageList(ctx, client.ImageListOptions{Filters: f})
	if err != nil {
		return rep, &sandbox.EngineError{Op: "list images", Err: err}
	}
	for _, im := range is.Items {
		if !match(im.Labels) {
			continue
		}
		name := short(im.ID)
		if len(im.RepoTags) > 0 {
			name = im.RepoTags[0]
		}
		if _, err := d.cli.ImageRemove(ctx, im.ID, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
			rep.Errors = append(rep.Errors, fmt.Sprintf("image %s: %v", name, err))
			continue
		}
		rep.Images = append(rep.Images, name)
	}
	return rep, nil
}

// removeRunObjects removes the containers, then the volumes, that carry
// label key and that match: all that a run creates. Listing images is the
// slowest call of a run's teardown (the engine reads every image's config,
// half a second with a few hundred images), and a run makes none.
func (d *Backend) removeRunObjects(ctx context.Context, key string, match func(map[string]string) bool) (CleanReport, error) {
	var rep CleanReport
	f := labelFilter(key)
	if err := d.removeMatchingContainers(ctx, f, match, &rep); err != nil {
		return rep, err
	}
	vs, err := d.cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return rep, &sandbox.EngineError{Op: "list volumes", Err: err}
	}
	for _, v := range vs.Items {
		if !match(v.Labels) {
			continue
		}
		if _, err := d.cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			rep.Errors = append(rep.Errors, fmt.Sprintf("volume %s: %v", v.Name, err))
			continue
		}
		rep.Volumes = append(rep.Volumes, v.Name)
	}
	return rep, nil
}

// removeBuildContainers removes build containers. Only containers: the
// commit copies the build container's labels into the workspace image,
// which is a cache that must survive.
func (d *Backend) removeBuildContainers(ctx context.Context, match func(map[string]string) bool) (CleanReport, error) {
	var rep CleanReport
	err := d.removeMatchingContainers(ctx, labelFilter(LabelBuild), match, &rep)
	return rep, err
}

// removeMatchingContainers removes the containers f lists that match, and
// adds them (and what could not be removed) to rep.
func (d *Backend) removeMatchingContainers(ctx context.Context, f client.Filters, match func(map[string]string) bool, rep *CleanReport) error {
	cs, err := d.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return &sandbox.EngineError{Op: "list containers", Err: err}
	}
	var mine []container.Summary
	for _, c := range cs.Items {
		if match(c.Labels) {
			mine = append(mine, c)
		}
	}
	removed, errs := d.removeContainers(ctx, mine)
	rep.Errors = append(rep.Errors, errs...)
	for _, c := range removed {
		rep.Containers = append(rep.Containers, containerName(c.Names, c.ID))
	}
	return nil
}

// removeContainers removes cs, in passes: a container that another one
// joined (a pod's relay) can only go after it on Podman, and a list comes in
// no particular order. It returns what it removed (or found gone) and an
// error line for each container it could not remove.
func (d *Backend) removeContainers(ctx context.Context, cs []container.Summary) (removed []container.Summary, errs []string) {
	for len(cs) > 0 {
		var failed []container.Summary
		var last []string
		for _, c := range cs {
			if _, err := d.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
				failed = append(failed, c)
				last = append(last, fmt.Sprintf("container %s: %v", short(c.ID), err))
				continue
			}
			removed = append(removed, c)
		}
		if len(failed) == len(cs) {
			return removed, last
		}
		cs = failed
	}
	return removed, nil
}

func short(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func containerName(names []string, id string) string {
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	return short(id)
}

// stale reports whether an object belongs to a coach that is gone: its
// process no longer exists on this host, or it is older than StaleAfter.
func (d *Backend) stale(labels map[string]string) bool {
	if created, err := strconv.ParseInt(labels[LabelCreated], 10, 64); err == nil &&
		time.Since(time.Unix(created, 0)) > d.opts.StaleAfter {
		return true
	}
	if labels[LabelHost] != hostname() {
		return false // another machine's coach: only age tells
	}
	pid, err := strconv.Atoi(labels[LabelPID])
	if err != nil || pid <= 0 {
		return false
	}
	return pid != os.Getpid() && !sandbox.ProcessAlive(pid)
}

// startSweep sweeps once per Docker value, in the background: the sweep
// touches only other coaches' objects, so the run need not wait for it;
// Close does.
func (d *Backend) startSweep(ctx context.Context) {
	d.sweepOnce.Do(func() {
		done := make(chan struct{})
		d.swept = done
		go func() {
			defer close(done)
			d.sweep(ctx)
		}()
	})
}

// sweep removes what crashed coach runs left behind. It never fails a run:
// leftovers are only untidy.
func (d *Backend) sweep(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	rep, _ := d.removeRunObjects(sctx, LabelRun, d.stale)
	r, _ := d.removeBuildContainers(sctx, d.stale)
	rep.add(r)
	if n := len(rep.Containers) + len(rep.Volumes); n > 0 {
		fmt.Fprintf(sandbox.OrDiscard(d.opts.Progress), "removed %d objects left by an earlier coach run\n", n)
	}
}

// DoctorReport is what `coach doctor` prints about the engine.
type DoctorReport struct {
	Endpoint       Endpoint
	EngineOSType   string // "linux" (or "windows": no relay for it)
	Architecture   string // the engine's, as it reports it
	EngineVersion  string
	APIVersion     string // negotiated
	OS             string
	Kernel         string
	CgroupVersion  string
	CgroupDriver   string
	StorageDriver  string
	Rootless       bool
	Podman         bool // Podman's Docker-compatible API
	RunscAvailable bool
	Runtime        string // OCI runtime coach uses ("" = engine default)
	// Relay is empty when coach has a relay for the engine, otherwise why
	// not; RelayFrom says where it comes from ("embedded" or coach's own
	// executable) and RelayArch for which architecture.
	Relay     string
	RelayFrom string
	RelayArch string
	Warnings  []string
	Images    []ImageStatus
}

// ImageStatus says whether a runtime's image is present locally.
type ImageStatus struct {
	Runtime workspace.Runtime
	Image   string
	Present bool
}

// Doctor reports on the engine and the images coach needs.
func (d *Backend) Doctor(ctx context.Context) DoctorReport {
	r := DoctorReport{
		Endpoint:      d.endpoint,
		EngineOSType:  d.info.OSType,
		Architecture:  d.info.Architecture,
		EngineVersion: d.info.ServerVersion,
		APIVersion:    d.cli.ClientVersion(),
		OS:            d.info.OperatingSystem,
		Kernel:        d.info.KernelVersion,
		CgroupVersion: d.info.CgroupVersion,
		CgroupDriver:  d.info.CgroupDriver,
		StorageDriver: d.info.Driver,
		Rootless:      d.rootless(),
		Podman:        d.Podman(ctx),
		Runtime:       d.runtime,
		Warnings:      slices.Clone(d.warnings),
	}
	_, r.RunscAvailable = d.info.Runtimes["runsc"]
	if src, err := relayFor(d.info.OSType, d.relayArch()); err != nil {
		r.Relay = err.Error()
	} else {
		r.RelayFrom = src.From
		r.RelayArch = src.Arch
	}
	for _, rt := range []workspace.Runtime{workspace.Node, workspace.Go, workspace.Python} {
		img := d.opts.Images[rt]
		_, err := d.cli.ImageInspect(ctx, img)
		r.Images = append(r.Images, ImageStatus{Runtime: rt, Image: img, Present: err == nil})
	}
	return r
}

// createTimeout bounds a call that makes an engine object.
const createTimeout = time.Minute

// containerCreate and volumeCreate make an engine object with a context
// that ctx's cancellation does not end: a create under way when the learner
// presses Ctrl-C completes, so coach learns of the object and removes it,
// instead of the engine finishing it after coach's cleanup looked (a
// container left behind). A ctx already done makes nothing.
func (d *Backend) containerCreate(ctx context.Context, o client.ContainerCreateOptions) (client.ContainerCreateResult, error) {
	if err := ctx.Err(); err != nil {
		return client.ContainerCreateResult{}, err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()
	return d.cli.ContainerCreate(cctx, o)
}

func (d *Backend) volumeCreate(ctx context.Context, o client.VolumeCreateOptions) (client.VolumeCreateResult, error) {
	if err := ctx.Err(); err != nil {
		return client.VolumeCreateResult{}, err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()
	return d.cli.VolumeCreate(cctx, o)
}
