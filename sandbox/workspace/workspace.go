package workspace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
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
	// Detected is the runtime detection found in the folder, kept when an
	// exercise demands another (ForceRuntime): the learner's language, whose
	// hints they get ("" when detection found none).
	Detected Runtime
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
	// Source names the file that decided the runtime, for messages.
	Source string
	// PyDeps are the requirements pyproject.toml lists, installed when
	// there is no requirements.txt.
	PyDeps []string
	// Notes say what detection saw and will not use (a second runtime's
	// manifest, another package manager's lockfile, a dev script) and what
	// coach decided for the learner (npm install for a stale lockfile).
	Notes []string
	// Services are the databases coach.yaml declares (services.go).
	Services Services
}

// WorkspaceFile is the part of coach.yaml that describes the workspace.
// Other keys of coach.yaml are configuration (see internal/config).
type WorkspaceFile struct {
	Runtime Runtime `yaml:"runtime"`
	Entry   string  `yaml:"entry"`
	Build   string  `yaml:"build"`
	Run     string  `yaml:"run"`
	// Services: see Services.UnmarshalYAML.
	Services Services `yaml:"services"`
}

// lookedFor is what Detect tries, for the message when nothing matches.
const lookedFor = "coach.yaml (runtime: node|go|python|dockerfile), package.json, go.mod, *.go, " +
	"server.js, index.js, main.py, app.py or server.py (also in src/ or app/), requirements.txt, pyproject.toml or a Dockerfile"

// Detect inspects dir and decides how to build and run it. Notes on the
// workspace say what detection saw and will not use.
func Detect(dir string) (*Workspace, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolve workspace %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil || !st.IsDir() {
		return nil, &Error{Dir: abs, Kind: Missing, Msg: fmt.Sprintf("%s is not a directory", abs)}
	}
	ws := &Workspace{Dir: abs}
	if data, err := os.ReadFile(filepath.Join(abs, "coach.yaml")); err == nil {
		var wf WorkspaceFile
		if err := yaml.Unmarshal(data, &wf); err != nil {
			return nil, &Error{Dir: abs, File: "coach.yaml", Msg: fmt.Sprintf("coach.yaml: %v", err)}
		}
		if wf.Runtime != "" {
			if !knownRuntime(wf.Runtime) {
				return nil, &Error{Dir: abs, File: "coach.yaml", Msg: fmt.Sprintf(
					"coach.yaml: unknown runtime %q (want node, go, python or dockerfile)", wf.Runtime)}
			}
			ws.Runtime, ws.Source = wf.Runtime, "coach.yaml"
		}
		ws.Entry, ws.Build, ws.Run = wf.Entry, wf.Build, wf.Run
		ws.Services = wf.Services
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read coach.yaml: %w", err)
	}
	if ws.Runtime == "" {
		var notes []string
		ws.Runtime, ws.Source, notes = sniff(abs)
		ws.Notes = append(ws.Notes, notes...)
	}
	if ws.Runtime == "" {
		return nil, &Error{Dir: abs, Kind: Missing, Msg: fmt.Sprintf(
			"no workspace found in %s: coach looked for %s", abs, lookedFor),
			Hint: "run coach in your project's folder, or name it: coach check -C path/to/project; " +
				"or start one with `coach start step-1 --lang node|go|python`"}
	}
	if err := ws.fill(); err != nil {
		return nil, err
	}
	ws.Detected = ws.Runtime
	return ws, nil
}

// ForceRuntime re-detects dir as the given runtime (an exercise may demand
// one, as the containers step demands a Dockerfile).
func ForceRuntime(dir string, rt Runtime) (*Workspace, error) {
	ws, err := Detect(dir)
	var werr *Error
	var berr *BuildError
	if err != nil && !errors.As(err, &werr) && !errors.As(err, &berr) {
		return nil, err
	}
	if ws == nil {
		abs, _ := filepath.Abs(dir)
		ws = &Workspace{Dir: abs}
	}
	if ws.Runtime == rt {
		return ws, nil
	}
	ws.Runtime, ws.Source, ws.Entry, ws.Build, ws.Run, ws.Notes = rt, "the exercise", "", "", "", nil
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

// pythonManifests decide that a folder is a Python workspace.
var pythonManifests = []string{"requirements.txt", "pyproject.toml", "Pipfile"}

// candidate is a runtime a folder could be, with the file that says so and
// whether it holds a server coach can find (not only tooling).
type candidate struct {
	rt     Runtime
	file   string
	server bool
}

// sniff finds the runtimes the folder's files point to. The first one with
// a server wins; the others are named in notes, since a package.json beside
// go.mod is usually only tooling (a CSS build, a linter).
func sniff(dir string) (Runtime, string, []string) {
	var cs []candidate
	if exists(dir, "package.json") {
		cs = append(cs, candidate{Node, "package.json", nodeHasServer(dir)})
	} else if f := bareNodeServer(dir); f != "" {
		cs = append(cs, candidate{Node, f, true})
	}
	if exists(dir, "go.mod") {
		cs = append(cs, candidate{Go, "go.mod", len(goMains(dir)) > 0})
	} else if f := goFileAtRoot(dir); f != "" {
		cs = append(cs, candidate{Go, f, true})
	}
	if f := firstExisting(dir, pythonManifests); f != "" {
		e, _ := pythonEntry(dir)
		cs = append(cs, candidate{Python, f, e != nil})
	} else if f := firstExisting(dir, pythonEntryFiles); f != "" {
		e, _ := pythonEntry(dir)
		cs = append(cs, candidate{Python, f, e != nil})
	}
	if exists(dir, "Dockerfile") {
		cs = append(cs, candidate{Dockerfile, "Dockerfile", len(cs) == 0})
	}
	if len(cs) == 0 {
		return "", "", nil
	}
	chosen := cs[0]
	for _, c := range cs {
		if c.server {
			chosen = c
			break
		}
	}
	var notes []string
	for _, c := range cs {
		if c == chosen {
			continue
		}
		use := "is not used"
		if c.rt == Node && !c.server {
			use = "is used only for tooling here"
		}
		instead := fmt.Sprintf("to run the %s one instead", c.rt)
		if c.rt == Dockerfile {
			instead = "to build your Dockerfile instead"
		}
		notes = append(notes, fmt.Sprintf("%s %s: coach runs your %s server (%s); %s, put `runtime: %s` in coach.yaml",
			c.file, use, chosen.rt, chosen.file, instead, c.rt))
	}
	return chosen.rt, chosen.file, notes
}

func firstExisting(dir string, names []string) string {
	for _, n := range names {
		if exists(dir, n) {
			return n
		}
	}
	return ""
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

// npmInstallScripts are the root package's scripts npm install and npm ci
// run, in the order they run (npm's docs, "Life Cycle Operations").
var npmInstallScripts = []string{"preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare"}

// installScript is the first of npmInstallScripts that package.json has,
// "" when it has none.
func (p packageJSON) installScript() string {
	for _, s := range npmInstallScripts {
		if strings.TrimSpace(p.Scripts[s]) != "" {
			return s
		}
	}
	return ""
}

// scriptUses reports whether a script runs a command from deps.
func scriptUses(script string, deps map[string]string) bool {
	return slices.ContainsFunc(scriptWords(script), func(word string) bool {
		_, dep := deps[word]
		_, bin := deps[nodeDevBins[word]]
		return dep || bin
	})
}

// scriptWords are the words of a package.json script, split where a shell
// separates commands and arguments.
func scriptWords(script string) []string {
	return strings.FieldsFunc(script, func(r rune) bool { return strings.ContainsRune(" \t&|;()", r) })
}

// nodeLock decides between npm ci and npm install: npm ci needs a lockfile
// that matches package.json (npm records package.json's ranges in the
// lockfile's root package), else it fails.
func (ws *Workspace) nodeLock(pkg packageJSON) {
	lock := ""
	for _, f := range nodeLockfiles {
		if exists(ws.Dir, f) {
			lock = f
			break
		}
	}
	if lock == "" {
		return // yarn and pnpm lockfiles: nodeNotes says they are not used
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

// nodeBinPath puts the workspace's own commands (node_modules/.bin) first,
// as npm start does, for a start command coach runs itself.
const nodeBinPath = `export PATH="$PWD/node_modules/.bin:$PATH"; `

// nodeEntryFiles are tried, in order, when package.json says nothing.
var nodeEntryFiles = []string{"server.js", "index.js", "app.js", "main.js"}

// nodeUnusedLockfiles are lockfiles of other package managers: coach
// installs with npm, so their pinned versions do not apply.
var nodeUnusedLockfiles = []string{"yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock"}

// nodeHasServer says whether package.json describes something to run
// rather than only tooling.
func nodeHasServer(dir string) bool {
	var pkg packageJSON
	if data, err := os.ReadFile(filepath.Join(dir, "package.json")); err == nil {
		_ = json.Unmarshal(data, &pkg)
	}
	if pkg.Scripts["start"] != "" || (pkg.Main != "" && exists(dir, pkg.Main)) {
		return true
	}
	return firstExisting(dir, nodeEntryFiles) != ""
}

// isDjango reports whether dir is a Django project: a manage.py that
// runs Django's management commands.
func isDjango(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "manage.py"))
	return err == nil && bytes.Contains(data, []byte("django"))
}

// nodeListens is code that starts a Node server (http, Express, Fastify,
// Koa, Hono's node adapter), outside a line comment.
var nodeListens = regexp.MustCompile(`(?m)^[^/\n]*(\.listen\(|createServer\(|\bserve\()`)

// bareNodeServer is the file of a Node server written without a
// package.json (one file, `node server.js`): the first of nodeEntryFiles
// that starts a server, "" when none does (a browser's app.js beside a
// Python app is not one).
func bareNodeServer(dir string) string {
	for _, f := range nodeEntryFiles {
		if data, err := os.ReadFile(filepath.Join(dir, f)); err == nil && nodeListens.Match(data) {
			return f
		}
	}
	return ""
}

// readPackageJSON decodes package.json; a syntax error is the learner's
// code and names its line and column.
func readPackageJSON(dir string) (packageJSON, error) {
	var pkg packageJSON
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return pkg, nil
	}
	err = json.Unmarshal(data, &pkg)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var off int64 = -1
	switch {
	case err == nil:
		return pkg, nil
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	pos := "package.json"
	if off >= 0 {
		line, col := lineCol(data, off)
		pos = fmt.Sprintf("package.json:%d:%d", line, col)
	}
	return pkg, &BuildError{Runtime: string(Node), Err: fmt.Errorf("%s: %w", pos, err),
		Hint: "package.json is not valid JSON: fix it at " + pos + " (a missing comma or quote, or a trailing comma, is the usual cause); `npm install` says the same"}
}

// lineCol turns a byte offset (just past the offending byte, as
// encoding/json reports it) into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off > 0 {
		off-- // the offset is after the byte that failed
	}
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// moduleAbove is the nearest parent folder of dir holding a go.mod, "" for none.
func moduleAbove(dir string) string {
	for p := filepath.Dir(dir); p != dir; dir, p = p, filepath.Dir(p) {
		if exists(p, "go.mod") {
			return p
		}
	}
	return ""
}

func mustRel(base, p string) string {
	rel, err := filepath.Rel(base, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(rel)
}

// goMains lists the packages under dir whose files say `package main`, as
// `go build` arguments ("." or "./cmd/api"), the module root first.
func goMains(dir string) []string {
	var mains []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			name := d.Name()
			if p != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "vendor" ||
				name == "testdata" || name == "node_modules" || strings.Count(rel, string(filepath.Separator)) >= 3) {
				return filepath.SkipDir
			}
			if p != dir && exists(p, "go.mod") {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		pkg := filepath.Dir(rel)
		if len(mains) > 0 && mains[len(mains)-1] == goPkgArg(pkg) {
			return nil
		}
		if goPackageName(p) == "main" {
			mains = append(mains, goPkgArg(pkg))
		}
		return nil
	})
	return mains
}

func goPkgArg(rel string) string {
	if rel == "." {
		return "."
	}
	return "./" + filepath.ToSlash(rel)
}

// goPackageName reads a file's package clause; files excluded from every
// build (//go:build ignore, as generators are) count as none.
func goPackageName(p string) string {
	f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		return ""
	}
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:build ignore") || strings.HasPrefix(c.Text, "// +build ignore") {
				return ""
			}
		}
	}
	return f.Name.Name
}

func goFileAtRoot(dir string) string {
	if exists(dir, "main.go") {
		return "main.go"
	}
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range m {
		if !strings.HasSuffix(f, "_test.go") {
			return filepath.Base(f)
		}
	}
	return ""
}

// pyEntry is a Python file coach could run, and how.
type pyEntry struct {
	file   string // as found, e.g. src/app.py or app/__main__.py
	module string // for a package's __main__.py or module: run with python -m
}

// pythonEntryFiles are tried in order; the first that runs a server wins.
// Those in app/ are modules of the app package, run as `python -m app.main`
// so that their imports of the package work (FastAPI's and CodeCrafters'
// layout).
var pythonEntryFiles = []string{"main.py", "app.py", "server.py", "run.py", "wsgi.py",
	"src/main.py", "src/app.py", "src/server.py", "app/__main__.py", "src/app/__main__.py",
	"app/main.py", "app/server.py", "app/app.py", "app/__init__.py"}

var (
	pyMainGuard = regexp.MustCompile(`(?m)^if\s+__name__\s*==\s*['"]__main__['"]`)
	// pyServes is a call that runs a server, outside comments and strings
	// (a docstring may well mention app.run()).
	pyServes     = regexp.MustCompile("(?m)^[^#\n\"'`]*(\\.run\\(|serve_forever\\(|uvicorn\\.run\\(|web\\.run_app\\(|\\bserve\\()")
	pyFlaskApp   = regexp.MustCompile(`(?m)^(\w+)\s*=\s*(Flask\(|create_app\()`)
	pyFastAPIApp = regexp.MustCompile(`(?m)^(\w+)\s*=\s*FastAPI\(`)
)

// pythonEntry finds the file to run. When the only app found is a Flask or
// FastAPI object that nothing runs, it returns the run: line to suggest
// instead (and no entry).
func pythonEntry(dir string) (*pyEntry, string) {
	var first *pyEntry
	suggest, found := "", ""
	for _, f := range pythonEntryFiles {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		e := &pyEntry{file: f}
		if path.Base(f) == "__main__.py" {
			e.module = strings.ReplaceAll(strings.TrimPrefix(path.Dir(f), "src/"), "/", ".")
			return e, ""
		}
		src := string(data)
		if pyMainGuard.MatchString(src) || pyServes.MatchString(src) {
			if path.Base(f) == "__init__.py" {
				continue // a package is run by its __main__.py
			}
			if path.Dir(f) == "app" {
				e.module = "app." + strings.TrimSuffix(path.Base(f), ".py")
			}
			return e, ""
		}
		mod := strings.TrimSuffix(strings.TrimPrefix(f, "src/"), ".py")
		mod = strings.TrimSuffix(strings.ReplaceAll(mod, "/", "."), ".__init__")
		if suggest == "" && (pyFlaskApp.MatchString(src) || pyFastAPIApp.MatchString(src)) {
			found = f
		}
		if m := pyFlaskApp.FindStringSubmatch(src); m != nil && suggest == "" {
			suggest = fmt.Sprintf("run: python3 -m flask --app %s:%s run --host 0.0.0.0 --port $PORT", mod, m[1])
			if strings.HasPrefix(f, "src/") {
				suggest = "run: cd src && exec " + strings.TrimPrefix(suggest, "run: ")
			}
		} else if m := pyFastAPIApp.FindStringSubmatch(src); m != nil && suggest == "" {
			suggest = fmt.Sprintf("run: python3 -m uvicorn %s:%s --host 0.0.0.0 --port $PORT", mod, m[1])
			if strings.HasPrefix(f, "src/") {
				suggest = fmt.Sprintf("run: python3 -m uvicorn --app-dir src %s:%s --host 0.0.0.0 --port $PORT", mod, m[1])
			}
		}
		if first == nil && path.Base(f) != "__init__.py" {
			first = e
		}
	}
	if suggest != "" {
		return nil, found + "\x00" + suggest
	}
	return first, ""
}

// pyprojectDeps reads [project] dependencies from pyproject.toml: enough
// TOML for the array of strings that PEP 621 puts there. ok is false when
// the file has no [project] table with dependencies.
func pyprojectDeps(dir string) (deps []string, ok bool) {
	data, err := os.ReadFile(filepath.Join(dir, "pyproject.toml"))
	if err != nil {
		return nil, false
	}
	section := ""
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if i := strings.Index(t, "#"); i >= 0 && !strings.ContainsAny(t[:i], `"'`) {
			t = strings.TrimSpace(t[:i])
		}
		if !in && strings.HasPrefix(t, "[") {
			section = strings.Trim(t, "[] ")
			continue
		}
		if section != "project" {
			continue
		}
		if !in {
			k, v, found := strings.Cut(t, "=")
			if !found || strings.TrimSpace(k) != "dependencies" {
				continue
			}
			ok, in, t = true, true, strings.TrimSpace(v)
		}
		for _, m := range pyString.FindAllStringSubmatch(t, -1) {
			deps = append(deps, m[1]+m[2])
		}
		if strings.Contains(t, "]") {
			in = false
		}
	}
	return deps, ok
}

var pyString = regexp.MustCompile(`"([^"]*)"|'([^']*)'`)

// fill completes Entry and Deps from the runtime's conventions.
func (ws *Workspace) fill() error {
	noStart := func(file, hint, format string, a ...any) error {
		return &Error{Dir: ws.Dir, Kind: NoStart, File: file, Msg: fmt.Sprintf(format, a...), Hint: hint}
	}
	switch ws.Runtime {
	case Node:
		pkg, err := readPackageJSON(ws.Dir)
		if err != nil {
			return err
		}
		ws.nodeNotes(pkg)
		start := strings.TrimSpace(pkg.Scripts["start"])
		ws.NodeBuild = strings.TrimSpace(pkg.Scripts["build"]) != ""
		// npm runs the root package's install scripts in a development
		// install, as on the learner's machine: they may need the
		// devDependencies (a prepare that builds, a prepublish that tests).
		ws.DevDeps = len(pkg.DevDependencies) > 0 && (ws.NodeBuild || scriptUses(start, pkg.DevDependencies) || pkg.installScript() != "")
		ws.Deps = len(pkg.Dependencies) > 0 || len(pkg.OptionalDependencies) > 0 || ws.DevDeps
		if ws.Deps {
			ws.nodeLock(pkg)
		}
		if ws.Entry != "" || ws.Run != "" {
			break
		}
		if m := nodeStart.FindStringSubmatch(start); m != nil {
			ws.Entry = m[1] // run node directly so signals reach the server
			if !strings.HasPrefix(start, "node ") {
				ws.Notes = append(ws.Notes, fmt.Sprintf("your start script watches for file changes (%s): coach runs `node %s`, so a crash ends the server", start, ws.Entry))
			}
		} else if strings.HasPrefix(start, "nodemon ") {
			// nodemon waits for file changes after a crash: --exitcrash makes
			// a crash end it, so coach reports it at once.
			// It colours its lines whether or not they go to a terminal.
			ws.Run = nodeBinPath + "exec nodemon --exitcrash --no-colours " + strings.TrimPrefix(start, "nodemon ")
			ws.Notes = append(ws.Notes, "your start script runs nodemon: coach adds --exitcrash, so a crash ends the server")
		} else if start != "" {
			ws.Run = "npm start"
		} else if pkg.Main != "" && exists(ws.Dir, pkg.Main) {
			ws.Entry = pkg.Main
		} else if slices.Contains(nodeEntryFiles, ws.Source) {
			ws.Entry = ws.Source // no package.json: the file detection found starting a server
		} else {
			ws.Entry = firstExisting(ws.Dir, nodeEntryFiles)
		}
		if ws.Entry == "" && ws.Run == "" {
			hint := "add a \"start\" script to package.json (e.g. \"start\": \"node server.js\"), or create server.js or index.js"
			if dev := pkg.Scripts["dev"]; dev != "" {
				hint = fmt.Sprintf("package.json has a \"dev\" script (%s) but no \"start\" script: coach runs your server as production does, "+
					"not with a watcher; add \"start\": \"node server.js\" (the file your server starts in)", dev)
			}
			return noStart("package.json", hint, "coach read package.json and found no \"start\" script, no \"main\" file and none of %s",
				strings.Join(nodeEntryFiles, ", "))
		}
	case Go:
		if !exists(ws.Dir, "go.mod") && ws.Build == "" {
			if root := moduleAbove(ws.Dir); root != "" {
				return &Error{Dir: ws.Dir, Kind: NoStart, File: filepath.Join(root, "go.mod"),
					Msg:  fmt.Sprintf("%s is a folder inside the Go module at %s", ws.Dir, root),
					Hint: fmt.Sprintf("run coach in the module's folder: coach check -C %s (put `entry: ./%s` in its coach.yaml if the server is here)", root, mustRel(root, ws.Dir))}
			}
			return &BuildError{Runtime: string(Go), Err: fmt.Errorf("%s has Go code but no go.mod", ws.Dir),
				Hint: fmt.Sprintf("run `go mod init example.com/server` in %s (any module path works, often github.com/<you>/<project>), then check again", ws.Dir)}
		}
		if ws.Entry == "" && ws.Build == "" {
			mains := goMains(ws.Dir)
			switch {
			case len(mains) == 0:
				return noStart("go.mod", "your server's main.go must start with `package main` and have a func main()",
					"coach found no `package main` in %s or its folders (cmd/<name>/ included)", ws.Dir)
			case mains[0] == "." || len(mains) == 1:
				ws.Entry = mains[0]
			default:
				return noStart("go.mod", fmt.Sprintf("say which one is your server in coach.yaml: `entry: %s`", mains[0]),
					"coach found several Go programs (package main): %s, and can't tell which is your server", strings.Join(mains, ", "))
			}
		}
		if ws.Entry == "" {
			ws.Entry = "."
		}
	case Python:
		if err := ws.pythonDeps(); err != nil {
			return err
		}
		if ws.Entry != "" || ws.Run != "" {
			break
		}
		e, suggest := pythonEntry(ws.Dir)
		switch {
		case e != nil && e.module != "":
			ws.Run, ws.Entry = "python3 -u -m "+e.module, e.file
			if strings.HasPrefix(e.file, "src/") {
				ws.Run = "cd src && exec " + ws.Run
			}
		case e != nil:
			ws.Entry = e.file
		case suggest != "":
			file, line, _ := strings.Cut(suggest, "\x00")
			return noStart(file, "put this line in coach.yaml (it is how Flask and FastAPI apps are started):\n  "+line,
				"coach found your app in %s, but no code that starts a server (no `if __name__ == \"__main__\":` block)", file)
		case isDjango(ws.Dir):
			return noStart("manage.py", "put this line in coach.yaml (--noreload keeps Django's server one process, so it stops when coach says):\n  "+
				"run: python3 -u manage.py runserver 0.0.0.0:$PORT --noreload",
				"coach found a Django project (manage.py): Django's server is started through manage.py, not by running a file")
		default:
			return noStart("", "create main.py or app.py that starts the server, or set `entry:` or `run:` in coach.yaml",
				"coach found none of %s", strings.Join(pythonEntryFiles, ", "))
		}
	case Dockerfile:
		if ws.Entry == "" {
			ws.Entry = "Dockerfile"
		}
		if !exists(ws.Dir, ws.Entry) {
			return &Error{Dir: ws.Dir, Kind: NoStart, File: ws.Entry,
				Msg:  fmt.Sprintf("this step builds your own image, but %s has no %s", ws.Dir, ws.Entry),
				Hint: "write a Dockerfile that builds and runs your server (see the step's README)"}
		}
	}
	// A build script may write the entry (dist/index.js): the build
	// checks for it afterwards instead.
	if ws.Entry != "" && ws.Runtime != Go && ws.Run == "" && !ws.NodeBuild && !exists(ws.Dir, ws.Entry) {
		return noStart(ws.Source, ws.missingEntryHint(),
			"%s names %s, which does not exist in %s", ws.Source, ws.Entry, ws.Dir)
	}
	return nil
}

// missingEntryHint is what to do about an entry file that does not exist:
// in a TypeScript or bundled project it is the build's output, which coach
// makes only through a script named build.
func (ws *Workspace) missingEntryHint() string {
	plain := "check the file name in " + ws.Source + ", or create " + ws.Entry
	if ws.Runtime != Node {
		return plain
	}
	pkg, err := readPackageJSON(ws.Dir)
	if err != nil {
		return plain
	}
	const how = "and coach runs only a script named build (npm run build, after installing)"
	for _, name := range slices.Sorted(maps.Keys(pkg.Scripts)) {
		cmd := strings.TrimSpace(pkg.Scripts[name])
		if slices.ContainsFunc(scriptWords(cmd), func(w string) bool { return slices.Contains(nodeBuilders, w) }) && !watches.MatchString(cmd) {
			return fmt.Sprintf("%s is what `%s` (your %q script) writes, %s: add \"build\": %q to the scripts of package.json",
				ws.Entry, cmd, name, how, cmd)
		}
	}
	if exists(ws.Dir, "tsconfig.json") {
		return fmt.Sprintf("%s is what TypeScript compiles your code to (tsconfig.json), %s: add \"build\": \"tsc\" "+
			"to the scripts of package.json", ws.Entry, how)
	}
	return plain
}

// watches is a command that keeps running to rebuild on changes.
var watches = regexp.MustCompile(`(^|\s)(-w|--watch)(\s|=|$)`)

// nodeBuilders are the commands that compile or bundle a Node server into
// the file its start script runs.
var nodeBuilders = []string{"tsc", "webpack", "esbuild", "rollup", "tsup", "swc", "babel", "ncc"}

// nodeNotes says what of package.json and its neighbours coach will not use.
func (ws *Workspace) nodeNotes(pkg packageJSON) {
	for _, f := range nodeUnusedLockfiles {
		if !exists(ws.Dir, f) {
			continue
		}
		from := "package.json, so versions may differ from the ones " + f + " pins (`npm install` writes a package-lock.json to pin them)"
		if exists(ws.Dir, "package-lock.json") {
			from = "package-lock.json"
		}
		ws.Notes = append(ws.Notes, fmt.Sprintf("%s is not used: coach installs with npm from %s", f, from))
	}
	if dev := pkg.Scripts["dev"]; dev != "" && pkg.Scripts["start"] != "" && ws.Run == "" {
		ws.Notes = append(ws.Notes, fmt.Sprintf("the \"dev\" script (%s) is not used: coach runs \"start\", as production does", dev))
	}
}

// pythonDeps decides where the dependencies come from: requirements.txt,
// else pyproject.toml's [project] dependencies. Pipfile and poetry are
// not supported: their lockfiles need their own tools.
func (ws *Workspace) pythonDeps() error {
	other := ""
	switch {
	case exists(ws.Dir, "Pipfile"):
		other = "Pipfile"
	case exists(ws.Dir, "poetry.lock"):
		other = "poetry.lock"
	}
	if exists(ws.Dir, "requirements.txt") {
		ws.Deps = true
		if other != "" {
			ws.Notes = append(ws.Notes, other+" is not used: coach installs requirements.txt")
		}
		return nil
	}
	if deps, ok := pyprojectDeps(ws.Dir); ok {
		ws.PyDeps, ws.Deps = deps, len(deps) > 0
		return nil
	}
	if other != "" && ws.Build == "" {
		export := "pipenv requirements > requirements.txt"
		if other == "poetry.lock" {
			export = "poetry export -f requirements.txt -o requirements.txt"
		}
		return &Error{Dir: ws.Dir, Kind: Unsupported, File: other,
			Msg:  fmt.Sprintf("%s is not supported: coach installs Python dependencies from requirements.txt (or pyproject.toml's [project] dependencies)", other),
			Hint: fmt.Sprintf("export them once: `%s`, and commit requirements.txt", export)}
	}
	return nil
}

// RunCommand is the argv that starts the server, given where the build put
// a compiled server (server, for go: a path in the syntax of the system it
// runs on, which for the docker sandbox is Linux whatever coach runs on).
// Custom commands run under sh -c with exec, so signals reach the server
// itself.
func (ws *Workspace) RunCommand(server string) []string {
	if ws.Run != "" {
		return shell(ws.Run)
	}
	switch ws.Runtime {
	case Node:
		return []string{"node", ws.Entry}
	case Go:
		return []string{server}
	case Python:
		return []string{"python3", "-u", ws.Entry}
	}
	return nil
}

// BuildCommand is the argv that builds the workspace, or nil when nothing
// needs building: a custom build, else installing then compiling. server
// is where a compiled server must be written.
func (ws *Workspace) BuildCommand(server string) []string {
	if ws.Build != "" {
		return shell(ws.Build)
	}
	return AndThen(ws.InstallCommand(), ws.CompileCommand(server))
}

// AndThen runs first, then (if it succeeded) second; either may be nil.
func AndThen(first, second []string) []string {
	switch {
	case first == nil:
		return second
	case second == nil:
		return first
	}
	return []string{"sh", "-c", ShellJoin(first) + " && " + ShellJoin(second)}
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
		return append([]string{"python3", "-m", "pip", "install", "--no-cache-dir"}, ws.PipRequirements()...)
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
		if len(ws.PyDeps) > 0 {
			files = append(files, "pyproject.toml")
		}
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
		if pkg.installScript() != "" {
			return true
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
func (ws *Workspace) CompileCommand(server string) []string {
	if ws.Build != "" {
		return shell(ws.Build)
	}
	switch ws.Runtime {
	case Go:
		return []string{"go", "build", "-o", server, ws.Entry}
	case Node:
		if ws.NodeBuild {
			return []string{"npm", "run", "build"}
		}
	}
	return nil
}

// PipRequirements are pip install's arguments naming what to install.
func (ws *Workspace) PipRequirements() []string {
	if len(ws.PyDeps) > 0 && !exists(ws.Dir, "requirements.txt") {
		return ws.PyDeps
	}
	return []string{"-r", "requirements.txt"}
}

// Plan says in one line what was detected and what will run, e.g.
// "node (package.json) · install: npm ci · start: node server.js". build
// and run are the commands the backend will run.
func (ws *Workspace) Plan(build, run []string) string {
	parts := []string{fmt.Sprintf("%s (%s)", ws.Runtime, ws.Source)}
	if len(build) > 0 {
		label, shown := "build", DisplayCommand(build)
		compile := ShellJoin(ws.CompileCommand(""))
		switch {
		case ws.Build != "" || ws.Runtime == Go:
		case ws.Runtime == Node && ws.NodeBuild && shown != compile:
			// npm install && npm run build: two steps, said as two.
			install := strings.TrimSuffix(shown, " && "+compile)
			parts = append(parts, "install: "+DisplayCommand(strings.Fields(install)))
			shown = compile
		case !ws.NodeBuild:
			label = "install"
		}
		parts = append(parts, label+": "+shown)
	}
	switch {
	case ws.Runtime == Dockerfile:
		parts = append(parts, "start: your image's CMD")
	case ws.Runtime == Go && ws.Run == "":
		parts = append(parts, "start: the program built from "+ws.Entry)
	case len(run) > 0:
		parts = append(parts, "start: "+DisplayCommand(run))
	}
	return strings.Join(parts, " · ")
}

// Announce tells w what was detected and will run, and what was not used.
func (ws *Workspace) Announce(w io.Writer, build, run []string) {
	fmt.Fprintf(w, "coach: %s\n", ws.Plan(build, run))
	for _, n := range ws.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// DisplayCommand shows a command as the learner would type it: without
// coach's own flags (output paths, quieter npm, pip's target).
func DisplayCommand(argv []string) string {
	if len(argv) == 3 && argv[0] == "sh" && argv[1] == "-c" {
		return strings.TrimPrefix(strings.TrimPrefix(argv[2], nodeBinPath), "exec ")
	}
	var out []string
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "-o" || a == "--target":
			i++
		case strings.HasPrefix(a, "--"):
		default:
			out = append(out, a)
		}
	}
	return ShellJoin(out)
}

func shell(cmd string) []string {
	if strings.ContainsAny(cmd, "&|;\n") {
		return []string{"sh", "-c", cmd}
	}
	return []string{"sh", "-c", "exec " + cmd}
}

// ShellQuote quotes s for sh when it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellJoin joins argv into one sh command line, quoting what needs it.
func ShellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = ShellQuote(a)
	}
	return strings.Join(q, " ")
}

// Language names the language behind a Dockerfile workspace, from
// the same files runtime detection looks at ("" when none says).
func Language(dir string) string {
	switch rt, _, _ := sniff(dir); rt {
	case Node, Go, Python:
		return string(rt)
	}
	return ""
}
