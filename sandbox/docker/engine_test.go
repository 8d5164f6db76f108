package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/coachcli/coach/sandbox"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeDockerConfig makes a docker config directory with the given
// contexts (name → host) and current context, laid out as the docker CLI
// lays it out (contexts/meta/<sha256 of the name>/meta.json).
func writeDockerConfig(t *testing.T, current string, contexts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, host := range contexts {
		sum := sha256.Sum256([]byte(name))
		metaDir := filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]))
		require.NoError(t, os.MkdirAll(metaDir, 0o755))
		b, err := json.Marshal(map[string]any{"Name": name, "Metadata": map[string]any{},
			"Endpoints": map[string]any{"docker": map[string]any{"Host": host}}})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(metaDir, "meta.json"), b, 0o644))
	}
	if current != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"currentContext":"`+current+`"}`), 0o644))
	}
	return dir
}

func TestResolveEndpoint(t *testing.T) {
	colima := "unix:///Users/ada/.colima/default/docker.sock"
	orb := "unix:///Users/ada/.orbstack/run/docker.sock"
	cfg := writeDockerConfig(t, "colima", map[string]string{"colima": colima, "orbstack": orb})
	empty := t.TempDir()
	tests := []struct {
		name    string
		env     map[string]string
		host    string
		context string
		source  string
		err     string
	}{
		{name: "nothing set: the platform's default socket", env: map[string]string{"DOCKER_CONFIG": empty},
			host: client.DefaultDockerHost, context: "default", source: "default"},
		{name: "the config's current context", env: map[string]string{"DOCKER_CONFIG": cfg},
			host: colima, context: "colima", source: "the current context in " + filepath.Join(cfg, "config.json")},
		{name: "DOCKER_CONTEXT over the config", env: map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_CONTEXT": "orbstack"},
			host: orb, context: "orbstack", source: "DOCKER_CONTEXT"},
		{name: "DOCKER_HOST over everything", env: map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_CONTEXT": "orbstack", "DOCKER_HOST": "tcp://127.0.0.1:2375"},
			host: "tcp://127.0.0.1:2375", context: "default", source: "DOCKER_HOST"},
		{name: "ssh DOCKER_HOST goes through the ssh helper", env: map[string]string{"DOCKER_HOST": "ssh://ada@build-box"},
			host: "ssh://ada@build-box", context: "default", source: "DOCKER_HOST"},
		{name: "DOCKER_CONTEXT=default is the default socket", env: map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_CONTEXT": "default"},
			host: client.DefaultDockerHost, context: "default", source: "default"},
		{name: "an unknown context says how to list them", env: map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_CONTEXT": "podman-machine"},
			err: `use docker context "podman-machine" (from DOCKER_CONTEXT): no such context`},
		{name: "a current context that is gone", env: map[string]string{"DOCKER_CONFIG": writeDockerConfig(t, "rancher-desktop", nil)},
			err: `use docker context "rancher-desktop" (from the current context in`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, err := ResolveEndpoint(func(k string) string { return tt.env[k] })
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				var ee *sandbox.EngineError
				require.ErrorAs(t, err, &ee, "an engine problem is exit 4, not the learner's")
				assert.Contains(t, ee.Advice, "docker context ls")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.host, ep.Host)
			assert.Equal(t, tt.context, ep.Context)
			assert.Equal(t, tt.source, ep.Source)
			_, err = ep.client() // options are valid (nothing is dialled)
			require.NoError(t, err)
		})
	}
}

func TestDockerAdviceFollowsEndpoint(t *testing.T) {
	assert.Contains(t, dockerAdvice(Endpoint{Host: "tcp://127.0.0.1:2375", Source: "DOCKER_HOST"}), "DOCKER_HOST is set to tcp://127.0.0.1:2375")
	a := dockerAdvice(Endpoint{Host: "unix:///x.sock", Context: "colima", Source: "DOCKER_CONTEXT"})
	assert.Contains(t, a, `docker context "colima"`)
	assert.Contains(t, a, "docker context use NAME")
	assert.Contains(t, dockerAdvice(Endpoint{Host: client.DefaultDockerHost, Source: "default"}), "--sandbox process")
}

func TestRelayFor(t *testing.T) {
	_, err := relayFor("windows", "x86_64")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Linux containers")
	var ee *sandbox.EngineError
	require.ErrorAs(t, err, &ee)

	_, err = relayFor("linux", "s390x")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"s390x"`)

	for _, arch := range []string{"x86_64", "aarch64", "arm64", "amd64"} {
		assert.NotEmpty(t, goArch(arch), arch)
	}
}
