package exercises

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goodRoadmap = `name: demo
title: Demo
steps:
  - step: 1
    id: hello
    dir: step-01-hello
`

const goodExercise = `id: hello
step: 1
title: Hello
summary: Say hello.
difficulty: easy
topics:
  - name: HTTP
    url: https://roadmap.sh/backend
points: 3
`

func goodFS() fstest.MapFS {
	return fstest.MapFS{
		"roadmap.yaml":                       {Data: []byte(goodRoadmap)},
		"step-01-hello/exercise.yaml":        {Data: []byte(goodExercise)},
		"step-01-hello/README.md":            {Data: []byte("# Hello\n\n## What coach checks\n")},
		"step-01-hello/hints.yaml":           {Data: []byte("build: [a]\ntest: [b]\n")},
		"step-01-hello/suite.yaml":           {Data: []byte("tests: []\n")},
		"step-01-hello/solutions/go/main.go": {Data: []byte("package main\n// hello\n")},
		"step-01-hello/mutants.yaml": {Data: []byte(`mutants:
  - id: m1
    lang: go
    caught_by: t1
    edits:
      - file: main.go
        find: hello
        replace: bye
`)},
	}
}

func TestLoadGood(t *testing.T) {
	c, err := Load(goodFS())
	require.NoError(t, err)
	require.Len(t, c.Exercises, 1)
	ex := c.Exercises[0]
	assert.Equal(t, "hello", ex.ID)
	assert.Equal(t, DefaultStartTimeout, ex.StartTimeout())
	assert.Equal(t, []string{"go"}, ex.SolutionLanguages())
	require.Len(t, ex.Mutants, 1)
	assert.Equal(t, 2, ex.Mutants[0].Line)
	for _, name := range []string{"1", "step-1", "step-01", "hello", "STEP-1"} {
		got, err := c.Find(name)
		require.NoError(t, err, name)
		assert.Same(t, ex, got)
	}
	fsys := goodFS()
	fsys["step-01-hello/exercise.yaml"] = &fstest.MapFile{Data: []byte(goodExercise + "services: {required: [postgres], offered: [redis]}\n")}
	withServices, err := Load(fsys)
	require.NoError(t, err)
	assert.Equal(t, Services{Required: []string{"postgres"}, Offered: []string{"redis"}}, withServices.Exercises[0].Services)
	_, err = c.Find("step-9")
	assert.ErrorContains(t, err, `no step "step-9"`)
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		data string
		want string
	}{
		{"unknown roadmap field", "roadmap.yaml", goodRoadmap + "colour: red\n", "roadmap.yaml:7:1: unknown field \"colour\""},
		{"gap in steps", "roadmap.yaml", "name: demo\nsteps:\n  - step: 2\n    id: hello\n    dir: step-01-hello\n",
			"roadmap.yaml:3:11: step 1 is numbered 2"},
		{"duplicate id", "roadmap.yaml", goodRoadmap + "  - step: 2\n    id: hello\n    dir: step-01-hello\n",
			"roadmap.yaml:8:9: duplicate id \"hello\""},
		{"missing dir", "roadmap.yaml", "name: demo\nsteps:\n  - step: 1\n    id: hello\n    dir: nope\n",
			"roadmap.yaml:5:10: folder nope does not exist"},
		{"bad yaml", "roadmap.yaml", "name: [demo\n", "roadmap.yaml:1: invalid YAML"},
		{"wrong type", "step-01-hello/exercise.yaml", "id: hello\nstep: one\n", "step-01-hello/exercise.yaml:2:7: wrong type"},
		{"id mismatch", "step-01-hello/exercise.yaml", "id: other" + goodExercise[len("id: hello"):],
			"step-01-hello/exercise.yaml:1:5: id \"other\" does not match"},
		{"unknown exercise field", "step-01-hello/exercise.yaml", goodExercise + "pionts: 3\n",
			"step-01-hello/exercise.yaml:10:1: unknown field \"pionts\""},
		{"bad duration", "step-01-hello/exercise.yaml", goodExercise + "timeouts:\n  start: soon\n",
			"step-01-hello/exercise.yaml:11:10: bad duration \"soon\""},
		{"bad difficulty", "step-01-hello/exercise.yaml", "id: hello\nstep: 1\ntitle: T\nsummary: S\ndifficulty: extreme\ntopics: [{name: a}]\npoints: 1\n",
			"step-01-hello/exercise.yaml:5:13: difficulty \"extreme\" must be one of"},
		{"unknown service", "step-01-hello/exercise.yaml", goodExercise + "services:\n  offered: [postgres, mongodb]\n",
			"step-01-hello/exercise.yaml:11:3: unknown service \"mongodb\" (coach offers mariadb, postgres, redis)"},
		{"no hints", "step-01-hello/hints.yaml", "build: [a]\n", "step-01-hello/hints.yaml:1:1: give at least one build hint"},
		{"hint lang", "step-01-hello/hints.yaml", "build: [a]\ntest:\n  - b\n  - {text: c, lang: [rust]}\n",
			"step-01-hello/hints.yaml:4:5: lang \"rust\" must be one of node, go, python"},
		{"hint without text", "step-01-hello/hints.yaml", "build: [a]\ntest:\n  - b\n  - {lang: [go]}\n",
			"step-01-hello/hints.yaml:4:5: a hint needs a text"},
		{"hint with an empty lang", "step-01-hello/hints.yaml", "build: [a]\ntest:\n  - b\n  - {text: c, lang: []}\n",
			"step-01-hello/hints.yaml:4:5: lang lists the languages"},
		{"hint field", "step-01-hello/hints.yaml", "build: [a]\ntest:\n  - {text: c, lang: [go], langs: [node]}\n",
			"step-01-hello/hints.yaml:3:27: unknown field \"langs\""},
		{"a language left without hints", "step-01-hello/hints.yaml", "build: [a]\ntest:\n  - {text: b, lang: [node, python]}\n",
			"step-01-hello/hints.yaml:3:3: no test hint is for go learners: give one without lang, or one with lang: [go]"},
		{"readme section", "step-01-hello/README.md", "# Hello\n", "What coach checks"},
		{"mutant find missing", "step-01-hello/mutants.yaml",
			"mutants:\n  - id: m1\n    lang: go\n    caught_by: t1\n    edits:\n      - file: main.go\n        find: absent\n        replace: x\n",
			"step-01-hello/mutants.yaml:7:15: find text occurs 0 times"},
		{"mutant lang", "step-01-hello/mutants.yaml", "mutants:\n  - id: m1\n    lang: rust\n    caught_by: t1\n    edits: []\n",
			"step-01-hello/mutants.yaml:3:11: lang \"rust\" must be one of"},
		{"mutant file", "step-01-hello/mutants.yaml",
			"mutants:\n  - id: m1\n    lang: go\n    caught_by: t1\n    edits:\n      - file: nope.go\n        find: a\n        replace: b\n",
			"step-01-hello/mutants.yaml:6:15: solutions/go/nope.go does not exist"},
		{"style without style.yaml", "step-01-hello/styles/go-db/main.go", "package main\n",
			"step-01-hello/styles/go-db/style.yaml: missing"},
		{"style lang", "step-01-hello/styles/go-db/style.yaml", "lang: rust\ndescription: d\n",
			"step-01-hello/styles/go-db/style.yaml:1:7: lang \"rust\" must be one of"},
		{"style description", "step-01-hello/styles/go-db/style.yaml", "lang: go\n",
			"step-01-hello/styles/go-db/style.yaml:1:1: description is required"},
		{"style named like a language", "step-01-hello/styles/go/style.yaml", "lang: go\ndescription: d\n",
			"step-01-hello/styles/go: style folder \"go\" must be lower-case letters, digits and dashes, and not a language's name"},
		{"style unknown field", "step-01-hello/styles/go-db/style.yaml", "lang: go\ndescription: d\nservices: [postgres]\n",
			"step-01-hello/styles/go-db/style.yaml:3:1: unknown field \"services\""},
		{"mutant of an unknown style", "step-01-hello/mutants.yaml",
			"mutants:\n  - id: m1\n    lang: go\n    style: go-db\n    caught_by: t1\n    edits:\n      - file: main.go\n        find: a\n        replace: b\n",
			"step-01-hello/mutants.yaml:4:12: style \"go-db\" is not a folder under step-01-hello/styles with a style.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := goodFS()
			fsys[tt.file] = &fstest.MapFile{Data: []byte(tt.data)}
			_, err := Load(fsys)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestHintsForLanguage(t *testing.T) {
	fsys := goodFS()
	fsys["step-01-hello/hints.yaml"] = &fstest.MapFile{Data: []byte(`build: [all]
test:
  - read the output
  - {text: "process.env.PORT", lang: [node]}
  - {text: "os.Getenv(\"PORT\")", lang: [go]}
  - {text: "os.environ or process.env", lang: [python, node]}
  - curl it
`)}
	c, err := Load(fsys)
	require.NoError(t, err)
	h := c.Exercises[0].Hints
	assert.Equal(t, 4, h.Test[1].Line, "a hint knows its line")
	tests := []struct {
		lang string
		want []string
	}{
		{"node", []string{"read the output", "process.env.PORT", "os.environ or process.env", "curl it"}},
		{"go", []string{"read the output", `os.Getenv("PORT")`, "curl it"}},
		{"python", []string{"read the output", "os.environ or process.env", "curl it"}},
		{"dockerfile", []string{"read the output", "process.env.PORT", `os.Getenv("PORT")`, "os.environ or process.env", "curl it"}},
		{"", []string{"read the output", "process.env.PORT", `os.Getenv("PORT")`, "os.environ or process.env", "curl it"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			assert.Equal(t, tt.want, h.Test.For(tt.lang))
			assert.Equal(t, []string{"all"}, h.Build.For(tt.lang))
		})
	}
}

// TestLoadStyles: a style is an extra solution (styles/<name>/ with a
// style.yaml) listed after the reference solutions; its mutants edit its
// files, and writing it out leaves style.yaml behind.
func TestLoadStyles(t *testing.T) {
	fsys := goodFS()
	fsys["step-01-hello/styles/go-db/style.yaml"] = &fstest.MapFile{Data: []byte("lang: go\ndescription: with a database\n")}
	fsys["step-01-hello/styles/go-db/main.go"] = &fstest.MapFile{Data: []byte("package main\n// db\n")}
	fsys["step-01-hello/styles/go-db/coach.yaml"] = &fstest.MapFile{Data: []byte("services: [postgres]\n")}
	fsys["step-01-hello/mutants.go-db.yaml"] = &fstest.MapFile{Data: []byte(
		"mutants:\n  - id: m2\n    lang: go\n    style: go-db\n    caught_by: t1\n    edits:\n      - file: main.go\n        find: db\n        replace: memory\n")}
	c, err := Load(fsys)
	require.NoError(t, err)
	ex := c.Exercises[0]
	assert.Equal(t, []Style{{Name: "go-db", Lang: "go", Description: "with a database"}}, ex.Styles)
	assert.Equal(t, []Solution{
		{Name: "go", Lang: "go", Dir: "solutions/go"},
		{Name: "go-db", Lang: "go", Dir: "styles/go-db", Style: true},
	}, ex.Solutions())
	require.Len(t, ex.Mutants, 2)
	m := &ex.Mutants[1]
	assert.Equal(t, "go-db", m.Solution())
	assert.Equal(t, "go", ex.Mutants[0].Solution())

	sol, ok := ex.Solution("go-db")
	require.True(t, ok)
	dst := t.TempDir()
	require.NoError(t, ex.WriteSolution(sol, m, dst))
	entries, err := os.ReadDir(dst)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"coach.yaml", "main.go"}, names)
	data, err := os.ReadFile(filepath.Join(dst, "main.go"))
	require.NoError(t, err)
	assert.Equal(t, "package main\n// memory\n", string(data))

	fsys["step-01-hello/mutants.go-db.yaml"] = &fstest.MapFile{Data: []byte(
		"mutants:\n  - id: m2\n    lang: node\n    style: go-db\n    caught_by: t1\n    edits:\n      - file: main.go\n        find: db\n        replace: x\n")}
	_, err = Load(fsys)
	assert.ErrorContains(t, err, `step-01-hello/mutants.go-db.yaml:3:11: lang "node" does not match style go-db, which is go`)
	fsys["step-01-hello/mutants.go-db.yaml"] = &fstest.MapFile{Data: []byte(
		"mutants:\n  - id: m2\n    lang: go\n    style: go-db\n    caught_by: t1\n    edits:\n      - file: main.go\n        find: hello\n        replace: x\n")}
	_, err = Load(fsys)
	assert.ErrorContains(t, err, "find text occurs 0 times in styles/go-db/main.go")
}

func TestLoadMissingFile(t *testing.T) {
	fsys := goodFS()
	delete(fsys, "step-01-hello/suite.yaml")
	_, err := Load(fsys)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "step-01-hello/suite.yaml: missing")
}

func TestCopyTreeAndMutant(t *testing.T) {
	fsys := fstest.MapFS{
		"sol/main.go":     {Data: []byte("package main // hello\n")},
		"sol/go.mod.tmpl": {Data: []byte("module x\n")},
	}
	dst := t.TempDir()
	written, err := CopyTree(fsys, "sol", dst, false)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"main.go", "go.mod"}, written)
	_, err = CopyTree(fsys, "sol", dst, false)
	require.ErrorIs(t, err, ErrExists)

	m := Mutant{ID: "m", Edits: []Edit{{File: "main.go", Find: "hello", Replace: "bye"}}}
	require.NoError(t, m.Apply(dst))
	data, err := os.ReadFile(filepath.Join(dst, "main.go"))
	require.NoError(t, err)
	assert.Equal(t, "package main // bye\n", string(data))
	assert.ErrorContains(t, m.Apply(dst), "occurs 0 times")
}

func TestEmbeddedCatalogueLoads(t *testing.T) {
	c, err := Load(Backend())
	require.NoError(t, err)
	require.NotEmpty(t, c.Exercises)
	for _, ex := range c.Exercises {
		assert.NotEmpty(t, ex.Mutants, ex.ID)
		assert.Len(t, ex.SolutionLanguages(), 3, ex.ID)
	}
}

func TestREADMEFor(t *testing.T) {
	ex := &Exercise{README: "# Step\n\nShared intro names Node.js and Go.\n\n## Pointers per language\n\n" +
		"Shared advice.\n\n**Node.js** — edit `server.js`;\nsecond line.\n\n**Go** — edit `main.go`.\n\n```go\nfunc main() {\n\n}\n```\n\n" +
		"**Python** — edit `main.py`.\n\nTry it:\n\n```sh\ncurl localhost:8080\n```\n\n## What coach checks\n\n**Go** stays here.\n"}
	tests := []struct {
		lang string
		want string
	}{
		{"node", "# Step\n\nShared intro names Node.js and Go.\n\n## Pointers for Node.js\n\nShared advice.\n\n" +
			"**Node.js** — edit `server.js`;\nsecond line.\n\nTry it:\n\n```sh\ncurl localhost:8080\n```\n\n## What coach checks\n\n**Go** stays here.\n"},
		{"go", "# Step\n\nShared intro names Node.js and Go.\n\n## Pointers for Go\n\nShared advice.\n\n" +
			"**Go** — edit `main.go`.\n\n```go\nfunc main() {\n\n}\n```\n\nTry it:\n\n```sh\ncurl localhost:8080\n```\n\n## What coach checks\n\n**Go** stays here.\n"},
		{"python", "# Step\n\nShared intro names Node.js and Go.\n\n## Pointers for Python\n\nShared advice.\n\n" +
			"**Python** — edit `main.py`.\n\nTry it:\n\n```sh\ncurl localhost:8080\n```\n\n## What coach checks\n\n**Go** stays here.\n"},
		{"dockerfile", ex.README},
		{"", ex.README},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			assert.Equal(t, tt.want, ex.READMEFor(tt.lang))
		})
	}
}
