package docker

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/moby/moby/api/types/system"
	"github.com/stretchr/testify/assert"
)

func TestIsPodmanVersion(t *testing.T) {
	for _, tc := range []struct {
		name       string
		components []system.ComponentVersion
		want       bool
	}{
		{"docker", []system.ComponentVersion{{Name: "Engine"}, {Name: "containerd"}, {Name: "runc"}}, false},
		{"podman", []system.ComponentVersion{{Name: "Podman Engine"}, {Name: "Conmon"}, {Name: "OCI Runtime (runc)"}}, true},
		{"none", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, isPodmanVersion(tc.components))
		})
	}
}

// logStream is a multiplexed log stream as the engine sends it with
// timestamps: one frame per line.
func logStream(lines ...string) *bytes.Reader {
	var b bytes.Buffer
	for _, l := range lines {
		hdr := [8]byte{1}
		binary.BigEndian.PutUint32(hdr[4:], uint32(len(l)))
		b.Write(hdr[:])
		b.WriteString(l)
	}
	return bytes.NewReader(b.Bytes())
}

// TestResumerWritesEachLineOnce resumes streams as Podman's are: a second
// stream starts again at the last whole second seen.
func TestResumerWritesEachLineOnce(t *testing.T) {
	since := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC).Add(-time.Second)
	for _, tc := range []struct {
		name    string
		streams [][]string
		want    string
		resume  []time.Time // resumeAt before each stream
	}{
		{
			name:    "one stream",
			streams: [][]string{{"2026-12-03T10:00:00Z a\n", "2026-12-03T10:00:01Z b\n"}},
			want:    "a\nb\n",
			resume:  []time.Time{since},
		},
		{
			name: "resumed in the same second",
			streams: [][]string{
				{"2026-12-03T10:00:00Z a\n", "2026-12-03T10:00:00Z b\n"},
				{"2026-12-03T10:00:00Z a\n", "2026-12-03T10:00:00Z b\n", "2026-12-03T10:00:00Z c\n", "2026-12-03T10:00:01Z d\n"},
			},
			want:   "a\nb\nc\nd\n",
			resume: []time.Time{since, time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC).Add(-time.Nanosecond)},
		},
		{
			name: "resumed after a later second, with nanoseconds (Docker)",
			streams: [][]string{
				{"2026-12-03T10:00:00.5Z a\n", "2026-12-03T10:00:01.25Z b\n"},
				{"2026-12-03T10:00:01.25Z b\n", "2026-12-03T10:00:02Z c\n"},
			},
			want:   "a\nb\nc\n",
			resume: []time.Time{since, time.Date(2026, 12, 3, 10, 0, 1, 250_000_000, time.UTC).Add(-time.Nanosecond)},
		},
		{
			name:    "a line without a timestamp is kept as it is",
			streams: [][]string{{"no stamp\n"}},
			want:    "no stamp\n",
			resume:  []time.Time{since},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			r := resumer{w: &out, since: since}
			for i, s := range tc.streams {
				assert.Equal(t, tc.resume[i], r.resumeAt(), "stream %d starts at", i)
				r.copy(logStream(s...))
			}
			assert.Equal(t, tc.want, out.String())
		})
	}
}
