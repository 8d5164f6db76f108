package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
)

// Podman's Docker-compatible API (`podman system service`) is a supported
// engine. Where it behaves differently from Docker for what coach asks, the
// difference is handled here; docs/decisions.md ("Podman") lists them.

// podmanComponent is how Podman names itself in the engine's /version.
const podmanComponent = "Podman Engine"

// isPodmanVersion reports whether a /version answer comes from Podman.
func isPodmanVersion(components []system.ComponentVersion) bool {
	for _, c := range components {
		if c.Name == podmanComponent {
			return true
		}
	}
	return false
}

// Podman reports whether the engine is Podman. It asks the engine once per
// Docker value; an engine that does not answer counts as Docker.
func (d *Docker) Podman(ctx context.Context) bool {
	d.engineOnce.Do(func() {
		vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if v, err := d.cli.ServerVersion(vctx, client.ServerVersionOptions{}); err == nil {
			d.podman = isPodmanVersion(v.Components)
		}
	})
	return d.podman
}

// Open files a container may hold. The server's limit is the familiar
// default of a login shell; builds (npm extracting many packages at once)
// and the relay (a burst of connections, each with its upstream) get more.
// Both are far below any engine's hard limit, so setting them needs no
// privilege.
const (
	serverNofile = 1024
	wideNofile   = 4096
)

// podmanNproc is RLIMIT_NPROC on Podman, which sets 1048576 when asked for
// nothing (Docker passes its own limit on). Raising a limit above the
// engine's hard limit needs CAP_SYS_RESOURCE, which a Podman in a container
// lacks: "error setting rlimit type 6". The kernel counts it per user over
// all containers (root is exempt), so it is not the limit that contains a
// server: PidsLimit is. 4096 is below the default hard limit of a 2 GiB
// VM (Podman machine's default size).
const podmanNproc = 4096

// ulimits are the rlimits of a container: nofile as given, no core dumps,
// and on Podman an explicit nproc. Every container coach creates sets them:
// Podman (4.3) otherwise raises nofile and nproc to 1048576, which fails in
// an engine without CAP_SYS_RESOURCE ("error setting rlimit type 7:
// operation not permitted").
func (d *Docker) ulimits(ctx context.Context, nofile int64) []*container.Ulimit {
	u := []*container.Ulimit{
		{Name: "nofile", Soft: nofile, Hard: nofile},
		{Name: "core", Soft: 0, Hard: 0},
	}
	if d.Podman(ctx) {
		u = append(u, &container.Ulimit{Name: "nproc", Soft: podmanNproc, Hard: podmanNproc})
	}
	return u
}

// removePod force-removes a pod: the containers that joined owner's network
// namespace, and owner. Docker removes them all at once. Podman refuses to
// remove a namespace's owner while a container joined to it exists ("has
// dependent containers which must be removed before it"), and removing both
// at once can leave the owner half-removed in its store, which then breaks
// every container list; so on Podman the joined containers go first.
// Empty ids are skipped; a container already gone is no error.
func (d *Docker) removePod(ctx context.Context, owner string, joined ...string) error {
	if !d.Podman(ctx) {
		return d.removeAtOnce(ctx, append(joined, owner))
	}
	return errors.Join(d.removeAtOnce(ctx, joined), d.removeAtOnce(ctx, []string{owner}))
}

func (d *Docker) removeAtOnce(ctx context.Context, ids []string) error {
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		if id == "" {
			continue
		}
		wg.Go(func() {
			if _, err := d.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
				errs[i] = fmt.Errorf("remove container %s: %w", short(id), err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
