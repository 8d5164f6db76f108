// Package pack builds, verifies and installs exercise packs: a catalogue
// folder as a tar.gz with a manifest (name, version, roadmap, the oldest
// coach that reads it, the sha256 of every file). Packs come from
// strangers, so extraction trusts nothing in the archive: it happens in a
// temporary folder beside the destination, and only a fully verified pack
// is renamed into place.
package pack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// ManifestName is the manifest's name at the top of a pack.
const ManifestName = "coach-pack.json"

// FormatVersion is the manifest format this coach writes and reads; a pack
// with a higher one comes from a newer coach.
const FormatVersion = 1

// Manifest describes a pack and pins its content.
type Manifest struct {
	Format   int    `json:"format"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Roadmap  string `json:"roadmap"` // the roadmap's title
	MinCoach string `json:"min_coach_version"`
	Files    []File `json:"files"` // sorted by path; the manifest itself is not listed
}

// File is one file of a pack.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// RefusedError is a pack coach will not install, with the reason in words
// a user can act on.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "pack refused: " + e.Reason }

func refuse(format string, a ...any) error { return &RefusedError{Reason: fmt.Sprintf(format, a...)} }

var nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidName reports whether s can name a pack or an installed catalogue.
func ValidName(s string) bool { return nameRE.MatchString(s) }

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// hashReader returns the sha256 of everything r gives.
func hashReader(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

func parseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, refuse("%s is not valid JSON: %v", ManifestName, err)
	}
	return &m, nil
}

// checkCompatible refuses a manifest this coach cannot honour.
func (m *Manifest) checkCompatible(coachVersion string) error {
	if m.Format > FormatVersion {
		return refuse("the pack was made by a newer coach (manifest format %d; this coach reads format %d): upgrade coach", m.Format, FormatVersion)
	}
	if m.Format < 1 {
		return refuse("%s has no format number: not a coach pack", ManifestName)
	}
	if !ValidName(m.Name) {
		return refuse("the pack's name %q must be lower-case letters, digits and dashes", m.Name)
	}
	if _, ok := parseVersion(m.Version); !ok {
		return refuse("the pack's version %q is not a version such as 1.2.0", m.Version)
	}
	need, ok := parseVersion(m.MinCoach)
	if !ok {
		return refuse("the pack's min_coach_version %q is not a version such as 0.4.0", m.MinCoach)
	}
	// A development build (no release version) reads every pack.
	if have, ok := parseVersion(coachVersion); ok && compareVersions(have, need) < 0 {
		return refuse("the pack needs coach %s or newer and this is coach %s: upgrade coach", m.MinCoach, coachVersion)
	}
	return nil
}

// version is major.minor.patch; a pre-release suffix is ignored, which
// errs towards accepting a pack.
type version [3]int

func parseVersion(s string) (version, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	s, _, _ = strings.Cut(s, "-")
	s, _, _ = strings.Cut(s, "+")
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return version{}, false
	}
	var v version
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return version{}, false
		}
		v[i] = n
	}
	return v, true
}

func compareVersions(a, b version) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// ValidVersion reports whether s is a version such as 1.2.0 or v1.2.0.
func ValidVersion(s string) bool {
	_, ok := parseVersion(s)
	return ok
}
