package docker

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type pgValues struct {
	Database string   `json:"database"`
	Values   []string `json:"values"`
}

func pgGet(t *testing.T, inst sandbox.Instance) pgValues {
	t.Helper()
	code, body := httpGet(t, inst, "/pg/get")
	require.Equal(t, 200, code, body)
	var v pgValues
	require.NoError(t, json.Unmarshal([]byte(body), &v), body)
	return v
}

// TestDockerServices runs the three services in one pod with a Go server
// (pgx for Postgres, the wire protocols of Redis and MariaDB): all are
// reachable on loopback, Postgres data survives a server restart and is
// gone with the run, and the server still reaches nothing outside the pod.
func TestDockerServices(t *testing.T) {
	d, cli := newTestDocker(t, nil)
	target, accepted := bridgeListener(t, cli)
	spec := testSpec(t, "go-services")
	spec.Env = map[string]string{"TARGET": target}
	inst, err := d.Start(t.Context(), spec)
	require.NoError(t, err)
	di := inst.(*Instance)
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = di.Close(context.Background())
		}
	})

	code, body := httpGet(t, di, "/pg/put?v=before-restart")
	require.Equal(t, 200, code, body)
	assert.Equal(t, pgValues{"todos", []string{"before-restart"}}, pgGet(t, di), "the declared database is used")

	code, body = httpGet(t, di, "/redis")
	assert.Equal(t, 200, code)
	assert.Equal(t, "+PONG", body)
	code, body = httpGet(t, di, "/mariadb")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "MariaDB")

	code, body = httpGet(t, di, "/isolation")
	require.Equal(t, 200, code)
	var seen struct {
		Interfaces []string `json:"interfaces"`
		Connect    string   `json:"connect"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &seen))
	assert.Equal(t, []string{"lo"}, seen.Interfaces, "services add no interface to the pod")
	assert.True(t, strings.HasPrefix(seen.Connect, "failed"), seen.Connect)
	select {
	case from := <-accepted:
		t.Fatalf("the sandboxed server reached the host listener from %s", from)
	default:
	}

	services := di.serviceIDs()
	require.Len(t, services, 3)
	require.NoError(t, di.Restart(t.Context()))
	assert.Equal(t, []string{"before-restart"}, pgGet(t, di).Values, "the data survives a server restart")
	for _, id := range services {
		ins, err := cli.ContainerInspect(t.Context(), id, client.ContainerInspectOptions{})
		require.NoError(t, err)
		assert.Zero(t, ins.Container.RestartCount)
		assert.True(t, ins.Container.State.Running, "a restart restarts the server only")
		hc := ins.Container.HostConfig
		assert.Equal(t, []string{"ALL"}, hc.CapDrop)
		assert.Empty(t, hc.CapAdd)
		assert.True(t, hc.ReadonlyRootfs)
		assert.Contains(t, hc.SecurityOpt, "no-new-privileges:true")
		assert.Equal(t, "container:"+di.relayID, string(hc.NetworkMode))
		assert.NotZero(t, hc.Memory)
		assert.NotNil(t, hc.PidsLimit)
	}

	volumes := di.serviceVolumes()
	require.Len(t, volumes, 3)
	closed = true
	require.NoError(t, di.Close(context.Background()))
	for _, v := range volumes {
		_, err := cli.VolumeInspect(context.Background(), v, client.VolumeInspectOptions{})
		assert.True(t, cerrdefs.IsNotFound(err), "volume %s is gone with the run: %v", v, err)
	}
}

// TestDockerServicesPerInstance starts two instances of one workspace at
// once (as `coach grade --jobs 2` does): each has its own database.
func TestDockerServicesPerInstance(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	spec := testSpec(t, "go-services")
	spec.Workspace.Services = workspace.Services{{Name: "postgres"}}
	insts := make([]*Instance, 2)
	var wg sync.WaitGroup
	for i := range insts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst, err := d.Start(t.Context(), spec)
			if assert.NoError(t, err) {
				insts[i] = inst.(*Instance)
				t.Cleanup(func() { assert.NoError(t, insts[i].Close(context.Background())) })
			}
		}()
	}
	wg.Wait()
	require.NotNil(t, insts[0])
	require.NotNil(t, insts[1])
	code, body := httpGet(t, insts[0], "/pg/put?v=only-in-the-first")
	require.Equal(t, 200, code, body)
	assert.Equal(t, pgValues{"app", []string{"only-in-the-first"}}, pgGet(t, insts[0]))
	assert.Equal(t, pgValues{"app", nil}, pgGet(t, insts[1]))
}

// TestDockerServiceFails: a service that cannot start is an engine error
// naming it, with its last lines.
func TestDockerServiceFails(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	spec := testSpec(t, "go-hello")
	// The image's entrypoint refuses to start without a password: the
	// readiness wait sees the container exit.
	spec.Workspace.Services = workspace.Services{{Name: "postgres"}}
	env := serviceEnv
	serviceEnv = func(workspace.Service) []string { return nil }
	defer func() { serviceEnv = env }()
	_, err := d.Start(t.Context(), spec)
	var ee *sandbox.EngineError
	require.ErrorAs(t, err, &ee)
	assert.Contains(t, ee.Error(), "start the postgres service")
	assert.Contains(t, ee.Error(), "exited with code 1")
	assert.Contains(t, ee.Error(), "POSTGRES_PASSWORD is not set")
}

// BenchmarkDockerServiceStart reports what each service adds to a warm
// start of a pod (go-hello, image built): compare with
// BenchmarkDockerStartWarm.
func BenchmarkDockerServiceStart(b *testing.B) {
	for _, name := range append([]string{"none"}, workspace.ServiceNames()...) {
		b.Run(name, func(b *testing.B) {
			d, _ := newTestDocker(b, nil)
			spec := testSpec(b, "go-hello")
			spec.Progress = testWriter{b}
			if name != "none" {
				spec.Workspace.Services = workspace.Services{{Name: name}}
			}
			for b.Loop() {
				began := time.Now()
				inst, err := d.Start(b.Context(), spec)
				require.NoError(b, err)
				b.ReportMetric(float64(time.Since(began).Milliseconds()), "ms/start")
				b.StopTimer()
				require.NoError(b, inst.Close(context.Background()))
				b.StartTimer()
			}
		})
	}
}

// TestDockerServiceWrongPort: a database in the pod listens on the same
// loopback as the server, and is never taken for the server on a wrong
// port: a server on another port is told its own port, one that never
// listens is told it never did.
func TestDockerServiceWrongPort(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	for _, tt := range []struct {
		name, server, want string
	}{
		{"a server on another port", `require("http").createServer((q, s) => s.end("hi")).listen(3000)`,
			"it is listening on port 3000 instead"},
		{"a server that never listens", `setInterval(() => {}, 1000)`, "(its $PORT) within 6s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeWorkspace(t, map[string]string{
				"package.json": `{"name": "svc-wrongport", "version": "1.0.0", "main": "server.js"}`,
				"server.js":    tt.server + "\n", "coach.yaml": "services: [redis]\n",
			})
			ws, err := workspace.Detect(dir)
			require.NoError(t, err)
			t.Cleanup(func() { removeWorkspaceImages(t, d, dir) })
			spec := sandbox.Spec{Workspace: ws, Port: sandbox.DefaultPort, BuildTimeout: 5 * time.Minute,
				StartTimeout: 6 * time.Second, OutputCap: sandbox.DefaultOutputCap}
			_, err = d.Start(t.Context(), spec)
			var se *sandbox.StartError
			require.ErrorAs(t, err, &se)
			t.Log(se.Error())
			assert.Contains(t, se.Reason, tt.want)
			assert.NotContains(t, se.Reason, "6379", "Redis's port is not the server's")
			assert.NotContains(t, se.Reason, "coach check --port")
		})
	}
}
