package exercises

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/coachcli/coach/sandbox/workspace"
)

// Schema is a JSON Schema (draft-07, which editors' YAML support handles
// best) as plain data; encoding/json sorts its keys, so generated files are
// stable.
type Schema map[string]any

// SchemaDescriber is a type that says what YAML it accepts. Types that
// decode themselves (shorthands such as a scalar meaning `equals`, ordered
// maps, durations) implement it, since their struct fields do not show the
// accepted shapes. r gives references to the schemas of other types.
type SchemaDescriber interface {
	JSONSchema(r *Reflector) Schema
}

// Reflector builds JSON Schemas from Go types: a struct's yaml tags give
// its properties, a SchemaDescriber speaks for itself. Every named type it
// meets becomes a definition, referenced by name.
type Reflector struct {
	defs  map[string]Schema
	types map[string]reflect.Type
}

// NewReflector returns an empty Reflector.
func NewReflector() *Reflector {
	return &Reflector{defs: map[string]Schema{}, types: map[string]reflect.Type{}}
}

var describerType = reflect.TypeOf((*SchemaDescriber)(nil)).Elem()

// Ref returns a reference to v's type's schema, defining it on first use.
func (r *Reflector) Ref(v any) Schema { return r.refType(reflect.TypeOf(v)) }

func (r *Reflector) refType(t reflect.Type) Schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := t.Name()
	if name == "" || !(t.Kind() == reflect.Struct || implementsDescriber(t)) {
		return r.typeSchema(t)
	}
	if prev, ok := r.types[name]; ok && prev != t {
		panic(fmt.Sprintf("schema: two types named %s (%s and %s)", name, prev, t)) // definitions are keyed by name
	}
	r.types[name] = t
	if _, done := r.defs[name]; !done {
		r.defs[name] = Schema{} // a placeholder stops recursion through self-references
		r.defs[name] = r.typeSchema(t)
	}
	return Schema{"$ref": "#/definitions/" + name}
}

func implementsDescriber(t reflect.Type) bool {
	return t.Implements(describerType) || reflect.PointerTo(t).Implements(describerType)
}

// Describe returns the schema of v's type written out (not a reference):
// what a SchemaDescriber starts from before adding what tags cannot say.
func (r *Reflector) Describe(v any) Schema {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		return r.structSchema(t)
	}
	return r.typeSchema(t)
}

func (r *Reflector) typeSchema(t reflect.Type) Schema {
	if implementsDescriber(t) {
		return reflect.New(t).Interface().(SchemaDescriber).JSONSchema(r)
	}
	switch t.Kind() {
	case reflect.Struct:
		return r.structSchema(t)
	case reflect.String:
		return Schema{"type": "string"}
	case reflect.Bool:
		return Schema{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Schema{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return Schema{"type": "number"}
	case reflect.Slice, reflect.Array:
		return Schema{"type": "array", "items": r.refType(t.Elem())}
	case reflect.Map:
		return Schema{"type": "object", "additionalProperties": r.refType(t.Elem())}
	case reflect.Pointer:
		return r.refType(t.Elem())
	}
	return Schema{} // anything
}

func (r *Reflector) structSchema(t reflect.Type) Schema {
	props := Schema{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		props[name] = r.refType(f.Type)
	}
	// Unknown keys are errors when coach loads a file; say so to editors.
	return Schema{"type": "object", "properties": props, "additionalProperties": false}
}

// Document wraps root's schema as a complete schema file with its own id.
func (r *Reflector) Document(id, title, description string, root any) Schema {
	t := reflect.TypeOf(root)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	doc := r.typeSchema(t)
	doc["$schema"] = "http://json-schema.org/draft-07/schema#"
	doc["$id"] = id
	doc["title"] = title
	doc["description"] = description
	if len(r.defs) > 0 {
		defs := Schema{}
		for k, v := range r.defs {
			defs[k] = v
		}
		doc["definitions"] = defs
	}
	return doc
}

// Marshal renders a schema document as indented JSON with a final newline.
func (s Schema) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode schema: %w", err)
	}
	return append(b, '\n'), nil
}

// Prop returns the schema of a property of an object schema, for
// describers that refine what tags gave (enums, patterns, descriptions).
func (s Schema) Prop(name string) Schema {
	props, _ := s["properties"].(Schema)
	p, ok := props[name].(Schema)
	if !ok {
		panic(fmt.Sprintf("schema has no property %q", name)) // a describer's own mistake
	}
	return p
}

// Require marks properties as required.
func (s Schema) Require(names ...string) Schema {
	s["required"] = names
	return s
}

// Describe sets a property's description (shown by editors on hover).
func (s Schema) Describe(name, text string) Schema {
	p := s.Prop(name)
	if _, isRef := p["$ref"]; isRef {
		// draft-07 ignores siblings of $ref, so wrap it.
		p = Schema{"allOf": []any{p}}
		s["properties"].(Schema)[name] = p
	}
	p["description"] = text
	return s
}

// Pattern returns a string schema matching re (written for JSON Schema's
// ECMA-262 regexes, which Go's RE2 syntax shares for these simple forms).
func Pattern(re string) Schema { return Schema{"type": "string", "pattern": re} }

// Enum returns a string schema allowing only values.
func Enum(values ...string) Schema { return Schema{"type": "string", "enum": values} }

// DurationPattern matches what time.ParseDuration accepts, without a sign.
const DurationPattern = `^(0|([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*)$`

// JSONSchema: a duration is text such as 500ms, 20s or 5m.
func (Duration) JSONSchema(*Reflector) Schema {
	s := Pattern(DurationPattern)
	s["description"] = "a duration such as 500ms, 20s or 5m"
	return s
}

// JSONSchema of roadmap.yaml, with the loader's own rules.
func (Roadmap) JSONSchema(r *Reflector) Schema {
	s := r.Describe(Roadmap{}).Require("name", "steps")
	s.Prop("name")["pattern"] = idRE.String()
	s.Prop("steps")["minItems"] = 1
	s.Describe("name", "catalogue name: lower-case letters, digits and dashes")
	s.Describe("steps", "in order; step numbers are 1..N with no gaps")
	return s
}

// JSONSchema of one roadmap entry.
func (RoadmapStep) JSONSchema(r *Reflector) Schema {
	s := r.Describe(RoadmapStep{}).Require("step", "id", "dir")
	s.Prop("step")["minimum"] = 1
	s.Prop("id")["pattern"] = idRE.String()
	s.Describe("dir", "the exercise's folder beside roadmap.yaml")
	return s
}

// JSONSchema of exercise.yaml, with the loader's own rules.
func (Exercise) JSONSchema(r *Reflector) Schema {
	s := r.Describe(Exercise{}).Require("id", "step", "title", "summary", "difficulty", "topics", "points")
	s.Prop("id")["pattern"] = idRE.String()
	s.Prop("step")["minimum"] = 1
	s.Prop("title")["minLength"] = 1
	s.Prop("summary")["minLength"] = 1
	s.Prop("difficulty")["enum"] = difficulties
	s.Prop("runtime")["enum"] = runtimes
	s.Prop("topics")["minItems"] = 1
	s.Prop("points")["exclusiveMinimum"] = 0
	s.Prop("env")["propertyNames"] = Schema{"not": Schema{"enum": []string{"PORT", "DATA_DIR"}}}
	s.Describe("id", "must equal the roadmap entry's id")
	s.Describe("step", "must equal the roadmap entry's step")
	s.Describe("summary", "one sentence shown by `coach list`")
	s.Describe("env", "extra environment for the server; coach sets PORT and DATA_DIR")
	s.Describe("runtime", "force a runtime instead of detecting it")
	s.Describe("points", "must equal the sum of the suite's test points")
	s.Describe("services", "databases run in the server's pod: required ones always, offered ones when the learner's coach.yaml declares them")
	return s
}

// JSONSchema of exercise.yaml's services.
func (Services) JSONSchema(r *Reflector) Schema {
	s := r.Describe(Services{})
	names := Schema{"type": "string", "enum": workspace.ServiceNames()}
	s.Prop("required")["items"] = names
	s.Prop("offered")["items"] = names
	return s
}

// JSONSchema of a roadmap.sh topic.
func (Topic) JSONSchema(r *Reflector) Schema {
	return r.Describe(Topic{}).Require("name")
}

// JSONSchema of hints.yaml: at least one hint of each kind.
func (Hints) JSONSchema(r *Reflector) Schema {
	s := r.Describe(Hints{}).Require("build", "test")
	s.Prop("build")["minItems"] = 1
	s.Prop("test")["minItems"] = 1
	s.Describe("build", "shown one at a time when the code did not build or start")
	s.Describe("test", "shown one at a time, gentle to specific, when a test failed")
	return s
}

// JSONSchema of one hint: a text, or a text for some languages only.
func (Hint) JSONSchema(*Reflector) Schema {
	text := Schema{"type": "string", "minLength": 1}
	return Schema{
		"description": "a hint for every learner, or {text, lang} for learners in those languages only",
		"anyOf": []any{text, Schema{
			"type":                 "object",
			"additionalProperties": false,
			"required":             []string{"text", "lang"},
			"properties": Schema{
				"text": text,
				"lang": Schema{"type": "array", "minItems": 1, "uniqueItems": true,
					"items":       Schema{"type": "string", "enum": Languages},
					"description": "the workspace languages that get this hint (a Dockerfile workspace gets every hint)"},
			},
		}},
	}
}

// MutantsFile is the shape of mutants.yaml and mutants.*.yaml.
type MutantsFile = mutantsFile

// JSONSchema of mutants.yaml.
func (mutantsFile) JSONSchema(r *Reflector) Schema {
	return r.Describe(mutantsFile{}).Require("mutants")
}

// JSONSchema of one mutant.
func (Mutant) JSONSchema(r *Reflector) Schema {
	s := r.Describe(Mutant{}).Require("id", "lang", "caught_by", "edits")
	s.Prop("id")["pattern"] = idRE.String()
	s.Prop("lang")["enum"] = Languages
	s.Prop("edits")["minItems"] = 1
	s.Describe("caught_by", "the id of the test of this step's suite that must fail")
	s.Describe("style", "the style (a folder under styles/) the edits apply to; omit for the reference solution of lang")
	return s
}

// JSONSchema of one find/replace edit.
func (Edit) JSONSchema(r *Reflector) Schema {
	s := r.Describe(Edit{}).Require("file", "find", "replace")
	s.Prop("find")["minLength"] = 1
	s.Describe("file", "a file of solutions/LANG/, or of styles/STYLE/ for a style's mutant")
	s.Describe("find", "text that occurs exactly once in the file")
	return s
}
