package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckTimings: a check says where its time went, in -v output and in
// the results file (the process backend: the phases are the point here).
func TestCheckTimings(t *testing.T) {
	dir := solutionDir(t, "1", "node")
	r := coach(t, dir, "check", "1", "--sandbox", "process", "-v")
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	assert.Regexp(t, regexp.MustCompile(`(?m)^timings: build \d+\.\d\ds · start \d+\.\d\ds · tests \d+\.\d\ds · teardown \d+\.\d\ds$`), r.out)

	out := filepath.Join(t.TempDir(), "results.json")
	r = coach(t, dir, "check", "1", "--sandbox", "process", "--format", "json", "--output", out)
	require.Equal(t, ExitOK, r.code, r.out+r.err)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	var res struct {
		Timings map[string]int64 `json:"timings"`
	}
	require.NoError(t, json.Unmarshal(data, &res))
	require.NotNil(t, res.Timings, "results JSON has timings")
	for _, k := range []string{"build_ms", "start_ms", "tests_ms", "teardown_ms"} {
		assert.Contains(t, res.Timings, k)
		assert.GreaterOrEqual(t, res.Timings[k], int64(0), k)
	}
	assert.Positive(t, res.Timings["start_ms"]+res.Timings["tests_ms"], "starting node and running the tests take time")
}
