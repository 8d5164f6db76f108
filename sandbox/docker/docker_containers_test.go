package docker

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coachcli/coach/sandbox/workspace"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/stretchr/testify/assert"

	"github.com/coachcli/coach/internal/golden"
)

// TestPodContainerSecurity pins the security settings of every container
// of a pod in golden files (testdata/containers/*.txt): a change to what a
// learner's server may do shows in review as a diff. Rewrite them with
// go test -run TestPodContainerSecurity -update ./sandbox/.
func TestPodContainerSecurity(t *testing.T) {
	t.Parallel()
	docker := podEngine{nanoCPUs: DefaultNanoCPUs}
	podman := podEngine{runtime: "runsc", podman: true, nanoCPUs: DefaultNanoCPUs}
	labels := map[string]string{LabelRun: "run1"}
	server := serverSpec{
		image: "coach-ws:abc", user: DefaultUser, relayID: "relay1", volume: "coach-data-run1", port: 8080,
		env: map[string]string{"DATABASE_URL": "postgres://coach:coach@127.0.0.1:5432/app", "GREETING": "hi"}, labels: labels,
	}
	writable := DefaultOptions()
	writable.ReadOnly = false
	writable.Memory, writable.NanoCPUs, writable.PidsLimit = 1<<30, 2e9, 512

	type pair struct {
		cfg  *container.Config
		host *container.HostConfig
	}
	two := func(c *container.Config, h *container.HostConfig) pair { return pair{c, h} }
	tests := []struct {
		name string
		got  pair
	}{
		{"relay", two(relayContainer(docker, "coach-relay:abc", 8080, labels))},
		{"relay-podman", two(relayContainer(podman, "coach-relay:abc", 8080, labels))},
		{"init-data", two(initDataContainer(docker, "coach-relay:abc", "coach-data-run1", labels))},
		{"server", two(serverContainer(docker, DefaultOptions(), server))},
		{"server-podman-runsc", two(serverContainer(podman, DefaultOptions(), server))},
		{"server-writable-limits", two(serverContainer(docker, writable, server))},
	}
	for _, name := range workspace.ServiceNames() {
		tests = append(tests, struct {
			name string
			got  pair
		}{"service-" + name, two(serviceContainerConfig(docker, workspace.Service{Name: name}, "relay1", "coach-"+name+"-run1", labels))})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, h := tt.got.cfg, tt.got.host
			// What no container of a pod may ever have, whatever the golden
			// file says.
			assert.Equal(t, []string{"ALL"}, h.CapDrop, "every capability dropped")
			assert.Empty(t, h.CapAdd)
			assert.False(t, h.Privileged)
			assert.Contains(t, h.SecurityOpt, "no-new-privileges:true")
			assert.NotEmpty(t, c.User, "an explicit user")
			assert.True(t, h.NetworkMode == "none" || h.NetworkMode == "container:relay1",
				"no network but the pod's loopback: %s", h.NetworkMode)
			assert.Empty(t, h.PortBindings, "no port published on the host")
			assert.Empty(t, h.Binds, "no host directory mounted")
			golden.Assert(t, filepath.Join("testdata", "containers", tt.name+".txt"), []byte(securityText(c, h)))
		})
	}
}

// TestBuildContainerSettings pins the build container's settings: it is
// root with the network on by design (not a pod container, so the pod's
// invariants do not apply), and a change to that shows as a diff.
func TestBuildContainerSettings(t *testing.T) {
	t.Parallel()
	mounts := []mount.Mount{{Type: mount.TypeVolume, Source: "coach-cache-npm", Target: "/root/.npm"}}
	for _, tt := range []struct {
		name string
		e    podEngine
	}{{"build", podEngine{nanoCPUs: DefaultNanoCPUs}}, {"build-podman", podEngine{runtime: "runsc", podman: true}}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, h := buildContainer(tt.e, "node:22-bookworm-slim", "npm install", mounts, map[string]string{LabelBuild: "b1"})
			assert.Empty(t, h.Runtime, "a build runs on the engine's default runtime")
			assert.False(t, h.Privileged)
			assert.Empty(t, h.CapAdd)
			golden.Assert(t, filepath.Join("testdata", "containers", tt.name+".txt"), []byte(securityText(c, h)))
		})
	}
}

// TestSourcesContainerSettings pins the container a workspace's sources
// are committed from when nothing needs building: never started, so no
// command, and no network.
func TestSourcesContainerSettings(t *testing.T) {
	t.Parallel()
	c, h := sourcesContainer("coach-deps:abc", map[string]string{LabelBuild: "b1"})
	assert.Empty(t, c.Cmd, "never started: nothing to run")
	assert.Equal(t, container.NetworkMode("none"), h.NetworkMode)
	assert.Empty(t, h.Mounts, "no cache or host directory")
	golden.Assert(t, filepath.Join("testdata", "containers", "sources.txt"), []byte(securityText(c, h)))
}

// securityText is the security settings of a container, one per line.
func securityText(c *container.Config, h *container.HostConfig) string {
	var b strings.Builder
	line := func(k string, v any) {
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(&b, "%-14s %v\n", k, v)
	}
	r := h.Resources
	line("image", c.Image)
	line("user", c.User)
	line("env", strings.Join(c.Env, " "))
	line("labels", joinMap(c.Labels, ","))
	network := string(h.NetworkMode)
	if network == "" {
		network = "default (the engine's bridge: network on)"
	}
	line("network", network)
	line("privileged", h.Privileged)
	line("cap-drop", strings.Join(h.CapDrop, ","))
	line("cap-add", strings.Join(h.CapAdd, ","))
	line("security-opt", strings.Join(h.SecurityOpt, ","))
	line("read-only", h.ReadonlyRootfs)
	line("tmpfs", joinMap(h.Tmpfs, " "))
	mounts := make([]string, 0, len(h.Mounts))
	for _, m := range h.Mounts {
		mounts = append(mounts, fmt.Sprintf("%s:%s->%s ro=%v", m.Type, m.Source, m.Target, m.ReadOnly))
	}
	line("mounts", strings.Join(mounts, " "))
	line("binds", strings.Join(h.Binds, " "))
	line("ports", len(h.PortBindings))
	line("init", h.Init != nil && *h.Init)
	line("runtime", h.Runtime)
	line("log", strings.TrimSpace(h.LogConfig.Type+" "+joinMap(h.LogConfig.Config, ",")))
	line("memory", r.Memory)
	line("memory-swap", r.MemorySwap)
	line("nano-cpus", r.NanoCPUs)
	pids := "unlimited"
	if r.PidsLimit != nil {
		pids = fmt.Sprint(*r.PidsLimit)
	}
	line("pids", pids)
	ul := make([]string, 0, len(r.Ulimits))
	for _, u := range r.Ulimits {
		ul = append(ul, fmt.Sprintf("%s=%d:%d", u.Name, u.Soft, u.Hard))
	}
	line("ulimits", strings.Join(ul, " "))
	line("stdin", fmt.Sprintf("open=%v once=%v attach=%v", c.OpenStdin, c.StdinOnce, c.AttachStdin))
	return b.String()
}

func joinMap(m map[string]string, sep string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, sep)
}
