package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/sandbox/dockertest"
)

// projectShape is a real project's layout, written by the test from a
// step-1 reference solution plus changes.
type projectShape struct {
	name   string
	base   string            // the step-1 solution to start from ("" for none)
	move   map[string]string // renames within it
	files  map[string]string // files to add or replace
	env    map[string]string // environment of coach itself
	engine bool              // needs Docker (else detection stops it first)
	code   int
	// headline and hint must appear in what coach printed.
	headline, hint string
}

// dbServer dials PostgreSQL on the sandbox's loopback before it listens,
// as a server with a database would; nothing listens there.
const dbServer = `const net = require('node:net');
const http = require('node:http');
const db = net.connect(5432, '127.0.0.1');
db.on('error', (err) => { console.error('database: ' + err.message); process.exit(1); });
db.on('connect', () => http.createServer((req, res) => res.end('<h1>Hello Backend World!</h1>')).listen(process.env.PORT));
`

// envServer reads the .env file that .gitignore lists, and refuses to
// start without it.
const envServer = `const fs = require('node:fs');
if (!fs.readFileSync('.env', 'utf8').includes('GREETING=hello')) { console.error('.env has no GREETING'); process.exit(7); }
`

var projectShapes = []projectShape{
	{name: "go-cmd-api", base: "go", move: map[string]string{"main.go": "cmd/api/main.go"}, engine: true,
		code: ExitOK, headline: "coach: go (go.mod) · build: go build ./cmd/api · start: the program built from ./cmd/api"},
	{name: "go-two-programs", base: "go", move: map[string]string{"main.go": "cmd/api/main.go"},
		files: map[string]string{"cmd/worker/main.go": "package main\n\nfunc main() {}\n"},
		code:  ExitUsage, headline: "✗ coach can't tell how to start your server", hint: "`entry: ./cmd/api`"},
	{name: "go-without-go-mod", base: "go", move: map[string]string{"go.mod": ""},
		code: ExitLearnerCode, headline: "✗ Your code did not build", hint: "run `go mod init"},
	{name: "two-runtimes", base: "go", engine: true,
		files: map[string]string{"package.json": `{"name":"css","private":true,"scripts":{"css":"tailwindcss -o static/app.css"},"devDependencies":{"tailwindcss":"^3.4.0"}}`},
		code:  ExitOK, headline: "coach: go (go.mod)", hint: "note: package.json is used only for tooling here: coach runs your go server (go.mod)"},
	{name: "gitignored-env", base: "node", engine: true,
		files: map[string]string{".gitignore": "node_modules/\n.env\n", ".env": "GREETING=hello\n"},
		code:  ExitOK, headline: "coach: node (package.json)", hint: "warning: copied .env into the sandbox although .gitignore lists it"},
	{name: "python-src-app", base: "python", move: map[string]string{"main.py": "src/app.py"}, engine: true,
		code: ExitOK, headline: "coach: python (src/app.py) · start: python3 -u src/app.py"},
	{name: "flask-needs-run", files: map[string]string{"requirements.txt": "flask\n", "app.py": "from flask import Flask\n\napp = Flask(__name__)\n"},
		code: ExitUsage, headline: "✗ coach can't tell how to start your server", hint: "run: python3 -m flask --app app:app run --host 0.0.0.0 --port $PORT"},
	{name: "pipfile", files: map[string]string{"Pipfile": "[packages]\nflask = \"*\"\n", "app.py": "print('hi')\n"},
		code: ExitUsage, headline: "✗ coach can't install your dependencies", hint: "pipenv requirements > requirements.txt"},
	{name: "invalid-package-json", files: map[string]string{"package.json": "{\n  \"name\": \"x\",\n  \"scripts\": {\"start\": \"node server.js\",}\n}\n", "server.js": ""},
		code: ExitLearnerCode, headline: "✗ Your code did not build", hint: "package.json:3:41"},
	{name: "dials-database", engine: true, files: map[string]string{"package.json": `{"name":"x","scripts":{"start":"node server.js"}}`, "server.js": dbServer},
		code: ExitLearnerCode, headline: "✗ Your server exited (code 1) before it was ready",
		hint: "your server tried to connect to PostgreSQL at 127.0.0.1:5432 and was refused"},
	{name: "registry-unreachable", engine: true, env: map[string]string{"NPM_CONFIG_REGISTRY": "http://127.0.0.1:9/"},
		files: map[string]string{"package.json": `{"name":"x","scripts":{"start":"node server.js"},"dependencies":{"left-pad":"1.3.0"}}`, "server.js": "require('left-pad');\n"},
		code:  ExitSandbox, headline: "✗ coach could not reach 127.0.0.1:9 (not your code)", hint: "NPM_CONFIG_REGISTRY is set to http://127.0.0.1:9/"},
}

// TestProjectShapes checks real-world layouts end to end: what coach says
// it detected, and, when it cannot go on, the headline and the hint. The
// golden file holds those lines (progress and reports vary from run to run).
func TestProjectShapes(t *testing.T) {
	for _, tt := range projectShapes {
		t.Run(tt.name, func(t *testing.T) {
			if tt.engine {
				dockertest.Require(t)
			}
			dir := t.TempDir()
			if tt.base != "" {
				src := solutionDir(t, "1", tt.base)
				require.NoError(t, os.CopyFS(dir, os.DirFS(src)))
			}
			for from, to := range tt.move {
				if to == "" {
					require.NoError(t, os.Remove(filepath.Join(dir, from)))
					continue
				}
				require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, to)), 0o755))
				require.NoError(t, os.Rename(filepath.Join(dir, from), filepath.Join(dir, to)))
			}
			writeFiles(t, dir, tt.files)
			switch tt.name {
			case "gitignored-env":
				prependFile(t, filepath.Join(dir, "server.js"), envServer)
			}
			for k, v := range tt.env {
				t.Setenv(k, v) // the sandbox reads the build's registry settings from coach's environment
			}
			r := coachWith(t, dir, tt.env, "check", "1")
			got := projectLines(r.err, dir)
			assert.Equal(t, tt.code, r.code, r.out+r.err)
			assert.Contains(t, got, tt.headline)
			assert.Contains(t, got, tt.hint)
			assertGolden(t, "project-"+tt.name+".golden", got)
			if tt.engine {
				assertNoLeftovers(t, os.Getpid())
			}
			if tt.code == ExitLearnerCode && tt.engine {
				assert.FileExists(t, filepath.Join(dir, ".coach", "logs", "server.log"), "the whole start output is kept")
			}
		})
	}
}

func prependFile(t *testing.T, p, head string) {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, append([]byte(head), data...), 0o644))
}

var (
	projectNoise = regexp.MustCompile(`(?m)^(still running|preparing the sandbox|building your|workspace unchanged).*\n`)
	projectStack = regexp.MustCompile(`(?m)^    at .*\n`)
	projectTimes = regexp.MustCompile(`\d{4}-\d\d-\d\dT[\d_:.]+Z`)
)

// projectLines is what coach told the learner on stderr, normalised: the
// workspace path, stack frames and timestamps vary.
func projectLines(stderr, dir string) string {
	s := strings.ReplaceAll(stderr, dir, "$WORKSPACE")
	s = projectNoise.ReplaceAllString(s, "")
	s = projectStack.ReplaceAllString(s, "")
	return projectTimes.ReplaceAllString(s, "$TIME")
}

// TestDoctorChecksTheWorkspace: in a workspace, coach doctor says what
// check would build and run, checks sandbox.ca_file and shows the proxy
// and registry settings the build gets.
func TestDoctorChecksTheWorkspace(t *testing.T) {
	dockertest.Require(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"go.mod": "module example.com/server\n\ngo 1.22\n", "cmd/api/main.go": "package main\n\nfunc main() {}\n"})
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644))
	r := coachWith(t, dir, map[string]string{"COACH_SANDBOX_CA_FILE": notPEM, "HTTPS_PROXY": "http://user:secret@127.0.0.1:3128"}, "doctor")
	assert.Equal(t, ExitUsage, r.code, r.out+r.err)
	assert.Contains(t, r.out, "workspace: ✓ "+dir+"\n  go (go.mod) · build: go build ./cmd/api")
	assert.Contains(t, r.out, "ca file: ✗ "+notPEM+" holds no PEM certificate")
	assert.Contains(t, r.out, "HTTPS_PROXY=http://user:xxxxx@127.0.0.1:3128")
	assert.NotContains(t, r.out, "secret")
	assert.Regexp(t, `go +golang:\S+ +. (present|missing).* ← your workspace's`, r.out)

	r = coachWith(t, t.TempDir(), nil, "doctor")
	assert.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "workspace: · none in")
	assert.Contains(t, r.out, "ca file: · none")
}

// A workspace coach check could not build is shown as such; doctor itself
// checks coach's setup, so it still passes (coach check says the rest).
func TestDoctorBrokenWorkspace(t *testing.T) {
	dockertest.Require(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Pipfile": "[packages]\nflask = \"*\"\n", "app.py": "print('hi')\n"})
	r := coachWith(t, dir, nil, "doctor")
	assert.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Contains(t, r.out, "workspace: ✗ coach can't install your dependencies\n  Pipfile is not supported")
	assert.Contains(t, r.out, "  export them once: `pipenv requirements > requirements.txt`")
}
