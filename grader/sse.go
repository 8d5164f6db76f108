package grader

import (
	"bufio"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// sseEvent is one event as received.
type sseEvent struct {
	event string
	data  string
}

func (e sseEvent) String() string {
	name := e.event
	if name == "" {
		name = "message"
	}
	return fmt.Sprintf("%s %s", name, clip(e.data, 120))
}

// stream is an open SSE connection read in the background.
type stream struct {
	out    *outgoing
	cancel context.CancelFunc
	mu     sync.Mutex
	events []sseEvent
	next   int   // index of the first event not consumed yet
	err    error // why reading stopped, if it did
	notify chan struct{}
}

func (s *stream) read(body *bufio.Reader) {
	var cur sseEvent
	var data []string
	for {
		line, err := body.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		switch {
		case err != nil:
			s.finish(err)
			return
		case line == "":
			if len(data) > 0 || cur.event != "" {
				cur.data = strings.Join(data, "\n")
				s.push(cur)
			}
			cur, data = sseEvent{}, nil
		case strings.HasPrefix(line, ":"): // a comment, often a keep-alive
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				cur.event = value
			case "data":
				data = append(data, value)
			}
		}
	}
}

func (s *stream) push(e sseEvent) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
	s.wake()
}

func (s *stream) finish(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
	s.wake()
}

func (s *stream) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (x *testRun) closeStreams() {
	for name, s := range x.streams {
		s.cancel()
		delete(x.streams, name)
	}
}

// openStreamsNote names the streams a test still holds open, for an exit
// that did not come: a server that waits for its event streams to end
// never exits while a client stays connected.
func (x *testRun) openStreamsNote() string {
	var paths []string
	for _, s := range x.streams {
		s.mu.Lock()
		open := s.err == nil
		s.mu.Unlock()
		if open {
			paths = append(paths, s.out.method+" "+pathOf(s.out.url))
		}
	}
	if len(paths) == 0 {
		return ""
	}
	sort.Strings(paths)
	return fmt.Sprintf(", with %s still open (%s): a shutdown must end open event streams, not wait for them",
		plural(len(paths), "event stream"), strings.Join(paths, ", "))
}
