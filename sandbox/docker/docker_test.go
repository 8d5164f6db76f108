package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/sandbox/dockertest"
	"github.com/coachcli/coach/sandbox/workspace"
)

// testWriter sends progress lines to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func newTestDocker(t testing.TB, edit func(*Options)) (*Backend, *client.Client) {
	t.Helper()
	cli := dockertest.Require(t)
	o := DefaultOptions()
	o.Progress = testWriter{t}
	if _, err := os.Stat("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		o.CAFile = "/etc/ssl/certs/ca-certificates.crt"
	}
	if edit != nil {
		edit(&o)
	}
	d, err := New(t.Context(), o)
	require.NoError(t, err)
	// Objects of this process must be gone when the test ends: containers,
	// volumes and networks of runs, and build containers (after Close,
	// which waits for the cleanups still running: cleanups run last first).
	t.Cleanup(func() {
		assert.Empty(t, dockertest.Leftovers(t, cli, LabelPID+"="+strconv.Itoa(os.Getpid())), "objects left behind")
	})
	t.Cleanup(func() { d.Close() })
	return d, cli
}

func testWorkspace(t testing.TB, name string) *workspace.Workspace {
	t.Helper()
	ws, err := workspace.Detect(filepath.Join("testdata", name))
	require.NoError(t, err)
	return ws
}

func testSpec(t testing.TB, name string) sandbox.Spec {
	return sandbox.Spec{
		Workspace:    testWorkspace(t, name),
		Port:         sandbox.DefaultPort,
		BuildTimeout: 5 * time.Minute,
		StartTimeout: 20 * time.Second,
		OutputCap:    sandbox.DefaultOutputCap,
	}
}

func httpGet(t testing.TB, inst sandbox.Instance, path string) (int, string) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: inst.DialContext}, Timeout: 10 * time.Second}
	resp, err := hc.Get(inst.BaseURL() + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func start(t *testing.T, d *Backend, spec sandbox.Spec) *Instance {
	t.Helper()
	began := time.Now()
	inst, err := d.Start(t.Context(), spec)
	require.NoError(t, err)
	t.Logf("%s: Start took %s", spec.Workspace.Runtime, time.Since(began).Round(time.Millisecond))
	di := inst.(*Instance)
	t.Cleanup(func() { require.NoError(t, di.Close(context.Background())) })
	return di
}

func TestDockerHello(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	for _, tc := range []struct{ dir, want string }{
		{"node-hello", "hello from node"},
		{"go-hello", "hello from go"},
		{"python-hello", "hello from python"},
		{"dockerfile-hello", "hello from a Dockerfile"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			inst := start(t, d, testSpec(t, tc.dir))
			assert.Equal(t, "docker", inst.Kind())
			assert.Equal(t, "http://localhost:8080", inst.BaseURL())
			code, body := httpGet(t, inst, "/")
			assert.Equal(t, 200, code)
			assert.Contains(t, body, tc.want)
			assert.Eventually(t, func() bool {
				return strings.Contains(string(inst.LogsSince(0)), "listening")
			}, 5*time.Second, 50*time.Millisecond, "server output is followed")
		})
	}
}

// TestDockerWarmStart starts the same workspace twice: the second start
// must reuse the image (no build) and be fast.
func TestDockerWarmStart(t *testing.T) {
	d, cli := newTestDocker(t, nil)
	for _, dir := range []string{"node-hello", "go-hello", "python-hello"} {
		t.Run(dir, func(t *testing.T) {
			spec := testSpec(t, dir)
			var images []string
			for i := range 2 {
				began := time.Now()
				inst, err := d.Start(t.Context(), spec)
				require.NoError(t, err)
				elapsed := time.Since(began)
				code, _ := httpGet(t, inst, "/")
				t.Logf("%s start %d: ready in %s, first response after %s", dir, i+1,
					elapsed.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
				assert.Equal(t, 200, code)
				images = append(images, inst.(*Instance).image)
				require.NoError(t, inst.Close(t.Context()))
			}
			assert.Equal(t, images[0], images[1])
			// Exactly one image per workspace: older ones are removed. The
			// image is found by content, so it may have been built from an
			// identical workspace elsewhere (another checkout): count the
			// images of the workspace it carries the label of.
			ins, err := cli.ImageInspect(t.Context(), images[0])
			require.NoError(t, err)
			require.NotNil(t, ins.Config)
			ws := ins.Config.Labels[LabelWorkspace]
			require.NotEmpty(t, ws, "workspace images carry %s", LabelWorkspace)
			is, err := cli.ImageList(t.Context(), client.ImageListOptions{
				Filters: client.Filters{}.Add("label", LabelWorkspace+"="+ws)})
			require.NoError(t, err)
			assert.Len(t, is.Items, 1)
		})
	}
}

func TestDockerBuildError(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	_, err := d.Start(t.Context(), testSpec(t, "go-broken"))
	var be *workspace.BuildError
	require.ErrorAs(t, err, &be)
	t.Log(be.Error())
	assert.Contains(t, be.Output, "main.go:6")
	assert.Contains(t, be.Output, "undefined: undefinedThing")
	assert.NotContains(t, be.Error(), "goroutine")
}

func TestDockerDockerfileBuildError(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"),
		[]byte("FROM python:3.13-slim-bookworm\nRUN echo about to fail && exit 7\n"), 0o644))
	ws, err := workspace.Detect(dir)
	require.NoError(t, err)
	_, err = d.Start(t.Context(), sandbox.Spec{Workspace: ws})
	var be *workspace.BuildError
	require.ErrorAs(t, err, &be)
	t.Log(be.Error())
	if d.Podman(t.Context()) {
		// Buildah builds for Podman: "building at STEP "RUN ...": while running runtime: exit status 7".
		assert.Contains(t, be.Error(), "exit status 7")
	} else {
		assert.Contains(t, be.Error(), "non-zero code: 7")
	}
	assert.Contains(t, be.Output, "about to fail")
}

func TestDockerCrashAtStart(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	_, err := d.Start(t.Context(), testSpec(t, "node-crash"))
	var se *sandbox.StartError
	require.ErrorAs(t, err, &se)
	t.Log(se.Error())
	assert.Equal(t, 3, se.ExitCode)
	assert.Contains(t, se.Reason, "exited with code 3")
	assert.Contains(t, se.Output, "cannot find config.json")
	assert.Contains(t, se.Output, "starting up")
}

func TestDockerWrongPort(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	spec := testSpec(t, "node-wrongport")
	// Reported as soon as the relay sees it, not after the start timeout.
	spec.StartTimeout = 5 * time.Minute
	_, err := d.Start(t.Context(), spec)
	var se *sandbox.StartError
	require.ErrorAs(t, err, &se)
	t.Log(se.Error())
	assert.Equal(t, -1, se.ExitCode)
	assert.Equal(t, "the server did not accept connections on port 8080 (its $PORT): "+
		"it is listening on port 3000 instead: read the port from the PORT environment variable", se.Reason)
	assert.NotContains(t, se.Reason, "within", "it did not wait for the start timeout")
}

// bridgeListener listens on the bridge gateway (the one address a
// container on the default network could reach on the host) and reports
// the peer of every connection it accepts; it closes when the test ends.
func bridgeListener(t *testing.T, cli *client.Client) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(bridgeGateway(t, cli), "0"))
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan string, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c.RemoteAddr().String()
			c.Close()
		}
	}()
	return ln.Addr().String(), accepted
}

// bridgeGateway is the host's address on the default bridge network.
func bridgeGateway(t *testing.T, cli *client.Client) string {
	n, err := cli.NetworkInspect(t.Context(), "bridge", client.NetworkInspectOptions{})
	require.NoError(t, err)
	for _, c := range n.Network.IPAM.Config {
		if c.Gateway.IsValid() && c.Gateway.Is4() {
			return c.Gateway.String()
		}
		// Engine 20.10 leaves the default bridge's gateway out: it is the
		// subnet's first address (docker0).
		if c.Subnet.IsValid() && c.Subnet.Addr().Is4() {
			return c.Subnet.Masked().Addr().Next().String()
		}
	}
	t.Skip("the bridge network has no IPv4 gateway")
	return ""
}

// keepBridgeUp runs a container on the default network for the test: Podman
// creates the bridge's host interface when the first container joins it and
// removes it with the last one, and a listener needs the address.
func keepBridgeUp(t *testing.T, d *Backend, cli *client.Client) {
	if !d.Podman(t.Context()) {
		return
	}
	labels := runLabels("bridge-" + newRunID())
	res, err := cli.ContainerCreate(t.Context(), client.ContainerCreateOptions{
		Config: &container.Config{Image: d.opts.Images[workspace.Python], Cmd: []string{"sleep", "300"}, Labels: labels},
		HostConfig: &container.HostConfig{
			Resources: container.Resources{Ulimits: d.ulimits(t.Context(), serverNofile)},
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := cli.ContainerRemove(context.Background(), res.ID, client.ContainerRemoveOptions{Force: true})
		assert.NoError(t, err)
	})
	_, err = cli.ContainerStart(t.Context(), res.ID, client.ContainerStartOptions{})
	require.NoError(t, err)
}

func TestDockerIsolation(t *testing.T) {
	d, cli := newTestDocker(t, nil)
	keepBridgeUp(t, d, cli)
	// A listener of our own on the bridge gateway: the one address a
	// container on the default network could reach on the host.
	target, accepted := bridgeListener(t, cli)
	spec := testSpec(t, "python-probe")
	spec.Env = map[string]string{"TARGET": target}
	inst := start(t, d, spec)
	code, body := httpGet(t, inst, "/isolation")
	require.Equal(t, 200, code)
	t.Logf("the server sees: %s", body)
	var seen struct {
		Interfaces []string `json:"interfaces"`
		Connect    string   `json:"connect"`
		DockerSock bool     `json:"docker_sock"`
		UID        int      `json:"uid"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &seen))
	assert.Equal(t, []string{"lo"}, seen.Interfaces)
	assert.True(t, strings.HasPrefix(seen.Connect, "failed"), seen.Connect)
	assert.False(t, seen.DockerSock)
	assert.Equal(t, 10001, seen.UID)
	select {
	case from := <-accepted:
		t.Fatalf("the sandboxed server reached the host listener from %s", from)
	default:
	}
}

func TestDockerRestartKeepsData(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	inst := start(t, d, testSpec(t, "python-probe"))
	_, body := httpGet(t, inst, "/count")
	assert.JSONEq(t, `{"count":1}`, body)
	_, body = httpGet(t, inst, "/count")
	assert.JSONEq(t, `{"count":2}`, body)
	// The mark must come after the first life's output arrived (on Podman
	// it can lag by a few hundred milliseconds after a start).
	require.Eventually(t, func() bool {
		return strings.Count(string(inst.LogsSince(0)), "GET /count") == 2
	}, 5*time.Second, 50*time.Millisecond, "output before the restart is followed")
	mark := inst.LogMark()
	began := time.Now()
	require.NoError(t, inst.Restart(t.Context()))
	t.Logf("restart took %s", time.Since(began).Round(time.Millisecond))
	_, body = httpGet(t, inst, "/count")
	assert.JSONEq(t, `{"count":3}`, body)
	assert.Eventually(t, func() bool {
		return strings.Count(string(inst.LogsSince(mark)), "listening on") == 1
	}, 5*time.Second, 50*time.Millisecond, "output after the restart is followed, once")
	// Later output too (Podman's follow could stop right after a start).
	assert.Eventually(t, func() bool {
		return strings.Count(string(inst.LogsSince(0)), "GET /count") == 3
	}, 5*time.Second, 50*time.Millisecond, "every request is in the output, once")
}

func TestDockerSignal(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	inst := start(t, d, testSpec(t, "python-hello"))
	_, exited, err := inst.WaitExit(t.Context(), 200*time.Millisecond)
	require.NoError(t, err)
	assert.False(t, exited)
	require.NoError(t, inst.Signal(t.Context(), 15))
	code, exited, err := inst.WaitExit(t.Context(), 10*time.Second)
	require.NoError(t, err)
	assert.True(t, exited)
	assert.Equal(t, 143, code, "killed by SIGTERM")
}

func TestDockerIgnoresSIGTERM(t *testing.T) {
	d, cli := newTestDocker(t, nil)
	spec := testSpec(t, "python-probe")
	spec.Env = map[string]string{"IGNORE_TERM": "1"}
	inst, err := d.Start(t.Context(), spec)
	require.NoError(t, err)
	began := time.Now()
	require.NoError(t, inst.Close(t.Context()))
	took := time.Since(began)
	t.Logf("Close took %s", took)
	assert.Less(t, took, 10*time.Second)
	assert.Empty(t, dockertest.Leftovers(t, cli, LabelRun+"="+inst.(*Instance).RunID()))
}

func TestDockerMemoryHog(t *testing.T) {
	d, _ := newTestDocker(t, func(o *Options) { o.Memory = 128 << 20 })
	_, err := d.Start(t.Context(), testSpec(t, "python-memhog"))
	var se *sandbox.StartError
	require.ErrorAs(t, err, &se)
	t.Log(se.Error())
	if !se.OOMKilled && d.Podman(t.Context()) {
		// Podman 4.3 does not report the kill (docs/decisions.md, "Podman"):
		// coach says what it most likely was.
		assert.Equal(t, 137, se.ExitCode)
		assert.Contains(t, se.Reason, "most likely it ran out of memory (limit 128 MiB); Podman does not report out-of-memory kills")
		return
	}
	assert.True(t, se.OOMKilled)
	assert.Contains(t, se.Reason, "ran out of memory (limit 128 MiB)")
}

func TestDockerForkBomb(t *testing.T) {
	d, _ := newTestDocker(t, func(o *Options) { o.PidsLimit = 64 })
	began := time.Now()
	inst, err := d.Start(t.Context(), testSpec(t, "python-forkbomb"))
	if err != nil {
		// Acceptable, as long as the verdict is clear.
		var se *sandbox.StartError
		require.ErrorAs(t, err, &se)
		t.Logf("verdict: %v", se)
		return
	}
	defer func() {
		began := time.Now()
		require.NoError(t, inst.Close(context.Background()))
		t.Logf("Close took %s", time.Since(began))
	}()
	t.Logf("started in %s despite the fork bomb", time.Since(began))
	hc := &http.Client{Transport: &http.Transport{DialContext: inst.DialContext}, Timeout: 10 * time.Second}
	resp, err := hc.Get(inst.BaseURL() + "/")
	if err == nil {
		resp.Body.Close()
		t.Logf("the server still answers: %s", resp.Status)
	} else {
		t.Logf("the server does not answer under the fork bomb: %v", err)
	}
	// The host is fine: we are still here, and the limit held.
	ins, err := d.cli.ContainerInspect(t.Context(), inst.(*Instance).serverID, client.ContainerInspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(64), *ins.Container.HostConfig.PidsLimit)
}

func TestDockerFloodBounded(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	spec := testSpec(t, "python-flood")
	spec.OutputCap = 64 << 10
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	inst := start(t, d, spec)
	time.Sleep(3 * time.Second)
	code, _ := httpGet(t, inst, "/")
	assert.Equal(t, 200, code)
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("server wrote %d bytes; kept %d; heap %d -> %d", inst.LogMark(), len(inst.LogsSince(0)), before.HeapAlloc, after.HeapAlloc)
	assert.Greater(t, inst.LogMark(), int64(10*spec.OutputCap))
	assert.LessOrEqual(t, len(inst.LogsSince(0)), spec.OutputCap)
	assert.True(t, inst.Output().Dropped())
	assert.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(32<<20))
}

func TestDockerExpress(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	spec := testSpec(t, "node-express")
	inst, err := d.Start(t.Context(), spec)
	var be *workspace.BuildError
	if errors.As(err, &be) && regexpNetwork(be.Output) {
		t.Skipf("the npm registry is not reachable from build containers: %v", be)
	}
	require.NoError(t, err)
	defer inst.Close(context.Background())
	code, body := httpGet(t, inst, "/")
	assert.Equal(t, 200, code)
	assert.JSONEq(t, `{"hello":"express"}`, body)
}

func regexpNetwork(out string) bool {
	for _, s := range []string{"ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "network", "certificate"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

func TestDockerClean(t *testing.T) {
	d, cli := newTestDocker(t, nil)
	inst := start(t, d, testSpec(t, "node-hello"))
	runID := inst.RunID()
	mine := strconv.Itoa(os.Getpid())
	rep, err := d.clean(t.Context(), false, func(l map[string]string) bool { return l[LabelPID] == mine })
	require.NoError(t, err)
	t.Logf("clean: %+v", rep)
	assert.Len(t, rep.Containers, 2)
	assert.Len(t, rep.Volumes, 1)
	assert.Empty(t, dockertest.Leftovers(t, cli, LabelRun+"="+runID))
	assert.Empty(t, rep.Images, "built images are a cache: only --all removes them")
	_, err = cli.ImageInspect(t.Context(), inst.image)
	require.NoError(t, err)
	// Closing after a clean is fine.
	require.NoError(t, inst.Close(t.Context()))
}

func TestDockerStaleSweep(t *testing.T) {
	d, cli := newTestDocker(t, nil)
	// A run left by a coach that no longer exists.
	labels := runLabels("deadbeef0000")
	labels[LabelPID] = fmt.Sprint(1 << 30)
	_, err := cli.VolumeCreate(t.Context(), client.VolumeCreateOptions{Name: "coach-data-deadbeef0000", Labels: labels})
	require.NoError(t, err)
	d2 := &Backend{cli: d.cli, opts: d.opts}
	d2.sweep(t.Context())
	assert.Empty(t, dockertest.Leftovers(t, cli, LabelRun+"=deadbeef0000"))
}

func TestDockerDoctor(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	r := d.Doctor(t.Context())
	t.Logf("%+v", r)
	assert.NotEmpty(t, r.EngineVersion)
	assert.NotEmpty(t, r.APIVersion)
	assert.Len(t, r.Images, 3)
	assert.Empty(t, r.Relay, "the test binary is static (CGO_ENABLED=0)")
}

func TestNewDockerUnreachable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	_, err := New(t.Context(), DefaultOptions())
	var ee *sandbox.EngineError
	require.ErrorAs(t, err, &ee)
	assert.Contains(t, ee.Advice, "--sandbox process")
	assert.Contains(t, ee.Advice, "DOCKER_HOST")
}

func TestDockerMissingImage(t *testing.T) {
	d, _ := newTestDocker(t, func(o *Options) {
		o.Images = map[workspace.Runtime]string{workspace.Node: "coach-test/no-such-image:1"}
	})
	_, err := d.Start(t.Context(), testSpec(t, "node-hello"))
	var ee *sandbox.EngineError
	require.ErrorAs(t, err, &ee)
	t.Log(ee.Error())
	assert.Contains(t, ee.Advice, "docker pull coach-test/no-such-image:1")
	assert.Contains(t, ee.Advice, "sandbox.images.node")
}

// TestDockerCancelledStart is Ctrl-C while coach waits for the server: Start
// returns promptly and leaves nothing behind (checked by newTestDocker).
func TestDockerCancelledStart(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	spec := testSpec(t, "node-silent") // never listens: no verdict can come before the cancel
	spec.StartTimeout = time.Minute
	time.AfterFunc(2*time.Second, cancel)
	began := time.Now()
	_, err := d.Start(ctx, spec)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(began), 10*time.Second)
}

func TestDockerCloseWithCancelledContext(t *testing.T) {
	d, cli := newTestDocker(t, nil)
	inst, err := d.Start(t.Context(), testSpec(t, "node-hello"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.NoError(t, inst.Close(ctx))
	require.NoError(t, inst.Close(ctx), "Close twice is fine")
	assert.Empty(t, dockertest.Leftovers(t, cli, LabelRun+"="+inst.(*Instance).RunID()))
	_, err = inst.DialContext(t.Context(), "tcp", "")
	assert.Error(t, err, "a closed instance's relay session is gone")
}

// TestDockerRestartAfterExit restarts a server that was stopped by a signal,
// as a graceful-shutdown exercise does.
func TestDockerRestartAfterExit(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	inst := start(t, d, testSpec(t, "go-hello"))
	require.NoError(t, inst.Signal(t.Context(), 15))
	_, exited, err := inst.WaitExit(t.Context(), 10*time.Second)
	require.NoError(t, err)
	require.True(t, exited)
	require.NoError(t, inst.Restart(t.Context()))
	code, body := httpGet(t, inst, "/")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "hello from go")
}

func BenchmarkDockerStartWarm(b *testing.B) {
	d, _ := newTestDocker(b, func(o *Options) { o.Progress = io.Discard })
	spec := testSpec(b, "go-hello")
	spec.Progress = io.Discard
	inst, err := d.Start(b.Context(), spec) // build once
	require.NoError(b, err)
	require.NoError(b, inst.Close(b.Context()))
	b.ResetTimer()
	for b.Loop() {
		inst, err := d.Start(b.Context(), spec)
		require.NoError(b, err)
		code, _ := httpGet(b, inst, "/")
		require.Equal(b, 200, code)
		b.StopTimer()
		require.NoError(b, inst.Close(b.Context()))
		b.StartTimer()
	}
}

func TestDockerRecipes(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	t.Run("python requirements", func(t *testing.T) {
		spec := testSpec(t, "python-reqs")
		require.True(t, spec.Workspace.Deps)
		inst := start(t, d, spec)
		_, body := httpGet(t, inst, "/")
		assert.Contains(t, body, "hello from python")
	})
	t.Run("custom build and run from coach.yaml", func(t *testing.T) {
		inst := start(t, d, testSpec(t, "go-custom"))
		_, body := httpGet(t, inst, "/")
		assert.Contains(t, body, "hello from go")
	})
}

func TestDockerfileWithoutCmd(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("# "+dir+"\nFROM scratch\nENV X=1\n"), 0o644))
	ws, err := workspace.Detect(dir)
	require.NoError(t, err)
	t.Cleanup(func() { removeWorkspaceImages(t, d, dir) })
	_, err = d.Start(t.Context(), sandbox.Spec{Workspace: ws})
	var se *sandbox.StartError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Reason, "add a CMD")
}

// removeWorkspaceImages removes the images built for a temporary workspace
// (those of testdata workspaces stay, as a cache).
func removeWorkspaceImages(t testing.TB, d *Backend, dir string) {
	d.removeOtherImages(context.Background(), LabelWorkspace+"="+hashString(dir), "")
}
