package grader

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testTarget serves an httptest server through DialContext, as the
// sandbox backends do, with the server's output in memory.
type testTarget struct {
	addr string
	mu   sync.Mutex
	logs bytes.Buffer
}

func (t *testTarget) BaseURL() string { return "http://localhost:8080" }

func (t *testTarget) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", t.addr)
}

func (t *testTarget) LogMark() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int64(t.logs.Len())
}

func (t *testTarget) LogsSince(mark int64) []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.logs.Bytes()
	if mark > int64(len(b)) {
		return nil
	}
	return bytes.Clone(b[mark:])
}

func (t *testTarget) logf(format string, a ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(&t.logs, format+"\n", a...)
}

// controlTarget can also restart, signal and report an exit.
type controlTarget struct {
	*testTarget
	restarts   int
	restartErr error
	signals    []syscall.Signal
	signalErr  error
	exitCode   int // what the fake WaitExit reports
	exited     bool
}

func (c *controlTarget) Restart(context.Context) error {
	c.restarts++
	c.logf("restarted")
	return c.restartErr
}

func (c *controlTarget) Signal(_ context.Context, sig syscall.Signal) error {
	c.signals = append(c.signals, sig)
	return c.signalErr
}

func (c *controlTarget) WaitExit(context.Context, time.Duration) (int, bool, error) {
	return c.exitCode, c.exited, nil
}

// newTestTarget starts the test app and returns a target for it.
func newTestTarget(t *testing.T) *testTarget {
	t.Helper()
	tgt := &testTarget{}
	srv := httptest.NewServer(newApp(tgt))
	t.Cleanup(srv.Close)
	tgt.addr = srv.Listener.Addr().String()
	tgt.logf("listening on %s", tgt.addr)
	return tgt
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// newApp is a small server with one route per behaviour the tests need.
func newApp(tgt *testTarget) http.Handler {
	mux := http.NewServeMux()
	var mu sync.Mutex
	todos := map[int]map[string]any{}
	next, limited := 0, 0
	arrived := map[string]int{}
	cond := sync.NewCond(&mu)
	var subs []chan string

	publish := func(event string, v any) {
		b, _ := json.Marshal(v)
		mu.Lock()
		defer mu.Unlock()
		for _, c := range subs {
			select {
			case c <- fmt.Sprintf("event: %s\ndata: %s\n\n", event, b):
			default:
			}
		}
	}
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		c := make(chan string, 16)
		mu.Lock()
		subs = append(subs, c)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		fmt.Fprint(w, ": hello\n\n")
		w.(http.Flusher).Flush()
		for {
			select {
			case m := <-c:
				fmt.Fprint(w, m)
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			}
		}
	})

	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<h1>Hello Backend World!</h1>")
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		writeJSON(w, 200, map[string]any{"status": "ok"})
		tgt.logf(`{"method":"GET","path":"/health","status":200,"duration_ms":0.2}`)
	})
	mux.HandleFunc("GET /late-log", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(204)
		go func() {
			time.Sleep(150 * time.Millisecond)
			tgt.logf("late line")
		}()
	})
	mux.HandleFunc("POST /todos", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, 400, map[string]any{"error": "bad json"})
			return
		}
		title, _ := in["title"].(string)
		if strings.TrimSpace(title) == "" {
			writeJSON(w, 400, map[string]any{"error": "title is required"})
			return
		}
		mu.Lock()
		next++
		todo := map[string]any{"id": next, "title": title, "completed": in["completed"] == true}
		todos[next] = todo
		mu.Unlock()
		w.Header().Set("Location", fmt.Sprintf("/todos/%d", next))
		writeJSON(w, 201, todo)
		publish("todo.created", todo)
	})
	mux.HandleFunc("GET /todos/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		mu.Lock()
		todo, ok := todos[id]
		mu.Unlock()
		if !ok {
			writeJSON(w, 404, map[string]any{"error": "not found"})
			return
		}
		writeJSON(w, 200, todo)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		writeJSON(w, 200, map[string]any{
			"method": r.Method, "body": string(b), "content_length": r.ContentLength,
			"chunked": len(r.TransferEncoding) > 0, "query": r.URL.RawQuery, "path": r.URL.Path,
			"content_type": r.Header.Get("Content-Type"), "cookie": r.Header.Get("Cookie"),
			"api_key": r.Header.Get("X-API-Key"), "accept_encoding": r.Header.Get("Accept-Encoding"),
		})
	})
	mux.HandleFunc("GET /allow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, POST")
		w.Header().Set("RateLimit-Remaining", "4")
		w.WriteHeader(405)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s3cret", HttpOnly: true, Path: "/", SameSite: http.SameSiteLaxMode})
		fmt.Fprint(w, "token=abc123")
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "", Path: "/", MaxAge: -1})
		w.WriteHeader(204)
	})
	mux.HandleFunc("GET /profile", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err != nil || c.Value != "s3cret" {
			writeJSON(w, 401, map[string]any{"error": "not logged in"})
			return
		}
		writeJSON(w, 200, map[string]any{"username": "ada"})
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		writeJSON(w, 200, map[string]any{"slept": ms})
	})
	mux.HandleFunc("GET /hang", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "partial")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /close", func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	mux.HandleFunc("GET /redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/health", http.StatusFound)
	})
	mux.HandleFunc("GET /limited", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		limited++
		n := limited
		mu.Unlock()
		if n > 2 {
			writeJSON(w, 429, map[string]any{"error": "slow down"})
			return
		}
		writeJSON(w, 200, map[string]any{"n": n})
	})
	// /barrier answers 200 only when n requests are in flight at once.
	mux.HandleFunc("GET /barrier", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		key := r.URL.Query().Get("key")
		deadline := time.Now().Add(2 * time.Second)
		go func() { time.Sleep(2 * time.Second); cond.Broadcast() }()
		mu.Lock()
		arrived[key]++
		cond.Broadcast()
		for arrived[key] < n && time.Now().Before(deadline) {
			cond.Wait()
		}
		ok := arrived[key] >= n
		mu.Unlock()
		if !ok {
			writeJSON(w, 504, map[string]any{"error": "alone"})
			return
		}
		writeJSON(w, 200, map[string]any{"i": r.URL.Query().Get("i")})
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"x":"`+strings.Repeat("a", 2<<20)+`"}`)
	})
	mux.HandleFunc("GET /list", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"data": []any{map[string]any{"title": "a"}, map[string]any{"title": "b"}}, "nil": nil, "n": 1.0})
	})
	mux.HandleFunc("GET /text", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "plain text, not json")
	})
	mux.HandleFunc("GET /token", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"auth": r.Header.Get("Authorization")})
	})
	return mux
}

// refusedTarget dials a port nobody listens on.
func refusedTarget(t *testing.T) *testTarget {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return &testTarget{addr: addr}
}

var errBoom = errors.New("boom")

// imageTarget describes a built image.
type imageTarget struct {
	*testTarget
	info ImageInfo
}

func (i *imageTarget) InspectImage(context.Context) (ImageInfo, error) { return i.info, nil }
