package sandbox

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
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// recipeVersion is part of every workspace image's hash: bump it when the
// build recipe changes so that old images are not reused.
const recipeVersion = "coach-recipe-2"

// appDir is where the workspace lives in the image; binDir holds a
// compiled server.
const (
	appDir = "/app"
	binDir = "/app/.coach"
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
func (d *Docker) ensureImage(ctx context.Context, rt Runtime, ref string, w io.Writer) (string, error) {
	ins, err := d.cli.ImageInspect(ctx, ref)
	if err == nil {
		return ins.ID, nil
	}
	if !cerrdefs.IsNotFound(err) {
		return "", &EngineError{Op: "inspect image " + ref, Err: err}
	}
	fmt.Fprintf(w, "pulling %s (first use; this can take a minute)\n", ref)
	advice := fmt.Sprintf("run `docker pull %s` on a machine with network access (or `docker load` it here), "+
		"or set `sandbox.images.%s` in coach.yaml to an image you have", ref, rt)
	rc, err := d.cli.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return "", &EngineError{Op: "pull image " + ref, Err: err, Advice: advice}
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
			return "", &EngineError{Op: "pull image " + ref, Err: err, Advice: advice}
		}
		if e := m.err(); e != "" {
			return "", &EngineError{Op: "pull image " + ref, Err: errors.New(e), Advice: advice}
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
		return "", &EngineError{Op: "pull image " + ref, Err: err, Advice: advice}
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
func (d *Docker) imageBuild(ctx context.Context, buildCtx io.Reader, o client.ImageBuildOptions, w io.Writer) (string, error) {
	o.Version = build.BuilderV1
	o.Remove, o.ForceRemove = true, true
	res, err := d.cli.ImageBuild(ctx, buildCtx, o)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	tail := NewOutput(64 << 10)
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
func (d *Docker) removeOtherImages(ctx context.Context, label, keep string) {
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

func cachesFor(rt Runtime) []cacheVolume {
	switch rt {
	case Node:
		return []cacheVolume{{"coach-cache-npm", "/cache/npm", "npm_config_cache"}}
	case Go:
		return []cacheVolume{{"coach-cache-gomod", "/cache/gomod", "GOMODCACHE"}, {"coach-cache-gobuild", "/cache/gobuild", "GOCACHE"}}
	case Python:
		return []cacheVolume{{"coach-cache-pip", "/cache/pip", "PIP_CACHE_DIR"}}
	}
	return nil
}

// buildArgv is the build command inside the container, nil for none.
func buildArgv(ws *Workspace) []string {
	if ws.Build == "" && ws.Runtime == Python {
		if !ws.Deps {
			return nil
		}
		// --target: the run container's root is read-only and its user is
		// not root, so dependencies live inside /app.
		return append([]string{"python3", "-m", "pip", "install", "--disable-pip-version-check", "--no-warn-script-location",
			"--target", appDir + "/.deps"}, ws.pipRequirements()...)
	}
	return ws.BuildCommand(binDir)
}

// runEnv is the environment baked into a workspace image.
func runEnv(ws *Workspace) []string {
	switch ws.Runtime {
	case Python:
		return []string{"PYTHONPATH=" + appDir + "/.deps", "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1"}
	case Node:
		return []string{"NPM_CONFIG_UPDATE_NOTIFIER=false"}
	}
	return nil
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// buildScript runs the build and prepares the image for an unprivileged,
// read-only run. The build environment (proxies, CA) comes from a file that
// is deleted before the commit, so it is not baked into the image.
func buildScript(argv []string) string {
	var b strings.Builder
	b.WriteString("set -e\nset -a\n. /tmp/coach-build/env\nset +a\ncd " + appDir + "\nmkdir -p " + binDir + "\n")
	if len(argv) > 0 {
		b.WriteString(shellJoin(argv) + "\n")
	}
	// /data is copied into the fresh data volume, mode included: any uid may write.
	b.WriteString("mkdir -p /data && chmod 1777 /data\nchmod -R a+rX " + appDir + "\nrm -rf /tmp/coach-build\n")
	return b.String()
}

// buildEnvFile is sourced by the build script.
func (d *Docker) buildEnvFile(rt Runtime, hasCA bool) []byte {
	env := map[string]string{
		"CGO_ENABLED":                "0",
		"GOFLAGS":                    "-buildvcs=false",
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
		fmt.Fprintf(&b, "%s=%s\n", k, shellQuote(env[k]))
	}
	return b.Bytes()
}

// buildWorkspace builds spec's workspace into an image, or reuses the image
// when nothing that goes into it changed. It returns the image tag.
func (d *Docker) buildWorkspace(ctx context.Context, spec Spec, w io.Writer) (string, error) {
	ws := spec.Workspace
	data, skipped, err := workspaceTar(ws.Dir, d.opts.MaxContextBytes)
	if err != nil {
		var big *ContextTooLargeError
		if errors.As(err, &big) {
			return "", &WorkspaceError{Dir: ws.Dir, Kind: WorkspaceTooLarge, Msg: big.Error()}
		}
		return "", err
	}
	// What was detected and will run, once, before anything is built.
	ws.announce(w, buildArgv(ws), ws.RunCommand(binDir))
	for _, s := range skipped {
		fmt.Fprintf(w, "warning: %s\n", s)
	}
	var baseID string
	if ws.Runtime != Dockerfile {
		img, ok := d.opts.Images[ws.Runtime]
		if !ok {
			return "", &WorkspaceError{Dir: ws.Dir, Msg: fmt.Sprintf("no image configured for runtime %s", ws.Runtime)}
		}
		if baseID, err = d.ensureImage(ctx, ws.Runtime, img, w); err != nil {
			return "", err
		}
	}
	h := sha256.New()
	h.Write(data)
	fmt.Fprintf(h, "\x00%s\x00%s\x00%q\x00%q\x00%s", baseID, ws.Runtime, buildArgv(ws), ws.RunCommand(binDir), recipeVersion)
	fmt.Fprintf(h, "\x00%s", ws.Entry)
	hash := hex.EncodeToString(h.Sum(nil))
	tag := "coach-ws:" + hash[:16]
	if _, err := d.cli.ImageInspect(ctx, tag); err == nil {
		fmt.Fprintf(w, "workspace unchanged: reusing %s\n", tag)
		return tag, nil
	}
	wsLabel := hashString(ws.Dir)
	fmt.Fprintf(w, "building your %s code\n", ws.Runtime)

	bctx := ctx
	if spec.BuildTimeout > 0 {
		var cancel context.CancelFunc
		bctx, cancel = context.WithTimeout(ctx, spec.BuildTimeout)
		defer cancel()
	}
	if ws.Runtime == Dockerfile {
		err = d.buildDockerfile(bctx, ws, data, tag, wsLabel, w, spec.LogDir)
	} else {
		err = d.buildRecipe(bctx, ws, data, baseID, tag, wsLabel, buildLog{w, spec.LogDir})
	}
	if err != nil {
		if ctx.Err() == nil && bctx.Err() != nil {
			return "", d.buildTimedOut(ws, spec.BuildTimeout, err)
		}
		return "", err
	}
	cctx, cancel := cleanupCtx(ctx)
	defer cancel()
	d.removeOtherImages(cctx, LabelWorkspace+"="+wsLabel, tag)
	return tag, nil
}

func (d *Docker) buildDockerfile(ctx context.Context, ws *Workspace, data []byte, tag, wsLabel string, w io.Writer, logDir string) error {
	args := map[string]*string{}
	for k, v := range map[string]string{"HTTP_PROXY": d.opts.HTTPProxy, "HTTPS_PROXY": d.opts.HTTPSProxy, "NO_PROXY": d.opts.NoProxy} {
		if v != "" {
			args[k] = &v
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
		return d.dockerfileFailure(logDir, bf)
	}
	if err != nil {
		return &EngineError{Op: "build your Dockerfile", Err: err}
	}
	return nil
}

// buildRecipe builds in a container of the runtime image with the network
// on, then commits it as the run image.
func (d *Docker) buildRecipe(ctx context.Context, ws *Workspace, data []byte, baseID, tag, wsLabel string, bl buildLog) error {
	var ca []byte
	if d.opts.CAFile != "" {
		var err error
		if ca, err = os.ReadFile(d.opts.CAFile); err != nil {
			return &EngineError{Op: "read the CA bundle (sandbox.ca_file)", Err: err}
		}
	}
	var mounts []mount.Mount
	for _, c := range cachesFor(ws.Runtime) {
		if _, err := d.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: c.name, Labels: map[string]string{LabelCache: "1"}}); err != nil {
			return &EngineError{Op: "create cache volume " + c.name, Err: err}
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeVolume, Source: c.name, Target: c.target})
	}
	labels := ownerLabels()
	labels[LabelBuild] = newRunID()
	argv := buildArgv(ws)
	created, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:      baseID,
			Cmd:        []string{"sh", "-c", buildScript(argv)},
			WorkingDir: appDir,
			User:       "0:0",
			Labels:     labels,
		},
		HostConfig: &container.HostConfig{
			Mounts:    mounts,
			LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "5m", "max-file": "1"}},
			Resources: container.Resources{PidsLimit: ptr(int64(4096)), Ulimits: d.ulimits(ctx, wideNofile)},
		},
	})
	if err != nil {
		return &EngineError{Op: "create the build container", Err: err}
	}
	defer func() {
		cctx, cancel := cleanupCtx(ctx)
		defer cancel()
		_, _ = d.cli.ContainerRemove(cctx, created.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}()
	files := []struct {
		name string
		data []byte
	}{{"tmp/coach-build/env", d.buildEnvFile(ws.Runtime, ca != nil)}}
	if ca != nil {
		files = append(files, struct {
			name string
			data []byte
		}{"tmp/coach-build/ca.crt", ca})
	}
	var setup bytes.Buffer
	tw := tar.NewWriter(&setup)
	_ = tw.WriteHeader(&tar.Header{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0)})
	_ = tw.WriteHeader(&tar.Header{Name: "tmp/coach-build/", Typeflag: tar.TypeDir, Mode: 0o700, ModTime: time.Unix(0, 0)})
	for _, f := range files {
		_ = tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o600, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)})
		_, _ = tw.Write(f.data)
	}
	_ = tw.Close()
	if _, err := d.cli.CopyToContainer(ctx, created.ID, client.CopyToContainerOptions{DestinationPath: "/", Content: &setup}); err != nil {
		return &EngineError{Op: "copy build settings into the build container", Err: err}
	}
	if _, err := d.cli.CopyToContainer(ctx, created.ID, client.CopyToContainerOptions{DestinationPath: appDir, Content: bytes.NewReader(data)}); err != nil {
		return &EngineError{Op: "copy your workspace into the build container", Err: err}
	}
	if _, err := d.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return &EngineError{Op: "start the build container", Err: err}
	}
	what := "the build"
	if len(argv) > 0 {
		what = "`" + displayCommand(argv) + "`"
	}
	code, out, err := d.followBuild(ctx, created.ID, what, bl.progress)
	log := SaveLog(bl.dir, BuildLogName, out)
	if err != nil {
		return &buildCut{out: string(out), log: log, err: err}
	}
	if code != 0 {
		return d.classifyBuild(ws, what, code, string(out), log)
	}
	if _, err := d.cli.ContainerCommit(ctx, created.ID, client.ContainerCommitOptions{
		Reference: tag,
		Comment:   "coach workspace build",
		Changes:   commitChanges(ws, d.opts.User, wsLabel),
		Config:    &container.Config{}, // Podman fails on a request without a body ("Decode(): EOF")
	}); err != nil {
		return &EngineError{Op: "save the built image", Err: err}
	}
	return nil
}

// commitChanges turn the build container into the run image, as
// Dockerfile instructions rather than a Config: Podman's commit applies only
// these (it decodes the request's config and ignores it); Docker applies
// them on top of the container's config, as it would a Config.
func commitChanges(ws *Workspace, user, wsLabel string) []string {
	cmd, _ := json.Marshal(ws.RunCommand(binDir))
	c := []string{"CMD " + string(cmd), "WORKDIR " + appDir, "USER " + user, "LABEL " + LabelWorkspace + "=" + wsLabel}
	for _, e := range runEnv(ws) {
		c = append(c, "ENV "+e)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

// waitExit waits for a container to stop and returns its exit code.
func (d *Docker) waitExit(ctx context.Context, id string) (int, error) {
	res := d.cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case r := <-res.Result:
		return int(r.StatusCode), nil
	case err := <-res.Error:
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, &EngineError{Op: "wait for container", Err: err}
	}
}

// containerOutput returns the last n lines of a container's combined output.
func (d *Docker) containerOutput(ctx context.Context, id string, n int) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rc, err := d.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "400"})
	if err != nil {
		return ""
	}
	defer rc.Close()
	out := NewOutput(256 << 10)
	_, _ = stdcopy.StdCopy(out, out, rc)
	return out.Tail(n)
}
