// Step 11: Server-Sent Events. Every change to a todo is published, while
// the store's lock is held (so events go out in the order of the changes),
// to every client connected to GET /events. A client that cannot keep up is
// dropped rather than allowed to slow the others down.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

const (
	subscriberBuffer = 64
	pingInterval     = 15 * time.Second
)

type broker struct {
	mu     sync.Mutex
	subs   map[chan []byte]struct{}
	seq    int
	closed bool
}

func newBroker() *broker { return &broker{subs: map[chan []byte]struct{}{}} }

// subscribe registers a client; false once the broker is closed.
func (b *broker) subscribe() (chan []byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, false
	}
	ch := make(chan []byte, subscriberBuffer)
	b.subs[ch] = struct{}{}
	return ch, true
}

func (b *broker) unsubscribe(ch chan []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[ch]; ok {
		delete(b.subs, ch)
		close(ch)
	}
}

// publish sends one event to every client without ever blocking.
func (b *broker) publish(event string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	msg := []byte(fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", b.seq, event, data))
	for ch := range b.subs {
		select {
		case ch <- msg:
		default: // too slow: drop it, its handler ends the stream
			delete(b.subs, ch)
			close(ch)
		}
	}
}

func (s *server) streamEvents(w http.ResponseWriter, r *http.Request) {
	ch, ok := s.events.subscribe()
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "the server is shutting down")
		return
	}
	defer s.events.unsubscribe(ch)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "retry: 3000\n: connected\n\n")
	if rc.Flush() != nil {
		return
	}
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		var msg []byte
		select {
		case <-r.Context().Done(): // the client went away
			return
		case m, open := <-ch:
			if !open {
				return
			}
			msg = m
		case <-ping.C:
			msg = []byte(": ping\n\n")
		}
		if _, err := w.Write(msg); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}
