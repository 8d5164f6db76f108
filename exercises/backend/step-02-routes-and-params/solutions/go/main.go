// Reference solution for steps 1-2 (hello server, routes and
// params). Standard library only: Go 1.22's ServeMux matches methods and path
// wildcards, and answers 404 and 405 (with Allow) by itself.
package main

import (
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"os"
	"time"
)

const homePage = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Hello</title></head>
  <body><h1>Hello Backend World!</h1></body>
</html>
`

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// readObject decodes the body as a JSON object; anything else is an error
// meant for the client.
func readObject(r *http.Request) (map[string]any, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
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
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	name, ok := body["name"].(string)
	if !ok || name == "" {
		writeError(w, http.StatusBadRequest, "name must be a non-empty string")
		return
	}
	writeJSON(w, http.StatusOK, greeting(name))
}

// ---- wiring ----

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.Printf("%s %s %d %s", r.Method, r.URL.RequestURI(), rec.status, time.Since(start))
	})
}

func routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", home)
	mux.HandleFunc("GET /health", health)
	mux.HandleFunc("GET /greet", greetQuery)
	mux.HandleFunc("POST /greet", greetPost)
	mux.HandleFunc("GET /greet/{name}", greetPath)
	return logRequests(mux)
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
