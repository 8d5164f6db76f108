package docker

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"
)

// A warm pod is a pod made ready for the next Start while nothing runs
// (Options.WarmPod): in coach watch, while the learner types. Only
// the server is then left to create and start when a file is saved. The
// pod is fresh (nothing ran in it) and is torn down by Docker.Close, which
// every way out of coach watch calls, Ctrl-C included; a coach killed
// outright leaves it to the next run's sweep, as any pod.

// podKey is what a pod is made for: a warm pod serves a Start whose spec
// has the same key.
func podKey(spec sandbox.Spec) string {
	return fmt.Sprintf("%d\x00%t\x00%v", spec.Port, spec.Workspace.Runtime == workspace.Dockerfile, spec.Workspace.Services)
}

// prewarm makes a pod for spec in the background, unless one is there or
// the Docker value is closing.
func (d *Backend) prewarm(spec sandbox.Spec) {
	d.warmMu.Lock()
	defer d.warmMu.Unlock()
	if d.warmCtx == nil || d.warmCtx.Err() != nil || d.warm != nil {
		return
	}
	in := d.newInstance(spec, io.Discard)
	d.warm, d.warmKey = in, podKey(spec)
	in.preparePod(d.warmCtx, spec, func(err error) { in.podErr = err })
}

// takeWarm returns the warm pod when it is made for spec, done or still in
// the making (Start checks that it answers once it needs it); a warm pod
// made for another spec is removed.
func (d *Backend) takeWarm(spec sandbox.Spec) *Instance {
	d.warmMu.Lock()
	in, key := d.warm, d.warmKey
	d.warm = nil
	d.warmMu.Unlock()
	if in == nil {
		return nil
	}
	if key != podKey(spec) {
		d.discardWarm(in)
		return nil
	}
	return in
}

// answers reports whether the pod's relay still answers.
func (in *Instance) answers(ctx context.Context) bool {
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return in.link != nil && in.link.Ping(pctx) == nil
}

// discardWarm removes a warm pod in the background; Docker.Close waits.
func (d *Backend) discardWarm(in *Instance) {
	d.warmWG.Go(func() {
		<-in.podDone
		_ = in.Close(context.Background())
	})
}

// closeWarm stops making warm pods and removes the one there is.
func (d *Backend) closeWarm() {
	d.warmMu.Lock()
	in := d.warm
	d.warm = nil
	if d.warmCancel != nil {
		d.warmCancel()
	}
	d.warmMu.Unlock()
	if in != nil {
		d.discardWarm(in)
	}
	d.warmWG.Wait()
}
