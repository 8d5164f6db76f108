package cli

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// validID keeps submission ids usable as folder names on every system and
// as CSV cells and CI labels: GitHub logins, student numbers and e-mail
// addresses fit.
var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$`)

// collectSubmissions turns folder arguments and a manifest into the list of
// submissions, refusing duplicate ids and folders that do not exist: a
// typo in a class list must not silently drop a student.
func collectSubmissions(dirs []string, manifest string) ([]submission, error) {
	var subs []submission
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, usagef("submission %s: %v", d, err)
		}
		subs = append(subs, submission{ID: filepath.Base(abs), Dir: abs})
	}
	if manifest != "" {
		ms, err := readManifest(manifest)
		if err != nil {
			return nil, err
		}
		subs = append(subs, ms...)
	}
	seen := map[string]string{}
	for _, s := range subs {
		if !validID.MatchString(s.ID) {
			return nil, usagef("submission id %q: use letters, digits and . _ @ + - (at most 100), starting with a letter or digit", s.ID)
		}
		if prev, ok := seen[s.ID]; ok {
			return nil, usagef("submission id %q is used twice (%s and %s)", s.ID, prev, s.Dir)
		}
		seen[s.ID] = s.Dir
		if st, err := os.Stat(s.Dir); err != nil || !st.IsDir() {
			return nil, usagef("submission %s: %s is not a folder", s.ID, s.Dir)
		}
	}
	return subs, nil
}

// readManifest reads "id,path" rows; a first row whose id column is
// "id", "submission" or "submission_id" is a header. Relative paths are
// relative to the manifest, so a class folder can be moved as a whole.
func readManifest(path string) ([]submission, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("--manifest: %v", err)
	}
	defer f.Close()
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, usagef("--manifest: %v", err)
	}
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.Comment = '#'
	r.TrimLeadingSpace = true
	var subs []submission
	for first := true; ; first = false {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, usagef("%s: %v", path, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) < 2 {
			return nil, usagef("%s:%d: want id,path", path, line)
		}
		id, dir := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if first {
			switch strings.ToLower(id) {
			case "id", "submission", "submission_id":
				continue
			}
		}
		if id == "" || dir == "" {
			return nil, usagef("%s:%d: want id,path", path, line)
		}
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(base, dir)
		}
		subs = append(subs, submission{ID: id, Dir: dir})
	}
	if len(subs) == 0 {
		return nil, usagef("%s: no submissions", path)
	}
	return subs, nil
}
