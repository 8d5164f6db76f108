// Reference solution for steps 1-13 (hello server, routes and params, todo
// API, middleware, rate limiting, sessions, JWT auth, roles, persistence,
// HTTP caching, server-sent events, graceful shutdown, container image).
// Standard library only: Go 1.22's ServeMux matches methods and path
// wildcards, and answers 404 and 405 (with Allow) by itself. The middleware
// of step 4 lives in middleware.go, the rate limiter of step 5 in
// ratelimit.go, accounts and sessions in sessions.go, tokens in jwt.go, notes
// in notes.go, roles in rbac.go, the JSON files under $DATA_DIR in
// persist.go, ETags in caching.go, the event stream in events.go,
// readiness and shutdown in lifecycle.go and the image's health check in
// healthcheck.go (see the Dockerfile).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// store keeps todos in creation order, in memory and in a JSON file saved
// after every change.
type store struct {
	mu     sync.Mutex
	file   string
	notify func(event string, t Todo) // called with mu held, after a save
	next   int                        // the last id handed out; ids are never reused
	order  []string
	byID   map[string]*Todo
}

// todoFile is the layout of todos.json.
type todoFile struct {
	NextID int    `json:"next_id"`
	Todos  []Todo `json:"todos"`
}

func openStore(file string) (*store, error) {
	s := &store{file: file, byID: map[string]*Todo{}, notify: func(string, Todo) {}}
	var saved todoFile
	if err := loadJSON(file, &saved); err != nil {
		return nil, err
	}
	s.next = saved.NextID
	for _, t := range saved.Todos {
		s.byID[t.ID] = &t
		s.order = append(s.order, t.ID)
	}
	return s, nil
}

// save writes every todo to the file. s.mu is held.
func (s *store) save() error {
	saved := todoFile{NextID: s.next, Todos: make([]Todo, 0, len(s.order))}
	for _, id := range s.order {
		saved.Todos = append(saved.Todos, *s.byID[id])
	}
	return saveJSON(s.file, saved)
}

func (s *store) create(title string, completed bool) (Todo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	t := &Todo{ID: strconv.Itoa(s.next), Title: title, Completed: completed}
	s.byID[t.ID] = t
	s.order = append(s.order, t.ID)
	if err := s.save(); err != nil {
		delete(s.byID, t.ID)
		s.order = s.order[:len(s.order)-1]
		return Todo{}, err
	}
	s.notify("todo.created", *t)
	return *t, nil
}

func (s *store) get(id string) (Todo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byID[id]
	if !ok {
		return Todo{}, false
	}
	return *t, true
}

// update changes a todo with fn, unless ifMatch (an If-Match header, ""
// when absent) does not match its ETag.
func (s *store) update(id, ifMatch string, fn func(*Todo)) (Todo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byID[id]
	if !ok {
		return Todo{}, errNotFound
	}
	if ifMatch != "" && !etagMatches(ifMatch, etagOf(*t), false) {
		return Todo{}, errPrecondition
	}
	old := *t
	fn(t)
	if err := s.save(); err != nil {
		*t = old
		return Todo{}, err
	}
	s.notify("todo.updated", *t)
	return *t, nil
}

func (s *store) delete(id, ifMatch string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byID[id]
	if !ok {
		return errNotFound
	}
	if ifMatch != "" && !etagMatches(ifMatch, etagOf(*t), false) {
		return errPrecondition
	}
	old := s.order
	s.order = slices.DeleteFunc(slices.Clone(old), func(v string) bool { return v == id })
	delete(s.byID, id)
	if err := s.save(); err != nil {
		s.order = old
		s.byID[id] = t
		return err
	}
	s.notify("todo.deleted", *t)
	return nil
}

func (s *store) page(page, limit int) ([]Todo, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Todo{}
	start := (page - 1) * limit
	for i := start; i >= 0 && i < len(s.order) && i < start+limit; i++ {
		out = append(out, *s.byID[s.order[i]])
	}
	return out, len(s.order)
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
	events    *broker
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
	data, total := s.todos.page(page, limit)
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
	t, err := s.todos.create(title, completed)
	if err != nil {
		storeFailed(w, err, "todo not found")
		return
	}
	w.Header().Set("Location", "/todos/"+t.ID)
	w.Header().Set("ETag", etagOf(t))
	writeJSON(w, http.StatusCreated, t)
}

func (s *server) get(w http.ResponseWriter, r *http.Request) {
	t, ok := s.todos.get(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "todo not found")
		return
	}
	etag := etagOf(t)
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, etag, true) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *server) replace(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := s.todos.get(id); !ok {
		writeError(w, http.StatusNotFound, "todo not found")
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
	t, err := s.todos.update(id, r.Header.Get("If-Match"), func(t *Todo) {
		t.Title = title
		t.Completed = completed
	})
	if err != nil {
		storeFailed(w, err, "todo not found")
		return
	}
	w.Header().Set("ETag", etagOf(t))
	writeJSON(w, http.StatusOK, t)
}

func (s *server) patch(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := s.todos.get(id); !ok {
		writeError(w, http.StatusNotFound, "todo not found")
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
	t, err := s.todos.update(id, r.Header.Get("If-Match"), func(t *Todo) {
		if hasTitle {
			t.Title = title
		}
		if hasCompleted {
			t.Completed = completed
		}
	})
	if err != nil {
		storeFailed(w, err, "todo not found")
		return
	}
	w.Header().Set("ETag", etagOf(t))
	writeJSON(w, http.StatusOK, t)
}

func (s *server) remove(w http.ResponseWriter, r *http.Request) {
	if err := s.todos.delete(r.PathValue("id"), r.Header.Get("If-Match")); err != nil {
		storeFailed(w, err, "todo not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ---- wiring ----

func routes() (http.Handler, *server) {
	dir := dataDir()
	todos, err := openStore(filepath.Join(dir, "todos.json"))
	if err != nil {
		log.Fatalf("load todos: %v", err)
	}
	users, err := openUserStore(filepath.Join(dir, "users.json"))
	if err != nil {
		log.Fatalf("load users: %v", err)
	}
	notes, err := openNoteStore(filepath.Join(dir, "notes.json"))
	if err != nil {
		log.Fatalf("load notes: %v", err)
	}
	log.Printf("data in %s: %d todos, %d users, %d notes", dir, len(todos.order), len(users.order), len(notes.order))
	s := &server{
		todos:     todos,
		users:     users,
		sessions:  newSessionStore(),
		notes:     notes,
		refresh:   newRefreshStore(),
		secret:    jwtSecret(dir),
		accessTTL: time.Duration(envInt("ACCESS_TOKEN_TTL_SECONDS", 900)) * time.Second,
		admins:    adminSet(),
		events:    newBroker(),
	}
	todos.notify = func(event string, t Todo) { s.events.publish(event, t) }
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
	mux.HandleFunc("GET /events", s.streamEvents)
	mux.HandleFunc("GET /ready", readiness)
	mux.HandleFunc("GET /slow", slow)
	rates := newLimiter(envInt("RATE_LIMIT", 100), time.Duration(envInt("RATE_WINDOW_SECONDS", 60))*time.Second)
	// Outermost first: audit log, request id, security headers and panic
	// recovery; then CORS preflights (never limited); then the rate limit;
	// then the body size limit.
	return observe(preflight(mux, rateLimit(rates, limitBody(mux)))), s
}

func main() {
	check := flag.Bool("healthcheck", false, "check that the server on $PORT is healthy, then exit")
	flag.Parse()
	log.SetOutput(os.Stdout)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if *check {
		os.Exit(healthcheck(port))
	}
	handler, s := routes()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	// Event streams never end by themselves: end them when shutdown starts.
	srv.RegisterOnShutdown(s.events.close)
	if err := serve(srv, "0.0.0.0:"+port); err != nil {
		log.Fatal(err)
	}
}
