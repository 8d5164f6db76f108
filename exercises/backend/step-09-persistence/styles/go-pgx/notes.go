// Step 7: notes, private to the user whose access token made them, rows of
// the notes table (step 9, pgstore.go).
package main

import (
	"net/http"
	"strings"
)

type note struct {
	ID    string `json:"id"`
	Text  string `json:"text"`
	Owner string `json:"owner"`
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
	n, err := s.notes.create(r.Context(), c.Sub, text)
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
	notes, err := s.notes.list(r.Context(), c.Sub)
	if err != nil {
		storeFailed(w, err, "")
		return
	}
	writeJSON(w, http.StatusOK, notes)
}

func (s *server) getNote(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r)
	if !ok {
		return
	}
	n, err := s.notes.get(r.Context(), c.Sub, r.PathValue("id"))
	if err != nil {
		storeFailed(w, err, "note not found")
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *server) deleteNote(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r)
	if !ok {
		return
	}
	if err := s.notes.delete(r.Context(), c.Sub, r.PathValue("id"), c.Role == roleAdmin); err != nil {
		storeFailed(w, err, "note not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
