package exercises

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// tmplSuffix marks a file written without the suffix: Go's embed cannot
// carry a go.mod (it would make the folder another module), so catalogues
// store Go modules' go.mod as go.mod.tmpl.
const tmplSuffix = ".tmpl"

// OutName is the name a catalogue file gets in a learner's workspace.
func OutName(name string) string {
	if strings.HasSuffix(name, tmplSuffix) {
		return strings.TrimSuffix(name, tmplSuffix)
	}
	return name
}

// ErrExists is returned by CopyTree when it would overwrite a file.
var ErrExists = errors.New("file exists")

// CopyTree writes the files under dir of fsys into dst (created if needed).
// Unless overwrite is set, it refuses before writing anything when a file
// it would write already exists. It returns the paths written, relative to dst.
func CopyTree(fsys fs.FS, dir, dst string, overwrite bool) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	rel := func(p string) string {
		r := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		return OutName(r)
	}
	if !overwrite {
		for _, p := range files {
			if _, err := os.Stat(filepath.Join(dst, filepath.FromSlash(rel(p)))); err == nil {
				return nil, fmt.Errorf("%s: %w (coach never overwrites your files)", filepath.Join(dst, rel(p)), ErrExists)
			}
		}
	}
	var written []string
	for _, p := range files {
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return written, fmt.Errorf("read %s: %w", p, err)
		}
		out := filepath.Join(dst, filepath.FromSlash(rel(p)))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return written, fmt.Errorf("create %s: %w", filepath.Dir(out), err)
		}
		if err := os.WriteFile(out, data, 0o644); err != nil {
			return written, fmt.Errorf("write %s: %w", out, err)
		}
		written = append(written, rel(p))
	}
	return written, nil
}

// SolutionDir is where a language's reference solution lives in an exercise.
func SolutionDir(lang string) string { return path.Join("solutions", lang) }

// StyleDir is where a style lives in an exercise.
func StyleDir(name string) string { return path.Join("styles", name) }

// StyleFile is a style's description, beside its files; it is not part of
// the workspace the style is checked as.
const StyleFile = "style.yaml"

// Solution is one solution of an exercise that coach exercise verify
// proves: a reference solution (solutions/<lang>) or a style
// (styles/<name>).
type Solution struct {
	// Name is the language for a reference solution, the style's name for
	// a style.
	Name  string
	Lang  string
	Dir   string // inside the exercise's FS
	Style bool
}

// Solutions are the exercise's reference solutions (in Languages order)
// and then its styles.
func (e *Exercise) Solutions() []Solution {
	var out []Solution
	for _, l := range e.SolutionLanguages() {
		out = append(out, Solution{Name: l, Lang: l, Dir: SolutionDir(l)})
	}
	for _, st := range e.Styles {
		out = append(out, Solution{Name: st.Name, Lang: st.Lang, Dir: StyleDir(st.Name), Style: true})
	}
	return out
}

// Solution finds a solution by name (a language or a style's name).
func (e *Exercise) Solution(name string) (Solution, bool) {
	for _, s := range e.Solutions() {
		if s.Name == name {
			return s, true
		}
	}
	return Solution{}, false
}

// Solution names the solution the mutant edits: its style, or its
// language's reference solution.
func (m *Mutant) Solution() string {
	if m.Style != "" {
		return m.Style
	}
	return m.Lang
}

// WriteSolution writes a solution (with a mutant's edits, if any) into
// dst, leaving out a style's style.yaml.
func (e *Exercise) WriteSolution(sol Solution, m *Mutant, dst string) error {
	if _, err := CopyTree(e.FS, sol.Dir, dst, true); err != nil {
		return err
	}
	if sol.Style {
		if err := os.Remove(filepath.Join(dst, StyleFile)); err != nil {
			return fmt.Errorf("remove %s from the workspace: %w", StyleFile, err)
		}
	}
	if m != nil {
		return m.Apply(dst)
	}
	return nil
}

// StarterDir is where a language's starter lives in an exercise.
func StarterDir(lang string) string { return path.Join("starter", lang) }

// Languages returns the languages the exercise has reference solutions for.
func (e *Exercise) SolutionLanguages() []string {
	var out []string
	for _, l := range Languages {
		if st, err := fs.Stat(e.FS, SolutionDir(l)); err == nil && st.IsDir() {
			out = append(out, l)
		}
	}
	return out
}

// Apply performs the mutant's edits on a solution written out at dir.
func (m *Mutant) Apply(dir string) error {
	for _, e := range m.Edits {
		file := filepath.Join(dir, filepath.FromSlash(OutName(e.File)))
		src, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("mutant %s: %w", m.ID, err)
		}
		if n := bytes.Count(src, []byte(e.Find)); n != 1 {
			return fmt.Errorf("mutant %s: find text occurs %d times in %s, want exactly once", m.ID, n, e.File)
		}
		out := bytes.Replace(src, []byte(e.Find), []byte(e.Replace), 1)
		if err := os.WriteFile(file, out, 0o644); err != nil {
			return fmt.Errorf("mutant %s: %w", m.ID, err)
		}
	}
	return nil
}
