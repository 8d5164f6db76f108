package sandbox

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
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
			data, _, err := workspaceTar(dir, 0)
			require.NoError(t, err)
			assert.Equal(t, tc.want, tarNames(t, data))
		})
	}
}

func TestWorkspaceTarReproducible(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.js": "1", "b/c.js": "2"})
	a, _, err := workspaceTar(dir, 0)
	require.NoError(t, err)
	now := filepath.Join(dir, "a.js")
	require.NoError(t, os.Chtimes(now, timeNowish(), timeNowish()))
	b, _, err := workspaceTar(dir, 0)
	require.NoError(t, err)
	assert.Equal(t, a, b, "touching a file does not change the hash")
	writeFiles(t, dir, map[string]string{"a.js": "changed"})
	c, _, err := workspaceTar(dir, 0)
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
	data, skipped, err := workspaceTar(dir, 0)
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
	_, _, err := workspaceTar(dir, 2<<20)
	var big *ContextTooLargeError
	require.ErrorAs(t, err, &big)
	assert.Contains(t, err.Error(), "dump.sql (3.0 MiB)")
	assert.Contains(t, err.Error(), ".dockerignore")
}

func timeNowish() (tm time.Time) { return time.Now().Add(-time.Hour) }
