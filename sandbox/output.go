package sandbox

import (
	"bytes"
	"strings"
	"sync"
)

// Output collects a server's combined stdout and stderr. It keeps the last
// cap bytes and counts everything written, so the grader can ask for what
// came after a mark even when the server floods its output.
type Output struct {
	mu    sync.Mutex
	buf   []byte
	cap   int
	total int64 // bytes written since creation
}

// NewOutput returns an Output that keeps at most cap bytes.
func NewOutput(cap int) *Output {
	if cap <= 0 {
		cap = DefaultOutputCap
	}
	return &Output{cap: cap}
}

// Write never fails; bytes beyond the cap push the oldest ones out.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.total += int64(len(p))
	if len(p) >= o.cap {
		o.buf = append(o.buf[:0], p[len(p)-o.cap:]...)
		return len(p), nil
	}
	if over := len(o.buf) + len(p) - o.cap; over > 0 {
		o.buf = append(o.buf[:0], o.buf[over:]...)
	}
	o.buf = append(o.buf, p...)
	return len(p), nil
}

// LogMark is the number of bytes written so far.
func (o *Output) LogMark() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.total
}

// LogsSince returns what was written after mark, as far as it is kept.
func (o *Output) LogsSince(mark int64) []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	start := o.total - int64(len(o.buf)) // offset of buf[0]
	if mark < start {
		mark = start
	}
	if mark >= o.total {
		return nil
	}
	return bytes.Clone(o.buf[mark-start:])
}

// Dropped reports whether output was discarded because of the cap.
func (o *Output) Dropped() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.total > int64(len(o.buf))
}

// Tail returns the last n lines kept.
func (o *Output) Tail(n int) string {
	return TailLines(string(o.LogsSince(0)), n)
}

// TailLines returns the last n lines of s.
func TailLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if s == "" || n <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
