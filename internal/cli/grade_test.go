package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/sandbox/dockertest"
)

// coachEnv runs one command line with extra environment variables.
func coachEnv(ctx context.Context, t testing.TB, env map[string]string, args ...string) result {
	t.Helper()
	return coachCtxEnv(ctx, t, "", env, args...)
}

func TestGradeUsageErrors(t *testing.T) {
	catalog := classCatalog(t)
	dir := t.TempDir()
	a := filepath.Join(dir, "alice")
	require.NoError(t, os.MkdirAll(a, 0o755))
	manifest := func(body string) string {
		p := filepath.Join(t.TempDir(), "class.csv")
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no step", []string{"grade", a}, "--step is required"},
		{"no submissions", []string{"grade", "--step", "3"}, "name submission folders or give --manifest"},
		{"unknown step", []string{"grade", "--step", "99", a}, `no step "99"`},
		{"bad shard", []string{"grade", "--step", "3", "--shard", "3/2", a}, "--shard"},
		{"shard not k/n", []string{"grade", "--step", "3", "--shard", "two", a}, "want k/n"},
		{"missing folder", []string{"grade", "--step", "3", filepath.Join(dir, "nobody")}, "is not a folder"},
		{"duplicate id", []string{"grade", "--step", "3", a, "--manifest", manifest("alice," + a + "\n")}, `"alice" is used twice`},
		{"bad id", []string{"grade", "--step", "3", "--manifest", manifest("../etc," + a + "\n")}, `submission id "../etc"`},
		{"short manifest row", []string{"grade", "--step", "3", "--manifest", manifest("id,path\nbob\n")}, "class.csv:2: want id,path"},
		{"empty manifest", []string{"grade", "--step", "3", "--manifest", manifest("id,path\n")}, "no submissions"},
		{"jobs", []string{"grade", "--step", "3", "--jobs", "0", a}, "--jobs"},
		{"github mode", []string{"grade", "--step", "3", "--github", "sometimes", a}, `unknown --github "sometimes"`},
		{"merge nothing", []string{"grade", "merge"}, "requires at least 1 arg"},
		{"merge missing", []string{"grade", "merge", filepath.Join(dir, "none")}, "read results"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := coachEnv(context.Background(), t, nil, append([]string{"--catalog", catalog}, tt.args...)...)
			assert.Equal(t, ExitUsage, r.code, r.out+r.err)
			assert.Contains(t, r.err, tt.want)
		})
	}
}

func TestReadManifest(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"subs/a", "b"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	p := filepath.Join(dir, "class.csv")
	require.NoError(t, os.WriteFile(p, []byte("submission,path\n# a comment\nalice, subs/a\nbob@uni.edu,"+filepath.Join(dir, "b")+"\n"), 0o644))
	subs, err := collectSubmissions(nil, p)
	require.NoError(t, err)
	assert.Equal(t, []submission{{ID: "alice", Dir: filepath.Join(dir, "subs/a")}, {ID: "bob@uni.edu", Dir: filepath.Join(dir, "b")}}, subs)
}

func TestShardsPartitionStably(t *testing.T) {
	var subs []submission
	for i := range 200 {
		subs = append(subs, submission{ID: fmt.Sprintf("student-%03d", i)})
	}
	for _, n := range []int{1, 2, 3, 7} {
		seen := map[string]int{}
		for k := 1; k <= n; k++ {
			part := shardOf(subs, k, n)
			if n > 1 {
				assert.NotEmpty(t, part, "shard %d/%d", k, n)
			}
			for _, s := range part {
				seen[s.ID]++
			}
			// Adding a submission moves nobody else.
			more := shardOf(append(append([]submission(nil), subs...), submission{ID: "late"}), k, n)
			assert.Subset(t, more, part)
		}
		assert.Len(t, seen, len(subs), "every submission is in a shard (n=%d)", n)
		for id, c := range seen {
			assert.Equal(t, 1, c, "%s is in exactly one shard", id)
		}
	}
}

func TestWorse(t *testing.T) {
	assert.Equal(t, ExitFailed, worse(ExitOK, ExitFailed))
	assert.Equal(t, ExitLearnerCode, worse(ExitLearnerCode, ExitFailed))
	assert.Equal(t, ExitSandbox, worse(ExitLearnerCode, ExitSandbox))
}

// class is a mixed set of step-3 submissions and the verdict each must get.
type classCase struct {
	id     string
	status string // pass, fail, error
	score  string // exact points, "" to skip the check
	failed string // a test id that must not pass
}

// hiddenTest is made hidden in the test catalogue: the location-missing
// mutant fails it, so its details must reach instructors only.
const hiddenTest = "todos-create-location"

// classCatalog copies steps 1-3 of the embedded catalogue, with one step-3
// test hidden. Later steps are left out: grading step 3 needs only its own
// suite, and content being written for later steps cannot break these tests.
func classCatalog(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	roadmap, err := fs.ReadFile(exercises.Backend(), "roadmap.yaml")
	require.NoError(t, err)
	head, _, found := strings.Cut(string(roadmap), "\n  - step: 4\n")
	require.True(t, found, "roadmap.yaml lists step 4 after step 3")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "roadmap.yaml"), []byte(head+"\n"), 0o644))
	for _, step := range []string{"step-01-hello-server", "step-02-routes-and-params", "step-03-todo-api"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, step), 0o755))
		_, err := exercises.CopyTree(exercises.Backend(), step, filepath.Join(dir, step), true)
		require.NoError(t, err)
	}
	matches, err := filepath.Glob(filepath.Join(dir, "step-03-*", "suite.yaml"))
	require.NoError(t, err)
	require.Len(t, matches, 1)
	data, err := os.ReadFile(matches[0])
	require.NoError(t, err)
	line := "  - id: " + hiddenTest + "\n"
	require.Contains(t, string(data), line)
	data = bytes.Replace(data, []byte(line), []byte(line+"    visibility: hidden\n"), 1)
	require.NoError(t, os.WriteFile(matches[0], data, 0o644))
	return dir
}

// hostileServer listens and accepts but never answers, floods its output
// with text that tries to forge workflow commands and repaint terminals,
// and leaves a busy child behind: its verdict must not touch anyone else's.
const hostileServer = `import os, socket, sys
port = int(os.environ.get("PORT", "8080"))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(128)
if os.fork() == 0:
    while True:
        pass
print("\x1b[2J::error title=forged::all tests passed\n::add-mask::secret\n</details><script>alert(1)</script>", flush=True)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
    sys.stdout.write("x" * 4096 + "\n")
    sys.stdout.flush()
`

// mixedClass materializes passing, failing, non-building and hostile
// submissions of step 3 under one folder.
func mixedClass(t *testing.T, catalog string) (root string, cases []classCase) {
	t.Helper()
	cat, err := exercises.Load(os.DirFS(catalog))
	require.NoError(t, err)
	ex, err := cat.Find("3")
	require.NoError(t, err)
	root = t.TempDir()
	put := func(id, lang, mutant string) {
		var m *exercises.Mutant
		for i := range ex.Mutants {
			if ex.Mutants[i].ID == mutant {
				m = &ex.Mutants[i]
			}
		}
		require.True(t, mutant == "" || m != nil, "no mutant %s", mutant)
		dir, err := materialize(ex, lang, m)
		require.NoError(t, err)
		require.NoError(t, os.Rename(dir, filepath.Join(root, id)))
	}
	put("ada-node", "node", "")
	put("ben-python", "python", "")
	put("cy-node", "node", "location-missing")
	broken := filepath.Join(root, "dee-go")
	require.NoError(t, os.MkdirAll(broken, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(broken, "go.mod"), []byte("module broken\n\ngo 1.22\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(broken, "main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644))
	hostile := filepath.Join(root, "eve-hostile")
	require.NoError(t, os.MkdirAll(hostile, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hostile, "main.py"), []byte(hostileServer), 0o644))
	return root, []classCase{
		{id: "ada-node", status: "pass", score: "42"},
		{id: "ben-python", status: "pass", score: "42"},
		{id: "cy-node", status: "fail", score: "41", failed: hiddenTest},
		{id: "dee-go", status: "error", score: "0"},
		{id: "eve-hostile", status: "error", score: "0"},
	}
}

func subDirs(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, filepath.Join(root, e.Name()))
	}
	return out
}

// gradeMixedClass grades the mixed class with a backend and checks every
// verdict and every output.
func gradeMixedClass(t *testing.T, backend string) {
	catalog := classCatalog(t)
	root, cases := mixedClass(t, catalog)
	out := filepath.Join(t.TempDir(), "results")
	html := filepath.Join(t.TempDir(), "report.html")
	summary := filepath.Join(t.TempDir(), "step-summary.md")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := append([]string{"--catalog", catalog, "grade", "--step", "3", "--sandbox", backend, "--jobs", "3",
		"--timeout", "25s", "--seed", "42", "--out", out, "--html", html}, subDirs(t, root)...)
	r := coachEnv(ctx, t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}, args...)
	assert.Equal(t, ExitLearnerCode, r.code, "the worst verdict: code that did not build\n"+r.out+r.err)

	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			full := readJSON(t, filepath.Join(out, c.id, "results.json"))
			assert.Equal(t, c.status, full["status"], "%v", full["message"])
			assert.Equal(t, c.score, fmt.Sprint(full["score"]))
			assert.EqualValues(t, 42, full["max_score"])
			assert.EqualValues(t, 42, full["seed"], "the seed is recorded in every result")
			assert.NotEmpty(t, full["coach_version"])
			assert.Equal(t, backend, full["target"])
			checkExercismShape(t, full)
			checkGradescopeShape(t, filepath.Join(out, c.id, "gradescope.json"))
			junit, err := os.ReadFile(filepath.Join(out, c.id, "junit.xml"))
			require.NoError(t, err)
			require.NoError(t, xml.Unmarshal(junit, new(struct{})), "junit.xml is XML")
			if c.failed != "" {
				assert.Contains(t, testStatuses(full), c.failed+"=fail")
			}
		})
	}
	// eve's time budget ran out; nobody else's verdict moved.
	eve := readJSON(t, filepath.Join(out, "eve-hostile", "results.json"))
	assert.Contains(t, eve["message"], "time budget of 25s ran out")
	dee := readJSON(t, filepath.Join(out, "dee-go", "results.json"))
	assert.Contains(t, dee["message"], "did not build")

	t.Run("hidden tests reach instructors only", func(t *testing.T) {
		dir := filepath.Join(out, "cy-node")
		for _, f := range []string{"results.json", "gradescope.json"} {
			assert.Contains(t, readFile(t, filepath.Join(dir, f)), hiddenTest, "%s is for instructors", f)
		}
		for _, f := range []string{"learner.json", "junit.xml", "summary.md"} {
			body := readFile(t, filepath.Join(dir, f))
			assert.NotContains(t, body, hiddenTest, "%s is learner-facing", f)
			assert.NotContains(t, body, "Location", "%s is learner-facing", f)
		}
		assert.Contains(t, readFile(t, filepath.Join(dir, "gradescope.json")), `"visibility": "hidden"`)
		assert.Contains(t, readFile(t, filepath.Join(out, "summary.csv")), hiddenTest)
		assert.Contains(t, readFile(t, html), hiddenTest)
	})

	t.Run("class summary", func(t *testing.T) {
		rows := readCSV(t, filepath.Join(out, "summary.csv"))
		require.Len(t, rows, len(cases)+1)
		for i, c := range cases {
			assert.Equal(t, c.id, rows[i+1][0])
			assert.Equal(t, c.status, rows[i+1][1])
		}
		for _, c := range cases {
			assert.Contains(t, r.out, c.id, "the terminal table has a row per submission")
		}
		assert.Contains(t, r.out, "5 submissions · 2 passed every test · 2 did not build or run")
	})

	t.Run("github", func(t *testing.T) {
		assert.Contains(t, r.out, "::notice title=Points ada-node::Points 42/42")
		assert.Contains(t, r.out, "::error title=cy-node%3A failed::")
		assert.NotContains(t, r.out, "::error title=forged", "a server cannot issue workflow commands")
		assert.NotContains(t, r.out, "::add-mask::")
		md := readFile(t, summary)
		assert.Contains(t, md, "### coach grade: todo-api (step 3)")
		assert.Contains(t, md, "| ✅ | ada-node | passed | 42/42 |")
	})
	assert.NotContains(t, readFile(t, html), "<script>alert(1)", "the HTML report escapes server output")
}

func TestGradeMixedClassProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs five submissions")
	}
	gradeMixedClass(t, "process")
	assertNoProcessesUnder(t, os.TempDir(), "eve-hostile")
}

// TestGradeMixedClassDocker is the real one: every submission in its own
// container, and nothing this process made left afterwards (filtered by
// pid, since other packages' tests use the engine at the same time).
func TestGradeMixedClassDocker(t *testing.T) {
	dockertest.Require(t)
	gradeMixedClass(t, "docker")
	assertNoLeftovers(t, os.Getpid())
}

// assertNoProcessesUnder checks that no process runs in a folder whose
// path contains marker (the process backend's servers run in their
// workspace): the hostile server's busy child must be gone too.
func assertNoProcessesUnder(t *testing.T, _ string, marker string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var left []string
		procs, _ := filepath.Glob("/proc/[0-9]*/cwd")
		for _, p := range procs {
			if cwd, err := os.Readlink(p); err == nil && strings.Contains(cwd, marker) {
				left = append(left, p+" -> "+cwd)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left behind: %v", left)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestGradeOneSubmissionForGitHub(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a submission")
	}
	catalog := classCatalog(t)
	root, _ := mixedClass(t, catalog)
	out := filepath.Join(t.TempDir(), "results")
	summary := filepath.Join(t.TempDir(), "step-summary.md")
	require.NoError(t, os.WriteFile(summary, []byte("earlier step\n"), 0o644))
	r := coachEnv(context.Background(), t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary},
		"--catalog", catalog, "grade", "--step", "3", "--sandbox", "process", "--seed", "7", "--out", out, filepath.Join(root, "cy-node"))
	assert.Equal(t, ExitFailed, r.code, r.out+r.err)
	assert.Equal(t, 1, strings.Count(strings.ToLower(r.err), "not isolated"), "said once, by the CLI: %s", r.err)
	assert.Contains(t, r.err, "NOT isolated: grade only code you trust")
	assert.Contains(t, r.out, "::notice title=Points::Points 41/42")
	assert.Contains(t, r.out, "::error title=hidden-", "a hidden test's failure is announced, redacted")
	assert.NotContains(t, r.out, hiddenTest, "the learner's log does not reveal the hidden test")
	md := readFile(t, summary)
	assert.True(t, strings.HasPrefix(md, "earlier step\n"), "the summary is appended")
	assert.Contains(t, md, "**Points 41/42**")
	assert.Contains(t, md, "seed `7`")
	assert.NotContains(t, md, hiddenTest)
}

// TestGradeShardsMergeLikeOneRun grades a class unsharded and in two
// shards, merges the shards, and expects the same summary (times aside).
func TestGradeShardsMergeLikeOneRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs submissions")
	}
	catalog := classCatalog(t)
	root, _ := mixedClass(t, catalog)
	require.NoError(t, os.RemoveAll(filepath.Join(root, "eve-hostile")), "slow by design; not needed here")
	base := t.TempDir()
	grade := func(out string, extra ...string) {
		args := append([]string{"--catalog", catalog, "grade", "--step", "3", "--sandbox", "process", "--seed", "9",
			"--jobs", "2", "--github", "never", "--out", filepath.Join(base, out)}, extra...)
		r := coachEnv(context.Background(), t, nil, append(args, subDirs(t, root)...)...)
		require.Contains(t, []int{ExitOK, ExitFailed, ExitLearnerCode}, r.code, r.out+r.err)
	}
	grade("all")
	grade("shard-1", "--shard", "1/2")
	grade("shard-2", "--shard", "2/2")
	one, two := subDirs(t, filepath.Join(base, "shard-1")), subDirs(t, filepath.Join(base, "shard-2"))
	assert.Equal(t, 4+2, len(one)+len(two), "4 submissions and a summary.csv per shard")

	html := filepath.Join(base, "merged.html")
	r := coachEnv(context.Background(), t, nil, "grade", "merge", filepath.Join(base, "shard-1"), filepath.Join(base, "shard-2"),
		"--out", filepath.Join(base, "merged"), "--html", html, "--github", "never")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	want := withoutDurations(readCSV(t, filepath.Join(base, "all", "summary.csv")))
	got := withoutDurations(readCSV(t, filepath.Join(base, "merged", "summary.csv")))
	assert.Equal(t, want, got)
	assert.FileExists(t, filepath.Join(base, "merged", "ada-node", "gradescope.json"), "merge copies every submission's results")
	assert.FileExists(t, html)

	r = coachEnv(context.Background(), t, nil, "grade", "merge", filepath.Join(base, "shard-1"), filepath.Join(base, "all"),
		"--out", filepath.Join(base, "twice"))
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.err, "is in both")
}

// TestGradeInterruptKeepsFinishedResults cancels a run (Ctrl-C) while the
// hostile submission is being graded: the finished submission's results
// and a partial summary stay, and the hostile server is gone.
func TestGradeInterruptKeepsFinishedResults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs submissions")
	}
	catalog := classCatalog(t)
	root, _ := mixedClass(t, catalog)
	out := filepath.Join(t.TempDir(), "results")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// ben-python finishes in a few seconds; eve then hangs until cancelled.
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(filepath.Join(out, "ben-python", "results.json")); err == nil {
				time.Sleep(2 * time.Second)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		cancel()
	}()
	r := coachEnv(ctx, t, nil, "--catalog", catalog, "grade", "--step", "3", "--sandbox", "process", "--github", "never",
		"--out", out, filepath.Join(root, "ben-python"), filepath.Join(root, "eve-hostile"))
	assert.Equal(t, ExitInterrupted, r.code, r.out+r.err)
	assert.Contains(t, r.err, "interrupted: 1 of 2 submissions graded")
	rows := readCSV(t, filepath.Join(out, "summary.csv"))
	require.Len(t, rows, 2)
	assert.Equal(t, "ben-python", rows[1][0])
	assert.NoFileExists(t, filepath.Join(out, "eve-hostile", "results.json"))
	assertNoProcessesUnder(t, "", "eve-hostile")
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(readFile(t, path)), &m), path)
	return m
}

func readCSV(t testing.TB, path string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(readFile(t, path))).ReadAll()
	require.NoError(t, err)
	return rows
}

func withoutDurations(rows [][]string) [][]string {
	col := -1
	for i, h := range rows[0] {
		if h == "duration_ms" {
			col = i
		}
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = append(append([]string(nil), r[:col]...), r[col+1:]...)
	}
	return out
}

func testStatuses(res map[string]any) []string {
	var out []string
	tests, _ := res["tests"].([]any)
	for _, x := range tests {
		m := x.(map[string]any)
		out = append(out, fmt.Sprintf("%v=%v", m["id"], m["status"]))
	}
	return out
}

// checkExercismShape validates results.json against the fields Exercism's
// test-runner interface documents for version 3: version, status
// (pass|fail|error), message (string when error), tests[] with name,
// status, message, output, test_code and task_id.
func checkExercismShape(t *testing.T, m map[string]any) {
	t.Helper()
	assert.EqualValues(t, 3, m["version"])
	assert.Contains(t, []any{"pass", "fail", "error"}, m["status"])
	if m["status"] == "error" {
		assert.IsType(t, "", m["message"], "message is required when status is error")
	}
	tests, ok := m["tests"].([]any)
	require.True(t, ok, "tests is an array")
	for _, x := range tests {
		tc := x.(map[string]any)
		assert.IsType(t, "", tc["name"])
		assert.Contains(t, []any{"pass", "fail", "error", "skip"}, tc["status"])
		for _, k := range []string{"message", "output"} {
			v, present := tc[k]
			assert.True(t, present, "%s is present (null when empty)", k)
			if v != nil {
				assert.IsType(t, "", v)
			}
		}
		assert.IsType(t, "", tc["test_code"])
		assert.IsType(t, float64(0), tc["task_id"])
		assert.IsType(t, float64(0), tc["score"])
		assert.IsType(t, float64(0), tc["max_score"])
	}
}

// checkGradescopeShape validates gradescope.json against the fields of
// Gradescope's autograder specification: score, execution_time, output,
// and tests[] with score, max_score, name, number, status (passed|failed),
// output and visibility (visible|hidden|after_due_date|after_published).
func checkGradescopeShape(t *testing.T, path string) {
	t.Helper()
	m := readJSON(t, path)
	allowed := map[string]bool{"score": true, "max_score": true, "execution_time": true, "output": true, "output_format": true,
		"test_output_format": true, "test_name_format": true, "visibility": true, "stdout_visibility": true, "extra_data": true,
		"tests": true, "leaderboard": true}
	for k := range m {
		assert.True(t, allowed[k], "unknown top-level field %q", k)
	}
	assert.IsType(t, float64(0), m["score"])
	assert.IsType(t, float64(0), m["execution_time"])
	tests, ok := m["tests"].([]any)
	require.True(t, ok)
	sum := 0.0
	for _, x := range tests {
		tc := x.(map[string]any)
		for k := range tc {
			assert.Contains(t, []string{"score", "max_score", "status", "name", "name_format", "number", "output",
				"output_format", "tags", "visibility", "extra_data"}, k)
		}
		assert.Contains(t, []any{"passed", "failed"}, tc["status"])
		assert.Contains(t, []any{"visible", "hidden", "after_due_date", "after_published"}, tc["visibility"])
		sum += tc["score"].(float64)
	}
	assert.InDelta(t, m["score"].(float64), sum, 1e-9, "the total is the tests' sum")
}
