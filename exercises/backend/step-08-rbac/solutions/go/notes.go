// Step 7: notes, private to the user whose access token made them.
package main

import (
	"net/http"
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
	next  int
	order []string
	byID  map[string]*note
}

func newNoteStore() *noteStore { return &noteStore{byID: map[string]*note{}} }

func (s *noteStore) create(owner, text string) note {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	n := &note{ID: strconv.Itoa(s.next), Text: text, Owner: owner}
	s.byID[n.ID] = n
	s.order = append(s.order, n.ID)
	return *n
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
func (s *noteStore) delete(owner, id string, asAdmin bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.byID[id]
	if !ok || (n.Owner != owner && !asAdmin) {
		return false
	}
	delete(s.byID, id)
	for i, v := range s.order {
		if v == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	return true
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
	n := s.notes.create(c.Sub, text)
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
	if !s.notes.delete(c.Sub, r.PathValue("id"), c.Role == roleAdmin) {
		writeError(w, http.StatusNotFound, "note not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
