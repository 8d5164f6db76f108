package cli

import (
	"maps"
	"net"
	"os"
	"os/exec"
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
	args   []string          // after check 1 (--sandbox process)
	tool   string            // a program the process sandbox runs on this machine
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

// The Node projects below install only express, typescript and nodemon
// from npm (through the host's CA bundle); cases with the same
// package.json share the sandbox's dependency image.
const (
	caBundle = "/etc/ssl/certs/ca-certificates.crt"
	// tsPackage is an Express server written in TypeScript: tsc writes
	// dist/ (git-ignored in real projects), which the start script runs.
	tsPackage = `{"name":"express-ts","version":"1.0.0","private":true,"main":"dist/server.js",
"scripts":{"build":"tsc","start":"node dist/server.js"},
"dependencies":{"express":"^4.21.2"},"devDependencies":{"typescript":"^5.6.0"}}`
	// No @types packages: strict off lets express be an untyped import.
	tsConfig = `{"compilerOptions":{"target":"es2020","module":"commonjs","rootDir":"src","outDir":"dist","esModuleInterop":true,"strict":false,"types":[]}}`
	tsServer = `import express from 'express';

declare const process: { env: Record<string, string | undefined> };

const app = express();
app.get('/', (req, res) => res.type('html').send('<h1>Hello Backend World!</h1>'));
app.get('/health', (req, res) => res.json({ status: 'ok' }));
app.listen(Number(process.env.PORT) || 8080, () => console.log('listening'));
`
	// nodemonPackage runs the server under nodemon with an option, so coach
	// runs nodemon itself (not node directly) and adds --exitcrash.
	nodemonPackage = `{"name":"watched","version":"1.0.0","private":true,
"scripts":{"start":"nodemon --watch . server.js"},"devDependencies":{"nodemon":"3.1.14"}}`
	// nodemonCrash fails at start as a server without its settings does.
	// It writes to stdout, as nodemon does: the order of the lines is then
	// the order they were written in.
	nodemonCrash = "console.log('SECRET is not set: exiting');\nprocess.exit(1);\n"
	// stalePackage lists express; its lockfile was written before that.
	stalePackage = `{"name":"stale","version":"1.0.0","private":true,"scripts":{"start":"node server.js"},"dependencies":{"express":"^4.21.2"}}`
	staleLock    = `{"name":"stale","version":"1.0.0","lockfileVersion":3,"requires":true,
"packages":{"":{"name":"stale","version":"1.0.0"}}}
`
	// registryPort is a loopback port nothing listens on (discard): a
	// registry there is refused at once, and no traffic leaves the machine.
	registryPort = "9"
	// npmrcClosed points npm at it; no retries, so the failure is quick.
	npmrcClosed = "registry=http://127.0.0.1:" + registryPort + "/\nfetch-retries=0\n"
	leftPad     = `{"name":"x","scripts":{"start":"node server.js"},"dependencies":{"left-pad":"1.3.0"}}`
)

var tsFiles = map[string]string{"package.json": tsPackage, "tsconfig.json": tsConfig, "src/server.ts": tsServer}

// with is files plus more.
func with(files map[string]string, more map[string]string) map[string]string {
	out := maps.Clone(files)
	maps.Copy(out, more)
	return out
}

var npmCA = map[string]string{"COACH_SANDBOX_CA_FILE": caBundle}

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
		files: map[string]string{"package.json": leftPad, "server.js": "require('left-pad');\n", ".npmrc": "fetch-retries=0\n"},
		code:  ExitSandbox, headline: "✗ coach could not reach 127.0.0.1:9 (not your code)", hint: "NPM_CONFIG_REGISTRY is set to http://127.0.0.1:9/"},
	{name: "express-typescript", engine: true, env: npmCA, files: tsFiles,
		code: ExitOK, headline: "coach: node (package.json) · install: npm install · build: npm run build · start: node dist/server.js"},
	{name: "yarn-lock", engine: true, env: npmCA, files: with(tsFiles, map[string]string{"yarn.lock": "# yarn lockfile v1\n"}),
		code: ExitOK, headline: "coach: node (package.json) · install: npm install · build: npm run build",
		hint: "note: yarn.lock is not used: coach installs with npm from package.json"},
	{name: "pnpm-lock", engine: true, env: npmCA, files: with(tsFiles, map[string]string{"pnpm-lock.yaml": "lockfileVersion: '9.0'\n"}),
		code: ExitOK, headline: "coach: node (package.json) · install: npm install · build: npm run build",
		hint: "note: pnpm-lock.yaml is not used: coach installs with npm from package.json"},
	{name: "nodemon", base: "node", engine: true, env: npmCA, files: map[string]string{"package.json": nodemonPackage},
		code: ExitOK, headline: "coach: node (package.json) · install: npm install · start: nodemon --exitcrash --no-colours --watch . server.js",
		hint: "note: your start script runs nodemon: coach adds --exitcrash, so a crash ends the server"},
	{name: "nodemon-crash", engine: true, env: npmCA,
		files: map[string]string{"package.json": nodemonPackage, "server.js": nodemonCrash},
		code:  ExitLearnerCode, headline: "✗ Your server exited (code 1) before it was ready", hint: "[nodemon] app crashed"},
	{name: "stale-lockfile", base: "node", engine: true, env: npmCA, files: map[string]string{"package.json": stalePackage, "package-lock.json": staleLock},
		code: ExitOK, headline: "coach: node (package.json) · install: npm install · start: node server.js",
		hint: "note: package-lock.json does not match package.json (dependencies: express ^4.21.2 is not in the lockfile): coach runs npm install instead of npm ci"},
	{name: "registry-npmrc-process", args: []string{"--sandbox", "process"}, tool: "npm",
		files: map[string]string{"package.json": leftPad, ".npmrc": npmrcClosed, "server.js": "require('left-pad');\n"},
		code:  ExitSandbox, headline: "✗ coach could not reach 127.0.0.1:" + registryPort + " (not your code)",
		hint: "your .npmrc sets registry=http://127.0.0.1:" + registryPort + "/: is that registry up and reachable from this machine?"},
	{name: "registry-npmrc-docker", engine: true,
		files: map[string]string{"package.json": leftPad, ".npmrc": npmrcClosed, "server.js": "require('left-pad');\n"},
		code:  ExitSandbox, headline: "✗ coach could not reach 127.0.0.1:" + registryPort + " (not your code)",
		hint: "your .npmrc sets registry=http://127.0.0.1:" + registryPort + "/: is that registry up and reachable from Docker? " +
			"(in the sandbox, 127.0.0.1 is the build container itself, not your machine)"},
	// A FROM image under a loopback registry: the pull is refused on this
	// machine, where a made-up name on Docker Hub would send a DNS query out.
	{name: "dockerfile-missing-base", engine: true,
		files: map[string]string{"coach.yaml": "runtime: dockerfile\n", "server.js": "",
			"Dockerfile": "FROM 127.0.0.1:1/missing:1\nWORKDIR /app\nCOPY . .\nCMD [\"node\", \"server.js\"]\n"},
		code: ExitSandbox, headline: "✗ coach could not reach 127.0.0.1:1 (not your code)",
		hint: "run `docker pull 127.0.0.1:1/missing:1`"},
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
			if tt.tool != "" {
				if _, err := exec.LookPath(tt.tool); err != nil {
					t.Skipf("%s is not installed (the process sandbox runs it on this machine)", tt.tool)
				}
			}
			if strings.Contains(tt.files[".npmrc"], ":"+registryPort+"/") {
				c, err := net.Dial("tcp", "127.0.0.1:"+registryPort)
				if err == nil {
					c.Close()
				}
				require.Error(t, err, "the test's registry port must be closed")
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
			r := coachWith(t, dir, tt.env, append([]string{"check", "1"}, tt.args...)...)
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
	// Whether the dependencies are installed or reused depends on what an
	// earlier run left in the engine.
	projectNoise = regexp.MustCompile(`(?m)^(still running|preparing the sandbox|building your|workspace unchanged|installing dependencies|dependencies unchanged).*\n`)
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
