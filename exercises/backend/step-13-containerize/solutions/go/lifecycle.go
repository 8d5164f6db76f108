// Step 12: readiness, a slow endpoint, and a graceful shutdown.
//
// On SIGTERM (or Ctrl-C) the server stops listening at once, /ready turns to
// 503, the event streams are ended, and requests already in flight get up
// to shutdownGrace to finish before the process exits with status 0.
package main

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	maxSlow       = 10_000 // ms
	shutdownGrace = 4 * time.Second
)

// ready is true from the moment the listener is bound until shutdown begins.
var ready atomic.Bool

func readiness(w http.ResponseWriter, r *http.Request) {
	if !ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// slow answers after ?ms=N milliseconds (0..10000, default 1000).
func slow(w http.ResponseWriter, r *http.Request) {
	ms := 1000
	if v, ok := r.URL.Query()["ms"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 || n > maxSlow {
			writeError(w, http.StatusBadRequest, "ms must be an integer from 0 to 10000")
			return
		}
		ms = n
	}
	timer := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer timer.Stop()
	select {
	case <-timer.C:
		writeJSON(w, http.StatusOK, map[string]int{"slept_ms": ms})
	case <-r.Context().Done(): // the client gave up
	}
}

// serve runs srv on addr until SIGTERM or SIGINT, then shuts it down
// gracefully. It returns once every request has finished (or the grace
// period is over).
func serve(srv *http.Server, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, os.Interrupt)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	ready.Store(true)
	log.Printf("listening on http://%s", addr)

	select {
	case err := <-served:
		return err
	case sig := <-signals:
		log.Printf("received %v: shutting down (in-flight requests get %s)", sig, shutdownGrace)
	}
	ready.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Printf("shutdown: %v; closing the remaining connections", err)
		srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Print("stopped")
	return nil
}
