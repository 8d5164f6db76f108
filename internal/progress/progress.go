// Package progress keeps a learner's workspace state in .coach/progress.json:
// the current step, the learner's language and the last result of every step
// checked. The file is indented JSON with steps in roadmap order, so it
// diffs well when a learner commits it, and it is always replaced with an
// atomic rename, so a crash mid-write leaves the previous state intact.
package progress

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Dir is the folder in the workspace that holds coach's state.
const Dir = ".coach"

// FileName is the progress file inside Dir.
const FileName = "progress.json"

// Version is the file's shape version; a newer file is refused, not mangled.
const Version = 1

// Kinds of failure, which pick the hint list coach shows next.
const (
	FailureBuild = "build" // the code did not build or start
	FailureTest  = "test"  // it ran, and tests failed
)

// State is the whole progress file.
type State struct {
	Version int `json:"version"`
	// Language is the learner's language: node, go or python.
	Language string `json:"language,omitempty"`
	// Current is the id of the step the learner is working on.
	Current string `json:"current,omitempty"`
	// Steps are the steps checked so far, in step order.
	Steps []Step `json:"steps,omitempty"`
}

// Step is the last result of one step.
type Step struct {
	ID     string `json:"id"`
	Number int    `json:"step"`
	// Status is the last check's verdict: pass, fail or error.
	Status string `json:"status"`
	// Failure says what went wrong last (build or test); empty on a pass.
	Failure   string    `json:"failure,omitempty"`
	Score     float64   `json:"score"`
	MaxScore  float64   `json:"max_score"`
	CheckedAt time.Time `json:"checked_at"`
	// PassedAt is the first time the step passed; it unlocks the reference
	// solution and stays set when a later change breaks the step again.
	PassedAt *time.Time `json:"passed_at,omitempty"`
}

// Passed reports whether the step's last check passed.
func (s *Step) Passed() bool { return s != nil && s.Status == "pass" }

// EverPassed reports whether the step passed at least once.
func (s *Step) EverPassed() bool { return s != nil && s.PassedAt != nil }

// Step returns the record of the step with this id, or nil.
func (st *State) Step(id string) *Step {
	for i := range st.Steps {
		if st.Steps[i].ID == id {
			return &st.Steps[i]
		}
	}
	return nil
}

// Record stores a check's result, keeping the first pass time.
func (st *State) Record(s Step) {
	old := st.Step(s.ID)
	if old != nil {
		s.PassedAt = old.PassedAt
	}
	if s.Status == "pass" {
		s.Failure = ""
		if s.PassedAt == nil {
			at := s.CheckedAt
			s.PassedAt = &at
		}
	}
	if old != nil {
		*old = s
	} else {
		st.Steps = append(st.Steps, s)
	}
	sort.SliceStable(st.Steps, func(i, j int) bool { return st.Steps[i].Number < st.Steps[j].Number })
}

// LastCheck is the time of the most recent check, zero if none.
func (st *State) LastCheck() time.Time {
	var last time.Time
	for _, s := range st.Steps {
		if s.CheckedAt.After(last) {
			last = s.CheckedAt
		}
	}
	return last
}

// Path is the progress file of the workspace in dir.
func Path(dir string) string { return filepath.Join(dir, Dir, FileName) }

// Exists reports whether the workspace in dir has a progress file.
func Exists(dir string) bool {
	_, err := os.Stat(Path(dir))
	return err == nil
}

// BadFileError is a progress file coach cannot read: hand-edited into
// invalid JSON, or written by a newer coach. It says where and what to do.
type BadFileError struct {
	File   string
	Line   int // 0 when unknown
	Column int
	Err    error
}

func (e *BadFileError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	return fmt.Sprintf("%s: %v\ncoach keeps your progress there; fix the file, or delete it to start the record afresh "+
		"(your code is not affected)", where, e.Err)
}

func (e *BadFileError) Unwrap() error { return e.Err }

// Load reads the workspace's progress. A missing file is an empty state.
func Load(dir string) (*State, error) {
	file := Path(dir)
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: Version}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read progress: %w", err)
	}
	return Parse(file, data)
}

// Parse decodes a progress file's contents; file is only used in errors.
func Parse(file string, data []byte) (*State, error) {
	var st State
	if strings.TrimSpace(string(data)) == "" {
		return nil, &BadFileError{File: file, Err: errors.New("the file is empty")}
	}
	if err := json.Unmarshal(data, &st); err != nil {
		e := &BadFileError{File: file, Err: err}
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			e.Line, e.Column = position(data, syn.Offset-1) // Offset is just past the bad byte
			e.Err = fmt.Errorf("not valid JSON: %s", syn.Error())
		case errors.As(err, &typ):
			e.Line, e.Column = position(data, typ.Offset)
			e.Err = fmt.Errorf("%s should be a %s, not a JSON %s", typ.Field, typ.Type, typ.Value)
		}
		return nil, e
	}
	if st.Version > Version {
		return nil, &BadFileError{File: file, Err: fmt.Errorf("written by a newer coach (version %d; this one reads %d): update coach", st.Version, Version)}
	}
	st.Version = Version
	for _, s := range st.Steps {
		if s.ID == "" {
			return nil, &BadFileError{File: file, Err: errors.New(`a step without an "id"`)}
		}
	}
	return &st, nil
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	off = max(off, 0)
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col = 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// Save writes the state atomically, creating .coach if needed.
func Save(dir string, st *State) error {
	st.Version = Version
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode progress: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, Dir), 0o755); err != nil {
		return fmt.Errorf("save progress: %w", err)
	}
	return WriteFileAtomic(Path(dir), append(data, '\n'))
}

// Update loads the state, applies fn and saves it.
func Update(dir string, fn func(*State)) error {
	st, err := Load(dir)
	if err != nil {
		return err
	}
	fn(st)
	return Save(dir, st)
}

// WriteFileAtomic writes through a synced temporary file in the same folder
// and a rename, so a crash at any moment leaves either the old file or the
// new one, never a half-written one.
func WriteFileAtomic(file string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", file, err)
	}
	// Without the sync a power cut after the rename could leave an empty file.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}
