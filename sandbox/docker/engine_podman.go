package docker

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
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
func (d *Backend) Podman(ctx context.Context) bool {
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
func (d *Backend) ulimits(ctx context.Context, nofile int64) []*container.Ulimit {
	return ulimits(nofile, d.Podman(ctx))
}

// podEngine is what the containers of a pod take from this engine.
func (d *Backend) podEngine(ctx context.Context) podEngine {
	return podEngine{runtime: d.runtime, podman: d.Podman(ctx), nanoCPUs: d.opts.NanoCPUs}
}

// removePod force-removes a pod: the containers that joined owner's network
// namespace, and owner. Docker removes them all at once. Podman refuses to
// remove a namespace's owner while a container joined to it exists ("has
// dependent containers which must be removed before it"), and removing both
// at once can leave the owner half-removed in its store, which then breaks
// every container list; so on Podman the joined containers go first.
// Empty ids are skipped; a container already gone is no error.
func (d *Backend) removePod(ctx context.Context, owner string, joined ...string) error {
	if !d.Podman(ctx) {
		return d.removeAtOnce(ctx, append(joined, owner))
	}
	return errors.Join(d.removeAtOnce(ctx, joined), d.removeAtOnce(ctx, []string{owner}))
}

func (d *Backend) removeAtOnce(ctx context.Context, ids []string) error {
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

// podmanUnreportedOOM reports whether st is most likely an out-of-memory
// kill that the engine did not report: Podman 4.3 with conmon 2.1.6 never
// sets OOMKilled (conmon writes its "oom" marker into its own working
// directory, Podman looks for it in the container's bundle directory), so
// there a SIGKILL (exit code 137) that coach did not send is one.
func (d *Backend) podmanUnreportedOOM(st *container.State) bool {
	return !st.OOMKilled && st.ExitCode == 137 && d.Podman(context.Background())
}

// followOutput copies a container's output written after since to w, until
// the container stops or ctx ends.
//
// Docker's follow ends when the container stops. Podman 4.3's can end
// early: when it sees the container as not running yet, right after a
// start, it reads what was written so far and stops a quarter second later.
// So on Podman the stream is opened again while the container runs, with
// timestamps to resume where the last one ended, and read once more to its
// end when the container has stopped.
func (d *Backend) followOutput(ctx context.Context, id string, since time.Time, w io.Writer) {
	if !d.Podman(ctx) {
		rc, err := d.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{
			ShowStdout: true, ShowStderr: true, Follow: true, Since: unixNano(since),
		})
		if err != nil {
			return
		}
		defer rc.Close()
		_, _ = stdcopy.StdCopy(w, w, rc)
		return
	}
	r := resumer{w: w, since: since}
	for follow := true; ctx.Err() == nil; {
		rc, err := d.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{
			ShowStdout: true, ShowStderr: true, Follow: follow, Timestamps: true, Since: unixNano(r.resumeAt()),
		})
		if err != nil {
			return
		}
		r.copy(rc)
		rc.Close()
		if !follow {
			return
		}
		ins, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if err != nil {
			return
		}
		if st := ins.Container.State; st == nil || !st.Running {
			follow = false // one last read, for what it wrote before it stopped
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func unixNano(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }

// resumer reads a multiplexed log stream with timestamps, writes the lines
// without them, and knows where to start again so that nothing is written
// twice. Podman's timestamps have whole seconds only: a stream is resumed
// from the start of the last second seen, skipping the lines of that
// second already written.
type resumer struct {
	w     io.Writer
	since time.Time
	last  time.Time // timestamp of the last line written
	n     int       // lines written with that timestamp
	skip  int       // lines with timestamp last to skip in the current stream
}

func (r *resumer) resumeAt() time.Time {
	if r.last.IsZero() {
		return r.since
	}
	r.skip = r.n
	return r.last.Add(-time.Nanosecond)
}

func (r *resumer) copy(rc io.Reader) {
	var hdr [8]byte
	var frame []byte
	for {
		if _, err := io.ReadFull(rc, hdr[:]); err != nil {
			return
		}
		size := int(binary.BigEndian.Uint32(hdr[4:]))
		if cap(frame) < size {
			frame = make([]byte, size)
		}
		frame = frame[:size]
		if _, err := io.ReadFull(rc, frame); err != nil {
			return
		}
		stamp, msg, ok := bytes.Cut(frame, []byte(" "))
		ts, err := time.Parse(time.RFC3339Nano, string(stamp))
		if !ok || err != nil {
			_, _ = r.w.Write(frame)
			continue
		}
		if ts.Equal(r.last) {
			if r.skip > 0 {
				r.skip--
				continue
			}
			r.n++
		} else {
			r.last, r.n, r.skip = ts, 1, 0
		}
		_, _ = r.w.Write(msg)
	}
}
