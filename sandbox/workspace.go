package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Runtime names how a workspace is built and run.
type Runtime string

const (
	Node       Runtime = "node"
	Go         Runtime = "go"
	Python     Runtime = "python"
	Dockerfile Runtime = "dockerfile"
)

// Runtimes lists the runtimes coach knows, in detection order.
var Runtimes = []Runtime{Node, Go, Python, Dockerfile}

// Workspace is a learner's project directory and how to build and run it.
type Workspace struct {
	Dir     string
	Runtime Runtime
	// Entry is the program to run: the script for node and python, the
	// package for go ("."), the Dockerfile for dockerfile.
	Entry string
	// Build and Run are shell commands from coach.yaml; empty means the
	// runtime's default.
	Build string
	Run   string
	// Deps is true when the workspace declares dependencies to install
	// (package.json dependencies, requirements.txt).
	Deps bool
	// Node: DevDeps is true when the start or build script needs the
	// devDependencies (tsc, ts-node, nodemon); NodeBuild when package.json
	// has a build script, run after installing; StaleLock when
	// package-lock.json does not match package.json (npm install, not npm ci).
	DevDeps   bool
	NodeBuild bool
	StaleLock bool
	// Notes are what coach decided on the learner's behalf, said once
	// before building (a stale lockfile, a lockfile coach does not use).
	Notes []string
	// Source names the file that decided the runtime, for messages.
	Source string
}

// WorkspaceFile is the part of coach.yaml that describes the workspace.
// Other keys of coach.yaml are configuration (see internal/config).
type WorkspaceFile struct {
	Runtime Runtime `yaml:"runtime"`
	Entry   string  `yaml:"entry"`
	Build   string  `yaml:"build"`
	Run     string  `yaml:"run"`
}

// lookedFor is what Detect tries, for the message when nothing matches.
const lookedFor = "coach.yaml (runtime: node|go|python|dockerfile), package.json, go.mod, " +
	"main.py, app.py, requirements.txt, pyproject.toml or a Dockerfile"

// Detect inspects dir and decides how to build and run it.
func Detect(dir string) (*Workspace, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolve workspace %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil || !st.IsDir() {
		return nil, &WorkspaceError{Dir: abs, Msg: fmt.Sprintf("%s is not a directory", abs)}
	}
	ws := &Workspace{Dir: abs}
	if data, err := os.ReadFile(filepath.Join(abs, "coach.yaml")); err == nil {
		var wf WorkspaceFile
		if err := yaml.Unmarshal(data, &wf); err != nil {
			return nil, &WorkspaceError{Dir: abs, Msg: fmt.Sprintf("coach.yaml: %v", err)}
		}
		if wf.Runtime != "" {
			if !knownRuntime(wf.Runtime) {
				return nil, &WorkspaceError{Dir: abs, Msg: fmt.Sprintf(
					"coach.yaml: unknown runtime %q (want node, go, python or dockerfile)", wf.Runtime)}
			}
			ws.Runtime, ws.Source = wf.Runtime, "coach.yaml"
		}
		ws.Entry, ws.Build, ws.Run = wf.Entry, wf.Build, wf.Run
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read coach.yaml: %w", err)
	}
	if ws.Runtime == "" {
		ws.Runtime, ws.Source = sniff(abs)
	}
	if ws.Runtime == "" {
		return nil, &WorkspaceError{Dir: abs, Msg: fmt.Sprintf(
			"no workspace found in %s: coach looked for %s. Run coach in your project directory, "+
				"or start one with `coach start step-1 --lang node|go|python`", abs, lookedFor)}
	}
	if err := ws.fill(); err != nil {
		return nil, err
	}
	return ws, nil
}

// ForceRuntime re-detects dir as the given runtime (an exercise may demand
// one, as the containers step demands a Dockerfile).
func ForceRuntime(dir string, rt Runtime) (*Workspace, error) {
	ws, err := Detect(dir)
	var werr *WorkspaceError
	if err != nil && !errors.As(err, &werr) {
		return nil, err
	}
	if ws == nil {
		abs, _ := filepath.Abs(dir)
		ws = &Workspace{Dir: abs}
	}
	if ws.Runtime == rt {
		return ws, nil
	}
	ws.Runtime, ws.Source, ws.Entry, ws.Build, ws.Run = rt, "the exercise", "", "", ""
	if err := ws.fill(); err != nil {
		return nil, err
	}
	return ws, nil
}

func knownRuntime(rt Runtime) bool {
	for _, r := range Runtimes {
		if r == rt {
			return true
		}
	}
	return false
}

func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

func sniff(dir string) (Runtime, string) {
	switch {
	case exists(dir, "package.json"):
		return Node, "package.json"
	case exists(dir, "go.mod"):
		return Go, "go.mod"
	}
	for _, f := range []string{"main.py", "app.py", "requirements.txt", "pyproject.toml"} {
		if exists(dir, f) {
			return Python, f
		}
	}
	if exists(dir, "Dockerfile") {
		return Dockerfile, "Dockerfile"
	}
	return "", ""
}

type packageJSON struct {
	Main                 string            `json:"main"`
	Scripts              map[string]string `json:"scripts"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

// nodeStart is a start script coach runs as node itself, so that signals
// reach the server; a watcher in front of it (nodemon, node --watch) only
// waits after a crash instead of exiting, and the sandbox's files never
// change, so coach runs the script without it.
var nodeStart = regexp.MustCompile(`^(?:node|nodemon|node\s+--watch)\s+([\w./-]+)$`)

// nodeLockfiles are the npm lockfiles, in the order npm prefers them.
var nodeLockfiles = []string{"npm-shrinkwrap.json", "package-lock.json"}

// nodeDevBins maps commands a script may run to the devDependency that
// provides them, where the names differ.
var nodeDevBins = map[string]string{"tsc": "typescript", "tsx": "tsx", "ts-node": "ts-node", "nodemon": "nodemon"}

// fillNode reads package.json: how to start the server, whether to
// install (with devDependencies?) and build, and with which lockfile.
func (ws *Workspace) fillNode() error {
	var pkg packageJSON
	if data, err := os.ReadFile(filepath.Join(ws.Dir, "package.json")); err == nil {
		if err := json.Unmarshal(data, &pkg); err != nil {
			return &WorkspaceError{Dir: ws.Dir, Msg: fmt.Sprintf("package.json is not valid JSON: %v", err)}
		}
	}
	start := strings.TrimSpace(pkg.Scripts["start"])
	ws.NodeBuild = strings.TrimSpace(pkg.Scripts["build"]) != ""
	ws.DevDeps = len(pkg.DevDependencies) > 0 && (ws.NodeBuild || scriptUses(start, pkg.DevDependencies))
	ws.Deps = len(pkg.Dependencies) > 0 || len(pkg.OptionalDependencies) > 0 || ws.DevDeps
	if ws.Deps {
		ws.nodeLock(pkg)
	}
	if ws.Entry != "" || ws.Run != "" {
		return nil
	}
	if m := nodeStart.FindStringSubmatch(start); m != nil {
		ws.Entry = m[1] // run node directly so signals reach the server
		if !strings.HasPrefix(start, "node ") {
			ws.Notes = append(ws.Notes, fmt.Sprintf("your start script watches for file changes (%s): coach runs `node %s`, so a crash ends the server", start, ws.Entry))
		}
	} else if strings.HasPrefix(start, "nodemon ") {
		// nodemon waits for file changes after a crash: --exitcrash makes
		// a crash end it, so coach reports it at once.
		ws.Run = `export PATH="$PWD/node_modules/.bin:$PATH"; exec nodemon --exitcrash ` + strings.TrimPrefix(start, "nodemon ")
		ws.Notes = append(ws.Notes, "your start script runs nodemon: coach adds --exitcrash, so a crash ends the server")
	} else if start != "" {
		ws.Run = "npm start"
	} else if pkg.Main != "" {
		ws.Entry = pkg.Main
	} else {
		for _, f := range []string{"server.js", "index.js", "app.js", "main.js"} {
			if exists(ws.Dir, f) {
				ws.Entry = f
				break
			}
		}
	}
	if ws.Entry == "" && ws.Run == "" {
		return &WorkspaceError{Dir: ws.Dir, Msg: "coach cannot tell how to start your Node.js server: add a \"start\" script " +
			"to package.json (e.g. \"node server.js\"), or create server.js or index.js"}
	}
	return nil
}

// scriptUses reports whether a script runs a command from deps.
func scriptUses(script string, deps map[string]string) bool {
	for _, word := range strings.FieldsFunc(script, func(r rune) bool { return strings.ContainsRune(" \t&|;()", r) }) {
		if _, ok := deps[word]; ok {
			return true
		}
		if _, ok := deps[nodeDevBins[word]]; ok {
			return true
		}
	}
	return false
}

// nodeLock decides between npm ci and npm install: npm ci needs a lockfile
// that matches package.json (npm records package.json's ranges in the
// lockfile's root package), else it fails; yarn and pnpm lockfiles are not
// used (the stand-in image has no corepack), which a note says.
func (ws *Workspace) nodeLock(pkg packageJSON) {
	lock := ""
	for _, f := range nodeLockfiles {
		if exists(ws.Dir, f) {
			lock = f
			break
		}
	}
	if lock == "" {
		for _, f := range []string{"yarn.lock", "pnpm-lock.yaml"} {
			if exists(ws.Dir, f) {
				ws.Notes = append(ws.Notes, fmt.Sprintf("%s is not used: coach installs with npm from package.json "+
					"(yarn and pnpm are not supported); run `npm install` and commit package-lock.json for reproducible installs", f))
			}
		}
		return
	}
	data, err := os.ReadFile(filepath.Join(ws.Dir, lock))
	if err != nil {
		return
	}
	var lf struct {
		Version  int `json:"lockfileVersion"`
		Packages map[string]struct {
			Dependencies         map[string]string `json:"dependencies"`
			DevDependencies      map[string]string `json:"devDependencies"`
			OptionalDependencies map[string]string `json:"optionalDependencies"`
		} `json:"packages"`
	}
	if json.Unmarshal(data, &lf) != nil {
		ws.StaleLock = true
		ws.Notes = append(ws.Notes, fmt.Sprintf("%s is not valid JSON: coach runs npm install instead of npm ci", lock))
		return
	}
	root, ok := lf.Packages[""]
	if lf.Version < 2 || !ok {
		return // lockfile v1 records no ranges: let npm ci judge
	}
	for _, m := range []struct {
		what      string
		pkg, lock map[string]string
	}{{"dependencies", pkg.Dependencies, root.Dependencies}, {"devDependencies", pkg.DevDependencies, root.DevDependencies},
		{"optionalDependencies", pkg.OptionalDependencies, root.OptionalDependencies}} {
		if diff := mapDiff(m.pkg, m.lock); diff != "" {
			ws.StaleLock = true
			ws.Notes = append(ws.Notes, fmt.Sprintf("%s does not match package.json (%s: %s): coach runs npm install instead of npm ci; "+
				"run `npm install` and commit %s", lock, m.what, diff, lock))
			return
		}
	}
}

// mapDiff names the first key whose value differs between a and b.
func mapDiff(a, b map[string]string) string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		av, aok := a[k]
		bv, bok := b[k]
		switch {
		case !bok:
			return fmt.Sprintf("%s %s is not in the lockfile", k, av)
		case !aok:
			return fmt.Sprintf("the lockfile still has %s", k)
		case av != bv:
			return fmt.Sprintf("%s is %s, the lockfile has %s", k, av, bv)
		}
	}
	return ""
}

// fill completes Entry and Deps from the runtime's conventions.
func (ws *Workspace) fill() error {
	fail := func(format string, a ...any) error {
		return &WorkspaceError{Dir: ws.Dir, Msg: fmt.Sprintf(format, a...)}
	}
	switch ws.Runtime {
	case Node:
		if err := ws.fillNode(); err != nil {
			return err
		}
	case Go:
		if ws.Entry == "" {
			ws.Entry = "."
		}
		if !exists(ws.Dir, "go.mod") && ws.Build == "" {
			return fail("a Go workspace needs a go.mod (run `go mod init example.com/server`)")
		}
	case Python:
		ws.Deps = exists(ws.Dir, "requirements.txt")
		if ws.Entry != "" || ws.Run != "" {
			break
		}
		for _, f := range []string{"main.py", "app.py", "server.py"} {
			if exists(ws.Dir, f) {
				ws.Entry = f
				break
			}
		}
		if ws.Entry == "" {
			return fail("coach cannot tell how to start your Python server: create main.py or app.py, " +
				"or set `entry:` or `run:` in coach.yaml")
		}
	case Dockerfile:
		if ws.Entry == "" {
			ws.Entry = "Dockerfile"
		}
		if !exists(ws.Dir, ws.Entry) {
			return fail("this step builds your own image, but %s has no %s", ws.Dir, ws.Entry)
		}
	}
	// A build script may write the entry (dist/index.js): the build
	// checks for it afterwards instead.
	if ws.Entry != "" && ws.Runtime != Go && ws.Run == "" && !ws.NodeBuild && !exists(ws.Dir, ws.Entry) {
		return fail("%s names %s, which does not exist in %s", ws.Source, ws.Entry, ws.Dir)
	}
	return nil
}

// RunCommand is the argv that starts the server, given where the build put
// its output (binDir, for go). Custom commands run under sh -c with exec,
// so signals reach the server itself.
func (ws *Workspace) RunCommand(binDir string) []string {
	if ws.Run != "" {
		return shell(ws.Run)
	}
	switch ws.Runtime {
	case Node:
		return []string{"node", ws.Entry}
	case Go:
		return []string{filepath.Join(binDir, "server")}
	case Python:
		return []string{"python3", "-u", ws.Entry}
	}
	return nil
}

// BuildCommand is the argv that builds the workspace, or nil when nothing
// needs building: a custom build, else installing then compiling. binDir
// is where a compiled server must be written.
func (ws *Workspace) BuildCommand(binDir string) []string {
	if ws.Build != "" {
		return shell(ws.Build)
	}
	install, compile := ws.InstallCommand(), ws.CompileCommand(binDir)
	switch {
	case install == nil:
		return compile
	case compile == nil:
		return install
	}
	return []string{"sh", "-c", shellJoin(install) + " && " + shellJoin(compile)}
}

// InstallCommand is the argv that installs the dependencies from the
// manifest files alone (ManifestFiles), or nil. It runs before the sources
// are there, so its result can be reused while only sources change.
func (ws *Workspace) InstallCommand() []string {
	if ws.Build != "" || !ws.Deps {
		return nil
	}
	switch ws.Runtime {
	case Node:
		if ws.lockfile() != "" && !ws.StaleLock {
			return []string{"npm", "ci", "--no-audit", "--no-fund"}
		}
		return []string{"npm", "install", "--no-audit", "--no-fund"}
	case Python:
		return []string{"python3", "-m", "pip", "install", "--no-cache-dir", "-r", "requirements.txt"}
	}
	return nil
}

// ManifestFiles are the workspace files InstallCommand reads (and all it
// reads, the key of the dependency layer).
func (ws *Workspace) ManifestFiles() []string {
	var files []string
	switch ws.Runtime {
	case Node:
		files = []string{"package.json", ".npmrc"}
		if lock := ws.lockfile(); lock != "" {
			files = append(files, lock)
		}
	case Python:
		files = []string{"requirements.txt", "pip.conf"}
	}
	var present []string
	for _, f := range files {
		if exists(ws.Dir, f) {
			present = append(present, f)
		}
	}
	return present
}

// InstallReadsSources reports whether the install reads workspace files
// other than ManifestFiles: a local (file:, link:) dependency, npm
// workspaces, an install or prepare script, requirements that include
// other files or install the project itself.
func (ws *Workspace) InstallReadsSources() bool {
	switch ws.Runtime {
	case Node:
		data, err := os.ReadFile(filepath.Join(ws.Dir, "package.json"))
		if err != nil {
			return false
		}
		var pkg struct {
			packageJSON
			Workspaces json.RawMessage `json:"workspaces"`
		}
		if json.Unmarshal(data, &pkg) != nil || len(pkg.Workspaces) > 0 {
			return true
		}
		for _, s := range []string{"preinstall", "install", "postinstall", "prepare"} {
			if pkg.Scripts[s] != "" {
				return true
			}
		}
		for _, deps := range []map[string]string{pkg.Dependencies, pkg.DevDependencies, pkg.OptionalDependencies} {
			for _, v := range deps {
				if strings.HasPrefix(v, "file:") || strings.HasPrefix(v, "link:") || strings.HasPrefix(v, ".") || strings.HasPrefix(v, "/") {
					return true
				}
			}
		}
	case Python:
		data, err := os.ReadFile(filepath.Join(ws.Dir, "requirements.txt"))
		if err != nil {
			return false
		}
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "-r") || strings.HasPrefix(line, "-c") || strings.HasPrefix(line, "-e") ||
				strings.HasPrefix(line, "--requirement") || strings.HasPrefix(line, "--constraint") || strings.HasPrefix(line, "--editable") ||
				strings.HasPrefix(line, ".") || strings.HasPrefix(line, "/") || strings.Contains(line, "file:") {
				return true
			}
		}
	}
	return false
}

func (ws *Workspace) lockfile() string {
	for _, f := range nodeLockfiles {
		if exists(ws.Dir, f) {
			return f
		}
	}
	return ""
}

// CompileCommand is the argv that builds the sources once the dependencies
// are installed (npm run build, go build), or nil.
func (ws *Workspace) CompileCommand(binDir string) []string {
	if ws.Build != "" {
		return shell(ws.Build)
	}
	switch ws.Runtime {
	case Go:
		return []string{"go", "build", "-o", filepath.Join(binDir, "server"), ws.Entry}
	case Node:
		if ws.NodeBuild {
			return []string{"npm", "run", "build"}
		}
	}
	return nil
}

func shell(cmd string) []string {
	if strings.ContainsAny(cmd, "&|;\n") {
		return []string{"sh", "-c", cmd}
	}
	return []string{"sh", "-c", "exec " + cmd}
}
