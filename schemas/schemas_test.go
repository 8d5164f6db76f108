package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// compile compiles every shipped schema.
func compile(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	out := map[string]*jsonschema.Schema{}
	for _, name := range Names() {
		data, err := Shipped(name)
		require.NoError(t, err)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		require.NoError(t, err)
		c := jsonschema.NewCompiler()
		require.NoError(t, c.AddResource(URL(name), doc))
		out[name], err = c.Compile(URL(name))
		require.NoError(t, err, name)
	}
	return out
}

// asJSON reads YAML as an editor's YAML language server does: as JSON
// data, map keys as strings.
func asJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(data, &v))
	b, err := json.Marshal(stringKeys(v))
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return doc
}

func stringKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = stringKeys(x)
		}
		return v
	case map[any]any:
		out := map[string]any{}
		for k, x := range v {
			out[fmt.Sprint(k)] = stringKeys(x)
		}
		return out
	case []any:
		for i, x := range v {
			v[i] = stringKeys(x)
		}
	}
	return v
}

func TestCatalogueFilesValidate(t *testing.T) {
	compiled := compile(t)
	seen := map[string]int{}
	err := fs.WalkDir(exercises.Backend(), ".", func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		name := ForFile(path.Base(p))
		if d.IsDir() || name == "" || path.Dir(p) != "." && path.Dir(path.Dir(p)) != "." {
			return nil // solutions and starters may hold YAML of their own
		}
		data, err := fs.ReadFile(exercises.Backend(), p)
		require.NoError(t, err)
		seen[name]++
		assert.NoError(t, compiled[name].Validate(asJSON(t, data)), p)
		return nil
	})
	require.NoError(t, err)
	for _, name := range Names() {
		assert.NotZero(t, seen[name], "no catalogue file checked against %s", name)
	}
}

func TestSuiteFixtureValidates(t *testing.T) {
	data, err := os.ReadFile("../grader/testdata/valid.yaml")
	require.NoError(t, err)
	assert.NoError(t, compile(t)["suite"].Validate(asJSON(t, data)))
}

// The schemas must also reject what the loader rejects, or an editor would
// stay silent about a mistake.
func TestSchemasReject(t *testing.T) {
	compiled := compile(t)
	tests := []struct{ schema, doc string }{
		{"suite", "tests: []\n"},
		{"suite", "tests:\n  - {id: a, name: b, steps: [{sleep: 1s, request: {path: /}}]}\n"},
		{"suite", "tests:\n  - {id: a, name: b, steps: [{request: {path: /}, expect: {status: 99}}]}\n"},
		{"suite", "tests:\n  - {id: a, name: b, steps: [{request: {path: /, json: 1, body: x}}]}\n"},
		{"suite", "tests:\n  - {id: a, name: b, steps: [{request: {path: /}, expect: {json: {$.a: {equls: 1}}}}]}\n"},
		{"suite", "tests:\n  - {id: a, name: b, steps: [{request: {path: /}, capture: {x: {json: $.a, header: X}}}]}\n"},
		{"suite", "tests:\n  - {id: a, name: b, steps: [{sleep: soon}]}\n"},
		{"suite", "tests:\n  - {id: a, name: b, steps: [{signal: SIGFOO}]}\n"},
		{"suite", "tests:\n  - {id: a, name: b, steps: [{logs: {within: 1s}}]}\n"},
		{"exercise", "id: a\nstep: 1\ntitle: t\nsummary: s\ndifficulty: extreme\ntopics: [{name: x}]\npoints: 1\n"},
		{"exercise", "id: a\nstep: 1\ntitle: t\nsummary: s\ndifficulty: easy\ntopics: [{name: x}]\npoints: 1\npionts: 2\n"},
		{"roadmap", "name: Bad Name\nsteps: [{step: 1, id: a, dir: a}]\n"},
		{"hints", "build: [a]\n"},
		{"hints", "build: [a]\ntest: [{text: b, lang: [rust]}]\n"},
		{"hints", "build: [a]\ntest: [{text: b}]\n"},
		{"hints", "build: [a]\ntest: [{text: b, lang: [go], langs: [node]}]\n"},
		{"mutants", "mutants: [{id: m, lang: rust, caught_by: t, edits: [{file: a, find: b, replace: c}]}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.schema+" "+tt.doc, func(t *testing.T) {
			assert.Error(t, compiled[tt.schema].Validate(asJSON(t, []byte(tt.doc))))
		})
	}
	assert.NoError(t, compiled["hints"].Validate(asJSON(t, []byte("build: [a]\ntest: [b, {text: c, lang: [node, go]}]\n"))))
	ok := "tests:\n  - {id: a, name: b, steps: [{signal: term}, {request: {path: /}, expect: {status: [200, 204], json: {$.a: 1, $.b: {type: null}}}}]}\n"
	assert.NoError(t, compiled["suite"].Validate(asJSON(t, []byte(ok))))
}
