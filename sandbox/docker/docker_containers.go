package docker

import (
	"sort"
	"strconv"

	"github.com/coachcli/coach/sandbox/workspace"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/coachcli/coach/sandbox/relay"
)

// The containers of a pod are described here, by pure functions of their
// inputs, so that their security settings (capabilities, privileges, root
// file system, limits, network, user) are read in one place and pinned by
// golden tests (docker_containers_test.go). The code that creates them only
// adds names and talks to the engine.

// podEngine is what the containers of a pod take from the engine and the
// options, whatever the container.
type podEngine struct {
	// runtime is the OCI runtime ("" for the engine's default).
	runtime string
	// podman adds the nproc limit Podman needs (see ulimits).
	podman bool
	// nanoCPUs is every pod container's CPU quota.
	nanoCPUs int64
}

// podSecurityOpt is every container of a pod's.
var podSecurityOpt = []string{"no-new-privileges:true"}

// dropAll is every container of a pod's: none needs a capability.
var dropAll = []string{"ALL"}

// privateTmpfs is the options of a writable scratch directory.
const privateTmpfs = "rw,nosuid,nodev,size=64m,mode=1777"

// ulimits are the limits of a container: nofile open files, no core dumps
// and, on Podman, a bound on processes.
func ulimits(nofile int64, podman bool) []*container.Ulimit {
	u := []*container.Ulimit{
		{Name: "nofile", Soft: nofile, Hard: nofile},
		{Name: "core", Soft: 0, Hard: 0},
	}
	if podman {
		u = append(u, &container.Ulimit{Name: "nproc", Soft: podmanNproc, Hard: podmanNproc})
	}
	return u
}

// relayContainer is the pod's first container: it owns the network
// namespace (loopback only) and carries the grader's traffic over its
// stdin and stdout.
func relayContainer(e podEngine, image string, port int, labels map[string]string) (*container.Config, *container.HostConfig) {
	return &container.Config{
			Image:  image,
			Env:    []string{relay.EnvMode + "=1", "PORT=" + strconv.Itoa(port)},
			User:   "65534:65534",
			Labels: labels,
			// coach speaks to the relay over its stdin and stdout, through
			// the engine's API; stdin closes when coach detaches or dies,
			// and the relay exits.
			OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true,
		}, &container.HostConfig{
			NetworkMode:    "none",
			ReadonlyRootfs: true,
			CapDrop:        dropAll,
			SecurityOpt:    podSecurityOpt,
			// Its stdout is the traffic: keep it out of the engine's logs.
			LogConfig: container.LogConfig{Type: "none"},
			Runtime:   e.runtime,
			Resources: container.Resources{
				Memory: 64 << 20, MemorySwap: 64 << 20, PidsLimit: ptr(int64(64)), NanoCPUs: e.nanoCPUs,
				Ulimits: ulimits(wideNofile, e.podman),
			},
		}
}

// initDataContainer opens up a new data volume for a learner's Dockerfile
// image, as root, once (the relay image run in its init-data mode).
func initDataContainer(e podEngine, relayImage, volume string, labels map[string]string) (*container.Config, *container.HostConfig) {
	return &container.Config{Image: relayImage, Env: []string{"COACH_RELAY=init-data", "DATA_DIR=/data"}, User: "0:0", Labels: labels},
		&container.HostConfig{
			NetworkMode: "none", ReadonlyRootfs: true, CapDrop: dropAll, SecurityOpt: podSecurityOpt,
			Mounts:    []mount.Mount{{Type: mount.TypeVolume, Source: volume, Target: "/data"}},
			Resources: container.Resources{Ulimits: ulimits(serverNofile, e.podman)},
		}
}

// serverSpec is what the server container is made of besides the engine.
type serverSpec struct {
	image, user     string
	relayID, volume string
	port            int
	// env is the exercise's and the services' environment (the exercise's
	// wins); PORT, DATA_DIR and HOME come first and are coach's.
	env    map[string]string
	labels map[string]string
}

// serverContainer is the learner's server, in the relay's namespace, with
// the limits of the options.
func serverContainer(e podEngine, o Options, s serverSpec) (*container.Config, *container.HostConfig) {
	env := []string{"PORT=" + strconv.Itoa(s.port), "DATA_DIR=/data", "HOME=/tmp"}
	keys := make([]string, 0, len(s.env))
	for k := range s.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+s.env[k])
	}
	return &container.Config{
			Image:  s.image,
			Env:    env,
			User:   s.user,
			Labels: s.labels,
		}, &container.HostConfig{
			NetworkMode:    container.NetworkMode("container:" + s.relayID),
			ReadonlyRootfs: o.ReadOnly,
			Tmpfs:          map[string]string{"/tmp": privateTmpfs},
			CapDrop:        dropAll,
			SecurityOpt:    podSecurityOpt,
			// An init process forwards signals and reaps zombies, so a
			// server that does not handle SIGTERM as PID 1 still stops.
			Init:      ptr(true),
			Mounts:    []mount.Mount{{Type: mount.TypeVolume, Source: s.volume, Target: "/data"}},
			LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": o.LogMaxSize, "max-file": "1"}},
			Runtime:   e.runtime,
			Resources: container.Resources{
				Memory:     o.Memory,
				MemorySwap: o.Memory,
				NanoCPUs:   o.NanoCPUs,
				PidsLimit:  ptr(o.PidsLimit),
				Ulimits:    ulimits(serverNofile, e.podman),
			},
		}
}

// serviceEnv is a service container's environment: a variable so that a
// test can start a service its image refuses to run.
var serviceEnv = workspace.Service.Env

// serviceContainerConfig is a database service of the pod, in the relay's
// namespace, from the catalogue entry of s.
func serviceContainerConfig(e podEngine, s workspace.Service, relayID, volume string, labels map[string]string) (*container.Config, *container.HostConfig) {
	tmpfs := map[string]string{}
	for _, p := range s.Tmpfs() {
		tmpfs[p] = privateTmpfs
	}
	return &container.Config{
			Image:  s.ImageRef(),
			Env:    serviceEnv(s),
			User:   s.User(),
			Labels: labels,
		}, &container.HostConfig{
			NetworkMode: container.NetworkMode("container:" + relayID),
			// Hardened as the server, and more: it runs as the image's
			// own unprivileged user, so it needs no capability at all.
			ReadonlyRootfs: true,
			Tmpfs:          tmpfs,
			CapDrop:        dropAll,
			SecurityOpt:    podSecurityOpt,
			// The engine fills a new named volume with the image's data
			// directory: the stand-ins ship it initialised.
			Mounts:    []mount.Mount{{Type: mount.TypeVolume, Source: volume, Target: s.DataDir()}},
			LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m", "max-file": "1"}},
			Runtime:   e.runtime,
			Resources: container.Resources{
				Memory: serviceMemory, MemorySwap: serviceMemory, NanoCPUs: e.nanoCPUs,
				PidsLimit: ptr(int64(servicePids)),
				Ulimits:   []*container.Ulimit{{Name: "core", Soft: 0, Hard: 0}},
			},
		}
}

// sourcesContainer receives a workspace that needs no build step (its
// dependencies are already in image): it is created, never started, and
// committed once the sources are copied in, so it has no network and no
// command of its own.
func sourcesContainer(image string, labels map[string]string) (*container.Config, *container.HostConfig) {
	return &container.Config{Image: image, WorkingDir: appDir, Labels: labels},
		&container.HostConfig{NetworkMode: "none"}
}

// buildContainer runs a build script in image: as root (of the image; the
// engine's user namespace, if any, applies), with the network on (it
// downloads dependencies), the caches mounted and processes bounded. It is
// not part of a pod and never runs the learner's server. Only podman of e
// is used: a build runs on the engine's default OCI runtime.
func buildContainer(e podEngine, image, script string, mounts []mount.Mount, labels map[string]string) (*container.Config, *container.HostConfig) {
	return &container.Config{
			Image:      image,
			Cmd:        []string{"sh", "-c", script},
			WorkingDir: appDir,
			User:       "0:0",
			Labels:     labels,
		}, &container.HostConfig{
			Mounts:    mounts,
			LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "5m", "max-file": "1"}},
			Resources: container.Resources{PidsLimit: ptr(int64(4096)), Ulimits: ulimits(wideNofile, e.podman)},
		}
}
