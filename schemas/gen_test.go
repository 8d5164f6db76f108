package schemas

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/internal/golden"
)

// TestShippedSchemasAreCurrent fails when a Go type changed and the shipped
// files were not regenerated; with -update (go generate) it writes them.
func TestShippedSchemasAreCurrent(t *testing.T) {
	for _, name := range Names() {
		want, err := Generate(name)
		require.NoError(t, err)
		if golden.Updating() {
			require.NoError(t, os.WriteFile(FileName(name), want, 0o644))
			continue
		}
		got, err := Shipped(name)
		require.NoError(t, err, "run go generate ./schemas")
		require.Equal(t, string(want), string(got), "%s is stale: run go generate ./schemas", FileName(name))
	}
}
