package pack

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/coachcli/coach/exercises"
)

// BuildOptions say what to call a pack.
type BuildOptions struct {
	Name     string // default: the roadmap's name
	Version  string // required, e.g. 1.0.0
	MinCoach string // the oldest coach that reads the pack, e.g. 0.4.0
	// Exclude is a file not to pack (the archive being written, when it
	// is inside the folder).
	Exclude string
}

// tempPrefix names coach's temporary files and folders beside a pack or a
// catalogue, so a build never packs one.
const tempPrefix = ".coach-pack-"

// skipDirs are never packed: version control and coach's own state.
var skipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true, ".coach": true}

// Build validates the catalogue in dir and writes it as a pack to w. The
// archive is reproducible: same files, same bytes.
func Build(dir string, opts BuildOptions, w io.Writer) (*Manifest, error) {
	cat, err := exercises.Load(os.DirFS(dir))
	if err != nil {
		return nil, err
	}
	m := &Manifest{Format: FormatVersion, Name: opts.Name, Version: opts.Version, Roadmap: cat.Roadmap.Title, MinCoach: opts.MinCoach}
	if m.Name == "" {
		m.Name = cat.Roadmap.Name
	}
	switch {
	case !ValidName(m.Name):
		return nil, fmt.Errorf("pack name %q: use lower-case letters, digits and dashes", m.Name)
	case !ValidVersion(m.Version):
		return nil, fmt.Errorf("pack version %q: give a version such as 1.0.0", m.Version)
	case !ValidVersion(m.MinCoach):
		return nil, fmt.Errorf("minimum coach version %q: give a version such as 0.4.0", m.MinCoach)
	}
	exclude := ""
	if opts.Exclude != "" {
		exclude, _ = filepath.Abs(opts.Exclude)
	}
	var paths []string
	var total int64
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if p != dir && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if abs, _ := filepath.Abs(p); abs == exclude || rel == ManifestName || strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file (a symlink or device): a pack carries regular files only", rel)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		paths = append(paths, rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	lim := DefaultLimits()
	if len(paths)+1 > lim.MaxFiles || total > lim.MaxBytes {
		return nil, fmt.Errorf("%s has %d files and %d bytes: a pack holds at most %d files and %d bytes", dir, len(paths), total, lim.MaxFiles-1, lim.MaxBytes)
	}
	sort.Strings(paths)
	contents := make([][]byte, len(paths))
	for i, p := range paths {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		contents[i] = data
		m.Files = append(m.Files, File{Path: p, Size: int64(len(data)), SHA256: sha256Hex(data)})
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	add := func(name string, data []byte, mode int64) error {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: mode,
			ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write pack: %w", err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("write pack: %w", err)
		}
		return nil
	}
	if err := add(ManifestName, append(manifest, '\n'), 0o644); err != nil {
		return nil, err
	}
	for i, p := range paths {
		mode := int64(0o644)
		if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p))); err == nil && st.Mode()&0o111 != 0 {
			mode = 0o755 // scripts in solutions stay runnable
		}
		if err := add(p, contents[i], mode); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("write pack: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("write pack: %w", err)
	}
	return m, nil
}

// BuildFile builds a pack into the file out, atomically (a crash never
// leaves half an archive), and returns the archive's sha256.
func BuildFile(dir string, opts BuildOptions, out string) (*Manifest, string, error) {
	opts.Exclude = out
	tmp, err := os.CreateTemp(filepath.Dir(out), tempPrefix+"*")
	if err != nil {
		return nil, "", fmt.Errorf("write %s: %w", out, err)
	}
	defer os.Remove(tmp.Name())
	m, err := Build(dir, opts, tmp)
	if err == nil {
		err = tmp.Close()
	} else {
		tmp.Close()
	}
	if err != nil {
		return nil, "", err
	}
	f, err := os.Open(tmp.Name())
	if err != nil {
		return nil, "", fmt.Errorf("write %s: %w", out, err)
	}
	sum, _, err := hashReader(f)
	f.Close()
	if err != nil {
		return nil, "", fmt.Errorf("write %s: %w", out, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return nil, "", fmt.Errorf("write %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return nil, "", fmt.Errorf("write %s: %w", out, err)
	}
	return m, sum, nil
}
