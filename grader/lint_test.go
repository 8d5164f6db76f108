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
	"github.com/coachcli/coach/internal/golden"
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
	t.Parallel()
	fsys := fstest.MapFS{}
	readTree(t, "testdata/lint/base", fsys)
	assert.Empty(t, renderProblems(LintCatalog(fsys)))
}

// TestLintFixtures: each folder under testdata/lint (but base) overlays
// base with one authoring mistake; want.txt is every problem found, with
// its position and rule (-update rewrites it).
func TestLintFixtures(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir("testdata/lint")
	require.NoError(t, err)
	for _, d := range dirs {
		if d.Name() == "base" {
			continue
		}
		t.Run(d.Name(), func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{}
			readTree(t, "testdata/lint/base", fsys)
			readTree(t, filepath.Join("testdata/lint", d.Name()), fsys)
			got := renderProblems(LintCatalog(fsys))
			require.NotEmpty(t, strings.TrimSpace(got), "a fixture must find its mistake")
			golden.Assert(t, filepath.Join("testdata/lint", d.Name(), "want.txt"), []byte(got))
		})
	}
}

func TestLintTemplateScopes(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	// The loader's own tests hold the shipped catalogue to its format; its
	// templates must name no undefined variables.
	for _, p := range LintCatalog(exercises.Backend()) {
		assert.NotContains(t, []string{RuleUndefinedVar, RuleCaptureOrder}, p.Rule, p.Error())
	}
}

// TestLintSeesEveryKindsTemplates: lint reads the decoded suite, so every
// template a step renders is checked, in every kind that has templates,
// and nothing that is not a template (a stream's name, a JSON Schema) is.
// Each .nK names a variable nothing defines; the want list is every K.
func TestLintSeesEveryKindsTemplates(t *testing.T) {
	t.Parallel()
	src := `vars:
  v: "{{ .n1 }}"
tests:
  - id: a
    name: a
    hint: h
    steps:
      - request:
          path: "/{{ .n2 }}"
          query: {q: "{{ .n3 }}"}
          headers: {X-A: "{{ .n4 }}"}
          json: {name: "{{ .n5 }}", list: ["{{ .n6 }}"]}
        expect:
          headers: {X-B: {regex: "{{ .n7 }}"}}
          json: {$.a: {one_of: ["{{ .n8 }}"]}}
          body: {contains: "{{ .n9 }}"}
          cookies: {sid: {value: {not_equals: "{{ .n10 }}"}}}
          schema: {description: "{{ .notATemplate }}"}
      - request: {path: /f, form: {a: "{{ .n11 }}"}}
        expect: {status: 200}
      - request: {path: /b, body: "{{ .n12 }}"}
        expect: {status: 200}
      - burst:
          count: 2
          request: {path: "/{{ .i }}/{{ .n13 }}"}
          expect: {json: {$.i: "{{ .i }}"}}
      - logs:
          contains: "{{ .n14 }}"
          regex: "{{ .n15 }}"
          json_lines: {match: {name: "{{ .n16 }}"}}
      - sse_open:
          name: s
          request: {path: /events, json: {name: "{{ .n17 }}"}}
          expect: {headers: {X-C: "{{ .n18 }}"}}
      - sse_expect: {stream: s, event: "{{ .n19 }}", data: {$.x: "{{ .n20 }}"}}
      - sse_close: s
`
	_, probs := LintSuite("suite.yaml", []byte(src), nil)
	var got []string
	iOutside := 0
	for _, p := range probs {
		require.Equal(t, RuleUndefinedVar, p.Rule, p.Error())
		if strings.Contains(p.Msg, ".i is only defined") {
			iOutside++
			continue
		}
		name := strings.Fields(strings.TrimPrefix(p.Msg, "template variable "))[0]
		got = append(got, name)
	}
	var want []string
	for i := 1; i <= 20; i++ {
		want = append(want, fmt.Sprintf(".n%d", i))
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 1, iOutside, "{{ .i }} is defined in a burst's request, not in its expect")
}
