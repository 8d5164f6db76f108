//go:build linux

// Linux only: the benchmarks read the engine and the RSS from rusage.

package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/sandbox/docker"
	"github.com/coachcli/coach/sandbox/dockertest"
	"github.com/coachcli/coach/sandbox/workspace"
)

// benchRounds is how many times each figure is measured; figures are
// medians. Rounds interleave the workspaces, so that whatever else the
// machine does weighs on every figure alike.
const benchRounds = 5

// benchCA lets build containers reach the npm registry through a TLS proxy.
const benchCA = "/etc/ssl/certs/ca-certificates.crt"

// figure is one measured number and its target (lower is better).
type figure struct {
	name   string
	value  float64
	unit   string
	target float64
	detail string
}

func (f figure) String() string {
	verdict := "ok"
	if f.value > f.target {
		verdict = "MISSED"
	}
	s := fmt.Sprintf("  %-52s %7.2f %-2s  target ≤ %.2f %-2s  %s", f.name, f.value, f.unit, f.target, f.unit, verdict)
	if f.detail != "" {
		s += "  (" + f.detail + ")"
	}
	return s
}

// BenchmarkCheck measures a learner's edit-check loop, side by side in one
// run, against issue 14's targets (2 cores):
//   - edit one source file, then `coach check step-3`: an Express todo API
//     with a lockfile ≤ 1.5 s, Go with a third-party module (chi) ≤ 3 s,
//     Python ≤ 1.5 s (medians);
//   - a warm check (nothing changed) ≤ 1.5× the process backend on the
//     same workspace (the catalogue's Node solution);
//   - `coach watch`: from saving a file to the first result line ≤ 1 s
//     for a dependency-free Node step-1 workspace;
//   - coach's own peak RSS during a check ≤ 64 MB.
func BenchmarkCheck(b *testing.B) {
	eng := dockertest.Require(b)
	cat, err := exercises.Load(exercises.Backend())
	require.NoError(b, err)
	step3, err := cat.Find("3")
	require.NoError(b, err)
	step1, err := cat.Find("1")
	require.NoError(b, err)
	env := map[string]string{}
	if _, err := os.Stat(benchCA); err == nil {
		env["COACH_SANDBOX_CA_FILE"] = benchCA
	}

	type editable struct {
		name, dir, file string
		target          float64
	}
	edits := []editable{
		{"edit-check express (package.json, lockfile unchanged)", expressWorkspace(b, step3), "server.js", 1.5},
		{"edit-check go with chi", chiWorkspace(b, step3), "main.go", 3},
		{"edit-check python (requirements.txt unchanged)", pythonWorkspace(b, step3), "main.py", 1.5},
	}
	node := benchSolution(b, step3, "node")
	check := func(dir, sb string) time.Duration {
		began := time.Now()
		r := coachCtxEnv(context.Background(), b, dir, env, "check", "3", "--sandbox", sb)
		took := time.Since(began)
		if r.code != ExitOK {
			b.Fatalf("check of %s under %s exited %d:\n%s%s", dir, sb, r.code, r.out, r.err)
		}
		return took
	}
	// Builds, dependency images and caches outside the timing.
	for _, e := range edits {
		check(e.dir, "docker")
	}
	check(node, "docker")
	check(node, "process")

	b.ResetTimer()
	loadBefore := loadAverage()
	took := map[string][]time.Duration{}
	for i := range b.N * benchRounds {
		for _, e := range edits {
			appendLine(b, filepath.Join(e.dir, e.file), commentFor(e.file, i))
			took[e.name] = append(took[e.name], check(e.dir, "docker"))
		}
		took["docker"] = append(took["docker"], check(node, "docker"))
		took["process"] = append(took["process"], check(node, "process"))
		took["pod floor"] = append(took["pod floor"], podFloor(b, eng))
	}
	watch := watchSaveToResult(b, step1, b.N*benchRounds)
	b.StopTimer()

	var figs []figure
	for _, e := range edits {
		figs = append(figs, figure{name: e.name, value: median(took[e.name]).Seconds(), unit: "s", target: e.target})
	}
	dock, proc := median(took["docker"]), median(took["process"])
	figs = append(figs,
		figure{name: "warm check docker / process (node step 3)", value: dock.Seconds() / proc.Seconds(), unit: "×", target: 1.5,
			detail: fmt.Sprintf("docker %.2f s, process %.2f s", dock.Seconds(), proc.Seconds())},
		figure{name: "watch: save to first result line (node step 1)", value: median(watch).Seconds(), unit: "s", target: 1},
	)
	// What no one-shot check can go below: a fresh pod's two containers
	// made, started and removed, with nothing running in them.
	floor := median(took["pod floor"])
	// Other work on the machine slows every figure: the load says how much.
	fmt.Printf("\ncoach's edit-check loop: medians of %d, side by side, on %d CPUs (load average %s before, %s after)\n",
		len(watch), runtime.NumCPU(), loadBefore, loadAverage())
	report := func(f figure) {
		fmt.Println(f)
		b.ReportMetric(f.value, strings.NewReplacer(" ", "-", "(", "", ")", "", ",", "", "/", "per").Replace(f.name)+"_"+f.unit)
	}
	for _, f := range figs {
		report(f)
	}
	fmt.Printf("  %-52s %7.2f s   = %.2f× the process backend's whole check (a floor, not a target)\n",
		"a bare pod's two containers: create, start, remove", floor.Seconds(), floor.Seconds()/proc.Seconds())
	report(figure{name: "coach's peak RSS during a check (express)", value: peakRSS(b, edits[0].dir, env), unit: "MB", target: 64})
}

// loadAverage is the machine's one-minute load average, "?" if unknown.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func commentFor(file string, i int) string {
	if strings.HasSuffix(file, ".py") {
		return fmt.Sprintf("# edit %d\n", i)
	}
	return fmt.Sprintf("// edit %d\n", i)
}

func appendLine(b *testing.B, file, line string) {
	b.Helper()
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(b, err)
	_, err = f.WriteString(line)
	require.NoError(b, err)
	require.NoError(b, f.Close())
}

func benchSolution(b *testing.B, ex *exercises.Exercise, lang string) string {
	b.Helper()
	dir, err := materialize(ex, lang, nil)
	require.NoError(b, err)
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// expressWorkspace is the Node solution with Express as a dependency
// (required at start, as an Express server would) and its lockfile.
func expressWorkspace(b *testing.B, ex *exercises.Exercise) string {
	dir := benchSolution(b, ex, "node")
	pkgFile := filepath.Join(dir, "package.json")
	var pkg map[string]any
	data, err := os.ReadFile(pkgFile)
	require.NoError(b, err)
	require.NoError(b, json.Unmarshal(data, &pkg))
	pkg["dependencies"] = map[string]string{"express": "4.21.2"}
	data, err = json.MarshalIndent(pkg, "", "  ")
	require.NoError(b, err)
	require.NoError(b, os.WriteFile(pkgFile, data, 0o644))
	lock, err := os.ReadFile(filepath.Join("testdata", "bench-express", "package-lock.json"))
	require.NoError(b, err)
	require.NoError(b, os.WriteFile(filepath.Join(dir, "package-lock.json"), lock, 0o644))
	editFile(b, filepath.Join(dir, "server.js"), "'use strict';", "'use strict';\nrequire('express');")
	return dir
}

// chiWorkspace is the Go solution importing github.com/go-chi/chi.
func chiWorkspace(b *testing.B, ex *exercises.Exercise) string {
	dir := benchSolution(b, ex, "go")
	appendLine(b, filepath.Join(dir, "go.mod"), "\nrequire github.com/go-chi/chi/v5 v5.2.3\n")
	require.NoError(b, os.WriteFile(filepath.Join(dir, "go.sum"), []byte(
		"github.com/go-chi/chi/v5 v5.2.3 h1:WQIt9uxdsAbgIYgid+BpYc+liqQZGMHRaUwp0JUcvdE=\n"+
			"github.com/go-chi/chi/v5 v5.2.3/go.mod h1:L2yAIGWB3H+phAw1NxKwWM+7eUH/lU8pOMm5hHcoops=\n"), 0o644))
	editFile(b, filepath.Join(dir, "main.go"), "import (\n", "import (\n\t_ \"github.com/go-chi/chi/v5\"\n")
	return dir
}

// pythonWorkspace is the Python solution with a requirements.txt (there is
// no package index here: it installs nothing, through the same recipe).
func pythonWorkspace(b *testing.B, ex *exercises.Exercise) string {
	dir := benchSolution(b, ex, "python")
	require.NoError(b, os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("# standard library only\n"), 0o644))
	return dir
}

func editFile(b *testing.B, file, find, replace string) {
	b.Helper()
	data, err := os.ReadFile(file)
	require.NoError(b, err)
	require.Contains(b, string(data), find, "%s has no %q to edit after", file, find)
	require.NoError(b, os.WriteFile(file, []byte(strings.Replace(string(data), find, replace, 1)), 0o644))
}

// watchSaveToResult runs `coach watch step-1` on the Node solution and
// times, n times, from saving server.js to the first test result line.
func watchSaveToResult(b *testing.B, ex *exercises.Exercise, n int) []time.Duration {
	b.Helper()
	dir := benchSolution(b, ex, "node")
	keys, typed := io.Pipe()
	outR, outW := io.Pipe()
	ios := &IOStreams{In: keys, Out: outW, Err: io.Discard, Getenv: func(k string) string {
		return map[string]string{"COACH_CONFIG": filepath.Join(b.TempDir(), "none.yaml"), "NO_COLOR": "1"}[k]
	}}
	done := make(chan int, 1)
	go func() {
		code := Run(context.Background(), ios, []string{"--dir", dir, "watch", "1"})
		outW.Close()
		done <- code
	}()
	lines := make(chan string, 256)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	waitFor := func(what func(string) bool) {
		b.Helper()
		timeout := time.After(2 * time.Minute)
		for {
			select {
			case l, ok := <-lines:
				require.True(b, ok, "coach watch ended early")
				if what(l) {
					return
				}
			case <-timeout:
				b.Fatal("coach watch said nothing for 2 minutes")
			}
		}
	}
	footer := func(l string) bool { return strings.HasPrefix(l, "watching step-1") }
	result := func(l string) bool { return strings.HasPrefix(l, "✓ ") || strings.HasPrefix(l, "✗ ") }
	waitFor(footer) // the first check, with the build
	var took []time.Duration
	for i := range n {
		saved := time.Now()
		appendLine(b, filepath.Join(dir, "server.js"), commentFor("server.js", i))
		waitFor(result)
		took = append(took, time.Since(saved))
		waitFor(footer)
	}
	_, err := typed.Write([]byte("q"))
	require.NoError(b, err)
	go func() {
		for range lines { // drain until watch exits
		}
	}()
	require.Equal(b, ExitOK, <-done)
	return took
}

// peakRSS runs coach itself (built here) on dir: an edit and a check, and
// returns the process's peak resident memory in MB.
func peakRSS(b *testing.B, dir string, env map[string]string) float64 {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "coach")
	// As `make build` does, with the relays `make bench` prepared.
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "github.com/coachcli/coach/cmd/coach")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(b, err, "%s", out)
	run := func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "--dir", dir, "check", "3")
		cmd.Env = append(os.Environ(), "COACH_CONFIG="+filepath.Join(b.TempDir(), "none.yaml"), "NO_COLOR=1")
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		require.NoError(b, err, "%s", out)
		return float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024 // Linux reports KiB
	}
	run() // a new coach binary prepares its relay image first
	appendLine(b, filepath.Join(dir, "server.js"), "// rss\n")
	return run()
}

// podFloor is how long the engine takes to make, start and remove a pod's
// two bare containers (one owning a network namespace of its own, one
// joining it; removed side by side), which every one-shot Docker check
// needs at least: the floor under the warm-check figure.
func podFloor(b *testing.B, eng *client.Client) time.Duration {
	b.Helper()
	ctx := context.Background()
	labels := map[string]string{docker.LabelRun: "bench-floor"}
	image := docker.DefaultImages()[workspace.Node]
	began := time.Now()
	owner, err := eng.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &container.Config{Image: image, Cmd: []string{"sleep", "60"}, Labels: labels},
		HostConfig: &container.HostConfig{NetworkMode: "none"},
	})
	require.NoError(b, err)
	defer eng.ContainerRemove(ctx, owner.ID, client.ContainerRemoveOptions{Force: true})
	_, err = eng.ContainerStart(ctx, owner.ID, client.ContainerStartOptions{})
	require.NoError(b, err)
	joiner, err := eng.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &container.Config{Image: image, Cmd: []string{"sleep", "60"}, Labels: labels},
		HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode("container:" + owner.ID)},
	})
	require.NoError(b, err)
	defer eng.ContainerRemove(ctx, joiner.ID, client.ContainerRemoveOptions{Force: true})
	_, err = eng.ContainerStart(ctx, joiner.ID, client.ContainerStartOptions{})
	require.NoError(b, err)
	// Removed side by side, as quickly as a teardown could.
	errs := make(chan error, 2)
	for _, id := range []string{joiner.ID, owner.ID} {
		go func() {
			_, err := eng.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
			errs <- err
		}()
	}
	require.NoError(b, <-errs)
	require.NoError(b, <-errs)
	return time.Since(began)
}
