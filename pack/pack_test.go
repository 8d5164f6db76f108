package pack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
)

// writeCatalogue writes a small valid catalogue into dir.
func writeCatalogue(t *testing.T, dir, title string) {
	t.Helper()
	files := map[string]string{
		"roadmap.yaml":                "name: demo\ntitle: " + title + "\nsteps:\n  - step: 1\n    id: hello\n    dir: step-01-hello\n",
		"step-01-hello/exercise.yaml": "id: hello\nstep: 1\ntitle: Hello\nsummary: Say hello.\ndifficulty: easy\ntopics: [{name: HTTP}]\npoints: 1\n",
		"step-01-hello/README.md":     "# Hello\n\n## What coach checks\n\n- /health\n",
		"step-01-hello/hints.yaml":    "build: [a]\ntest: [b]\n",
		"step-01-hello/suite.yaml":    "tests:\n  - id: health\n    name: health\n    hint: h\n    steps: [{request: {path: /health}, expect: {status: 200}}]\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
}

func buildPack(t *testing.T, title, version string) []byte {
	t.Helper()
	dir := t.TempDir()
	writeCatalogue(t, dir, title)
	var buf bytes.Buffer
	_, err := Build(dir, BuildOptions{Version: version, MinCoach: "0.1.0"}, &buf)
	require.NoError(t, err)
	return buf.Bytes()
}

func TestBuildAndExtract(t *testing.T) {
	dir := t.TempDir()
	writeCatalogue(t, dir, "Demo")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".git"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".git", "HEAD"), []byte("x"), 0o644))
	out := filepath.Join(dir, "demo.tar.gz") // inside the folder: must not pack itself
	m, sum, err := BuildFile(dir, BuildOptions{Version: "1.0.0", MinCoach: "0.1.0"}, out)
	require.NoError(t, err)
	assert.Equal(t, "demo", m.Name)
	assert.Equal(t, "Demo", m.Roadmap)
	assert.Len(t, m.Files, 5)
	assert.Len(t, sum, 64)
	for _, f := range m.Files {
		assert.NotContains(t, f.Path, ".git")
		assert.NotContains(t, f.Path, "tar.gz")
	}

	// Reproducible: the same folder gives the same bytes.
	first, err := os.ReadFile(out)
	require.NoError(t, err)
	_, sum2, err := BuildFile(dir, BuildOptions{Version: "1.0.0", MinCoach: "0.1.0"}, out)
	require.NoError(t, err)
	assert.Equal(t, sum, sum2)

	dst := filepath.Join(t.TempDir(), "cat", "demo")
	got, err := Extract(bytes.NewReader(first), dst, ExtractOptions{CoachVersion: "v0.2.0"})
	require.NoError(t, err)
	assert.Equal(t, "1.0.0", got.Version)
	c, err := exercises.Load(os.DirFS(dst))
	require.NoError(t, err)
	assert.Equal(t, "hello", c.Exercises[0].ID)
	assertOnly(t, filepath.Dir(dst), "demo")
}

func TestBuildRefusesInvalid(t *testing.T) {
	dir := t.TempDir()
	writeCatalogue(t, dir, "Demo")
	_, err := Build(dir, BuildOptions{Version: "one", MinCoach: "0.1.0"}, &bytes.Buffer{})
	assert.ErrorContains(t, err, `pack version "one"`)
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "step-01-hello", "passwd")))
	_, err = Build(dir, BuildOptions{Version: "1.0.0", MinCoach: "0.1.0"}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "regular files only")
	require.NoError(t, os.Remove(filepath.Join(dir, "step-01-hello", "passwd")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "step-01-hello", "hints.yaml"), []byte("build: []\n"), 0o644))
	_, err = Build(dir, BuildOptions{Version: "1.0.0", MinCoach: "0.1.0"}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "hints.yaml")
}

// assertOnly checks dir holds exactly names: no temporary leftovers.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	assert.ElementsMatch(t, names, got)
}

type entry struct {
	name     string
	body     string
	typeflag byte
	link     string
}

// archive writes entries as a tar.gz, after a manifest that lists the
// regular files as they are (unless manifest is given).
func archive(t *testing.T, manifest *Manifest, entries ...entry) []byte {
	t.Helper()
	base := t.TempDir()
	writeCatalogue(t, base, "Demo")
	var all []entry
	m := Manifest{Format: 1, Name: "demo", Version: "1.0.0", MinCoach: "0.1.0"}
	_ = filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if !d.IsDir() {
			data, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(base, p)
			all = append(all, entry{name: filepath.ToSlash(rel), body: string(data)})
		}
		return nil
	})
	all = append(all, entries...)
	for _, e := range all {
		if e.typeflag == 0 || e.typeflag == tar.TypeReg {
			m.Files = append(m.Files, File{Path: strings.TrimPrefix(e.name, "./"), Size: int64(len(e.body)), SHA256: sha256Hex([]byte(e.body))})
		}
	}
	if manifest != nil {
		m = *manifest
	}
	mj, err := json.Marshal(m)
	require.NoError(t, err)
	all = append([]entry{{name: ManifestName, body: string(mj)}}, all...)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range all {
		tf := e.typeflag
		if tf == 0 {
			tf = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: tf, Linkname: e.link, Mode: 0o644}
		if tf == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		require.NoError(t, tw.WriteHeader(hdr))
		if tf == tar.TypeReg {
			_, err := tw.Write([]byte(e.body))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestExtractRefusesMaliciousArchives(t *testing.T) {
	good := Manifest{Format: 1, Name: "demo", Version: "1.0.0", MinCoach: "0.1.0"}
	newerFormat, newerCoach := good, good
	newerFormat.Format = 2
	newerCoach.MinCoach = "9.0.0"
	tests := []struct {
		name   string
		data   func(t *testing.T) []byte
		limits Limits
		want   string
	}{
		{"dot-dot", func(t *testing.T) []byte { return archive(t, nil, entry{name: "../evil.sh", body: "x"}) }, Limits{}, `"../evil.sh" contains .. and would escape`},
		{"nested dot-dot", func(t *testing.T) []byte { return archive(t, nil, entry{name: "a/../../evil", body: "x"}) }, Limits{}, "would escape the destination"},
		{"absolute", func(t *testing.T) []byte { return archive(t, nil, entry{name: "/tmp/evil", body: "x"}) }, Limits{}, `"/tmp/evil" is an absolute path`},
		{"symlink out", func(t *testing.T) []byte {
			return archive(t, nil, entry{name: "step-01-hello/link", typeflag: tar.TypeSymlink, link: "../../../etc/passwd"})
		}, Limits{}, "is a symlink to \"../../../etc/passwd\", outside the destination"},
		{"absolute symlink", func(t *testing.T) []byte {
			return archive(t, nil, entry{name: "link", typeflag: tar.TypeSymlink, link: "/etc/passwd"})
		}, Limits{}, "outside the destination"},
		{"hard link out", func(t *testing.T) []byte {
			return archive(t, nil, entry{name: "hl", typeflag: tar.TypeLink, link: "../outside"})
		}, Limits{}, "is a hard link to \"../outside\", outside the destination"},
		{"char device", func(t *testing.T) []byte { return archive(t, nil, entry{name: "null", typeflag: tar.TypeChar}) }, Limits{}, "is a device file"},
		{"block device", func(t *testing.T) []byte { return archive(t, nil, entry{name: "sda", typeflag: tar.TypeBlock}) }, Limits{}, "is a device file"},
		{"fifo", func(t *testing.T) []byte { return archive(t, nil, entry{name: "pipe", typeflag: tar.TypeFifo}) }, Limits{}, "named pipe"},
		{"too many files", func(t *testing.T) []byte { return archive(t, nil) }, Limits{MaxFiles: 3, MaxBytes: 1 << 20}, "more than 3 entries"},
		{"too large", func(t *testing.T) []byte { return archive(t, nil) }, Limits{MaxFiles: 100, MaxBytes: 100}, "more than 100 bytes"},
		{"tampered file", func(t *testing.T) []byte {
			m := good
			m.Files = []File{{Path: "roadmap.yaml", Size: 3, SHA256: sha256Hex([]byte("abc"))}}
			return archive(t, &m)
		}, Limits{}, "roadmap.yaml does not match the manifest's sha256"},
		{"unlisted file", func(t *testing.T) []byte {
			m := good
			return archive(t, &m) // lists nothing
		}, Limits{}, "is in the archive but not in the manifest"},
		{"duplicate entry", func(t *testing.T) []byte {
			return archive(t, nil, entry{name: "roadmap.yaml", body: "name: evil\n"})
		}, Limits{}, `"roadmap.yaml" appears twice`},
		{"newer format", func(t *testing.T) []byte { return archive(t, &newerFormat) }, Limits{}, "made by a newer coach (manifest format 2"},
		{"newer coach", func(t *testing.T) []byte { return archive(t, &newerCoach) }, Limits{}, "needs coach 9.0.0 or newer and this is coach v0.2.0"},
		{"not gzip", func(*testing.T) []byte { return []byte("<html>not found</html>") }, Limits{}, "not a gzip archive"},
		{"no manifest", func(t *testing.T) []byte {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			tw := tar.NewWriter(zw)
			require.NoError(t, tw.WriteHeader(&tar.Header{Name: "a", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}))
			_, _ = tw.Write([]byte("a"))
			require.NoError(t, tw.Close())
			require.NoError(t, zw.Close())
			return buf.Bytes()
		}, Limits{}, "has no coach-pack.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			outside := filepath.Join(root, "outside")
			dst := filepath.Join(root, "catalogs", "demo")
			_, err := Extract(bytes.NewReader(tt.data(t)), dst, ExtractOptions{Limits: tt.limits, CoachVersion: "v0.2.0"})
			require.Error(t, err)
			var refused *RefusedError
			require.True(t, errors.As(err, &refused), "%v", err)
			assert.Contains(t, err.Error(), tt.want)
			assertOnly(t, filepath.Join(root, "catalogs")) // nothing half-written
			assert.NoFileExists(t, outside)
			assert.NoFileExists(t, filepath.Join(root, "evil.sh"))
		})
	}
}

func TestFailedUpdateKeepsPreviousVersion(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "demo")
	_, err := Extract(bytes.NewReader(buildPack(t, "First", "1.0.0")), dst, ExtractOptions{})
	require.NoError(t, err)
	_, err = Extract(bytes.NewReader(archive(t, nil, entry{name: "../x", body: "x"})), dst, ExtractOptions{})
	require.Error(t, err)
	data, err := os.ReadFile(filepath.Join(dst, "roadmap.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(data), "First")
	assertOnly(t, filepath.Dir(dst), "demo")
}

// server serves whatever body holds at /pack.tar.gz over HTTPS with a
// test CA; its client (the only one trusting that CA) is injected.
func server(t *testing.T, body *atomic.Value) *httptest.Server {
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

func TestStoreFetchVerifyOfflineUpdate(t *testing.T) {
	var body atomic.Value
	v1 := buildPack(t, "First", "1.0.0")
	body.Store(v1)
	srv := server(t, &body)
	s := &Store{Dir: t.TempDir(), Client: srv.Client(), CoachVersion: "v0.2.0"}
	ctx := context.Background()
	url := srv.URL + "/pack.tar.gz"

	e, err := s.Add(ctx, "demo", url, "")
	require.NoError(t, err)
	assert.Equal(t, "1.0.0", e.Version)
	assert.Equal(t, "First", e.Roadmap)
	_, err = s.Add(ctx, "demo", url, "")
	assert.ErrorContains(t, err, "installed already")

	// Unchanged: nothing to do.
	_, changed, err := s.Update(ctx, "demo", "")
	require.NoError(t, err)
	assert.False(t, changed)

	body.Store(buildPack(t, "Second", "1.1.0"))
	e, changed, err = s.Update(ctx, "demo", "")
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, "1.1.0", e.Version)

	// A tampered archive (bytes flipped in transit) is refused; the
	// installed version stays.
	bad := bytes.Clone(buildPack(t, "Third", "1.2.0"))
	bad[len(bad)/2] ^= 0xff
	body.Store(bad)
	_, _, err = s.Update(ctx, "demo", "")
	require.Error(t, err)

	// Offline: the server is gone, the catalogue still loads.
	srv.Close()
	c, err := exercises.Load(os.DirFS(s.Path("demo")))
	require.NoError(t, err)
	assert.Equal(t, "Second", c.Roadmap.Title)
	list, err := s.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "1.1.0", list[0].Version)
	assertOnly(t, s.Dir, "catalogs", "catalogs.json")
	assertOnly(t, filepath.Join(s.Dir, "catalogs"), "demo")

	require.NoError(t, s.Remove("demo"))
	assertOnly(t, filepath.Join(s.Dir, "catalogs"))
	assert.ErrorContains(t, s.Remove("demo"), "no catalogue named demo")
}

func TestStoreRefusals(t *testing.T) {
	var body atomic.Value
	pk := buildPack(t, "First", "1.0.0")
	body.Store(pk)
	srv := server(t, &body)
	ctx := context.Background()
	url := srv.URL + "/pack.tar.gz"
	tests := []struct {
		name   string
		client *http.Client
		source string
		pin    string
		want   string
	}{
		{"sha256 mismatch", srv.Client(), url, strings.Repeat("0", 64), "sha256 mismatch"},
		{"plain http", srv.Client(), "http://127.0.0.1:1/p.tar.gz", "", "plain http"},
		{"untrusted CA", &http.Client{}, url, "", "certificate"},
		{"not found", srv.Client(), srv.URL + "/nope", "", "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Store{Dir: t.TempDir(), Client: tt.client}
			_, err := s.Add(ctx, "demo", tt.source, tt.pin)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			list, err := s.List()
			require.NoError(t, err)
			assert.Empty(t, list)
			assert.NoDirExists(t, s.Path("demo"))
		})
	}

	s := &Store{Dir: t.TempDir(), Client: srv.Client()}
	_, err := s.Add(ctx, "backend", url, "")
	assert.ErrorContains(t, err, "built-in")
	// The right pin installs; a local file works as a source too.
	file := filepath.Join(t.TempDir(), "p.tar.gz")
	require.NoError(t, os.WriteFile(file, pk, 0o644))
	e, err := s.Add(ctx, "demo", file, sha256Hex(pk))
	require.NoError(t, err)
	assert.Equal(t, sha256Hex(pk), e.SHA256)
}

func TestDataDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	d, err := DataDir(env(map[string]string{"XDG_DATA_HOME": "/x", "HOME": "/h"}))
	require.NoError(t, err)
	assert.Equal(t, "/x/coach", d)
	d, err = DataDir(env(map[string]string{"HOME": "/h"}))
	require.NoError(t, err)
	assert.Equal(t, "/h/.local/share/coach", d)
	_, err = DataDir(env(nil))
	assert.Error(t, err)
}
