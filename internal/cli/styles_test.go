package cli

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/sandbox/dockertest"
)

// TestDockerStyles proves every style of the catalogue (styles/<name>/:
// solutions written with libraries or a database service) the way
// `coach exercise verify --lang <style>` does: the style passes its step and
// every earlier one in the Docker sandbox, its dependencies installed from
// npm or the Go module proxy through sandbox.ca_file, and each of its
// mutants is caught by the test it names. The list of styles is the
// catalogue's own.
func TestDockerStyles(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads dependencies and checks several steps in Docker per style")
	}
	dockertest.Require(t)
	cat, err := exercises.Load(exercises.Backend())
	require.NoError(t, err)
	styles := 0
	for _, ex := range cat.Exercises {
		for _, st := range ex.Styles {
			styles++
			t.Run(ex.Name()+"/"+st.Name, func(t *testing.T) {
				mutants := 0
				for _, m := range ex.Mutants {
					if m.Style == st.Name {
						mutants++
					}
				}
				r := coachWith(t, "", map[string]string{"COACH_SANDBOX_CA_FILE": "/etc/ssl/certs/ca-certificates.crt"},
					"exercise", "verify", "--step", fmt.Sprint(ex.Step), "--lang", st.Name)
				require.Equal(t, ExitOK, r.code, r.out+r.err)
				row := regexp.MustCompile(fmt.Sprintf(`(?m)^%s\s+%s\s+%s\s+✓\s*$`, ex.Name(), st.Name, st.Lang))
				assert.Regexp(t, row, r.out, "the style passes steps 1..%d", ex.Step)
				assert.Equal(t, mutants, strings.Count(r.out, "✓ caught"), r.out)
				assert.Equal(t, ex.Step, strings.Count(r.err, st.Name+" solution vs step"), "every suite 1..N ran: %s", r.err)
				assert.NotContains(t, r.out, "✗")
				assertNoLeftovers(t, os.Getpid())
			})
		}
	}
	require.NotZero(t, styles, "the catalogue has styles")
}
