package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
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
	// Source names the file that decided the runtime, for messages.
	Source string
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
		ws.Services = wf.Services
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
	Main         string            `json:"main"`
	Scripts      map[string]string `json:"scripts"`
	Dependencies map[string]string `json:"dependencies"`
}

var nodeStart = regexp.MustCompile(`^node\s+([\w./-]+)$`)

// fill completes Entry and Deps from the runtime's conventions.
func (ws *Workspace) fill() error {
	fail := func(format string, a ...any) error {
		return &WorkspaceError{Dir: ws.Dir, Msg: fmt.Sprintf(format, a...)}
	}
	switch ws.Runtime {
	case Node:
		var pkg packageJSON
		if data, err := os.ReadFile(filepath.Join(ws.Dir, "package.json")); err == nil {
			if err := json.Unmarshal(data, &pkg); err != nil {
				return fail("package.json is not valid JSON: %v", err)
			}
		}
		ws.Deps = len(pkg.Dependencies) > 0
		if ws.Entry != "" || ws.Run != "" {
			break
		}
		if m := nodeStart.FindStringSubmatch(strings.TrimSpace(pkg.Scripts["start"])); m != nil {
			ws.Entry = m[1] // run node directly so signals reach the server
		} else if pkg.Scripts["start"] != "" {
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
			return fail("coach cannot tell how to start your Node.js server: add a \"start\" script " +
				"to package.json (e.g. \"node server.js\"), or create server.js or index.js")
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
	if ws.Entry != "" && ws.Runtime != Go && ws.Run == "" && !exists(ws.Dir, ws.Entry) {
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
// needs building. binDir is where a compiled server must be written.
func (ws *Workspace) BuildCommand(binDir string) []string {
	if ws.Build != "" {
		return shell(ws.Build)
	}
	switch ws.Runtime {
	case Go:
		return []string{"go", "build", "-o", filepath.Join(binDir, "server"), ws.Entry}
	case Node:
		if ws.Deps {
			if exists(ws.Dir, "package-lock.json") {
				return []string{"npm", "ci", "--no-audit", "--no-fund"}
			}
			return []string{"npm", "install", "--no-audit", "--no-fund"}
		}
	case Python:
		if ws.Deps {
			return []string{"python3", "-m", "pip", "install", "--no-cache-dir", "-r", "requirements.txt"}
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
