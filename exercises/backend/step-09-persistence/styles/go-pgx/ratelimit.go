// Step 5: a sliding-log rate limiter keyed by X-API-Key.
//
// Each key keeps the times of the requests it was allowed in the last
// window; a request is allowed while fewer than the limit remain. Rejected
// requests are not recorded, so a client that stops is served again as soon
// as its oldest request leaves the window.
package main

import (
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	hits   map[string][]time.Time
}

func newLimiter(limit int, window time.Duration) *limiter {
	l := &limiter{limit: limit, window: window, hits: map[string][]time.Time{}}
	go l.sweep()
	return l
}

// take records a request of key at now if the key still has quota. It
// returns whether the request is allowed, how many remain after it, and,
// when refused, how long until the oldest recorded request expires.
func (l *limiter) take(key string, now time.Time) (ok bool, remaining int, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.fresh(key, now)
	if len(h) >= l.limit {
		return false, 0, h[0].Add(l.window).Sub(now)
	}
	h = append(h, now)
	l.hits[key] = h
	return true, l.limit - len(h), 0
}

// fresh drops the requests of key that left the window. l.mu is held.
func (l *limiter) fresh(key string, now time.Time) []time.Time {
	h := l.hits[key]
	cut := now.Add(-l.window)
	i := 0
	for i < len(h) && !h[i].After(cut) {
		i++
	}
	h = h[i:]
	l.hits[key] = h
	return h
}

// sweep forgets keys that have been idle for a whole window.
func (l *limiter) sweep() {
	for range time.Tick(l.window) {
		now := time.Now()
		l.mu.Lock()
		for key := range l.hits {
			if len(l.fresh(key, now)) == 0 {
				delete(l.hits, key)
			}
		}
		l.mu.Unlock()
	}
}

// limited reports whether a path is rate limited: /todos and /greet and
// everything under them.
func limited(path string) bool {
	for _, prefix := range []string{"/todos", "/greet"} {
		if path == prefix || strings.HasPrefix(path, prefix+"/") {
			return true
		}
	}
	return false
}

func rateLimit(l *limiter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !limited(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		key := r.Header.Get("X-API-Key")
		if key == "" {
			key = "anonymous"
		}
		ok, remaining, retry := l.take(key, time.Now())
		h := w.Header()
		h.Set("RateLimit-Limit", strconv.Itoa(l.limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("RateLimit-Policy", strconv.Itoa(l.limit)+";w="+strconv.Itoa(int(l.window/time.Second)))
		if !ok {
			secs := int(math.Ceil(retry.Seconds()))
			secs = max(1, min(secs, int(l.window/time.Second)))
			h.Set("Retry-After", strconv.Itoa(secs))
			h.Set("RateLimit-Reset", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, "rate limit exceeded, retry in "+strconv.Itoa(secs)+"s")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// envInt reads a positive integer from the environment, or def.
func envInt(name string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(os.Getenv(name)))
	if err != nil || n < 1 {
		return def
	}
	return n
}
