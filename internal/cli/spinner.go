package cli

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// spinner shows the sandbox's progress lines (pulling an image, building)
// on a terminal as one line that updates in place behind a spinning mark,
// so a two-minute image pull shows life without scrolling the screen away.
// Lines that must stay readable (warnings, notes) are printed above it.
// Anywhere else it passes every line through unchanged.
type spinner struct {
	w     io.Writer
	tty   bool
	color bool
	width int

	mu      sync.Mutex
	partial []byte
	status  string
	frame   int
	shown   bool          // the spinner line is on screen
	ticking chan struct{} // closed to stop the animation; nil when idle
	stopped bool
}

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// newSpinner writes to w; tty decides between spinning and plain lines.
func newSpinner(w io.Writer, tty, color bool) *spinner {
	return &spinner{w: w, tty: tty, color: color, width: terminalWidth(w)}
}

func (s *spinner) underlying() io.Writer { return s.w }

// Status sets what the spinner says before any progress line arrives. It
// is only shown on a terminal: elsewhere it would be noise in a log.
func (s *spinner) Status(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tty && !s.stopped {
		s.setStatus(text)
	}
}

// Write takes progress text; whole lines are shown.
func (s *spinner) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		line := string(s.partial[:i])
		s.partial = s.partial[i+1:]
		s.line(line)
	}
	return len(p), nil
}

func (s *spinner) line(line string) {
	if !s.tty || s.stopped {
		io.WriteString(s.w, line+"\n")
		return
	}
	text := strings.TrimSpace(line)
	if text == "" {
		return
	}
	if keepLine(text) {
		s.clear()
		io.WriteString(s.w, line+"\n")
		s.draw()
		return
	}
	s.setStatus(text)
}

// keepLine says which progress lines stay on screen after the spinner is
// gone: what the learner must read, not what is merely happening.
func keepLine(text string) bool {
	for _, p := range []string{"warning", "note", "coach:", "error", "removed "} {
		if strings.HasPrefix(strings.ToLower(text), p) {
			return true
		}
	}
	return false
}

func (s *spinner) setStatus(text string) {
	s.status = text
	if s.ticking == nil {
		s.ticking = make(chan struct{})
		go s.tick(s.ticking)
	}
	s.draw()
}

func (s *spinner) tick(done chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			s.mu.Lock()
			s.frame++
			s.draw()
			s.mu.Unlock()
		}
	}
}

// draw redraws the spinner line, cut to the terminal's width: a line that
// wrapped could not be redrawn in place.
func (s *spinner) draw() {
	if s.status == "" || s.stopped {
		return
	}
	mark := spinnerFrames[s.frame%len(spinnerFrames)]
	if s.color {
		mark = "\x1b[36m" + mark + "\x1b[0m"
	}
	text := s.status
	if limit := s.width - 3; utf8.RuneCountInString(text) > limit && limit > 1 {
		text = string([]rune(text)[:limit-1]) + "…"
	}
	io.WriteString(s.w, "\r\x1b[K"+mark+" "+text)
	s.shown = true
}

func (s *spinner) clear() {
	if s.shown {
		io.WriteString(s.w, "\r\x1b[K")
		s.shown = false
	}
}

// Stop removes the spinner line; later writes pass straight through.
func (s *spinner) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	if s.ticking != nil {
		close(s.ticking)
		s.ticking = nil
	}
	s.clear()
	s.stopped = true
	if len(s.partial) > 0 {
		io.WriteString(s.w, string(s.partial)+"\n")
		s.partial = nil
	}
}
