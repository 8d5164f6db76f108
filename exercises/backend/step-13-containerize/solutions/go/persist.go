// Step 9: persistence. Each collection (todos, users, notes) is one JSON
// file under $DATA_DIR, rewritten as a whole after every change, while the
// collection's mutex is held and before the client gets its answer: a
// temporary file in the same directory is written, fsynced and renamed over
// the old one, so a crash leaves either the old or the new file, never half
// of one. The mutex serialises concurrent writes.
package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"log"
	"net/http"
	"os"
	"path/filepath"
)

var errNotFound = errors.New("not found")

// dataDir is $DATA_DIR (./data when unset), created if needed.
func dataDir() string {
	dir := os.Getenv("DATA_DIR")
	if dir == "" {
		dir = "data"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		log.Fatalf("data directory: %v", err)
	}
	return dir
}

// saveJSON replaces path with v as JSON, atomically and durably.
func saveJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Make the rename itself durable.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// loadJSON reads path into v; a missing file leaves v as it is. Temporary
// files left by a crash in the middle of saveJSON are removed.
func loadJSON(path string, v any) error {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp"))
	for _, name := range stale {
		os.Remove(name)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// storeFailed answers an error from a store: 404 with notFound, 412 when a
// precondition failed, or 500 when the change could not be saved (it was
// then undone).
func storeFailed(w http.ResponseWriter, err error, notFound string) {
	if errors.Is(err, errNotFound) {
		writeError(w, http.StatusNotFound, notFound)
		return
	}
	if errors.Is(err, errPrecondition) {
		writeError(w, http.StatusPreconditionFailed, err.Error())
		return
	}
	log.Printf("storage error: %v", err)
	writeError(w, http.StatusInternalServerError, "could not save the change")
}
