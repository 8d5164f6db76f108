// Reference solution for step 1: a first HTTP server with net/http.
package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"
)

const homePage = `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Hello</title></head>
  <body><h1>Hello Backend World!</h1></body>
</html>
`

func home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, homePage)
}

func health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
}

func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s", r.Method, r.URL.RequestURI())
		next.ServeHTTP(w, r)
	})
}

func main() {
	log.SetOutput(os.Stdout)
	mux := http.NewServeMux()
	// "{$}" matches "/" only; every other path gets the mux's 404.
	mux.HandleFunc("GET /{$}", home)
	mux.HandleFunc("GET /health", health)

	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	addr := "0.0.0.0:" + port
	log.Printf("listening on http://%s", addr)
	log.Fatal(http.ListenAndServe(addr, logRequests(mux)))
}
