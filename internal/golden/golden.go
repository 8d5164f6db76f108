// Package golden is coach's one golden-file helper for tests: output is
// compared with a file kept in the repository, and `go test -update`
// rewrites the files from the current output (review the diff, then commit).
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

// Updating says whether this run rewrites golden files (-update).
func Updating() bool { return *update }

// Assert compares got with file; with -update it writes got to file
// instead (creating its folder).
func Assert(t testing.TB, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatalf("golden: %v", err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("golden: %v (run go test -run '%s' -update to create it)", err, t.Name())
	}
	assert.Equal(t, string(want), string(got),
		"golden file %s differs from the output (if the change is intended, rerun with -update and review the diff)", file)
}
