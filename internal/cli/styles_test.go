package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/sandbox/dockertest"
)

// TestDockerLibraryStyles proves the suites against solutions written the
// way learners write them with libraries (exercises/backend/*/styles/):
// each passes its step and every earlier one in the Docker sandbox, its
// dependencies installed from npm through sandbox.ca_file.
func TestDockerLibraryStyles(t *testing.T) {
	if testing.Short() {
		t.Skip("installs npm packages and checks several steps in Docker")
	}
	dockertest.Require(t)
	for _, tc := range []struct{ dir, step string }{
		{"step-06-sessions/styles/node-express", "6"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			src := filepath.Join("..", "..", "exercises", "backend", tc.dir)
			dir := t.TempDir()
			entries, err := os.ReadDir(src)
			require.NoError(t, err)
			for _, e := range entries {
				if e.IsDir() || e.Name() == "README.md" {
					continue
				}
				b, err := os.ReadFile(filepath.Join(src, e.Name()))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644))
			}
			r := coachWith(t, dir, map[string]string{"COACH_SANDBOX_CA_FILE": "/etc/ssl/certs/ca-certificates.crt"},
				"check", tc.step, "--previous")
			assert.Equal(t, ExitOK, r.code, r.out+r.err)
			assertNoLeftovers(t, os.Getpid())
		})
	}
}
