package docker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/coachcli/coach/sandbox/workspace"
)

// dockerNet is the Docker build's settings.
func (d *Backend) dockerNet(ws *workspace.Workspace) sandbox.BuildNet {
	return sandbox.BuildNet{Env: d.opts.BuildEnv, CAFile: d.opts.CAFile, Proxy: cmp.Or(d.opts.HTTPSProxy, d.opts.HTTPProxy),
		Where: "Docker", Dir: ws.Dir,
		TLSAdvice: "a proxy or antivirus on your network replaces TLS certificates: give coach its CA bundle with " +
			"`sandbox.ca_file: /path/to/ca.pem` in coach.yaml (or COACH_SANDBOX_CA_FILE)"}
}

// buildSilence is how long a build may print nothing before coach says
// what is still running, so a slow download does not look like a hang.
var buildSilence = 30 * time.Second

// buildLog is where a build tells its progress and keeps its output.
type buildLog struct {
	progress io.Writer
	dir      string // "" keeps no log
}

// buildCut is a build that stopped before its container exited (timeout,
// Ctrl-C), with the output it had printed.
type buildCut struct {
	out string
	log string
	err error
}

func (e *buildCut) Error() string { return e.err.Error() }
func (e *buildCut) Unwrap() error { return e.err }

// followBuild streams a started build container's output into memory
// until it exits, telling w when the build stays silent, and returns its
// exit code and whole output (as far as kept).
func (d *Backend) followBuild(ctx context.Context, id, what string, w io.Writer) (int, []byte, error) {
	out := &timedOutput{Output: sandbox.NewOutput(8 << 20)}
	out.touch()
	done := make(chan struct{})
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		rc, err := d.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
		if err != nil {
			return
		}
		defer rc.Close()
		_, _ = stdcopy.StdCopy(out, out, rc)
	}()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		said := time.Duration(0)
		for {
			select {
			case <-done:
				return
			case <-t.C:
				quiet := out.quiet()
				if quiet < buildSilence {
					said = 0
					continue
				}
				if quiet-said >= buildSilence {
					said = quiet.Truncate(buildSilence)
					last := strings.TrimSpace(sandbox.TailLines(string(out.LogsSince(0)), 1))
					msg := fmt.Sprintf("still running %s: no output for %s", what, said)
					if last != "" {
						msg += " (last line: " + truncate(last, 80) + ")"
					}
					fmt.Fprintln(w, msg)
				}
			}
		}
	}()
	code, err := d.waitExit(ctx, id)
	if err == nil {
		// The log stream ends when the container does; wait for its last bytes.
		select {
		case <-followed:
		case <-time.After(5 * time.Second):
		}
	}
	close(done)
	return code, out.LogsSince(0), err
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// timedOutput is an Output that remembers when it was last written.
type timedOutput struct {
	*sandbox.Output
	mu   sync.Mutex
	last time.Time
}

func (o *timedOutput) Write(p []byte) (int, error) {
	o.touch()
	return o.Output.Write(p)
}

func (o *timedOutput) touch() {
	o.mu.Lock()
	o.last = time.Now()
	o.mu.Unlock()
}

func (o *timedOutput) quiet() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return time.Since(o.last)
}

// buildTimedOut is the error for a build that ran out of time: the network's
// when its output shows a registry it could not reach, else the learner's,
// with the last lines it printed.
func (d *Backend) buildTimedOut(ws *workspace.Workspace, limit time.Duration, err error) error {
	var cut *buildCut
	out, log := "", ""
	if errors.As(err, &cut) {
		out, log = cut.out, cut.log
	}
	if err := d.dockerNet(ws).NetError(ws.Runtime, out, log); err != nil {
		return err
	}
	be := &workspace.BuildError{Runtime: string(ws.Runtime), Err: fmt.Errorf("the build took longer than %s", limit), Log: log,
		Hint: "a build that hangs is often waiting for the network or for input; run the same command on your machine to see"}
	if last := sandbox.TailLines(out, 15); last != "" {
		be.Output = "last lines before coach stopped it:\n" + last
	}
	return be
}

var (
	pullNetwork = regexp.MustCompile(`(?i)(dial tcp|no such host|i/o timeout|TLS handshake|connection refused|x509|Client.Timeout|proxyconnect|net/http)`)
	// fromStep is the builder's line for a FROM step (Docker's "Step 1/3 :
	// FROM x", Podman's "STEP 1/3: FROM x").
	fromStep    = regexp.MustCompile(`(?im)^\s*step \d+/\d+\s*:\s*FROM\s+(?:--platform=\S+\s+)?(\S+)`)
	pullMissing = regexp.MustCompile(`(?i)(pull access denied|manifest unknown|not found|repository does not exist|invalid reference format)`)
)

// dockerfileFailure tells a Dockerfile's own failure (exit 3) from a base
// image the engine could not pull (exit 4, or 3 for a name that does not exist).
func (d *Backend) dockerfileFailure(logDir string, bf *buildFailure) error {
	log := sandbox.SaveLog(logDir, sandbox.BuildLogName, []byte(bf.full+bf.msg+"\n"))
	if pullNetwork.MatchString(bf.msg) {
		host := sandbox.NetHost(bf.msg)
		image := "<the FROM image>"
		what := "your Dockerfile's base image"
		if m := fromStep.FindAllStringSubmatch(bf.full+bf.out, -1); m != nil {
			image = m[len(m)-1][1] // the last FROM begun is the one that failed
			what = image + ", the base image in your Dockerfile's FROM line"
		}
		e := &sandbox.EngineError{Op: "the engine could not pull " + what, Err: errors.New(bf.msg), Host: host, Log: log,
			Advice: fmt.Sprintf("the image is not on this machine and the engine could not download it: run `docker pull %s` "+
				"once its registry is reachable, or bring it from another machine (`docker save %s -o image.tar` there, "+
				"`docker load -i image.tar` here), or change FROM to an image you have (`docker images` lists them)\n"+
				"behind a proxy, configure the Docker engine's own proxy settings; this is not your code", image, image)}
		if host != "" {
			e.Op = "the engine could not reach " + host + " to pull " + what
		}
		return e
	}
	be := &workspace.BuildError{Runtime: string(workspace.Dockerfile), Output: sandbox.Excerpt(bf.full, 12, 25), Err: errors.New(bf.msg), Log: log}
	if strings.Contains(bf.out, "FROM") && pullMissing.MatchString(bf.msg) {
		be.Hint = "the image in your FROM line does not exist (or is private): check its name and tag, e.g. FROM node:22-bookworm-slim"
	}
	return be
}
