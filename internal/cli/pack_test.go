package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/schemas"
)

// env is a test's environment: its own XDG data folder, so installed
// catalogues never touch the user's.
type env map[string]string

func newEnv(t *testing.T) env {
	return env{"COACH_CONFIG": filepath.Join(t.TempDir(), "none.yaml"), "NO_COLOR": "1", "XDG_DATA_HOME": t.TempDir()}
}

func (e env) streams() (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut, Getenv: func(k string) string { return e[k] }}, &out, &errOut
}

// run runs one command line with this environment.
func (e env) run(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	io, out, errOut := e.streams()
	code := Run(ctx, io, args)
	return result{code: code, out: out.String(), err: errOut.String()}
}

// catalogAdd installs a pack over HTTPS with a client that trusts the
// test server's CA (and nothing touches the system trust store).
func (e env) catalogAdd(t *testing.T, client *http.Client, name, url, sha string) result {
	t.Helper()
	io, out, errOut := e.streams()
	err := runCatalogAdd(context.Background(), &catalogOptions{g: &globalOptions{io: io, dir: "."}, names: []string{name}, source: url, sha256: sha, client: client})
	return result{code: ExitCode(err), out: out.String(), err: errOut.String() + errString(err)}
}

func (e env) catalogUpdate(t *testing.T, client *http.Client, name string) result {
	t.Helper()
	io, out, errOut := e.streams()
	err := runCatalogUpdate(context.Background(), &catalogOptions{g: &globalOptions{io: io, dir: "."}, names: []string{name}, client: client})
	return result{code: ExitCode(err), out: out.String(), err: errOut.String() + errString(err)}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
}

func TestExerciseNewScaffoldsCleanExercises(t *testing.T) {
	e := newEnv(t)
	cat := filepath.Join(t.TempDir(), "HTTP Basics")
	r := e.run(t, "--catalog", cat, "exercise", "new", "hello-server")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "step-01-hello-server")
	r = e.run(t, "--catalog", cat, "exercise", "new", "routes", "--step", "2")
	require.Equal(t, ExitOK, r.code, r.out+r.err)

	r = e.run(t, "exercise", "lint", cat)
	assert.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "no problems")
	c, err := exercises.Load(os.DirFS(cat))
	require.NoError(t, err)
	assert.Equal(t, "http-basics", c.Roadmap.Name)
	require.Len(t, c.Exercises, 2)
	assert.Equal(t, "routes", c.Exercises[1].ID)

	for file, schema := range map[string]string{
		"roadmap.yaml": "roadmap", "step-01-hello-server/exercise.yaml": "exercise", "step-01-hello-server/suite.yaml": "suite",
		"step-01-hello-server/hints.yaml": "hints", "step-01-hello-server/mutants.yaml": "mutants",
	} {
		data, err := os.ReadFile(filepath.Join(cat, file))
		require.NoError(t, err)
		assert.Contains(t, string(data), "# yaml-language-server: $schema="+schemas.URL(schema), file)
	}

	r = e.run(t, "--catalog", cat, "exercise", "new", "jwt", "--step", "7")
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.err, "a new step is step 3")
	r = e.run(t, "--catalog", cat, "exercise", "new", "routes")
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.err, "already has a step with id routes")
}

func TestLintReportsPositionsAsTextAndJSON(t *testing.T) {
	e := newEnv(t)
	cat := t.TempDir()
	_, err := exercises.CopyTree(os.DirFS("../../grader/testdata/lint/base"), ".", cat, true)
	require.NoError(t, err)
	suite := filepath.Join(cat, "step-01-hello", "suite.yaml")
	data, err := os.ReadFile(suite)
	require.NoError(t, err)
	writeFile(t, suite, strings.Replace(string(data), `{$.title: "{{ .title }}"}`, `{$.title: "{{ .titel }}"}`, 1))

	r := e.run(t, "exercise", "lint", cat)
	assert.Equal(t, ExitFailed, r.code)
	assert.Equal(t, filepath.Join(cat, "step-01-hello/suite.yaml")+":14:31: template variable .titel is never defined: it is neither a suite var nor a capture of this test (undefined-var)\n1 problem(s)\n", r.out)

	// An exercise folder is linted within its catalogue.
	r = e.run(t, "exercise", "lint", filepath.Join(cat, "step-01-hello"), "--format", "json")
	assert.Equal(t, ExitFailed, r.code)
	var got lintJSON
	require.NoError(t, json.Unmarshal([]byte(r.out), &got), r.out)
	assert.Equal(t, []lintProblem{{File: filepath.Join(cat, "step-01-hello/suite.yaml"), Line: 14, Column: 31, Severity: "error",
		Rule: "undefined-var", Message: "template variable .titel is never defined: it is neither a suite var nor a capture of this test"}}, got.Problems)

	r = e.run(t, "exercise", "lint", t.TempDir())
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.err, "no roadmap.yaml")
}

func TestSchemaCommandPrintsShippedSchemas(t *testing.T) {
	e := newEnv(t)
	r := e.run(t, "exercise", "schema", "suite")
	require.Equal(t, ExitOK, r.code, r.err)
	want, err := schemas.Shipped("suite")
	require.NoError(t, err)
	assert.Equal(t, string(want), r.out)

	dir := t.TempDir()
	r = e.run(t, "exercise", "schema", "--out", dir)
	require.Equal(t, ExitOK, r.code, r.err)
	for _, name := range schemas.Names() {
		assert.FileExists(t, filepath.Join(dir, schemas.FileName(name)))
	}
	r = e.run(t, "exercise", "schema", "nope")
	assert.Equal(t, ExitUsage, r.code)
}

func TestCatalogNamesAndFolders(t *testing.T) {
	e := newEnv(t)
	r := e.run(t, "--catalog", "no-such-pack", "list")
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.err, "neither an installed catalogue")
	r = e.run(t, "--catalog", "backend", "list")
	assert.Equal(t, ExitOK, r.code, r.err)
	r = e.run(t, "catalog", "list")
	assert.Equal(t, ExitOK, r.code, r.err)
	assert.Contains(t, r.out, "built in")
	r = e.run(t, "--catalog", "backend", "hint", "other/3")
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.err, "--catalog says backend")
	r = e.run(t, "--dir", t.TempDir(), "hint", "backend/3")
	assert.Equal(t, ExitOK, r.code, r.err)
}

// servePack serves the bytes in body at /pack.tar.gz over HTTPS.
func servePack(t *testing.T, body *atomic.Value) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/pack.tar.gz" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body.Load().([]byte))
	}))
	t.Cleanup(srv.Close)
	return srv
}

var shaRE = regexp.MustCompile(`sha256 ([0-9a-f]{64})`)

const roundTripSuite = `tests:
  - id: health
    name: GET /health answers 200 with JSON
    hint: Answer {"status":"ok"} with Content-Type application/json.
    steps:
      - request: {path: /health}
        expect:
          status: 200
          headers: {Content-Type: {media_type: application/json}}
          json: {$.status: ok}
  - id: unknown-404
    name: an unknown path answers 404
    hint: Answer 404 when no route matches.
    steps:
      - request: {path: "/nope-{{ randString 6 }}"}
        expect: {status: 404}
`

const roundTripSolution = `import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == '/health':
            body = json.dumps({"status": "ok"}).encode()
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
        else:
            body = b'not found'
            self.send_response(404)
            self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

HTTPServer(('127.0.0.1', int(os.environ.get('PORT', '8080'))), Handler).serve_forever()
`

const roundTripMutants = `mutants:
  - id: fallback-200
    lang: python
    caught_by: unknown-404
    edits:
      - file: main.py
        find: "self.send_response(404)"
        replace: "self.send_response(200)"
`

// TestAuthorPublishFetchCheck is the instructor's and the learner's whole
// path: exercise new, a suite and a solution, lint, verify, pack build,
// catalog add over HTTPS, check — then offline use and an update.
func TestAuthorPublishFetchCheck(t *testing.T) {
	e := newEnv(t)
	cat := filepath.Join(t.TempDir(), "http-basics")
	r := e.run(t, "--catalog", cat, "exercise", "new", "health-check")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	step := filepath.Join(cat, "step-01-health-check")
	writeFile(t, filepath.Join(step, "suite.yaml"), roundTripSuite)
	writeFile(t, filepath.Join(step, "solutions", "python", "main.py"), roundTripSolution)
	writeFile(t, filepath.Join(step, "mutants.yaml"), roundTripMutants)

	r = e.run(t, "exercise", "lint", cat)
	require.Equal(t, ExitFailed, r.code, "points must be caught: "+r.out)
	assert.Contains(t, r.out, "exercise.yaml:13:9: points is 1 but the suite's tests add up to 2")
	ex := filepath.Join(step, "exercise.yaml")
	data, err := os.ReadFile(ex)
	require.NoError(t, err)
	writeFile(t, ex, strings.Replace(string(data), "points: 1 ", "points: 2 ", 1))
	r = e.run(t, "exercise", "lint", cat)
	require.Equal(t, ExitOK, r.code, r.out+r.err)

	r = e.run(t, "exercise", "verify", cat, "--sandbox", "process")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "✓ caught")

	out := filepath.Join(t.TempDir(), "http-basics-1.0.0.tar.gz")
	r = e.run(t, "pack", "build", cat, "--version", "1.0.0", "-o", out)
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	m := shaRE.FindStringSubmatch(r.out)
	require.NotNil(t, m, r.out)
	v1, err := os.ReadFile(out)
	require.NoError(t, err)

	var body atomic.Value
	body.Store(v1)
	srv := servePack(t, &body)
	url := srv.URL + "/pack.tar.gz"
	r = e.catalogAdd(t, srv.Client(), "http-basics", url, strings.Repeat("ab", 32))
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.err, "sha256 mismatch")
	r = e.catalogAdd(t, srv.Client(), "http-basics", url, m[1])
	require.Equal(t, ExitOK, r.code, r.out+r.err)

	// The learner: offline from here on.
	srv.Close()
	r = e.run(t, "catalog", "list")
	require.Equal(t, ExitOK, r.code, r.err)
	assert.Contains(t, r.out, "http-basics  1.0.0")
	r = e.run(t, "list", "--catalog", "http-basics")
	require.Equal(t, ExitOK, r.code, r.err)
	assert.Contains(t, r.out, "health-check")
	ws := t.TempDir()
	r = e.run(t, "--dir", ws, "hint", "http-basics/1")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "Hint 1/1 for step-1")
	writeFile(t, filepath.Join(ws, "main.py"), roundTripSolution)
	r = e.run(t, "--dir", ws, "start", "http-basics/1", "--lang", "python")
	require.Equal(t, ExitUsage, r.code, "this step has no starter: "+r.out+r.err)
	assert.Contains(t, r.err, "starter/python")
	r = e.run(t, "--dir", ws, "check", "http-basics/1", "--sandbox", "process")
	assert.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "passed")
	writeFile(t, filepath.Join(ws, "main.py"), strings.Replace(roundTripSolution, "send_response(404)", "send_response(200)", 1))
	r = e.run(t, "--dir", ws, "--catalog", "http-basics", "check", "step-1", "--sandbox", "process")
	assert.Equal(t, ExitFailed, r.code, r.out+r.err)
	r = e.run(t, "--dir", ws, "check", "http-basics/step-1", "--sandbox", "process")
	assert.Equal(t, ExitFailed, r.code, r.out+r.err)

	// An update: the instructor publishes 1.1.0 (pinned catalogues move
	// only with a new --sha256, so this one is re-added unpinned).
	r = e.run(t, "catalog", "remove", "http-basics")
	require.Equal(t, ExitOK, r.code, r.err)
	srv2 := servePack(t, &body)
	r = e.catalogAdd(t, srv2.Client(), "http-basics", srv2.URL+"/pack.tar.gz", "")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	writeFile(t, filepath.Join(cat, "README.md"), "notes for instructors\n")
	r = e.run(t, "pack", "build", cat, "--version", "1.1.0", "-o", out)
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	v2, err := os.ReadFile(out)
	require.NoError(t, err)
	body.Store(v2)
	r = e.catalogUpdate(t, srv2.Client(), "http-basics")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "updated http-basics: 1.0.0 -> 1.1.0")
	r = e.catalogUpdate(t, srv2.Client(), "http-basics")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "up to date")
}
