package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
)

// TestVerifyTasksStyles: verify builds its workspaces from the step's
// solutions, styles included, and --lang takes a language (its reference
// solution and its styles) or a style's name.
func TestVerifyTasksStyles(t *testing.T) {
	cat, err := exercises.Load(exercises.Backend())
	require.NoError(t, err)
	var steps []*loadedStep
	for _, ex := range cat.Exercises {
		steps = append(steps, &loadedStep{ex: ex})
	}
	step9 := steps[8:9]
	require.Equal(t, "persistence", step9[0].ex.ID)
	never := func(*loadedStep) bool { return false }
	tests := []struct {
		langs     []string
		noMutants bool
		want      []string // solution or solution/mutant
	}{
		{langs: []string{"node-pg"}, want: []string{"node-pg", "node-pg/node-pg-todos-in-memory"}},
		{langs: []string{"go-pgx", "python"}, noMutants: true, want: []string{"python", "go-pgx"}},
		{langs: []string{"node"}, noMutants: true, want: []string{"node", "node-pg"}},
	}
	for _, tt := range tests {
		o := &verifyOptions{langs: tt.langs, noMut: tt.noMutants}
		var got []string
		for _, tk := range verifyTasks(o, steps, step9, never) {
			name := tk.sol.Name
			if tk.mutant != nil {
				name += "/" + tk.mutant.ID
				assert.Len(t, tk.suites, 1, name)
			} else {
				assert.Len(t, tk.suites, 9, "%s runs the suites of steps 1..9", name)
			}
			got = append(got, name)
		}
		assert.Equal(t, tt.want, got, "--lang %v", tt.langs)
	}

	// Without --lang every solution and mutant of the step is a task.
	all := verifyTasks(&verifyOptions{}, steps, step9, never)
	assert.Len(t, all, len(step9[0].ex.Solutions())+len(step9[0].ex.Mutants))
}

// TestVerifyStyleFails: a style that fails its suite makes verify exit 1,
// with a ✗ in its STYLES row and a line naming the suite, while a good
// style beside it passes (process sandbox: the matrix is the point here).
func TestVerifyStyleFails(t *testing.T) {
	root := t.TempDir()
	step1, err := fs.Sub(exercises.Backend(), "step-01-hello-server")
	require.NoError(t, err)
	dir := filepath.Join(root, "step-01-hello-server")
	require.NoError(t, os.CopyFS(dir, step1))
	main, err := os.ReadFile(filepath.Join(dir, "solutions", "python", "main.py"))
	require.NoError(t, err)
	writeFiles(t, root, map[string]string{
		"roadmap.yaml": "name: one\ntitle: One\nsteps:\n  - {step: 1, id: hello-server, dir: step-01-hello-server}\n",
		"step-01-hello-server/styles/py-copy/style.yaml":   "lang: python\ndescription: the reference solution again\n",
		"step-01-hello-server/styles/py-copy/main.py":      string(main),
		"step-01-hello-server/styles/py-broken/style.yaml": "lang: python\ndescription: answers 500 to everything\n",
		"step-01-hello-server/styles/py-broken/main.py": "import http.server, os\n" +
			"class H(http.server.BaseHTTPRequestHandler):\n" +
			"    def do_GET(self):\n        self.send_response(500)\n        self.end_headers()\n" +
			"http.server.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()\n",
	})
	r := coach(t, "", "exercise", "verify", root, "--sandbox", "process", "--lang", "py-copy,py-broken")
	assert.Equal(t, ExitFailed, r.code, r.out+r.err)
	assert.Regexp(t, regexp.MustCompile(`(?m)^step-1\s+py-broken\s+python\s+✗ step 1\s*$`), r.out)
	assert.Regexp(t, regexp.MustCompile(`(?m)^step-1\s+py-copy\s+python\s+✓\s*$`), r.out)
	assert.Contains(t, r.out, "✗ step-1 style py-broken fails the step 1 suite")
	assert.NotContains(t, r.out, "py-copy fails")
}
