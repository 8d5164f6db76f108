package report

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/sandbox"
	"github.com/coachcli/coach/sandbox/docker"
	"github.com/coachcli/coach/sandbox/dockertest"
	"github.com/coachcli/coach/sandbox/process"
	"github.com/coachcli/coach/sandbox/workspace"
)

// These tests run suites against real servers (httptest, or the learner's
// kind of server under the process backend) and pin what a learner reads
// when something goes wrong (issue 13). Each asserts the headline and the
// message besides the golden file, so a regression fails with a reason.

// memTarget reaches an httptest server and keeps the output its handlers
// print, as a sandbox keeps a server's.
type memTarget struct {
	addr string
	mu   sync.Mutex
	logs bytes.Buffer
}

func (m *memTarget) BaseURL() string { return "http://localhost:8080" }

func (m *memTarget) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", m.addr)
}

func (m *memTarget) LogMark() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(m.logs.Len())
}

func (m *memTarget) LogsSince(mark int64) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.logs.Bytes()
	if mark >= int64(len(b)) {
		return nil
	}
	return bytes.Clone(b[mark:])
}

func (m *memTarget) printf(format string, a ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(&m.logs, format+"\n", a...)
}

// serve starts h as the server under test; h may print through the target.
func serve(t *testing.T, h func(m *memTarget) http.Handler) *memTarget {
	t.Helper()
	m := &memTarget{}
	srv := httptest.NewServer(h(m))
	t.Cleanup(srv.Close)
	m.addr = srv.Listener.Addr().String()
	return m
}

// blindTarget is a server coach cannot see the output of, as with --url.
type blindTarget struct{ *memTarget }

func (blindTarget) OutputHidden() bool { return true }

// catalogueSuite loads a suite of the built-in roadmap, as learners run it.
func catalogueSuite(t *testing.T, dir string) *grader.Suite {
	t.Helper()
	file := filepath.Join("..", "..", "exercises", "backend", dir, "suite.yaml")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	s, err := grader.ParseSuite(file, data)
	require.NoError(t, err)
	return s
}

func inlineSuite(t *testing.T, src string) *grader.Suite {
	t.Helper()
	s, err := grader.ParseSuite("suite.yaml", []byte(src))
	require.NoError(t, err)
	return s
}

var (
	portRe     = regexp.MustCompile(`localhost:\d+|0\.0\.0\.0:\d+|127\.0\.0\.1:\d+`)
	durationRe = regexp.MustCompile(`· \d+(\.\d+)?m?s\n`)
	stampRe    = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)`)
)

// normalised replaces what changes from run to run: ports, times, dates.
func normalised(s string) string {
	s = portRe.ReplaceAllStringFunc(s, func(m string) string { return m[:strings.LastIndex(m, ":")] + ":PORT" })
	s = durationRe.ReplaceAllString(s, "· TIME\n")
	return stampRe.ReplaceAllString(s, "TIMESTAMP")
}

// runAndRender runs s against tgt and renders the terminal report.
func runAndRender(t *testing.T, s *grader.Suite, tgt grader.Target, target string, only ...string) (*grader.Result, string) {
	t.Helper()
	r := grader.Run(context.Background(), s, tgt, grader.RunOptions{Seed: 7, Only: only})
	r.Exercise, r.Step, r.Target = "test", 1, target
	var buf bytes.Buffer
	require.NoError(t, Terminal(&buf, r, TerminalOptions{}))
	return r, normalised(buf.String())
}

func testByID(t *testing.T, r *grader.Result, id string) grader.TestResult {
	t.Helper()
	for _, tr := range r.Tests {
		if tr.ID == id {
			return tr
		}
	}
	t.Fatalf("no test %s in the result", id)
	return grader.TestResult{}
}

// helloServer answers step 1 correctly except where a test overrides it.
func helloServer(m *memTarget, override http.HandlerFunc) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<h1>Hello Backend World!</h1>")
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"ok"}`)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if override != nil && r.URL.Path == "/" {
			override(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// TestGoldenEndlessBody: a chunked body that never ends, whose first bytes
// hold the expected heading, used to pass step 1 on its first MiB.
func TestGoldenEndlessBody(t *testing.T) {
	tgt := serve(t, func(m *memTarget) http.Handler {
		return helloServer(m, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<h1>Hello Backend World!</h1>")
			chunk := []byte(strings.Repeat("x", 32<<10))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		})
	})
	r, out := runAndRender(t, catalogueSuite(t, "step-01-hello-server"), tgt, "docker", "root-hello", "root-content-type")
	golden(t, "failure_endless_body", []byte(out))
	for _, id := range []string{"root-hello", "root-content-type"} {
		tr := testByID(t, r, id)
		require.Equal(t, grader.StatusFail, tr.Status, "a check never passes on the start of an endless body")
		assert.Equal(t, "GET /: the response body is larger than 1 MiB: coach reads at most that much of an answer, so it cannot check this one", tr.Message)
	}
	assert.Contains(t, out, "The same problem fails 1 more test:")
}

// TestGoldenHang: a request that gets no answer, and a body that stops.
func TestGoldenHang(t *testing.T) {
	tgt := serve(t, func(m *memTarget) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/half" {
				fmt.Fprint(w, "the start")
				w.(http.Flusher).Flush()
			}
			<-r.Context().Done()
		})
	})
	s := inlineSuite(t, `tests:
  - id: hang
    name: GET /slow answers
    steps:
      - request: {path: /slow, timeout: 300ms}
        expect: {status: 200}
  - id: half
    name: GET /half answers
    steps:
      - request: {path: /half, timeout: 300ms}
        expect: {status: 200}
`)
	r, out := runAndRender(t, s, tgt, "docker")
	golden(t, "failure_hang", []byte(out))
	assert.Equal(t, "GET /slow: no response within 300ms", testByID(t, r, "hang").Message)
	assert.Equal(t, "GET /half: the response body was not finished after 300ms: the status and headers came, the end of the body never did", testByID(t, r, "half").Message)
	assert.Contains(t, out, "curl -i 'http://localhost:PORT/slow'")
}

// TestGoldenLogAttribution: two servers, one printing before it answers and
// one a moment after; both lines land under the request they belong to.
func TestGoldenLogAttribution(t *testing.T) {
	s := inlineSuite(t, `tests:
  - id: get-item
    name: GET /items/{id} returns the item
    steps:
      - request: {path: /setup}
        expect: {status: 200}
      - request: {path: /items/1}
        expect: {status: 200}
`)
	for _, tc := range []struct {
		name string
		late bool
	}{{"before", false}, {"after", true}} {
		t.Run(tc.name, func(t *testing.T) {
			tgt := serve(t, func(m *memTarget) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					status := 200
					if r.URL.Path != "/setup" {
						status = 500
					}
					line := fmt.Sprintf("%s %s -> %d", r.Method, r.URL.Path, status)
					if tc.late {
						defer func() { go func() { time.Sleep(20 * time.Millisecond); m.printf("%s", line) }() }()
					} else {
						m.printf("%s", line)
					}
					w.WriteHeader(status)
				})
			})
			tgt.printf("listening on :8080")
			r, out := runAndRender(t, s, tgt, "docker")
			golden(t, "failure_logs_"+tc.name, []byte(out))
			f := testByID(t, r, "get-item").Failure
			require.NotNil(t, f)
			assert.Equal(t, "[coach]       GET /setup → 200 OK\n[your server] GET /setup -> 200\n[coach]       GET /items/1 → 500 Internal Server Error\n[your server] GET /items/1 -> 500", f.Timeline)
			assert.Equal(t, "listening on :8080", r.Startup, "start-up output is kept once, not per test")
			assert.Equal(t, 1, strings.Count(out, "listening on :8080"))
			assert.NotContains(t, out, "(nothing)")
		})
	}
}

// TestGoldenOutputUnseen: a server that printed nothing during the test,
// and one whose output coach cannot see (--url), are told apart.
func TestGoldenOutputUnseen(t *testing.T) {
	s := inlineSuite(t, `tests:
  - id: health
    name: GET /health answers 200
    steps:
      - request: {path: /health}
        expect: {status: 200}
`)
	quiet := serve(t, func(m *memTarget) http.Handler { return http.NotFoundHandler() })
	quiet.printf("started")
	_, out := runAndRender(t, s, quiet, "docker")
	golden(t, "failure_output_quiet", []byte(out))
	assert.Contains(t, out, "(it printed nothing during this test)")

	_, out = runAndRender(t, s, blindTarget{serve(t, func(m *memTarget) http.Handler { return http.NotFoundHandler() })}, "url")
	golden(t, "failure_output_url", []byte(out))
	assert.Contains(t, out, "coach cannot see it with --url")
	assert.NotContains(t, out, "printed nothing")
}

// pythonWorkspace writes main.py (and nothing else) to a new folder.
func pythonWorkspace(t *testing.T, src string) *workspace.Workspace {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.py"), []byte(src), 0o644))
	ws, err := workspace.Detect(dir)
	require.NoError(t, err)
	return ws
}

func startProcess(t *testing.T, ws *workspace.Workspace) sandbox.Instance {
	t.Helper()
	inst, err := process.New().Start(context.Background(), sandbox.Spec{Workspace: ws, StartTimeout: 20 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = inst.Close(context.Background()) })
	return inst
}

// TestGoldenServerExits: a server that exits with code 1 on its third
// request. Every later failure says so once, not "connection refused".
func TestGoldenServerExits(t *testing.T) {
	ws := pythonWorkspace(t, `import os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

served = 0

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        global served
        served += 1
        print(f"request {served}: GET {self.path}", flush=True)
        if served == 3:
            print("Traceback (most recent call last):\n  File \"main.py\", line 17, in do_GET\nRuntimeError: the todo store is corrupt", flush=True)
            os._exit(1)
        body = b"<h1>Hello Backend World!</h1>" if self.path == "/" else b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if self.path == "/" else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

print("listening", flush=True)
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`)
	inst := startProcess(t, ws)
	r, out := runAndRender(t, catalogueSuite(t, "step-01-hello-server"), inst, "process")
	golden(t, "failure_server_exits", []byte(out))
	first := testByID(t, r, "health-ok")
	assert.Equal(t, "your server exited with code 1 during test health-ok", first.Message)
	assert.Contains(t, first.Output, "RuntimeError: the todo store is corrupt")
	for _, tr := range r.Tests[3:] {
		assert.Equal(t, "your server is not running: it exited with code 1 during test health-ok", tr.Message, tr.ID)
	}
	assert.NotContains(t, out, "connection refused")
	assert.Equal(t, 1, strings.Count(out, "RuntimeError"), "the crash is shown once")
}

// todoSolution is step 3's Python reference solution with a patch applied.
func todoSolution(t *testing.T, find, replace string) *workspace.Workspace {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "exercises", "backend", "step-03-todo-api", "solutions", "python", "main.py"))
	require.NoError(t, err)
	require.Contains(t, string(data), find)
	return pythonWorkspace(t, strings.Replace(string(data), find, replace, 1))
}

// TestGoldenCascade: POST /todos answers 400, so every test that creates a
// todo first fails at its setup request. They read as one problem, with
// the test of POST /todos itself to fix first.
func TestGoldenCascade(t *testing.T) {
	ws := todoSolution(t, "    def create_todo(self, match, query):\n", "    def create_todo(self, match, query):\n        raise BadRequest(\"title is required\")\n")
	inst := startProcess(t, ws)
	r, out := runAndRender(t, catalogueSuite(t, "step-03-todo-api"), inst, "process")
	golden(t, "failure_cascade", []byte(out))
	get := testByID(t, r, "todos-get")
	require.NotNil(t, get.Failure)
	assert.True(t, get.Failure.Setup)
	assert.Equal(t, `setup request 1 of 2 (POST /todos) answered 400 (Bad Request), expected 201 — fix todos-create first`, get.Message)
	assert.Equal(t, testByID(t, r, "todos-create").Failure.Cause, get.Failure.Cause, "one cause, one group")
	assert.Regexp(t, `The same problem fails \d+ more tests:`, out)
	assert.Equal(t, 1, strings.Count(out, "✗ POST /todos answers 201 with the created todo (todos-create)"))
	assert.NotContains(t, out, "✗ GET /todos/{id} returns the stored todo (todos-get)", "a grouped test is not shown in full")
}

// TestGoldenMissingField: a todo without "completed" fails many tests at
// the same check; they are shown as one problem.
func TestGoldenMissingField(t *testing.T) {
	ws := todoSolution(t, `                "completed": completed,`+"\n", "")
	inst := startProcess(t, ws)
	r, out := runAndRender(t, catalogueSuite(t, "step-03-todo-api"), inst, "process")
	golden(t, "failure_missing_field", []byte(out))
	failed := 0
	for _, tr := range r.Tests {
		if tr.Status == grader.StatusFail {
			failed++
		}
	}
	blocks := regexp.MustCompile(`(?m)^✗ .+ \([a-z-]+\)$`).FindAllString(out, -1)
	assert.GreaterOrEqual(t, failed, 3)
	assert.Equal(t, []string{"✗ POST /todos answers 201 with the created todo (todos-create)"}, blocks, "failures of one missing field are one problem")
	assert.Contains(t, out, fmt.Sprintf("The same problem fails %d more tests:", failed-1))
}

// TestGoldenOOMKilled: a server the kernel kills for memory in the middle
// of a run, in the Docker sandbox (the only backend with a memory limit).
func TestGoldenOOMKilled(t *testing.T) {
	cli := dockertest.Require(t)
	o := docker.DefaultOptions()
	o.Memory = 128 << 20
	if _, err := os.Stat("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		o.CAFile = "/etc/ssl/certs/ca-certificates.crt"
	}
	d, err := docker.New(t.Context(), o)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	t.Cleanup(func() {
		assert.Empty(t, dockertest.Leftovers(t, cli, docker.LabelPID+"="+strconv.Itoa(os.Getpid())), "objects left behind")
	})
	ws := pythonWorkspace(t, `import os
from http.server import BaseHTTPRequestHandler, HTTPServer

served = 0
hoard = []

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        global served
        served += 1
        print(f"request {served}: GET {self.path}", flush=True)
        if served == 3:
            print("caching every todo in memory", flush=True)
            while True:
                hoard.append(bytearray(16 << 20))
        body = b"<h1>Hello Backend World!</h1>" if self.path == "/" else b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if self.path == "/" else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

print("listening", flush=True)
HTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
`)
	inst, err := d.Start(t.Context(), sandbox.Spec{Workspace: ws, Port: sandbox.DefaultPort, StartTimeout: 30 * time.Second, BuildTimeout: 5 * time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = inst.Close(context.Background()) })
	r, out := runAndRender(t, catalogueSuite(t, "step-01-hello-server"), inst, "docker")
	golden(t, "failure_oom_killed", []byte(out))
	assert.Equal(t, "your server was killed: out of memory (limit 128 MiB) during test health-ok", testByID(t, r, "health-ok").Message)
	for _, tr := range r.Tests[3:] {
		assert.Equal(t, "your server is not running: it was killed: out of memory (limit 128 MiB) during test health-ok", tr.Message, tr.ID)
	}
	assert.Contains(t, out, "caching every todo in memory")
}

// TestGoldenRegexInWords: a regex expectation comes with an example.
func TestGoldenRegexInWords(t *testing.T) {
	tgt := serve(t, func(m *memTarget) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "/todo?id=1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":1,"title":"x","completed":false}`)
		})
	})
	r, out := runAndRender(t, catalogueSuite(t, "step-03-todo-api"), tgt, "docker", "todos-create-location")
	golden(t, "failure_regex", []byte(out))
	f := testByID(t, r, "todos-create-location").Failure
	require.NotNil(t, f)
	assert.Equal(t, "a string matching /^(https?://[^/]+)?/todos/[^/?#]+$/ (for example /todos/abc)", f.Expected)
}
