// Package schemas ships the JSON Schemas of a catalogue's files
// (roadmap.yaml, exercise.yaml, hints.yaml, suite.yaml, mutants.yaml) so
// editors complete and check them. They are generated from the Go types
// that decode those files; the shipped copies are refreshed with
// `go generate ./schemas`, and a test fails when they are stale.
package schemas

import (
	"embed"
	"fmt"
	"sort"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/grader"
)

//go:generate go test -run TestShippedSchemasAreCurrent -update .

//go:embed *.schema.json
var shipped embed.FS

// BaseURL is where the shipped schemas are published; each schema's $id and
// the yaml-language-server comment in scaffolded files point here.
const BaseURL = "https://raw.githubusercontent.com/coachcli/coach/main/schemas/"

type doc struct {
	title, description string
	root               any
}

var docs = map[string]doc{
	"roadmap":  {"coach roadmap.yaml", "A catalogue's ordered steps.", exercises.Roadmap{}},
	"exercise": {"coach exercise.yaml", "One step's exercise: id, title, topics, points.", exercises.Exercise{}},
	"hints":    {"coach hints.yaml", "Hints shown one at a time, for build and for test failures.", exercises.Hints{}},
	"mutants":  {"coach mutants.yaml", "Known-bad variants of a reference solution that the suite must catch.", exercises.MutantsFile{}},
	"suite":    {"coach suite.yaml", "An exercise's HTTP test suite.", grader.Suite{}},
}

// Names are the schemas there are, for the files NAME.yaml (and, for
// mutants, mutants.*.yaml).
func Names() []string {
	out := make([]string, 0, len(docs))
	for k := range docs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FileName is the schema file of name, e.g. suite.schema.json.
func FileName(name string) string { return name + ".schema.json" }

// URL is where the schema of name is published.
func URL(name string) string { return BaseURL + FileName(name) }

// Generate builds the schema of name from the Go types.
func Generate(name string) ([]byte, error) {
	d, ok := docs[name]
	if !ok {
		return nil, fmt.Errorf("no schema %q (known: %v)", name, Names())
	}
	r := exercises.NewReflector()
	return r.Document(URL(name), d.title, d.description, d.root).Marshal()
}

// Shipped returns the schema of name as shipped with coach.
func Shipped(name string) ([]byte, error) {
	if _, ok := docs[name]; !ok {
		return nil, fmt.Errorf("no schema %q (known: %v)", name, Names())
	}
	return shipped.ReadFile(FileName(name))
}

// ForFile names the schema that applies to a catalogue file, or "".
func ForFile(base string) string {
	switch {
	case base == "roadmap.yaml", base == "exercise.yaml", base == "hints.yaml", base == "suite.yaml":
		return base[:len(base)-len(".yaml")]
	case base == "mutants.yaml", len(base) > len("mutants..yaml") && base[:8] == "mutants." && base[len(base)-5:] == ".yaml":
		return "mutants"
	}
	return ""
}
