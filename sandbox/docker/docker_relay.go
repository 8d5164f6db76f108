package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/coachcli/coach/sandbox/relay"
	"github.com/coachcli/coach/sandbox/relays"
)

// goArch maps an engine's Info.Architecture (uname -m spelling on Docker,
// GOARCH spelling on Podman) to GOARCH; "" when coach has no relay for it.
func goArch(engineArch string) string {
	switch strings.ToLower(engineArch) {
	case "x86_64", "amd64", "x86-64":
		return "amd64"
	case "aarch64", "arm64", "arm64v8":
		return "arm64"
	}
	return ""
}

// relaySource is where a relay binary came from, for `coach doctor`.
type relaySource struct {
	Arch string
	From string // "embedded" or the path of coach's own executable
	Data []byte
}

// relayFor picks the relay binary for an engine running osType containers
// on arch: the one embedded at build time, else coach's own executable
// when it is a static Linux binary of that architecture.
func relayFor(osType, arch string) (relaySource, error) {
	if osType != "" && osType != "linux" {
		return relaySource{}, &sandbox.EngineError{Op: "use this container engine",
			Err: fmt.Errorf("it runs %s containers, and coach's sandbox needs Linux containers", osType),
			Advice: "in Docker Desktop, choose \"Switch to Linux containers...\" from its menu, " +
				"or point coach at a Linux engine (docker context use, DOCKER_HOST)"}
	}
	ga := goArch(arch)
	if ga == "" {
		return relaySource{}, &sandbox.EngineError{Op: "start the sandbox relay",
			Err:    fmt.Errorf("the engine runs on %q, and coach has relays for linux/%s only", arch, strings.Join(relays.Supported, ", linux/")),
			Advice: "use an engine on amd64 or arm64, or --sandbox process (not isolated)"}
	}
	if b, ok := relays.Binary(ga); ok {
		return relaySource{Arch: ga, From: "embedded", Data: b}, nil
	}
	if runtime.GOOS == "linux" && runtime.GOARCH == ga {
		exe, data, err := selfRelay()
		if err == nil {
			return relaySource{Arch: ga, From: exe, Data: data}, nil
		}
		return relaySource{}, err
	}
	return relaySource{}, &sandbox.EngineError{Op: "start the sandbox relay",
		Err: fmt.Errorf("this coach (%s/%s) was built without the relay for linux/%s engines", runtime.GOOS, runtime.GOARCH, ga),
		Advice: "install a release of coach, or build it with `make build` (it runs `make relays` first); " +
			"or use --sandbox process (not isolated)"}
}

// selfRelay returns coach's own executable if it can serve as the relay: a
// static Linux binary, since the relay image is FROM scratch.
func selfRelay() (string, []byte, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, &sandbox.EngineError{Op: "find coach's executable", Err: err}
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return "", nil, &sandbox.EngineError{Op: "find coach's executable", Err: err}
	}
	advice := "this coach has no embedded relay, and its own executable can serve as one only when it is " +
		"static: build coach with `make build` (it embeds the relays), or with CGO_ENABLED=0; or use --sandbox process"
	f, err := elf.Open(exe)
	if err != nil {
		return "", nil, &sandbox.EngineError{Op: "use " + exe + " as the sandbox relay", Err: fmt.Errorf("not a Linux executable: %w", err), Advice: advice}
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			return "", nil, &sandbox.EngineError{Op: "use " + exe + " as the sandbox relay",
				Err: errors.New("it is dynamically linked"), Advice: advice}
		}
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		return "", nil, &sandbox.EngineError{Op: "read coach's executable", Err: err}
	}
	return exe, data, nil
}

// relayArch is the architecture of relay the engine gets (tests may ask
// for another one, run under emulation).
func (d *Backend) relayArch() string {
	if d.opts.RelayArch != "" {
		return d.opts.RelayArch
	}
	return d.info.Architecture
}

// relayPlatform is the platform to ask for when the relay is not of the
// engine's own architecture (emulated); nil otherwise.
func (d *Backend) relayPlatform() *ocispec.Platform {
	if a := goArch(d.relayArch()); a != goArch(d.info.Architecture) {
		return &ocispec.Platform{OS: "linux", Architecture: a}
	}
	return nil
}

// relayTagFor names the relay image of a binary: one per relay build.
func relayTagFor(data []byte) string {
	sum := sha256.Sum256(data)
	return "coach-relay:" + hex.EncodeToString(sum[:])[:16]
}

const relayDockerfile = `FROM scratch
COPY relay /relay
ENV COACH_RELAY=1
USER 65534:65534
ENTRYPOINT ["/relay"]
`

// relayImage returns the tag of the relay image for the engine's
// architecture, building it on first use.
func (d *Backend) relayImage(ctx context.Context, w io.Writer) (string, error) {
	d.relayMu.Lock()
	defer d.relayMu.Unlock()
	if d.relayTag != "" {
		return d.relayTag, nil
	}
	src, err := relayFor(d.info.OSType, d.relayArch())
	if err != nil {
		return "", err
	}
	tag := relayTagFor(src.Data)
	if _, err := d.cli.ImageInspect(ctx, tag); err == nil {
		d.relayTag = tag
		return tag, nil
	}
	fmt.Fprintln(w, "preparing the sandbox relay image (once per coach version)")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
		mode int64
	}{{"Dockerfile", []byte(relayDockerfile), 0o644}, {"relay", src.Data, 0o755}} {
		_ = tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)})
		_, _ = tw.Write(f.data)
	}
	if err := tw.Close(); err != nil {
		return "", fmt.Errorf("write relay context: %w", err)
	}
	o := client.ImageBuildOptions{Tags: []string{tag}, Labels: map[string]string{LabelRelay: "1"}}
	if src.Arch != goArch(d.info.Architecture) {
		// Emulated (binfmt): label the image for what it is.
		o.Platforms = []ocispec.Platform{{OS: "linux", Architecture: src.Arch}}
	}
	if _, err := d.imageBuild(ctx, &buf, o, io.Discard); err != nil {
		return "", &sandbox.EngineError{Op: "build the sandbox relay image", Err: err}
	}
	d.relayTag = tag
	// Relay images of earlier coach builds are only clutter, but another
	// coach (another version, a test binary) may be using its own right now.
	d.removeOldRelays(ctx, tag)
	return tag, nil
}

// forgetRelay makes the next relayImage call check the image again, after
// it disappeared (`coach clean --all` in another terminal).
func (d *Backend) forgetRelay() {
	d.relayMu.Lock()
	d.relayTag = ""
	d.relayMu.Unlock()
}

func (d *Backend) removeOldRelays(ctx context.Context, keep string) {
	is, err := d.cli.ImageList(ctx, client.ImageListOptions{Filters: labelFilter(LabelRelay)})
	if err != nil {
		return
	}
	for _, im := range is.Items {
		if slices.Contains(im.RepoTags, keep) || time.Since(time.Unix(im.Created, 0)) < time.Hour {
			continue
		}
		_, _ = d.cli.ImageRemove(ctx, im.ID, client.ImageRemoveOptions{PruneChildren: true})
	}
}

// relayLink is coach's connection to a pod's relay: the relay container's
// stdin and stdout, attached through the engine's API, carrying a relay
// session. It needs nothing but the API connection, wherever the engine is.
type relayLink struct {
	*relay.Client
	hijack client.HijackedResponse
	stderr *sandbox.Output // what the relay itself said, for diagnostics
}

// attachedConn joins the two halves of an attach: writes go to the
// container's stdin; reads come from its stdout, demultiplexed from the
// engine's framing (the container has no TTY).
type attachedConn struct {
	io.Reader
	w     io.Writer
	close func()
}

func (c *attachedConn) Write(p []byte) (int, error) { return c.w.Write(p) }
func (c *attachedConn) Close() error                { c.close(); return nil }

// attachRelay attaches to the relay container (before it starts, so no
// byte is lost) and starts the session over it.
func (d *Backend) attachRelay(ctx context.Context, id string) (*relayLink, error) {
	type result struct {
		res client.ContainerAttachResult
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// The attached connection must outlive ctx's deadline; only its
		// dial is bounded by ctx, which Ctrl-C still ends below.
		res, err := d.cli.ContainerAttach(context.WithoutCancel(ctx), id, client.ContainerAttachOptions{
			Stream: true, Stdin: true, Stdout: true, Stderr: true,
		})
		ch <- result{res, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.err == nil {
				r.res.Close()
			}
		}()
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, &sandbox.EngineError{Op: "attach to the relay container", Err: r.err}
	}
	stderr := sandbox.NewOutput(16 << 10)
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, stderr, r.res.Reader)
		if err == nil {
			err = io.EOF
		}
		pw.CloseWithError(err)
	}()
	conn := &attachedConn{Reader: pr, w: r.res.Conn, close: func() {
		r.res.Close()
		pr.Close()
	}}
	c, err := relay.NewClient(conn)
	if err != nil {
		conn.Close()
		return nil, &sandbox.EngineError{Op: "attach to the relay container", Err: err}
	}
	return &relayLink{Client: c, hijack: r.res.HijackedResponse, stderr: stderr}, nil
}

// Close ends the session and the attached connection; the relay, its
// stdin closed, exits.
func (l *relayLink) Close() error {
	err := l.Client.Close()
	l.hijack.Close()
	return err
}
