package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// recipeVersion is part of every workspace image's hash: bump it when the
// build recipe changes so that old images are not reused.
const recipeVersion = "coach-recipe-3"

// appDir is where the workspace lives in the image; binDir holds a
// compiled server, serverBin (Linux paths, whatever coach runs on).
const (
	appDir    = "/app"
	binDir    = "/app/.coach"
	serverBin = binDir + "/server"
)

// streamMessage is one line of the engine's JSON progress stream (build and
// pull). The stream reports failures in-band: the HTTP call itself succeeds.
type streamMessage struct {
	Stream      string `json:"stream"`
	Status      string `json:"status"`
	ID          string `json:"id"`
	Progress    string `json:"progress"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

func (m streamMessage) err() string {
	if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
		return m.ErrorDetail.Message
	}
	return m.Error
}

// ensureImage makes sure ref is present, pulling it with progress if not,
// and returns its ID.
func (d *Backend) ensureImage(ctx context.Context, rt workspace.Runtime, ref string, w io.Writer) (string, error) {
	ins, err := d.cli.ImageInspect(ctx, ref)
	if err == nil {
		return ins.ID, nil
	}
	if !cerrdefs.IsNotFound(err) {
		return "", &sandbox.EngineError{Op: "inspect image " + ref, Err: err}
	}
	fmt.Fprintf(w, "pulling %s (first use; this can take a minute)\n", ref)
	advice := fmt.Sprintf("run `docker pull %s` on a machine with network access (or `docker load` it here), "+
		"or set `sandbox.images.%s` in coach.yaml to an image you have", ref, rt)
	rc, err := d.cli.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return "", &sandbox.EngineError{Op: "pull image " + ref, Err: err, Advice: advice}
	}
	defer rc.Close()
	dec := json.NewDecoder(rc)
	last := map[string]string{}
	for {
		var m streamMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return "", &sandbox.EngineError{Op: "pull image " + ref, Err: err, Advice: advice}
		}
		if e := m.err(); e != "" {
			return "", &sandbox.EngineError{Op: "pull image " + ref, Err: errors.New(e), Advice: advice}
		}
		// One line per layer and status, not one per progress tick.
		if m.Status != "" && last[m.ID] != m.Status {
			last[m.ID] = m.Status
			if m.ID != "" {
				fmt.Fprintf(w, "  %s: %s\n", m.ID, m.Status)
			} else {
				fmt.Fprintf(w, "  %s\n", m.Status)
			}
		}
	}
	ins, err = d.cli.ImageInspect(ctx, ref)
	if err != nil {
		return "", &sandbox.EngineError{Op: "pull image " + ref, Err: err, Advice: advice}
	}
	return ins.ID, nil
}

// buildFailure is a failed image build; out is the build's own output.
type buildFailure struct {
	msg  string
	out  string // the last lines
	full string // all of it, as far as kept
}

func (e *buildFailure) Error() string { return e.msg }

// imageBuild runs ImageBuild with the classic builder (API 1.41 engines)
// and reads the stream, since a failed build still returns nil from the
// call. Steps go to w; the output tail comes back in the error.
func (d *Backend) imageBuild(ctx context.Context, buildCtx io.Reader, o client.ImageBuildOptions, w io.Writer) (string, error) {
	o.Version = build.BuilderV1
	o.Remove, o.ForceRemove = true, true
	res, err := d.cli.ImageBuild(ctx, buildCtx, o)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	tail := sandbox.NewOutput(64 << 10)
	dec := json.NewDecoder(res.Body)
	for {
		var m streamMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return "", fmt.Errorf("read build output: %w", err)
		}
		if e := m.err(); e != "" {
			return "", &buildFailure{msg: strings.TrimSpace(e), out: tail.Tail(40), full: string(tail.LogsSince(0))}
		}
		if m.Stream != "" {
			_, _ = tail.Write([]byte(m.Stream))
			// "Step 2/5 : RUN ..." (Docker), "STEP 2/5: RUN ..." (Buildah, under Podman).
			if strings.HasPrefix(strings.ToUpper(m.Stream), "STEP ") {
				fmt.Fprint(w, "  "+m.Stream)
			}
		}
	}
	if len(o.Tags) == 0 {
		return "", nil
	}
	ins, err := d.cli.ImageInspect(ctx, o.Tags[0])
	if err != nil {
		return "", fmt.Errorf("inspect built image: %w", err)
	}
	return ins.ID, nil
}

// removeOtherImages removes images carrying label (k=v) except keep; an
// image still in use stays, which is fine.
func (d *Backend) removeOtherImages(ctx context.Context, label, keep string) {
	keepID := ""
	if ins, err := d.cli.ImageInspect(ctx, keep); err == nil {
		keepID = ins.ID
	}
	is, err := d.cli.ImageList(ctx, client.ImageListOptions{Filters: labelFilter(label)})
	if err != nil {
		return
	}
	for _, im := range is.Items {
		if im.ID != keepID {
			_, _ = d.cli.ImageRemove(ctx, im.ID, client.ImageRemoveOptions{PruneChildren: true})
		}
	}
}

// cacheVolume is a named volume that keeps downloads and compiler output
// between builds of all workspaces.
type cacheVolume struct{ name, target, env string }

func cachesFor(rt workspace.Runtime) []cacheVolume {
	switch rt {
	case workspace.Node:
		return []cacheVolume{{"coach-cache-npm", "/cache/npm", "npm_config_cache"}}
	case workspace.Go:
		return []cacheVolume{{"coach-cache-gomod", "/cache/gomod", "GOMODCACHE"}, {"coach-cache-gobuild", "/cache/gobuild", "GOCACHE"}}
	case workspace.Python:
		return []cacheVolume{{"coach-cache-pip", "/cache/pip", "PIP_CACHE_DIR"}}
	}
	return nil
}

// dockerInstallArgv is the dependency install inside the container, nil
// for none. The run container's root is read-only and its user is not
// root, so Python's packages live inside /app (--target); devDependencies
// are left out unless a script needs them.
func dockerInstallArgv(ws *workspace.Workspace) []string {
	argv := ws.InstallCommand()
	switch {
	case argv == nil:
		return nil
	case ws.Runtime == workspace.Python:
		return append([]string{"python3", "-m", "pip", "install", "--disable-pip-version-check", "--no-warn-script-location",
			"--target", appDir + "/.deps"}, ws.PipRequirements()...)
	case ws.Runtime == workspace.Node && !ws.DevDeps:
		return append(argv, "--omit=dev")
	}
	return argv
}

// layeredInstall reports whether the dependencies can be installed from
// the manifest files alone, as their own cached image: not when the
// install reads other files of the workspace (a file: dependency, npm
// workspaces, an install script, requirements that include others).
func layeredInstall(ws *workspace.Workspace) bool {
	return dockerInstallArgv(ws) != nil && !ws.InstallReadsSources()
}

// buildArgv is the whole build inside the container, for the plan coach
// announces: the install, then the compile step.
func buildArgv(ws *workspace.Workspace) []string {
	return workspace.AndThen(dockerInstallArgv(ws), ws.CompileCommand(serverBin))
}

// sourceArgv is what runs once the sources are copied in: the compile
// step, preceded by the install when that is not a layer of its own.
func sourceArgv(ws *workspace.Workspace) []string {
	compile := ws.CompileCommand(serverBin)
	if layeredInstall(ws) {
		return compile
	}
	return workspace.AndThen(dockerInstallArgv(ws), compile)
}

// runEnv is the environment baked into a workspace image.
func runEnv(ws *workspace.Workspace) []string {
	switch ws.Runtime {
	case workspace.Python:
		return []string{"PYTHONPATH=" + appDir + "/.deps", "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1"}
	case workspace.Node:
		return []string{"NPM_CONFIG_UPDATE_NOTIFIER=false"}
	}
	return nil
}

// buildScript runs argv and prepares the image for an unprivileged,
// read-only run. The build environment (proxies, CA) comes from a file that
// is deleted before the commit, so it is not baked into the image. check
// runs after argv (a build script must have written the start file).
// Installed dependencies are not chmod-ed again: on overlayfs that would
// copy every file of the layer below into this one.
func buildScript(argv []string, check string) string {
	var b strings.Builder
	b.WriteString("set -e\nset -a\n. /tmp/coach-build/env\nset +a\ncd " + appDir + "\nmkdir -p " + binDir + "\n")
	if len(argv) > 0 {
		b.WriteString(workspace.ShellJoin(argv) + "\n")
	}
	b.WriteString(check)
	// /data is copied into the fresh data volume, mode included: any uid may write.
	b.WriteString("mkdir -p /data && chmod 1777 /data\n" +
		"find " + appDir + " -path " + appDir + "/node_modules -prune -o -path " + appDir + "/.deps -prune -o -exec chmod a+rX {} +\n" +
		"rm -rf /tmp/coach-build\n")
	return b.String()
}

// startFileCheck is the shell check that a build script wrote the file the
// start script runs; it exits with startFileMissing when it did not.
func startFileCheck(ws *workspace.Workspace) string {
	if !ws.NodeBuild || ws.Entry == "" || ws.Run != "" || ws.Build != "" {
		return ""
	}
	return fmt.Sprintf("[ -e %s ] || exit %d\n", workspace.ShellQuote(ws.Entry), startFileMissing)
}

// startFileMissing is startFileCheck's exit code.
const startFileMissing = 97

// buildEnvFile is sourced by the build script.
func (d *Backend) buildEnvFile(rt workspace.Runtime, hasCA bool) []byte {
	env := map[string]string{
		"CGO_ENABLED":                "0",
		"GOFLAGS":                    "-buildvcs=false -ldflags=-w", // no DWARF: links faster; tracebacks keep file:line
		"GOTOOLCHAIN":                "local",
		"PIP_BREAK_SYSTEM_PACKAGES":  "1",
		"PIP_ROOT_USER_ACTION":       "ignore",
		"npm_config_update_notifier": "false",
	}
	for _, c := range cachesFor(rt) {
		env[c.env] = c.target
	}
	if hasCA {
		for _, k := range []string{"SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "PIP_CERT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "npm_config_cafile"} {
			env[k] = "/tmp/coach-build/ca.crt"
		}
	}
	for k, v := range map[string]string{"HTTP_PROXY": d.opts.HTTPProxy, "HTTPS_PROXY": d.opts.HTTPSProxy, "NO_PROXY": d.opts.NoProxy} {
		if v != "" {
			env[k], env[strings.ToLower(k)] = v, v
		}
	}
	for k, v := range d.opts.BuildEnv {
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, workspace.ShellQuote(env[k]))
	}
	return b.Bytes()
}

// buildWorkspace builds spec's workspace into an image, or reuses the image
// when nothing that goes into it changed. It returns the image tag.
//
// The image is two layers over the runtime's image: the dependencies,
// installed from the manifest files alone and keyed by them, and the
// sources copied on top (then compiled, for Go and a build script). An
// edit of a source file so reuses the dependency image and only adds the
// thin source layer; with nothing to compile that layer needs no
// container run at all.
func (d *Backend) buildWorkspace(ctx context.Context, spec sandbox.Spec, w io.Writer) (string, error) {
	d.bg.wait()
	began := time.Now()
	defer func() {
		if spec.Timings != nil {
			spec.Timings.Build = time.Since(began)
		}
	}()
	ws := spec.Workspace
	data, skipped, err := workspace.Tar(ws.Dir, d.opts.MaxContextBytes)
	if err != nil {
		var big *workspace.ContextTooLargeError
		if errors.As(err, &big) {
			return "", &workspace.Error{Dir: ws.Dir, Kind: workspace.TooLarge, Msg: big.Error()}
		}
		return "", err
	}
	// What was detected and will run, once, before anything is built.
	ws.Announce(w, buildArgv(ws), ws.RunCommand(serverBin))
	for _, s := range skipped {
		fmt.Fprintf(w, "warning: %s\n", s)
	}
	bctx := ctx
	if spec.BuildTimeout > 0 {
		var cancel context.CancelFunc
		bctx, cancel = context.WithTimeout(ctx, spec.BuildTimeout)
		defer cancel()
	}
	timedOut := func(err error) error {
		if ctx.Err() == nil && bctx.Err() != nil {
			return d.buildTimedOut(ws, spec.BuildTimeout, err)
		}
		return err
	}
	wsLabel := hashString(ws.Dir)
	var from string // the image the sources go on
	if ws.Runtime != workspace.Dockerfile {
		img, ok := d.opts.Images[ws.Runtime]
		if !ok {
			return "", &workspace.Error{Dir: ws.Dir, Msg: fmt.Sprintf("no image configured for runtime %s", ws.Runtime)}
		}
		if from, err = d.ensureImage(ctx, ws.Runtime, img, w); err != nil {
			return "", err
		}
		if layeredInstall(ws) {
			if from, err = d.depsImage(bctx, spec, from, wsLabel, w); err != nil {
				return "", timedOut(err)
			}
		}
	}
	h := sha256.New()
	h.Write(data)
	fmt.Fprintf(h, "\x00%s\x00%s\x00%q\x00%q\x00%s", from, ws.Runtime, sourceArgv(ws), ws.RunCommand(serverBin), recipeVersion)
	fmt.Fprintf(h, "\x00%s", ws.Entry)
	hash := hex.EncodeToString(h.Sum(nil))
	tag := "coach-ws:" + hash[:16]
	if _, err := d.cli.ImageInspect(ctx, tag); err == nil {
		fmt.Fprintf(w, "workspace unchanged: reusing %s\n", tag)
		spec.Timings.Record("sources", began, true)
		return tag, nil
	}
	fmt.Fprintf(w, "building your %s code\n", ws.Runtime)
	srcBegan := time.Now()
	if ws.Runtime == workspace.Dockerfile {
		err = d.buildDockerfile(bctx, ws, data, tag, wsLabel, w, spec.LogDir)
	} else {
		err = d.buildSources(bctx, ws, data, from, tag, wsLabel, buildLog{w, spec.LogDir})
	}
	if err != nil {
		return "", timedOut(err)
	}
	spec.Timings.Record("sources", srcBegan, false)
	// Older images of this workspace are only clutter: they go while the
	// server starts (Close waits for that).
	d.background(ctx, func(cctx context.Context) {
		d.removeOtherImages(cctx, LabelWorkspace+"="+wsLabel, tag)
		if from != "" {
			// Dependency images of this workspace's earlier manifests; one
			// that another workspace's image is built on stays (the engine
			// refuses).
			d.removeOtherImages(cctx, LabelWorkspace+"="+depsLabel(wsLabel), from)
		}
	})
	return tag, nil
}

// depsLabel is the coach.workspace value of a workspace's dependency
// images: not the workspace's own, whose old images are removed after
// each build, yet found by `coach clean --all`.
func depsLabel(wsLabel string) string { return "deps-" + wsLabel }

// depsImage returns the image with the workspace's dependencies installed
// over base, building it when no image holds them for these manifest files.
func (d *Backend) depsImage(ctx context.Context, spec sandbox.Spec, base, wsLabel string, w io.Writer) (string, error) {
	ws := spec.Workspace
	began := time.Now()
	argv := dockerInstallArgv(ws)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%q\x00%s", base, ws.Runtime, argv, recipeVersion)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range ws.ManifestFiles() {
		data, err := os.ReadFile(filepath.Join(ws.Dir, f))
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f, err)
		}
		fmt.Fprintf(h, "\x00%s\x00%d\x00", f, len(data))
		h.Write(data)
		_ = tw.WriteHeader(&tar.Header{Name: f, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg})
		_, _ = tw.Write(data)
	}
	_ = tw.Close()
	tag := "coach-deps:" + hex.EncodeToString(h.Sum(nil))[:16]
	if ins, err := d.cli.ImageInspect(ctx, tag); err == nil {
		fmt.Fprintf(w, "dependencies unchanged: reusing %s\n", tag)
		spec.Timings.Record("dependencies", began, true)
		return ins.ID, nil
	}
	fmt.Fprintf(w, "installing dependencies: %s\n", strings.Join(argv, " "))
	if err := d.runBuild(ctx, ws, base, buf.Bytes(), argv, "", tag, &container.Config{
		WorkingDir: appDir,
		Labels:     map[string]string{LabelWorkspace: depsLabel(wsLabel)},
	}, buildLog{w, spec.LogDir}); err != nil {
		return "", err
	}
	ins, err := d.cli.ImageInspect(ctx, tag)
	if err != nil {
		return "", &sandbox.EngineError{Op: "inspect the dependency image", Err: err}
	}
	spec.Timings.Record("dependencies", began, false)
	return ins.ID, nil
}

// CAContextFile is where a Dockerfile build finds sandbox.ca_file: coach adds
// it to the build context, since the classic builder (API 1.41) has no build
// secrets and a bundle is too big for a build arg (the host bundle is over
// the 128 KiB a single environment string may hold). A Dockerfile that
// fetches packages uses it only when it is there:
//
//	COPY package*.json coach-ca.pe[m] ./
//	RUN if [ -f coach-ca.pem ]; then export NODE_EXTRA_CA_CERTS=$PWD/coach-ca.pem; fi; npm ci
const CAContextFile = "coach-ca.pem"

func (d *Backend) buildDockerfile(ctx context.Context, ws *workspace.Workspace, data []byte, tag, wsLabel string, w io.Writer, logDir string) error {
	args := map[string]*string{}
	for k, v := range map[string]string{"HTTP_PROXY": d.opts.HTTPProxy, "HTTPS_PROXY": d.opts.HTTPSProxy, "NO_PROXY": d.opts.NoProxy} {
		if v != "" {
			args[k] = &v
		}
	}
	if d.opts.CAFile != "" {
		ca, err := os.ReadFile(d.opts.CAFile)
		if err != nil {
			return &sandbox.EngineError{Op: "read the CA bundle (sandbox.ca_file)", Err: err}
		}
		if data, err = withContextFile(data, CAContextFile, ca); err != nil {
			return fmt.Errorf("add the CA bundle to the build context: %w", err)
		}
	}
	_, err := d.imageBuild(ctx, bytes.NewReader(data), client.ImageBuildOptions{
		Tags:       []string{tag},
		Dockerfile: ws.Entry,
		Labels:     map[string]string{LabelWorkspace: wsLabel},
		BuildArgs:  args,
	}, w)
	var bf *buildFailure
	if errors.As(err, &bf) {
		if sign := sandbox.TLSFailure(bf.msg + "\n" + bf.full); sign != "" {
			return &sandbox.EngineError{
				Op:     "build your Dockerfile",
				Err:    fmt.Errorf("a download in it could not verify a TLS certificate (%s): a proxy on this network intercepts TLS with a CA your image does not trust; this is the network, not your code\n\n%s", sign, lastLines(ansiRE.ReplaceAllString(bf.out, ""), 12)),
				Advice: d.caAdvice(),
				Log:    sandbox.SaveLog(logDir, sandbox.BuildLogName, []byte(bf.full+bf.msg+"\n")),
			}
		}
		return d.dockerfileFailure(logDir, bf)
	}
	if err != nil {
		return &sandbox.EngineError{Op: "build your Dockerfile", Err: err}
	}
	return nil
}

// ansiRE matches the colour escapes a build's stderr carries.
var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

// lastLines is the last n non-empty lines of s.
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// caAdvice says how a Dockerfile trusts an extra CA, and whether coach
// already hands it one.
func (d *Backend) caAdvice() string {
	use := "In your Dockerfile, copy it only when it is there and point the tool at it:\n" +
		"  COPY package*.json " + strings.TrimSuffix(CAContextFile, "m") + "[m] ./\n" +
		"  RUN if [ -f " + CAContextFile + " ]; then export NODE_EXTRA_CA_CERTS=$PWD/" + CAContextFile + "; fi; npm ci\n" +
		"pip: pip install --cert " + CAContextFile + " -r requirements.txt; Go: SSL_CERT_FILE=$PWD/" + CAContextFile + " go mod download;\n" +
		"Debian tools (apt, curl, git): cp " + CAContextFile + " /usr/local/share/ca-certificates/proxy.crt && update-ca-certificates.\n" +
		"Delete the file (or use a build stage) so it does not stay in the image."
	if d.opts.CAFile == "" {
		return "Set sandbox.ca_file (or COACH_SANDBOX_CA_FILE) to your proxy's CA bundle in PEM: coach then adds it to the build context as " +
			CAContextFile + ".\n" + use
	}
	return "coach added sandbox.ca_file (" + d.opts.CAFile + ") to the build context as " + CAContextFile + ", but the build did not use it (or it is not the proxy's CA).\n" + use
}

// withContextFile returns the build context tar with one more regular file
// at its root, replacing a workspace file of that name.
func withContextFile(ctxTar []byte, name string, content []byte) ([]byte, error) {
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(ctxTar))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimPrefix(h.Name, "./") == name {
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return nil, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0)}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(content); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// buildSources puts the workspace on image from and commits it as the run
// image. With nothing to run (no compile step, dependencies already in
// from) the sources are copied into a container that never starts, which
// is a commit away from an image.
func (d *Backend) buildSources(ctx context.Context, ws *workspace.Workspace, data []byte, from, tag, wsLabel string, bl buildLog) error {
	run := &container.Config{
		Cmd:        ws.RunCommand(serverBin),
		WorkingDir: appDir,
		Env:        runEnv(ws),
		User:       d.opts.User,
		Labels:     map[string]string{LabelWorkspace: wsLabel},
	}
	if argv := sourceArgv(ws); argv != nil {
		return d.runBuild(ctx, ws, from, data, argv, startFileCheck(ws), tag, run, bl)
	}
	labels := ownerLabels()
	labels[LabelBuild] = newRunID()
	cfg, host := sourcesContainer(from, labels)
	created, err := d.containerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: host})
	if err != nil {
		return &sandbox.EngineError{Op: "create the build container", Err: err}
	}
	committed := false
	defer d.removeBuildContainer(ctx, created.ID, &committed)
	if _, err := d.cli.CopyToContainer(ctx, created.ID, client.CopyToContainerOptions{DestinationPath: "/", Content: bytes.NewReader(rootedSources(data))}); err != nil {
		return &sandbox.EngineError{Op: "copy your workspace into the build container", Err: err}
	}
	if _, err := d.cli.ContainerCommit(ctx, created.ID, client.ContainerCommitOptions{Reference: tag, Comment: "coach workspace",
		Changes: commitChanges(run), Config: &container.Config{}}); err != nil {
		return &sandbox.EngineError{Op: "save the built image", Err: err}
	}
	committed = true
	return nil
}

// rootedSources is the workspace tar under app/, with the directories a
// run needs (binDir, a /data any uid may write, as buildScript makes them).
func rootedSources(data []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, dir := range []struct {
		name string
		mode int64
	}{{"app/", 0o755}, {strings.TrimPrefix(binDir, "/") + "/", 0o755}, {"data/", 0o1777}} {
		_ = tw.WriteHeader(&tar.Header{Name: dir.name, Typeflag: tar.TypeDir, Mode: dir.mode, ModTime: time.Unix(0, 0)})
	}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err != nil {
			break // the tar is ours: io.EOF
		}
		h.Name = strings.TrimPrefix(appDir, "/") + "/" + h.Name
		_ = tw.WriteHeader(h)
		_, _ = io.Copy(tw, tr)
	}
	_ = tw.Close()
	return buf.Bytes()
}

// removeBuildContainer removes a build container, in the background once
// its result is committed (*committed).
func (d *Backend) removeBuildContainer(ctx context.Context, id string, committed *bool) {
	remove := func(cctx context.Context) {
		_, _ = d.cli.ContainerRemove(cctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}
	if *committed {
		d.background(ctx, remove)
		return
	}
	cctx, cancel := cleanupCtx(ctx)
	defer cancel()
	remove(cctx)
}

// background runs a cleanup that nothing waits for but Close and the next
// build (which so sees the images as the last build left them). It
// outlives a cancelled ctx, as cleanups must.
func (d *Backend) background(ctx context.Context, f func(context.Context)) {
	done := make(chan struct{})
	d.bg.mu.Lock()
	d.bg.pending = append(d.bg.pending, done)
	d.bg.mu.Unlock()
	go func() {
		defer close(done)
		cctx, cancel := cleanupCtx(ctx)
		defer cancel()
		f(cctx)
	}()
}

// bgWork is the cleanups still running. Unlike a sync.WaitGroup it may be
// waited for while more work is added (coach grade builds in parallel).
type bgWork struct {
	mu      sync.Mutex
	pending []chan struct{}
}

// wait returns once the work pending when it was called is done.
func (b *bgWork) wait() {
	b.mu.Lock()
	pending := slices.Clone(b.pending)
	b.mu.Unlock()
	for _, done := range pending {
		<-done
	}
	b.mu.Lock()
	b.pending = slices.DeleteFunc(b.pending, func(c chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	})
	b.mu.Unlock()
}

// runBuild runs argv (then check) in a container of image from with the
// network on, the caches mounted and files (a tar, unpacked into /app)
// copied in, then commits it as tag with config.
func (d *Backend) runBuild(ctx context.Context, ws *workspace.Workspace, from string, files []byte, argv []string, check, tag string, config *container.Config, bl buildLog) error {
	var ca []byte
	if d.opts.CAFile != "" {
		var err error
		if ca, err = os.ReadFile(d.opts.CAFile); err != nil {
			return &sandbox.EngineError{Op: "read the CA bundle (sandbox.ca_file)", Err: err}
		}
	}
	var mounts []mount.Mount
	for _, c := range cachesFor(ws.Runtime) {
		if _, err := d.volumeCreate(ctx, client.VolumeCreateOptions{Name: c.name, Labels: map[string]string{LabelCache: "1"}}); err != nil {
			return &sandbox.EngineError{Op: "create cache volume " + c.name, Err: err}
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeVolume, Source: c.name, Target: c.target})
	}
	labels := ownerLabels()
	labels[LabelBuild] = newRunID()
	cfg, host := buildContainer(d.podEngine(ctx), from, buildScript(argv, check), mounts, labels)
	created, err := d.containerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: host})
	if err != nil {
		return &sandbox.EngineError{Op: "create the build container", Err: err}
	}
	committed := false
	defer d.removeBuildContainer(ctx, created.ID, &committed)
	var setup bytes.Buffer
	tw := tar.NewWriter(&setup)
	_ = tw.WriteHeader(&tar.Header{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0)})
	_ = tw.WriteHeader(&tar.Header{Name: "tmp/coach-build/", Typeflag: tar.TypeDir, Mode: 0o700, ModTime: time.Unix(0, 0)})
	writeFile := func(name string, data []byte) {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: time.Unix(0, 0)})
		_, _ = tw.Write(data)
	}
	writeFile("tmp/coach-build/env", d.buildEnvFile(ws.Runtime, ca != nil))
	if ca != nil {
		writeFile("tmp/coach-build/ca.crt", ca)
	}
	_ = tw.Close()
	if _, err := d.cli.CopyToContainer(ctx, created.ID, client.CopyToContainerOptions{DestinationPath: "/", Content: &setup}); err != nil {
		return &sandbox.EngineError{Op: "copy build settings into the build container", Err: err}
	}
	if _, err := d.cli.CopyToContainer(ctx, created.ID, client.CopyToContainerOptions{DestinationPath: appDir, Content: bytes.NewReader(files)}); err != nil {
		return &sandbox.EngineError{Op: "copy your workspace into the build container", Err: err}
	}
	if _, err := d.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return &sandbox.EngineError{Op: "start the build container", Err: err}
	}
	what := "the build"
	if len(argv) > 0 {
		what = "`" + workspace.DisplayCommand(argv) + "`"
	}
	code, out, err := d.followBuild(ctx, created.ID, what, bl.progress)
	log := sandbox.SaveLog(bl.dir, sandbox.BuildLogName, out)
	if err != nil {
		return &buildCut{out: string(out), log: log, err: err}
	}
	if code == startFileMissing && check != "" {
		return &workspace.BuildError{Runtime: string(ws.Runtime), Output: string(out),
			Err: fmt.Errorf("npm run build finished, but %s, which your server starts with, does not exist: "+
				"make the build write it (e.g. tsconfig.json's outDir) or fix the start script", ws.Entry)}
	}
	if code != 0 {
		return sandbox.ClassifyBuild(d.dockerNet(ws), ws, what, code, string(out), log)
	}
	if _, err := d.cli.ContainerCommit(ctx, created.ID, client.ContainerCommitOptions{
		Reference: tag,
		Comment:   "coach workspace build",
		Changes:   commitChanges(config),
		Config:    &container.Config{}, // Podman fails on a request without a body ("Decode(): EOF")
	}); err != nil {
		return &sandbox.EngineError{Op: "save the built image", Err: err}
	}
	committed = true
	return nil
}

// commitChanges turn a build container into an image with config c, as
// Dockerfile instructions rather than a Config: Podman's commit applies only
// these (it decodes the request's config and ignores it); Docker applies
// them on top of the container's config, as it would a Config.
func commitChanges(c *container.Config) []string {
	var out []string
	if len(c.Cmd) > 0 {
		cmd, _ := json.Marshal(c.Cmd)
		out = append(out, "CMD "+string(cmd))
	}
	if c.WorkingDir != "" {
		out = append(out, "WORKDIR "+c.WorkingDir)
	}
	if c.User != "" {
		out = append(out, "USER "+c.User)
	}
	for _, e := range c.Env {
		out = append(out, "ENV "+e)
	}
	keys := make([]string, 0, len(c.Labels))
	for k := range c.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, "LABEL "+k+"="+c.Labels[k])
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// waitExit waits for a container to stop and returns its exit code.
func (d *Backend) waitExit(ctx context.Context, id string) (int, error) {
	res := d.cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case r := <-res.Result:
		return int(r.StatusCode), nil
	case err := <-res.Error:
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, &sandbox.EngineError{Op: "wait for container", Err: err}
	}
}

// containerOutput returns the last n lines of a container's combined output.
func (d *Backend) containerOutput(ctx context.Context, id string, n int) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rc, err := d.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "400"})
	if err != nil {
		return ""
	}
	defer rc.Close()
	out := sandbox.NewOutput(256 << 10)
	_, _ = stdcopy.StdCopy(out, out, rc)
	return out.Tail(n)
}

// Plan is the one line the Docker backend prints before it builds
// the workspace (Plan with the backend's own commands).
func Plan(ws *workspace.Workspace) string {
	return ws.Plan(buildArgv(ws), ws.RunCommand(serverBin))
}
