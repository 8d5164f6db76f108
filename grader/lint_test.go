package grader

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/exercises"
)

// readTree reads a folder into a MapFS.
func readTree(t *testing.T, dir string, into fstest.MapFS) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() || rel == "want.txt" {
			return nil
		}
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		into[filepath.ToSlash(rel)] = &fstest.MapFile{Data: data}
		return nil
	}))
}

func renderProblems(probs []*Problem) string {
	var b strings.Builder
	for _, p := range probs {
		fmt.Fprintf(&b, "%s [%s]\n", p.Error(), p.Rule)
	}
	return b.String()
}

func TestLintBaseIsClean(t *testing.T) {
	fsys := fstest.MapFS{}
	readTree(t, "testdata/lint/base", fsys)
	assert.Empty(t, renderProblems(LintCatalog(fsys)))
}

// TestLintFixtures: each folder under testdata/lint (but base) overlays
// base with one authoring mistake; want.txt is every problem found, with
// its position and rule (-update rewrites it).
func TestLintFixtures(t *testing.T) {
	dirs, err := os.ReadDir("testdata/lint")
	require.NoError(t, err)
	for _, d := range dirs {
		if d.Name() == "base" {
			continue
		}
		t.Run(d.Name(), func(t *testing.T) {
			fsys := fstest.MapFS{}
			readTree(t, "testdata/lint/base", fsys)
			readTree(t, filepath.Join("testdata/lint", d.Name()), fsys)
			got := renderProblems(LintCatalog(fsys))
			wantFile := filepath.Join("testdata/lint", d.Name(), "want.txt")
			if *updateLint {
				require.NoError(t, os.WriteFile(wantFile, []byte(got), 0o644))
			}
			want, err := os.ReadFile(wantFile)
			require.NoError(t, err)
			require.NotEmpty(t, strings.TrimSpace(string(want)), "a fixture must find its mistake")
			assert.Equal(t, string(want), got)
		})
	}
}

func TestLintTemplateScopes(t *testing.T) {
	src := `tests:
  - id: a
    name: a
    hint: h
    steps:
      - burst:
          count: 2
          request: {path: "/x/{{ .i }}"}
          expect: {status: 200}
          capture: {ids: {json: $.id}}
      - request: {path: "/y/{{ range .ids }}{{ .name }}{{ end }}/{{ $.ids }}/{{ .port }}"}
        async: slow
        capture: {late: {json: $.x}}
      - request: {path: "/z/{{ .late }}"}
        expect: {status: 200}
      - await: slow
      - request: {path: "/w/{{ .late }}/{{ .i }}"}
        expect: {status: 200}
`
	_, probs := LintSuite("suite.yaml", []byte(src), nil)
	assert.Equal(t, `suite.yaml:14:32: .late is used before it is set: this test captures late at line 13, after this step [capture-order]
suite.yaml:17:44: template variable .i is only defined in a burst's request (the request's index) [undefined-var]
`, renderProblems(probs))
}

func TestLintEmbeddedCatalogue(t *testing.T) {
	// The loader's own tests hold the shipped catalogue to its format; its
	// templates must name no undefined variables.
	for _, p := range LintCatalog(exercises.Backend()) {
		assert.NotContains(t, []string{RuleUndefinedVar, RuleCaptureOrder}, p.Rule, p.Error())
	}
}
