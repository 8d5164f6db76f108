// Step 1 starter: a server that listens on $PORT and answers 404 to
// everything. Add the routes from the README:
//
//	GET /        -> 200, Content-Type: text/html, <h1>Hello Backend World!</h1>
//	GET /health  -> 200, Content-Type: application/json, {"status":"ok"}
//	anything else -> 404
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	log.SetOutput(os.Stdout)

	mux := http.NewServeMux()
	// TODO: register your handlers, e.g.
	//   mux.HandleFunc("GET /{$}", home)      // "{$}": exactly "/", not every path
	//   mux.HandleFunc("GET /health", health)
	// A ServeMux answers 404 for every path that has no handler.

	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	addr := "0.0.0.0:" + port
	log.Printf("listening on http://%s", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}
