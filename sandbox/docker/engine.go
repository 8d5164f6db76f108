package docker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/coachcli/coach/sandbox"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/moby/moby/client"
)

// Endpoint is the engine coach talks to, chosen the way the docker CLI
// chooses it: DOCKER_HOST, else DOCKER_CONTEXT, else the current context of
// the docker config (~/.docker/config.json, or $DOCKER_CONFIG), else the
// platform's default socket. Colima, OrbStack, Rancher Desktop and Podman
// Desktop select their engine with a context, so following it matters.
type Endpoint struct {
	// Host is the engine's address: unix://, npipe://, tcp:// or ssh://.
	Host string
	// Context is the docker context used ("default" when none).
	Context string
	// Source says what chose it, for `coach doctor` and error messages.
	Source string

	opts []client.Opt
}

// contextMeta is the (unused) context-level metadata the store decodes.
type contextMeta struct {
	Description string `json:",omitempty"`
}

// ResolveEndpoint finds the engine as the docker CLI would, reading the
// environment through getenv (nil means os.Getenv).
func ResolveEndpoint(getenv func(string) string) (Endpoint, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if host := getenv(client.EnvOverrideHost); host != "" {
		ep := Endpoint{Host: host, Context: "default", Source: "DOCKER_HOST"}
		if helper, err := connhelper.GetConnectionHelper(host); err != nil {
			return ep, &sandbox.EngineError{Op: "use DOCKER_HOST=" + host, Err: err}
		} else if helper != nil { // ssh://: through `ssh host docker system dial-stdio`
			ep.opts = []client.Opt{client.WithHost(helper.Host), client.WithDialContext(helper.Dialer), client.WithAPIVersionFromEnv()}
		} else {
			// TLS settings (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) as the CLI reads them.
			ep.opts = []client.Opt{client.FromEnv, client.WithHost(host)}
		}
		return ep, nil
	}
	dir := getenv("DOCKER_CONFIG")
	if dir == "" {
		home, _ := os.UserHomeDir()
		if h := getenv("HOME"); h != "" && runtime.GOOS != "windows" {
			home = h
		}
		dir = filepath.Join(home, ".docker")
	}
	name, source := getenv("DOCKER_CONTEXT"), "DOCKER_CONTEXT"
	if name == "" {
		cf, err := config.Load(dir)
		if err != nil {
			return Endpoint{}, &sandbox.EngineError{Op: "read the docker config", Err: err,
				Advice: "fix or remove " + filepath.Join(dir, config.ConfigFileName)}
		}
		name, source = cf.CurrentContext, "the current context in "+filepath.Join(dir, config.ConfigFileName)
	}
	if name == "" || name == "default" {
		return Endpoint{Host: client.DefaultDockerHost, Context: "default", Source: "default",
			opts: []client.Opt{client.FromEnv, client.WithHost(client.DefaultDockerHost)}}, nil
	}
	st := store.New(filepath.Join(dir, "contexts"), store.NewConfig(
		func() any { return &contextMeta{} },
		store.EndpointTypeGetter(docker.DockerEndpoint, func() any { return &docker.EndpointMeta{} }),
	))
	meta, err := st.GetMetadata(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "not found") {
			return Endpoint{}, &sandbox.EngineError{Op: fmt.Sprintf("use docker context %q (from %s)", name, source),
				Err:    errors.New("no such context"),
				Advice: "list the contexts with `docker context ls` and choose one with `docker context use NAME`"}
		}
		return Endpoint{}, &sandbox.EngineError{Op: fmt.Sprintf("read docker context %q", name), Err: err}
	}
	epMeta, err := docker.EndpointFromContext(meta)
	if err != nil {
		return Endpoint{}, &sandbox.EngineError{Op: fmt.Sprintf("read docker context %q", name), Err: err}
	}
	ep, err := docker.WithTLSData(st, name, epMeta)
	if err != nil {
		return Endpoint{}, &sandbox.EngineError{Op: fmt.Sprintf("read the TLS files of docker context %q", name), Err: err}
	}
	opts, err := ep.ClientOpts()
	if err != nil {
		return Endpoint{}, &sandbox.EngineError{Op: fmt.Sprintf("use docker context %q", name), Err: err}
	}
	return Endpoint{Host: ep.Host, Context: name, Source: source, opts: opts}, nil
}

// client opens an API client for the endpoint (nothing is dialled yet).
func (e Endpoint) client() (*client.Client, error) {
	return client.New(e.opts...)
}

// String is how the endpoint is named to the user.
func (e Endpoint) String() string {
	if e.Context != "" && e.Context != "default" {
		return fmt.Sprintf("%s (docker context %q, from %s)", e.Host, e.Context, e.Source)
	}
	return fmt.Sprintf("%s (from %s)", e.Host, e.Source)
}
