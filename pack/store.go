package pack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// DataDir is coach's data folder: $XDG_DATA_HOME/coach, else
// ~/.local/share/coach, as the XDG base directory spec says.
func DataDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "coach"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "coach"), nil
	}
	return "", errors.New("cannot find a data folder: set XDG_DATA_HOME or HOME")
}

// Builtin is the name of the catalogue embedded in coach.
const Builtin = "backend"

// Entry is one installed catalogue.
type Entry struct {
	Name        string    `json:"name"`
	Source      string    `json:"source"`        // https URL or local path it came from
	Pin         string    `json:"pin,omitempty"` // the sha256 the user required, if any
	SHA256      string    `json:"sha256"`        // of the archive installed
	Pack        string    `json:"pack"`          // the manifest's name
	Version     string    `json:"version"`       //
	Roadmap     string    `json:"roadmap"`       //
	InstalledAt time.Time `json:"installed_at"`  //
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

// Store keeps installed catalogues under Dir: Dir/catalogs/NAME/ holds one
// unpacked, verified pack and Dir/catalogs.json says where each came from.
// Once installed, a catalogue needs no network.
type Store struct {
	Dir          string
	Client       *http.Client // for https sources; tests inject one trusting their CA
	CoachVersion string
	Limits       Limits
	Check        func(dir string) error // see ExtractOptions.Check
}

// Path is where the catalogue name is unpacked.
func (s *Store) Path(name string) string { return filepath.Join(s.Dir, "catalogs", name) }

func (s *Store) registry() string { return filepath.Join(s.Dir, "catalogs.json") }

// List returns the installed catalogues by name.
func (s *Store) List() ([]Entry, error) {
	data, err := os.ReadFile(s.registry())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read installed catalogues: %w", err)
	}
	var entries []Entry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("read %s: %w", s.registry(), err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return entries, nil
}

// Get returns the installed catalogue name, or nil.
func (s *Store) Get(name string) (*Entry, error) {
	entries, err := s.List()
	if err != nil {
		return nil, err
	}
	for i := range entries {
		if entries[i].Name == name {
			return &entries[i], nil
		}
	}
	return nil, nil
}

func (s *Store) save(entries []Entry) error {
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	data, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return fmt.Errorf("encode installed catalogues: %w", err)
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", s.Dir, err)
	}
	tmp, err := os.CreateTemp(s.Dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("write installed catalogues: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(data, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.registry())
	}
	if err != nil {
		return fmt.Errorf("write installed catalogues: %w", err)
	}
	return nil
}

// Add fetches the pack at source (an https URL or a local file), verifies
// it (against pin, a sha256, when given) and installs it as name.
func (s *Store) Add(ctx context.Context, name, source, pin string) (*Entry, error) {
	switch {
	case !ValidName(name):
		return nil, fmt.Errorf("catalogue name %q: use lower-case letters, digits and dashes", name)
	case name == Builtin:
		return nil, fmt.Errorf("%q is the built-in catalogue: choose another name", name)
	}
	if e, err := s.Get(name); err != nil {
		return nil, err
	} else if e != nil {
		return nil, fmt.Errorf("a catalogue named %s is installed already (from %s): coach catalog update %s, or remove it first", name, e.Source, name)
	}
	if u, err := url.Parse(source); err != nil || u.Scheme == "" {
		// A local file is remembered absolutely, so update works from
		// any folder.
		if abs, err := filepath.Abs(source); err == nil {
			source = abs
		}
	}
	e := &Entry{Name: name, Source: source, Pin: strings.ToLower(pin)}
	if err := s.install(ctx, e); err != nil {
		return nil, err
	}
	e.InstalledAt = time.Now().UTC()
	return e, s.put(*e)
}

// Update fetches the catalogue's source again and installs it if it
// changed. A new pin replaces the old one; a catalogue added with a pin
// keeps it, so its content cannot change without the user saying so.
func (s *Store) Update(ctx context.Context, name, pin string) (e *Entry, changed bool, err error) {
	e, err = s.Get(name)
	if err != nil {
		return nil, false, err
	}
	if e == nil {
		return nil, false, fmt.Errorf("no catalogue named %s is installed (see coach catalog list)", name)
	}
	if pin != "" {
		e.Pin = strings.ToLower(pin)
	}
	before := e.SHA256
	if err := s.install(ctx, e); err != nil {
		return nil, false, err
	}
	if e.SHA256 == before {
		if pin != "" {
			return e, false, s.put(*e)
		}
		return e, false, nil
	}
	e.UpdatedAt = time.Now().UTC()
	return e, true, s.put(*e)
}

func (s *Store) put(e Entry) error {
	entries, err := s.List()
	if err != nil {
		return err
	}
	out := entries[:0]
	for _, x := range entries {
		if x.Name != e.Name {
			out = append(out, x)
		}
	}
	return s.save(append(out, e))
}

// Remove uninstalls name.
func (s *Store) Remove(name string) error {
	entries, err := s.List()
	if err != nil {
		return err
	}
	out := entries[:0]
	found := false
	for _, x := range entries {
		if x.Name == name {
			found = true
			continue
		}
		out = append(out, x)
	}
	if !found {
		return fmt.Errorf("no catalogue named %s is installed (see coach catalog list)", name)
	}
	if err := s.save(out); err != nil {
		return err
	}
	if err := os.RemoveAll(s.Path(name)); err != nil {
		return fmt.Errorf("remove %s: %w", s.Path(name), err)
	}
	return nil
}

// install downloads e.Source, checks it against e.Pin and unpacks it over
// the catalogue's folder unless it is the archive installed already.
func (s *Store) install(ctx context.Context, e *Entry) error {
	lim := s.Limits
	if lim == (Limits{}) {
		lim = DefaultLimits()
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", s.Dir, err)
	}
	archive, sum, err := s.fetch(ctx, e.Source, lim.MaxArchiveBytes)
	if err != nil {
		return err
	}
	defer os.Remove(archive)
	if e.Pin != "" && sum != e.Pin {
		return refuse("sha256 mismatch: %s is %s, but --sha256 says %s", e.Source, sum, e.Pin)
	}
	if sum == e.SHA256 {
		if _, err := os.Stat(s.Path(e.Name)); err == nil {
			return nil // unchanged and still there
		}
	}
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("read the download: %w", err)
	}
	defer f.Close()
	m, err := Extract(f, s.Path(e.Name), ExtractOptions{Limits: lim, CoachVersion: s.CoachVersion, Check: s.Check})
	if err != nil {
		return err
	}
	e.SHA256, e.Pack, e.Version, e.Roadmap = sum, m.Name, m.Version, m.Roadmap
	return nil
}

// fetch copies source into a temporary file in s.Dir (never more than max
// bytes) and returns its path and sha256.
func (s *Store) fetch(ctx context.Context, source string, max int64) (string, string, error) {
	var body io.ReadCloser
	u, err := url.Parse(source)
	switch {
	case err == nil && u.Scheme == "https":
		client := s.Client
		if client == nil {
			client = http.DefaultClient
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
		if err != nil {
			return "", "", fmt.Errorf("fetch %s: %w", source, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", "", fmt.Errorf("fetch %s: %w", source, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return "", "", fmt.Errorf("fetch %s: %s", source, resp.Status)
		}
		body = resp.Body
	case err == nil && u.Scheme == "http":
		return "", "", refuse("%s is plain http: fetch packs over https (a pack is code your machine runs)", source)
	case err == nil && u.Scheme != "" && u.Scheme != "file" && len(u.Scheme) > 1:
		return "", "", fmt.Errorf("%s: give an https URL or a file path", source)
	default:
		p := strings.TrimPrefix(source, "file://")
		f, err := os.Open(p)
		if err != nil {
			return "", "", fmt.Errorf("open pack: %w", err)
		}
		body = f
	}
	defer body.Close()
	tmp, err := os.CreateTemp(s.Dir, tempPrefix+"*.tar.gz")
	if err != nil {
		return "", "", fmt.Errorf("store the download: %w", err)
	}
	sum, n, err := hashReader(io.TeeReader(io.LimitReader(body, max+1), tmp))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		os.Remove(tmp.Name())
		return "", "", fmt.Errorf("fetch %s: %w", source, err)
	case n > max:
		os.Remove(tmp.Name())
		return "", "", refuse("%s is larger than %d bytes", source, max)
	}
	return tmp.Name(), sum, nil
}
