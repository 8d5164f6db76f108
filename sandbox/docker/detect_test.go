package docker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/sandbox/workspace"
)

func TestDetectShapes(t *testing.T) {
	goMain := "package main\n\nfunc main() {}\n"
	tests := []struct {
		name  string
		files map[string]string
		plan  string // Plan with the Docker backend's commands
		note  string // one of the notes, when any
		kind  workspace.ErrorKind
		err   string // the error must contain this (plan empty)
	}{
		{"go root", map[string]string{"go.mod": "module m\n", "main.go": goMain}, "go (go.mod) · build: go build . · start: the program built from .", "", 0, ""},
		{"go cmd/api", map[string]string{"go.mod": "module m\n", "cmd/api/main.go": goMain, "internal/x/x.go": "package x\n", "tools/gen.go": "//go:build ignore\n\npackage main\n"},
			"go (go.mod) · build: go build ./cmd/api · start: the program built from ./cmd/api", "", 0, ""},
		{"go two programs", map[string]string{"go.mod": "module m\n", "cmd/api/main.go": goMain, "cmd/worker/main.go": goMain}, "", "", workspace.NoStart, "./cmd/api, ./cmd/worker"},
		{"go entry chosen", map[string]string{"go.mod": "module m\n", "coach.yaml": "entry: ./cmd/worker\n", "cmd/api/main.go": goMain, "cmd/worker/main.go": goMain},
			"go (go.mod) · build: go build ./cmd/worker · start: the program built from ./cmd/worker", "", 0, ""},
		{"node with yarn and dev", map[string]string{"package.json": `{"scripts":{"start":"node server.js","dev":"nodemon server.js"},"dependencies":{"express":"^4"}}`, "server.js": "", "yarn.lock": ""},
			"node (package.json) · install: npm install · start: node server.js", "yarn.lock is not used: coach installs with npm", 0, ""},
		{"node server.js without package.json", map[string]string{"server.js": "const http = require('http')\nhttp.createServer((q, s) => s.end('hi')).listen(process.env.PORT)\n"},
			"node (server.js) · start: node server.js", "", 0, ""},
		{"node without package.json: the file that starts the server", map[string]string{"server.js": "module.exports = {}\n", "index.js": "require('http').createServer().listen(process.env.PORT)\n"},
			"node (index.js) · start: node index.js", "", 0, ""},
		{"a browser's app.js beside a Python app", map[string]string{"app.js": "document.querySelector('h1').textContent = 'hi'\n", "main.py": "if __name__ == '__main__':\n    pass\n"},
			"python (main.py) · start: python3 -u main.py", "", 0, ""},
		{"node only dev", map[string]string{"package.json": `{"scripts":{"dev":"nodemon src/index.js"}}`}, "", "", workspace.NoStart, `"dev" script (nodemon src/index.js) but no "start"`},
		{"package.json tooling beside go", map[string]string{"package.json": `{"devDependencies":{"prettier":"^3"}}`, "go.mod": "module m\n", "main.go": goMain},
			"go (go.mod) · build: go build . · start: the program built from .", "package.json is used only for tooling here", 0, ""},
		{"python src/app.py", map[string]string{"src/app.py": "if __name__ == \"__main__\":\n    pass\n"}, "python (src/app.py) · start: python3 -u src/app.py", "", 0, ""},
		{"python run.py", map[string]string{"requirements.txt": "flask\n", "run.py": "from app import create_app\napp = create_app()\nif __name__ == '__main__':\n    app.run()\n"},
			"python (requirements.txt) · install: python3 -m pip install -r requirements.txt · start: python3 -u run.py", "", 0, ""},
		{"python app/main.py, a module of its package", map[string]string{"app/main.py": "import socket\nserver = socket.create_server((\"0.0.0.0\", 8080))\nif __name__ == \"__main__\":\n    pass\n", "app/util.py": ""},
			"python (app/main.py) · start: python3 -u -m app.main", "", 0, ""},
		{"fastapi app/main.py", map[string]string{"requirements.txt": "fastapi\n", "app/__init__.py": "", "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}, "", "", workspace.NoStart,
			"python3 -m uvicorn app.main:app --host 0.0.0.0 --port $PORT"},
		{"python package __main__", map[string]string{"app/__init__.py": "", "app/__main__.py": "print(1)\n"}, "python (app/__main__.py) · start: python3 -u -m app", "", 0, ""},
		{"fastapi", map[string]string{"requirements.txt": "fastapi\n", "main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}, "", "", workspace.NoStart, "python3 -m uvicorn main:app --host 0.0.0.0 --port $PORT"},
		{"pyproject deps", map[string]string{"pyproject.toml": "[tool.ruff]\nline-length = 100\n\n[project]\nname = \"x\"\ndependencies = [\n  \"flask>=3\",  # web\n  'gunicorn',\n]\n", "main.py": "if __name__ == '__main__':\n    pass\n"},
			"python (pyproject.toml) · install: python3 -m pip install 'flask>=3' gunicorn · start: python3 -u main.py", "", 0, ""},
		{"django", map[string]string{"requirements.txt": "django==5.0\n", "manage.py": "import os, sys\nfrom django.core.management import execute_from_command_line\nif __name__ == '__main__':\n    execute_from_command_line(sys.argv)\n", "mysite/settings.py": ""},
			"", "", workspace.NoStart, "run: python3 -u manage.py runserver 0.0.0.0:$PORT --noreload"},
		{"poetry", map[string]string{"pyproject.toml": "[tool.poetry.dependencies]\nflask = \"^3\"\n", "poetry.lock": "", "main.py": "if __name__ == '__main__':\n    pass\n"}, "", "", workspace.Unsupported, "poetry export"},
		{"nothing", map[string]string{"README.md": "hi"}, "", "", workspace.Missing, "no workspace found"},
		{"node entry missing", map[string]string{"package.json": `{"scripts":{"start":"node server.js"}}`}, "", "", workspace.NoStart,
			"check the file name in package.json, or create server.js"},
		{"typescript output without a build script", map[string]string{"package.json": `{"scripts":{"start":"node dist/index.js","dev":"tsc --watch","tsc":"tsc"},"devDependencies":{"typescript":"4.9.4"}}`, "src/index.ts": ""},
			"", "", workspace.NoStart, "dist/index.js is what `tsc` (your \"tsc\" script) writes, and coach runs only a script named build (npm run build, after installing): add \"build\": \"tsc\" to the scripts"},
		{"a bundled project without a build script", map[string]string{"package.json": `{"scripts":{"start":"node dist/index","webpack":"webpack --config webpack.config.ts"}}`, "tsconfig.json": "{}"},
			"", "", workspace.NoStart, `add "build": "webpack --config webpack.config.ts" to the scripts of package.json`},
		{"typescript by its tsconfig.json", map[string]string{"package.json": `{"scripts":{"start":"node build/main.js"}}`, "tsconfig.json": "{}"},
			"", "", workspace.NoStart, `build/main.js is what TypeScript compiles your code to (tsconfig.json), and coach runs only a script named build`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				p := filepath.Join(dir, name)
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
				require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
			}
			ws, err := workspace.Detect(dir)
			if tt.plan == "" {
				var we *workspace.Error
				require.ErrorAs(t, err, &we)
				assert.Equal(t, tt.kind, we.Kind)
				assert.Contains(t, we.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.plan, Plan(ws))
			if tt.note != "" {
				assert.NotEmpty(t, findNote(ws.Notes, tt.note), "notes: %q", ws.Notes)
			}
		})
	}
}

func findNote(notes []string, part string) string {
	for _, n := range notes {
		if strings.Contains(n, part) {
			return n
		}
	}
	return ""
}

// Go code in a folder of a module is not "a module without go.mod".
func TestDetectFolderInsideModule(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module m\n"), 0o644))
	sub := filepath.Join(root, "cmd", "api")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(sub, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
	_, err := workspace.Detect(sub)
	var we *workspace.Error
	require.ErrorAs(t, err, &we)
	assert.Equal(t, workspace.NoStart, we.Kind)
	assert.Contains(t, we.Hint, "coach check -C "+root)
	assert.Contains(t, we.Hint, "`entry: ./cmd/api`")
}

// writeWorkspace creates a workspace from file names and contents.
func writeWorkspace(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}
