// A tiny server for the process backend's tests: GET / answers "hi";
// PUT /note stores the body in $DATA_DIR/note and GET /note reads it back.
// On SIGTERM it shuts down gracefully and exits 0.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	note := filepath.Join(os.Getenv("DATA_DIR"), "note")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hi")
	})
	mux.HandleFunc("PUT /note", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := os.WriteFile(note, body, 0o644); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "stored")
	})
	mux.HandleFunc("GET /note", func(w http.ResponseWriter, r *http.Request) {
		data, err := os.ReadFile(note)
		if err != nil {
			http.Error(w, "no note", http.StatusNotFound)
			return
		}
		w.Write(data)
	})
	srv := &http.Server{Addr: ":" + port, Handler: mux}
	go func() {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		<-ctx.Done()
		fmt.Println("go server shutting down")
		srv.Shutdown(context.Background())
	}()
	fmt.Printf("go server listening on %s\n", port)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
