package docker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fixtures below are written by the tests themselves. Their one
// dependency is ms (no dependencies of its own), from the npm registry.

// msLock is package-lock.json for {"dependencies": {"ms": VERSION}}.
func msLock(name, version, integrity string) string {
	return fmt.Sprintf(`{
  "name": %[1]q,
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {"name": %[1]q, "version": "1.0.0", "dependencies": {"ms": %[2]q}},
    "node_modules/ms": {"version": %[2]q, "integrity": %[3]q, "license": "MIT"}
  }
}
`, name, version, integrity)
}

const (
	ms213 = "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="
	// msServer answers / with ms's formatting of a minute and a marker.
	msServer = `const http = require('node:http');
const ms = require('ms');
http.createServer((req, res) => res.end(ms(60000) + ' MARK')).listen(Number(process.env.PORT), '0.0.0.0');
`
)

func TestNodeRecipe(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		check func(t *testing.T, ws *workspace.Workspace)
	}{
		{"matching lockfile: npm ci, devDependencies left out", map[string]string{
			"package.json":      `{"name": "a", "version": "1.0.0", "scripts": {"start": "node server.js"}, "dependencies": {"ms": "2.1.3"}}`,
			"package-lock.json": msLock("a", "2.1.3", ms213), "server.js": msServer,
		}, func(t *testing.T, ws *workspace.Workspace) {
			assert.Equal(t, []string{"npm", "ci", "--no-audit", "--no-fund"}, ws.InstallCommand())
			assert.Equal(t, []string{"npm", "ci", "--no-audit", "--no-fund", "--omit=dev"}, dockerInstallArgv(ws))
			assert.Equal(t, []string{"package.json", "package-lock.json"}, ws.ManifestFiles())
			assert.False(t, ws.StaleLock)
			assert.Empty(t, ws.Notes)
			assert.True(t, layeredInstall(ws))
			assert.Nil(t, sourceArgv(ws), "nothing to run once the sources are in")
		}},
		{"stale lockfile: npm install, with a note", map[string]string{
			"package.json":      `{"name": "a", "version": "1.0.0", "dependencies": {"ms": "2.1.3"}}`,
			"package-lock.json": msLock("a", "2.1.2", ms213), "server.js": msServer,
		}, func(t *testing.T, ws *workspace.Workspace) {
			assert.True(t, ws.StaleLock)
			assert.Equal(t, []string{"npm", "install", "--no-audit", "--no-fund"}, ws.InstallCommand())
			require.Len(t, ws.Notes, 1)
			assert.Contains(t, ws.Notes[0], "package-lock.json does not match package.json (dependencies: ms is 2.1.3, the lockfile has 2.1.2)")
			assert.Contains(t, ws.Notes[0], "run `npm install` and commit package-lock.json")
		}},
		{"build script: devDependencies, build after install, entry written by the build", map[string]string{
			"package.json": `{"name": "a", "main": "dist/server.js", "scripts": {"build": "node build.js", "start": "node dist/server.js"}, "devDependencies": {"ms": "2.1.3"}}`,
			"build.js":     "// writes dist/server.js",
		}, func(t *testing.T, ws *workspace.Workspace) {
			assert.True(t, ws.NodeBuild)
			assert.True(t, ws.DevDeps)
			assert.True(t, ws.Deps, "devDependencies alone are installed when the build needs them")
			assert.Equal(t, "dist/server.js", ws.Entry)
			assert.Equal(t, []string{"npm", "install", "--no-audit", "--no-fund"}, dockerInstallArgv(ws))
			assert.Equal(t, []string{"npm", "run", "build"}, sourceArgv(ws))
			assert.Equal(t, []string{"sh", "-c", "npm install --no-audit --no-fund && npm run build"}, ws.BuildCommand("/bin"))
			assert.Equal(t, "[ -e dist/server.js ] || exit 97\n", startFileCheck(ws))
			assert.Equal(t, "node (package.json) · install: npm install · build: npm run build · start: node dist/server.js", Plan(ws),
				"the install and the build are two steps in the plan line")
		}},
		{"start script runs a devDependency's command", map[string]string{
			"package.json": `{"name": "a", "scripts": {"start": "ts-node src/server.ts"}, "devDependencies": {"ts-node": "^10", "typescript": "^5"}}`,
		}, func(t *testing.T, ws *workspace.Workspace) {
			assert.True(t, ws.DevDeps)
			assert.Equal(t, "npm start", ws.Run)
		}},
		{"tsc comes from typescript", map[string]string{
			"package.json": `{"name": "a", "scripts": {"start": "tsc && node dist/a.js"}, "devDependencies": {"typescript": "^5"}}`,
		}, func(t *testing.T, ws *workspace.Workspace) {
			assert.True(t, ws.DevDeps)
		}},
		{"nodemon with a file: coach runs node", map[string]string{
			"package.json": `{"name": "a", "scripts": {"start": "nodemon server.js"}, "devDependencies": {"nodemon": "^3"}}`,
			"server.js":    msServer,
		}, func(t *testing.T, ws *workspace.Workspace) {
			assert.Equal(t, "server.js", ws.Entry)
			assert.Equal(t, []string{"node", "server.js"}, ws.RunCommand(binDir))
			require.Len(t, ws.Notes, 1)
			assert.Contains(t, ws.Notes[0], "coach runs `node server.js`, so a crash ends the server")
		}},
		{"node --watch: coach runs node", map[string]string{
			"package.json": `{"name": "a", "scripts": {"start": "node --watch app.js"}}`, "app.js": msServer,
		}, func(t *testing.T, ws *workspace.Workspace) {
			assert.Equal(t, "app.js", ws.Entry)
		}},
		{"nodemon with options: --exitcrash", map[string]string{
			"package.json": `{"name": "a", "scripts": {"start": "nodemon --exec ts-node src/a.ts"}, "devDependencies": {"nodemon": "^3", "ts-node": "^10"}}`,
		}, func(t *testing.T, ws *workspace.Workspace) {
			assert.Contains(t, ws.Run, "exec nodemon --exitcrash --no-colours --exec ts-node src/a.ts")
			assert.Contains(t, Plan(ws), "start: nodemon --exitcrash --no-colours --exec ts-node src/a.ts", "coach's PATH setting is not shown")
			assert.True(t, ws.DevDeps)
		}},
		{"yarn.lock is named as not used", map[string]string{
			"package.json": `{"name": "a", "dependencies": {"ms": "2.1.3"}}`, "yarn.lock": "", "server.js": msServer,
		}, func(t *testing.T, ws *workspace.Workspace) {
			require.Len(t, ws.Notes, 1)
			assert.Contains(t, ws.Notes[0], "yarn.lock is not used: coach installs with npm")
			assert.Equal(t, []string{"npm", "install", "--no-audit", "--no-fund"}, ws.InstallCommand())
		}},
		{"a prepublish script: npm runs it on install, so devDependencies and the sources are in", map[string]string{
			"package.json": `{"name": "a", "scripts": {"start": "node server.js", "prepublish": "npm t", "test": "happiness"}, "dependencies": {"ms": "2.1.3"}, "devDependencies": {"happiness": "^7"}}`,
			"server.js":    msServer,
		}, func(t *testing.T, ws *workspace.Workspace) {
			assert.True(t, ws.DevDeps, "npm install runs prepublish, which may need a devDependency")
			assert.False(t, layeredInstall(ws), "the script may read the sources")
			assert.Equal(t, []string{"npm", "install", "--no-audit", "--no-fund"}, sourceArgv(ws))
		}},
		{"a test script alone needs no devDependencies", map[string]string{
			"package.json": `{"name": "a", "scripts": {"start": "node server.js", "test": "happiness"}, "dependencies": {"ms": "2.1.3"}, "devDependencies": {"happiness": "^7"}}`,
			"server.js":    msServer,
		}, func(t *testing.T, ws *workspace.Workspace) {
			assert.False(t, ws.DevDeps)
			assert.True(t, layeredInstall(ws))
		}},
		{"an install script or a file: dependency installs with the sources", map[string]string{
			"package.json": `{"name": "a", "dependencies": {"lib": "file:./lib"}, "scripts": {"postinstall": "node setup.js"}}`, "server.js": msServer,
		}, func(t *testing.T, ws *workspace.Workspace) {
			assert.False(t, layeredInstall(ws))
			assert.Equal(t, []string{"npm", "install", "--no-audit", "--no-fund", "--omit=dev"}, sourceArgv(ws))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, err := workspace.Detect(writeWorkspace(t, tt.files))
			require.NoError(t, err)
			tt.check(t, ws)
		})
	}
}

// nodeFixture writes a workspace whose manifest is unique to this test
// run, so that its dependency image is built here and not found from an
// earlier run, and removes the images built for it when the test ends.
func nodeFixture(t *testing.T, d *Backend, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		content = strings.ReplaceAll(content, "UNIQUE", filepath.Base(dir))
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	t.Cleanup(func() {
		d.bg.wait()
		for _, label := range []string{hashString(dir), depsLabel(hashString(dir))} {
			d.removeOtherImages(context.Background(), LabelWorkspace+"="+label, "")
		}
	})
	return dir
}

// startLogged starts dir and returns the instance and the build's progress
// output; the instance is closed when the test ends.
func startLogged(t *testing.T, d *Backend, dir string) (*Instance, string, error) {
	t.Helper()
	ws, err := workspace.Detect(dir)
	require.NoError(t, err)
	var log bytes.Buffer
	spec := testSpec(t, "node-hello")
	spec.Workspace, spec.Progress = ws, &log
	inst, err := d.Start(t.Context(), spec)
	t.Log(log.String())
	if err != nil {
		return nil, log.String(), err
	}
	di := inst.(*Instance)
	t.Cleanup(func() { require.NoError(t, di.Close(context.Background())) })
	return di, log.String(), nil
}

// TestDockerDependencyLayer proves that an edit of a source file does not
// install the dependencies again (the build says which it did), and that
// an edit of package.json does.
func TestDockerDependencyLayer(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	dir := nodeFixture(t, d, map[string]string{
		"package.json":      `{"name": "layers", "version": "1.0.0", "description": "UNIQUE", "scripts": {"start": "node server.js"}, "dependencies": {"ms": "2.1.3"}}`,
		"package-lock.json": msLock("layers", "2.1.3", ms213),
		"server.js":         strings.Replace(msServer, "MARK", "first", 1),
	})
	const installed, reused = "installing dependencies: npm ci", "dependencies unchanged: reusing coach-deps:"

	inst, log, err := startLogged(t, d, dir)
	require.NoError(t, err)
	assert.Contains(t, log, installed)
	_, body := httpGet(t, inst, "/")
	assert.Equal(t, "1m first", body)
	require.NoError(t, inst.Close(t.Context()))

	require.NoError(t, os.WriteFile(filepath.Join(dir, "server.js"), []byte(strings.Replace(msServer, "MARK", "edited", 1)), 0o644))
	inst, log, err = startLogged(t, d, dir)
	require.NoError(t, err)
	assert.NotContains(t, log, "installing dependencies", "a source edit must not reinstall")
	assert.Contains(t, log, reused)
	assert.Contains(t, log, "building your node code", "the sources were rebuilt")
	_, body = httpGet(t, inst, "/")
	assert.Equal(t, "1m edited", body, "the edited source runs, with the dependencies of the first build")
	require.NoError(t, inst.Close(t.Context()))

	pkg := filepath.Join(dir, "package.json")
	data, err := os.ReadFile(pkg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(pkg, bytes.Replace(data, []byte(`"version": "1.0.0"`), []byte(`"version": "1.0.1"`), 1), 0o644))
	inst, log, err = startLogged(t, d, dir)
	require.NoError(t, err)
	assert.Contains(t, log, installed, "a package.json edit installs again")
	_, body = httpGet(t, inst, "/")
	assert.Equal(t, "1m edited", body)
}

func TestDockerNodeRecipes(t *testing.T) {
	d, _ := newTestDocker(t, nil)
	t.Run("build script with a devDependency writes the entry", func(t *testing.T) {
		dir := nodeFixture(t, d, map[string]string{
			"package.json": `{"name": "built", "description": "UNIQUE", "main": "dist/server.js",
				"scripts": {"build": "node build.js", "start": "node dist/server.js"}, "devDependencies": {"ms": "2.1.3"}}`,
			// The build needs the devDependency: it bakes ms's output in.
			"build.js": `const fs = require('node:fs'); const ms = require('ms');
fs.mkdirSync('dist', {recursive: true});
fs.writeFileSync('dist/server.js', "require('node:http').createServer((q, r) => r.end('built ' + " + JSON.stringify(ms(60000)) + ")).listen(Number(process.env.PORT), '0.0.0.0');");
`,
		})
		inst, log, err := startLogged(t, d, dir)
		require.NoError(t, err)
		assert.Contains(t, log, "installing dependencies: npm install --no-audit --no-fund\n", "devDependencies included")
		_, body := httpGet(t, inst, "/")
		assert.Equal(t, "built 1m", body)
	})
	t.Run("build script that does not write the entry", func(t *testing.T) {
		dir := nodeFixture(t, d, map[string]string{
			"package.json": `{"name": "unbuilt", "description": "UNIQUE", "scripts": {"build": "echo nothing", "start": "node dist/server.js"}}`,
		})
		_, _, err := startLogged(t, d, dir)
		var be *workspace.BuildError
		require.ErrorAs(t, err, &be)
		assert.Contains(t, be.Error(), "npm run build finished, but dist/server.js, which your server starts with, does not exist")
	})
	t.Run("stale lockfile installs with npm install", func(t *testing.T) {
		dir := nodeFixture(t, d, map[string]string{
			"package.json":      `{"name": "stale", "description": "UNIQUE", "scripts": {"start": "node server.js"}, "dependencies": {"ms": "2.1.3"}}`,
			"package-lock.json": msLock("stale", "2.1.2", "sha512-sGkPx+VjMtmA6MX27oA4FBFELFCZZ4S4XqeGOXCv68tT+jb3vk/RyaKWP0PTKyWtmLSM0b+adUTEvbs1PEaH2w=="),
			"server.js":         msServer,
		})
		inst, log, err := startLogged(t, d, dir)
		require.NoError(t, err)
		assert.Contains(t, log, "note: package-lock.json does not match package.json")
		assert.Contains(t, log, "installing dependencies: npm install")
		_, body := httpGet(t, inst, "/")
		assert.Equal(t, "1m MARK", body)
	})
	t.Run("a nodemon start script that crashes is a crash", func(t *testing.T) {
		dir := nodeFixture(t, d, map[string]string{
			"package.json": `{"name": "watcher", "description": "UNIQUE", "scripts": {"start": "nodemon server.js"}}`,
			"server.js":    "throw new Error('boom at start');\n",
		})
		_, _, err := startLogged(t, d, dir)
		var se *sandbox.StartError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 1, se.ExitCode, "an exit, not a wait for file changes until the start timeout")
		assert.Contains(t, se.Output, "boom at start")
	})
}
