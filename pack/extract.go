package pack

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/coachcli/coach/exercises"
)

// Limits bound what an archive may unpack to, so a hostile pack cannot
// fill the disk or exhaust inodes.
type Limits struct {
	MaxFiles        int   // entries in the archive, the manifest included
	MaxBytes        int64 // total size of the files unpacked
	MaxArchiveBytes int64 // size of the compressed archive fetched
}

// DefaultLimits are generous for a catalogue (the embedded one is well
// under 1 MB) and small for an attack.
func DefaultLimits() Limits {
	return Limits{MaxFiles: 10_000, MaxBytes: 256 << 20, MaxArchiveBytes: 64 << 20}
}

// ExtractOptions say how to verify a pack before it is installed.
type ExtractOptions struct {
	Limits       Limits
	CoachVersion string // refuse packs that need a newer coach
	// Check validates the unpacked catalogue further (the CLI parses the
	// suites, which this package does not know); it runs before the pack
	// is moved into place.
	Check func(dir string) error
}

// Extract unpacks the pack archive into dst, verified: into a temporary
// folder beside dst first, then, only when every check passed, renamed
// over dst (replacing a previous version). On any error nothing is left
// behind and dst is unchanged.
func Extract(archive io.Reader, dst string, opts ExtractOptions) (*Manifest, error) {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits()
	}
	parent := filepath.Dir(dst)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, tempPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("create a folder beside %s: %w", dst, err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := untar(archive, tmp, opts.Limits); err != nil {
		return nil, err
	}
	m, err := verify(tmp, opts.CoachVersion)
	if err != nil {
		return nil, err
	}
	if _, err := exercises.Load(os.DirFS(tmp)); err != nil {
		return nil, refuse("its catalogue does not load:\n%v", err)
	}
	if opts.Check != nil {
		if err := opts.Check(tmp); err != nil {
			return nil, refuse("its catalogue does not load:\n%v", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp made it private
		return nil, fmt.Errorf("install %s: %w", dst, err)
	}
	if err := replace(tmp, dst); err != nil {
		return nil, err
	}
	done = true
	return m, nil
}

// replace renames dir over dst, keeping the old dst until the new one is
// in place.
func replace(dir, dst string) error {
	old := ""
	if _, err := os.Lstat(dst); err == nil {
		old = dir + ".old"
		if err := os.Rename(dst, old); err != nil {
			return fmt.Errorf("replace %s: %w", dst, err)
		}
	}
	if err := os.Rename(dir, dst); err != nil {
		if old != "" {
			_ = os.Rename(old, dst)
		}
		return fmt.Errorf("install %s: %w", dst, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// entryName checks an archive entry's name and returns it as a relative
// slash path. Names that could land outside the destination are refused
// outright, not cleaned into something else.
func entryName(name string) (string, error) {
	switch {
	case name == "":
		return "", refuse("an entry has no name")
	case strings.Contains(name, `\`):
		return "", refuse("entry %q has a backslash in its name", name)
	case strings.HasPrefix(name, "/") || filepath.IsAbs(name) || filepath.VolumeName(name) != "":
		return "", refuse("entry %q is an absolute path: it would be written outside the destination", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", refuse("entry %q contains .. and would escape the destination", name)
		}
	}
	clean := path.Clean(strings.TrimPrefix(name, "./"))
	if clean == "." {
		return "", nil
	}
	return clean, nil
}

// linkTarget says where a link entry points, for the refusal message.
func linkTarget(name, target string, hard bool) string {
	resolved := target
	if !hard {
		resolved = path.Join(path.Dir(name), target)
	}
	if path.IsAbs(target) || resolved == ".." || strings.HasPrefix(resolved, "../") {
		return "outside the destination"
	}
	return "inside the pack"
}

func untar(archive io.Reader, dir string, lim Limits) error {
	zr, err := gzip.NewReader(archive)
	if err != nil {
		return refuse("not a gzip archive: %v", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var files int
	var total int64
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return refuse("the archive is damaged: %v", err)
		}
		if files++; files > lim.MaxFiles {
			return refuse("the archive has more than %d entries", lim.MaxFiles)
		}
		name, err := entryName(hdr.Name)
		if err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
			if name == "" {
				return refuse("entry %q is a file without a name", hdr.Name)
			}
			if total += hdr.Size; hdr.Size < 0 || total > lim.MaxBytes {
				return refuse("the archive unpacks to more than %d bytes", lim.MaxBytes)
			}
			if err := writeEntry(dir, name, tr, hdr); err != nil {
				return err
			}
		case tar.TypeDir:
			if name != "" {
				if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(name)), 0o755); err != nil {
					return fmt.Errorf("unpack %s: %w", name, err)
				}
			}
		case tar.TypeSymlink, tar.TypeLink:
			kind := "a symlink"
			if hdr.Typeflag == tar.TypeLink {
				kind = "a hard link"
			}
			return refuse("entry %q is %s to %q, %s: a pack may hold regular files only", hdr.Name, kind, hdr.Linkname,
				linkTarget(name, hdr.Linkname, hdr.Typeflag == tar.TypeLink))
		case tar.TypeChar, tar.TypeBlock:
			return refuse("entry %q is a device file: a pack may hold regular files only", hdr.Name)
		case tar.TypeFifo:
			return refuse("entry %q is a named pipe: a pack may hold regular files only", hdr.Name)
		case tar.TypeXGlobalHeader:
			// PAX global attributes: metadata, nothing to write.
		default:
			return refuse("entry %q has unsupported type %q: a pack may hold regular files only", hdr.Name, hdr.Typeflag)
		}
	}
	return nil
}

func writeEntry(dir, name string, r io.Reader, hdr *tar.Header) error {
	out := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("unpack %s: %w", name, err)
	}
	mode := os.FileMode(0o644)
	if hdr.Mode&0o111 != 0 {
		mode = 0o755
	}
	// O_EXCL: an entry given twice must not overwrite the first, which
	// the manifest check might already have been fooled by.
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return refuse("entry %q appears twice in the archive", hdr.Name)
	}
	if err != nil {
		return fmt.Errorf("unpack %s: %w", name, err)
	}
	_, err = io.CopyN(f, r, hdr.Size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return refuse("the archive is damaged at %s: %v", name, err)
	}
	return nil
}

// verify checks the unpacked files against the manifest: every listed
// file present with its sha256, nothing unlisted.
func verify(dir, coachVersion string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, refuse("the archive has no %s: it is not a coach pack", ManifestName)
	}
	m, err := parseManifest(data)
	if err != nil {
		return nil, err
	}
	if err := m.checkCompatible(coachVersion); err != nil {
		return nil, err
	}
	listed := map[string]bool{ManifestName: true}
	for _, f := range m.Files {
		name, err := entryName(f.Path)
		if err != nil || name == "" || name != f.Path {
			return nil, refuse("the manifest lists a bad path %q", f.Path)
		}
		listed[name] = true
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, refuse("%s is in the manifest but not in the archive", name)
		}
		if sum := sha256Hex(got); sum != f.SHA256 || int64(len(got)) != f.Size {
			return nil, refuse("%s does not match the manifest's sha256 (%s, manifest says %s): the pack is damaged or was tampered with", name, sum, f.SHA256)
		}
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel = filepath.ToSlash(rel); !listed[rel] {
			return refuse("%s is in the archive but not in the manifest", rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}
