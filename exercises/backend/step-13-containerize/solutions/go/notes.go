// Step 7: notes, private to the user whose access token made them, saved in
// $DATA_DIR/notes.json (step 9).
package main

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

type note struct {
	ID    string `json:"id"`
	Text  string `json:"text"`
	Owner string `json:"owner"`
}

type noteStore struct {
	mu    sync.Mutex
	file  string
	next  int
	order []string
	byID  map[string]*note
}

// noteFile is the layout of notes.json.
type noteFile struct {
	NextID int    `json:"next_id"`
	Notes  []note `json:"notes"`
}

func openNoteStore(file string) (*noteStore, error) {
	s := &noteStore{file: file, byID: map[string]*note{}}
	var saved noteFile
	if err := loadJSON(file, &saved); err != nil {
		return nil, err
	}
	s.next = saved.NextID
	for _, n := range saved.Notes {
		s.byID[n.ID] = &n
		s.order = append(s.order, n.ID)
	}
	return s, nil
}

// save writes every note to the file. s.mu is held.
func (s *noteStore) save() error {
	saved := noteFile{NextID: s.next, Notes: make([]note, 0, len(s.order))}
	for _, id := range s.order {
		saved.Notes = append(saved.Notes, *s.byID[id])
	}
	return saveJSON(s.file, saved)
}

func (s *noteStore) create(owner, text string) (note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	n := &note{ID: strconv.Itoa(s.next), Text: text, Owner: owner}
	s.byID[n.ID] = n
	s.order = append(s.order, n.ID)
	if err := s.save(); err != nil {
		delete(s.byID, n.ID)
		s.order = s.order[:len(s.order)-1]
		return note{}, err
	}
	return *n, nil
}

func (s *noteStore) list(owner string) []note {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []note{}
	for _, id := range s.order {
		if n := s.byID[id]; n.Owner == owner {
			out = append(out, *n)
		}
	}
	return out
}

// get finds a note of owner; other users' notes do not exist for them.
func (s *noteStore) get(owner, id string) (note, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.byID[id]
	if !ok || n.Owner != owner {
		return note{}, false
	}
	return *n, true
}

// delete removes a note of owner, or any note when asAdmin.
func (s *noteStore) delete(owner, id string, asAdmin bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.byID[id]
	if !ok || (n.Owner != owner && !asAdmin) {
		return errNotFound
	}
	old := s.order
	s.order = slices.DeleteFunc(slices.Clone(old), func(v string) bool { return v == id })
	delete(s.byID, id)
	if err := s.save(); err != nil {
		s.order = old
		s.byID[id] = n
		return err
	}
	return nil
}

func (s *server) createNote(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r)
	if !ok {
		return
	}
	body, err := readObject(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	text, ok := body["text"].(string)
	if !ok || strings.TrimSpace(text) == "" {
		writeError(w, http.StatusBadRequest, "text is required")
		return
	}
	n, err := s.notes.create(c.Sub, text)
	if err != nil {
		storeFailed(w, err, "note not found")
		return
	}
	w.Header().Set("Location", "/notes/"+n.ID)
	writeJSON(w, http.StatusCreated, n)
}

func (s *server) listNotes(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.notes.list(c.Sub))
}

func (s *server) getNote(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r)
	if !ok {
		return
	}
	n, ok := s.notes.get(c.Sub, r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "note not found")
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *server) deleteNote(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r)
	if !ok {
		return
	}
	if err := s.notes.delete(c.Sub, r.PathValue("id"), c.Role == roleAdmin); err != nil {
		storeFailed(w, err, "note not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
