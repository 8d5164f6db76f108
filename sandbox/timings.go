package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// Timings says where a Start spent its time building, so that a slow run
// explains itself. The backend fills it in when Spec.Timings is set; the
// rest of Start's time is starting the server.
type Timings struct {
	// Build is the whole build, reused images included.
	Build time.Duration
	// Steps are the build's parts in order (dependencies, sources,
	// compile, save), for -v output.
	Steps []TimedStep
}

// TimedStep is one part of a build.
type TimedStep struct {
	Name string
	Took time.Duration
	// Reused is true when an image already held its result.
	Reused bool
}

// Record adds the step name, begun at since, to t (a nil t records
// nothing); reused says an image already held its result.
func (t *Timings) Record(name string, since time.Time, reused bool) {
	if t != nil {
		t.Steps = append(t.Steps, TimedStep{Name: name, Took: time.Since(since), Reused: reused})
	}
}

// String is the build's parts on one line: "dependencies reused ·
// sources 0.21s · save 0.18s".
func (t *Timings) String() string {
	if t == nil {
		return ""
	}
	parts := make([]string, 0, len(t.Steps))
	for _, s := range t.Steps {
		if s.Reused {
			parts = append(parts, s.Name+" reused")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.2fs", s.Name, s.Took.Seconds()))
	}
	return strings.Join(parts, " · ")
}
