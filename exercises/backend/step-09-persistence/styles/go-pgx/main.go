// Reference solution for steps 1-9 (hello server, routes and params, todo
// API, middleware, rate limiting, sessions, JWT auth, roles, persistence).
// Standard library only: Go 1.22's ServeMux matches methods and path
// wildcards, and answers 404 and 405 (with Allow) by itself. The middleware
// of step 4 lives in middleware.go, the rate limiter of step 5 in
// ratelimit.go, accounts and sessions in sessions.go, tokens in jwt.go, notes
// in notes.go, roles in rbac.go and the tables in PostgreSQL in pgstore.go
// (the one change from the step-9 reference solution, which writes JSON
// files under $DATA_DIR).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	maxTitle     = 200
	defaultLimit = 10
	maxLimit     = 100
)

const homePage = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Hello</title></head>
  <body><h1>Hello Backend World!</h1></body>
</html>
`

// Todo ids are strings here; the contract allows strings or integers.
type Todo struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Completed bool   `json:"completed"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// writeBodyError answers a body readObject rejected: 413 when it was too
// large, 400 otherwise.
func writeBodyError(w http.ResponseWriter, err error) {
	if errors.Is(err, errTooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

// readObject decodes the body as a JSON object; anything else is an error
// meant for the client.
func readObject(r *http.Request) (map[string]any, error) {
	if r.ContentLength > maxBody {
		return nil, errTooLarge
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errTooLarge
		}
		return nil, errors.New("could not read the request body")
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, errors.New("request body is not valid JSON")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("body must be a JSON object")
	}
	return obj, nil
}

// ---- step 1 ----

func home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, homePage)
}

func health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ---- step 2 ----

func greeting(name string) map[string]string {
	if name == "" {
		name = "World"
	}
	return map[string]string{"message": "Hello, " + name + "!"}
}

func greetQuery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, greeting(r.URL.Query().Get("name")))
}

func greetPath(w http.ResponseWriter, r *http.Request) {
	// PathValue is already URL-decoded.
	writeJSON(w, http.StatusOK, greeting(r.PathValue("name")))
}

func greetPost(w http.ResponseWriter, r *http.Request) {
	body, err := readObject(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	name, ok := body["name"].(string)
	if !ok || name == "" {
		writeError(w, http.StatusBadRequest, "name must be a non-empty string")
		return
	}
	writeJSON(w, http.StatusOK, greeting(name))
}

// ---- step 3 ----

func checkTitle(v any) (string, error) {
	title, ok := v.(string)
	if !ok || strings.TrimSpace(title) == "" {
		return "", errors.New("title is required")
	}
	if utf8.RuneCountInString(title) > maxTitle {
		return "", errors.New("title must be at most 200 characters")
	}
	return title, nil
}

func checkCompleted(v any, present bool) (bool, error) {
	if !present {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, errors.New("completed must be a boolean")
	}
	return b, nil
}

// positive parses page or limit: absent means the default, anything but a
// positive integer is an error.
func positive(q map[string][]string, key string, def int) (int, error) {
	vals, ok := q[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(vals[0])
	if err != nil || n < 1 {
		return 0, errors.New(key + " must be a positive integer")
	}
	return n, nil
}

type server struct {
	todos     *store
	users     *userStore
	sessions  *sessionStore
	notes     *noteStore
	refresh   *refreshStore
	secret    []byte
	accessTTL time.Duration
	admins    map[string]bool
}

func (s *server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err := positive(q, "page", 1)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	limit, err := positive(q, "limit", defaultLimit)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	limit = min(limit, maxLimit)
	data, total, err := s.todos.page(r.Context(), page, limit)
	if err != nil {
		storeFailed(w, err, "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "page": page, "limit": limit, "total": total})
}

func (s *server) create(w http.ResponseWriter, r *http.Request) {
	body, err := readObject(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	title, err := checkTitle(body["title"])
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	completedValue, present := body["completed"]
	completed, err := checkCompleted(completedValue, present)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	t, err := s.todos.create(r.Context(), title, completed)
	if err != nil {
		storeFailed(w, err, "todo not found")
		return
	}
	w.Header().Set("Location", "/todos/"+t.ID)
	writeJSON(w, http.StatusCreated, t)
}

func (s *server) get(w http.ResponseWriter, r *http.Request) {
	t, err := s.todos.get(r.Context(), r.PathValue("id"))
	if err != nil {
		storeFailed(w, err, "todo not found")
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *server) replace(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.todos.get(r.Context(), id); err != nil {
		storeFailed(w, err, "todo not found")
		return
	}
	body, err := readObject(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	title, err := checkTitle(body["title"])
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	completedValue, present := body["completed"]
	completed, err := checkCompleted(completedValue, present)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	t, err := s.todos.update(r.Context(), id, &title, &completed)
	if err != nil {
		storeFailed(w, err, "todo not found")
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *server) patch(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.todos.get(r.Context(), id); err != nil {
		storeFailed(w, err, "todo not found")
		return
	}
	body, err := readObject(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	titleValue, hasTitle := body["title"]
	var title string
	if hasTitle {
		if title, err = checkTitle(titleValue); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	completedValue, hasCompleted := body["completed"]
	completed, err := checkCompleted(completedValue, hasCompleted)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var newTitle *string
	var newCompleted *bool
	if hasTitle {
		newTitle = &title
	}
	if hasCompleted {
		newCompleted = &completed
	}
	t, err := s.todos.update(r.Context(), id, newTitle, newCompleted)
	if err != nil {
		storeFailed(w, err, "todo not found")
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *server) remove(w http.ResponseWriter, r *http.Request) {
	if err := s.todos.delete(r.Context(), r.PathValue("id")); err != nil {
		storeFailed(w, err, "todo not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ---- wiring ----

func routes() http.Handler {
	dir := dataDir()
	db, err := openDatabase(context.Background())
	if err != nil {
		log.Fatalf("database: %v", err)
	}
	log.Printf("database ready")
	s := &server{
		todos:     &store{db: db},
		users:     &userStore{db: db},
		sessions:  newSessionStore(),
		notes:     &noteStore{db: db},
		refresh:   newRefreshStore(),
		secret:    jwtSecret(dir),
		accessTTL: time.Duration(envInt("ACCESS_TOKEN_TTL_SECONDS", 900)) * time.Second,
		admins:    adminSet(),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", home)
	mux.HandleFunc("GET /health", health)
	mux.HandleFunc("GET /greet", greetQuery)
	mux.HandleFunc("POST /greet", greetPost)
	mux.HandleFunc("GET /greet/{name}", greetPath)
	mux.HandleFunc("GET /todos", s.list)
	mux.HandleFunc("POST /todos", s.create)
	mux.HandleFunc("GET /todos/{id}", s.get)
	mux.HandleFunc("PUT /todos/{id}", s.replace)
	mux.HandleFunc("PATCH /todos/{id}", s.patch)
	mux.HandleFunc("DELETE /todos/{id}", s.remove)
	mux.HandleFunc("GET /boom", boom)
	mux.HandleFunc("POST /register", s.register)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /profile", s.profile)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("POST /auth/token", s.token)
	mux.HandleFunc("POST /auth/refresh", s.refreshPair)
	mux.HandleFunc("GET /notes", s.listNotes)
	mux.HandleFunc("POST /notes", s.createNote)
	mux.HandleFunc("GET /notes/{id}", s.getNote)
	mux.HandleFunc("DELETE /notes/{id}", s.deleteNote)
	mux.HandleFunc("GET /admin/users", s.adminUsers)
	rates := newLimiter(envInt("RATE_LIMIT", 100), time.Duration(envInt("RATE_WINDOW_SECONDS", 60))*time.Second)
	// Outermost first: audit log, request id, security headers and panic
	// recovery; then CORS preflights (never limited); then the rate limit;
	// then the body size limit.
	return observe(preflight(mux, rateLimit(rates, limitBody(mux))))
}

func main() {
	log.SetOutput(os.Stdout)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	addr := "0.0.0.0:" + port
	log.Printf("listening on http://%s", addr)
	if err := http.ListenAndServe(addr, routes()); err != nil {
		log.Fatal(err)
	}
}
