// Step 4: the middleware around every route.
//
//   - observe: request id, security headers, CORS on simple responses, a
//     global panic handler and one JSON audit line per request on stdout;
//   - preflight: answers CORS preflights for the routes the mux serves;
//   - limitBody: caps request bodies at 1 MiB (readObject answers 413).
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"
)

const maxBody = 1 << 20 // 1 MiB

var errTooLarge = errors.New("request body must be at most 1 MiB")

// audit writes one JSON object per line on stdout; a log.Logger serialises
// concurrent writes, so lines never interleave.
var audit = log.New(os.Stdout, "", 0)

type auditLine struct {
	Time       string  `json:"time"`
	RequestID  string  `json:"request_id"`
	Method     string  `json:"method"`
	Path       string  `json:"path"`
	Status     int     `json:"status"`
	DurationMS float64 `json:"duration_ms"`
	Bytes      int     `json:"bytes"`
	Remote     string  `json:"remote"`
}

// recorder remembers the status and size of a response. Unwrap lets
// http.ResponseController reach the real writer (to flush, for instance).
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	bytes  int
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote && code >= 200 {
		r.status = code
		r.wrote = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status = http.StatusOK
		r.wrote = true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// newRequestID returns a random UUID (version 4).
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if id == "" {
			id = newRequestID()
		}
		h := w.Header()
		h.Set("X-Request-ID", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if origin := r.Header.Get("Origin"); origin != "" {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "X-Request-ID, RateLimit-Limit, RateLimit-Remaining, Retry-After")
			h.Add("Vary", "Origin")
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			p := recover()
			if p != nil && p != http.ErrAbortHandler {
				// The global error handler: the details go to the log,
				// never to the client.
				fmt.Fprintf(os.Stderr, "panic serving %s %s (request %s): %v\n%s", r.Method, r.URL.Path, id, p, debug.Stack())
				if !rec.wrote {
					writeError(rec, http.StatusInternalServerError, "internal server error")
				}
			}
			line, _ := json.Marshal(auditLine{
				Time:       start.UTC().Format(time.RFC3339Nano),
				RequestID:  id,
				Method:     r.Method,
				Path:       r.URL.Path,
				Status:     rec.status,
				DurationMS: float64(time.Since(start).Microseconds()) / 1000,
				Bytes:      rec.bytes,
				Remote:     r.RemoteAddr,
			})
			audit.Print(string(line))
			if p == http.ErrAbortHandler {
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// allowedMethods asks the mux which methods it serves on r's path.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" {
			out = append(out, m)
		}
	}
	return out
}

// preflight answers a CORS preflight (OPTIONS with Origin and
// Access-Control-Request-Method) on any path the mux serves; everything else
// goes on to next.
func preflight(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodOptions || r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
			next.ServeHTTP(w, r)
			return
		}
		methods := allowedMethods(mux, r)
		if len(methods) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		allowed := append(methods, "OPTIONS")
		headers := []string{"Content-Type", "Authorization", "X-Request-ID", "X-API-Key", "If-Match", "If-None-Match"}
		for _, asked := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
			if asked = strings.TrimSpace(asked); asked != "" && !containsFold(headers, asked) {
				headers = append(headers, asked)
			}
		}
		h := w.Header()
		h.Set("Allow", strings.Join(allowed, ", "))
		h.Set("Access-Control-Allow-Methods", strings.Join(allowed, ", "))
		h.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
		h.Set("Access-Control-Max-Age", "600")
		h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
		w.WriteHeader(http.StatusNoContent)
	})
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// limitBody makes reading more than maxBody bytes of any body fail.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next.ServeHTTP(w, r)
	})
}

// boom fails inside the handler, for the global error handler to catch.
func boom(w http.ResponseWriter, r *http.Request) {
	var todos map[string]*Todo
	todos["boom"].Title = "unreachable" // nil map entry: a runtime panic
}
