package workspace

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

func tarNames(t *testing.T, data []byte) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if h.Typeflag != tar.TypeDir {
			names = append(names, h.Name)
		}
	}
	sort.Strings(names)
	return names
}

func TestWorkspaceTarIgnores(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ignore map[string]string
		want   []string
	}{
		{
			name:   "dockerignore wins over gitignore",
			ignore: map[string]string{".dockerignore": "*.log\nsecret/\n!keep.log\n", ".gitignore": "server.js\n"},
			want:   []string{".dockerignore", ".gitignore", "Dockerfile", "keep.log", "lib/util.js", "server.js"},
		},
		{
			name:   "gitignore when no dockerignore",
			ignore: map[string]string{".gitignore": "# comment\n/lib\n**/*.log\n"},
			want:   []string{".gitignore", "Dockerfile", "secret/token.txt", "server.js"},
		},
		{
			name:   "the Dockerfile is always sent",
			ignore: map[string]string{".dockerignore": "Dockerfile\n"},
			want:   []string{".dockerignore", "Dockerfile", "app.log", "keep.log", "lib/util.js", "secret/token.txt", "server.js"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"server.js": "x", "lib/util.js": "x", "app.log": "x", "keep.log": "x", "secret/token.txt": "x",
				"Dockerfile": "FROM scratch", "node_modules/a/index.js": "x", ".git/HEAD": "x", ".coach/server": "x",
			})
			writeFiles(t, dir, tc.ignore)
			data, _, err := Tar(dir, 0)
			require.NoError(t, err)
			assert.Equal(t, tc.want, tarNames(t, data))
		})
	}
}

func TestWorkspaceTarReproducible(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.js": "1", "b/c.js": "2"})
	a, _, err := Tar(dir, 0)
	require.NoError(t, err)
	now := filepath.Join(dir, "a.js")
	require.NoError(t, os.Chtimes(now, timeNowish(), timeNowish()))
	b, _, err := Tar(dir, 0)
	require.NoError(t, err)
	assert.Equal(t, a, b, "touching a file does not change the hash")
	writeFiles(t, dir, map[string]string{"a.js": "changed"})
	c, _, err := Tar(dir, 0)
	require.NoError(t, err)
	assert.NotEqual(t, a, c)
}

func TestWorkspaceTarSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"passwd": "secret"})
	writeFiles(t, dir, map[string]string{"server.js": "x", "lib/a.js": "x"})
	require.NoError(t, os.Symlink(filepath.Join(outside, "passwd"), filepath.Join(dir, "abs")))
	require.NoError(t, os.Symlink("../../etc/passwd", filepath.Join(dir, "lib", "rel")))
	require.NoError(t, os.Symlink("a.js", filepath.Join(dir, "lib", "ok")))
	data, skipped, err := Tar(dir, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"lib/a.js", "lib/ok", "server.js"}, tarNames(t, data))
	require.Len(t, skipped, 2)
	assert.Contains(t, skipped[0], "outside the workspace")
	assert.NotContains(t, string(data), "secret")
}

func TestWorkspaceTarTooLarge(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"server.js": "x"})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dump.sql"), make([]byte, 3<<20), 0o644))
	_, _, err := Tar(dir, 2<<20)
	var big *ContextTooLargeError
	require.ErrorAs(t, err, &big)
	assert.Contains(t, err.Error(), "dump.sql (3.0 MiB)")
	assert.Contains(t, err.Error(), ".dockerignore")
}

func timeNowish() (tm time.Time) { return time.Now().Add(-time.Hour) }

func TestTarFileMode(t *testing.T) {
	tests := []struct {
		name     string
		rel      string
		perm     fs.FileMode
		execBits bool
		head     string
		want     int64
	}{
		{"unix: executable bit kept", "bin/run", 0o755, true, "", 0o755},
		{"unix: user bit alone is enough", "run", 0o744, true, "", 0o755},
		{"unix: plain file", "server.js", 0o644, true, "", 0o644},
		{"unix: a shebang without the bit is not executable", "tool", 0o644, true, "#!/bin/sh", 0o644},
		{"unix: a .sh without the bit is not executable", "start.sh", 0o644, true, "", 0o644},
		{"windows: shebang", "scripts/serve", 0o666, false, "#!", 0o755},
		{"windows: .sh", "scripts/start.sh", 0o666, false, "echo", 0o755},
		{"windows: gradlew", "gradlew", 0o666, false, "", 0o755},
		{"windows: mvnw in a folder", "api/mvnw", 0o666, false, "", 0o755},
		{"windows: gradlew.bat is not a script for Linux", "gradlew.bat", 0o666, false, "@rem", 0o644},
		{"windows: plain file", "server.js", 0o666, false, "cons", 0o644},
		{"windows: read-only file", "README.md", 0o444, false, "# t", 0o644},
		{"windows: empty file", "empty", 0o666, false, "", 0o644},
		{"windows: one byte", "x", 0o666, false, "#", 0o644},
		{"windows: .sh in a folder name only", "lib.sh/index.js", 0o666, false, "", 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tarFileMode(tt.rel, tt.perm, tt.execBits, []byte(tt.head)))
		})
	}
}

// The whole tar, with each system's rule for executable bits: names use
// "/", and scripts stay executable when the files come from Windows.
func TestWorkspaceTarModes(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"server.js": "require('http')", "scripts/start.sh": "node server.js", "scripts/serve": "#!/bin/sh\nexec node server.js",
		"gradlew": "java", "empty": "",
	})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "scripts", "built"), []byte("\x7fELF"), 0o755))
	type modeCase struct {
		name     string
		execBits bool
		want     map[string]int64
	}
	tests := []modeCase{
		{"windows: scripts by name and by #!", false, map[string]int64{
			"empty": 0o644, "gradlew": 0o755, "server.js": 0o644, "scripts/": 0o755,
			"scripts/built": 0o644, "scripts/serve": 0o755, "scripts/start.sh": 0o755,
		}},
	}
	if execBitsKept { // on Windows the file written 0755 reads as 0666
		tests = append(tests, modeCase{"unix: the file's bits", true, map[string]int64{
			"empty": 0o644, "gradlew": 0o644, "server.js": 0o644, "scripts/": 0o755,
			"scripts/built": 0o755, "scripts/serve": 0o644, "scripts/start.sh": 0o644,
		}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, _, err := workspaceTarModes(dir, 0, tt.execBits)
			require.NoError(t, err)
			got := map[string]int64{}
			tr := tar.NewReader(bytes.NewReader(data))
			for {
				h, err := tr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				got[h.Name] = h.Mode
				if h.Typeflag == tar.TypeReg {
					body, err := io.ReadAll(tr)
					require.NoError(t, err)
					assert.Len(t, body, int(h.Size), "%s: the whole file after its first bytes were read", h.Name)
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// .env files left out only by .gitignore are copied (the server reads them
// on the learner's machine); .dockerignore is obeyed; other left-out files
// a server may read are named.
func TestWorkspaceTarEnvFiles(t *testing.T) {
	tests := []struct {
		name, ignoreFile, rules string
		copied                  bool
		note                    string
	}{
		{"gitignore", ".gitignore", ".env\nconfig.json\n*.log\n.eslintrc.json\n", true, "copied .env into the sandbox although .gitignore lists it"},
		{"dockerignore", ".dockerignore", ".env\nconfig.json\n", false, "left out .env, config.json (in .dockerignore)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range map[string]string{tt.ignoreFile: tt.rules, ".env": "A=1\n", ".env.example": "A=\n", "config.json": "{}",
				"debug.log": "x", ".eslintrc.json": "{}", "server.js": ""} {
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
			}
			data, notes, err := Tar(dir, 0)
			require.NoError(t, err)
			names := tarNames(t, data)
			assert.Equal(t, tt.copied, slices.Contains(names, ".env"), "%v", names)
			assert.Contains(t, names, ".env.example")
			joined := strings.Join(notes, "\n")
			assert.Contains(t, joined, tt.note)
			assert.NotContains(t, joined, "debug.log", "logs are left out on purpose")
			assert.NotContains(t, joined, ".eslintrc", "tool settings are not what a server reads")
		})
	}
}
