package grader

import (
	"sort"

	"github.com/coachcli/coach/exercises"
)

// The suite's types decode themselves (shorthands, ordered maps, one kind
// per step), so each says here what YAML it accepts. TestSchemaKeysMatchDecoders
// holds these property lists to the decoders' own lists of known keys.

type schema = exercises.Schema

func object(props schema, required ...string) schema {
	s := schema{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func mapOf(values schema, names schema) schema {
	s := schema{"type": "object", "additionalProperties": values}
	if names != nil {
		s["propertyNames"] = names
	}
	return s
}

func described(s schema, text string) schema {
	if _, isRef := s["$ref"]; isRef {
		s = schema{"allOf": []any{s}} // draft-07 ignores the siblings of a $ref
	}
	s["description"] = text
	return s
}

func reservedNames() []string {
	out := make([]string, 0, len(reserved))
	for k := range reserved {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// identName is a var or capture name: letters, digits and _, not reserved.
func identName() schema {
	return schema{"type": "string", "pattern": identRE.String(), "not": schema{"enum": reservedNames()}}
}

func jsonPathName() schema { return exercises.Pattern(`^\$`) }

// JSONSchema of a suite.yaml.
func (Suite) JSONSchema(r *exercises.Reflector) schema {
	return object(schema{
		"vars": described(mapOf(r.Ref(Value{}), identName()),
			"evaluated once per run, in order; a later var may use an earlier one"),
		"tests": schema{"type": "array", "minItems": 1, "items": r.Ref(Test{})},
	}, "tests")
}

// JSONSchema of a test.
func (Test) JSONSchema(r *exercises.Reflector) schema {
	return object(schema{
		"id":     described(exercises.Pattern(idRE.String()), "unique in the suite; mutants name it in caught_by"),
		"name":   schema{"type": "string", "minLength": 1},
		"points": described(schema{"type": "number", "minimum": 0}, "default 1"),
		"hint": described(schema{"anyOf": []any{schema{"type": "string"},
			schema{"type": "array", "minItems": 1, "items": r.Ref(exercises.Hint{})}}},
			"shown when the test fails: a text, or a list of texts and {lang, text} entries for one language's advice"),
		"timeout":    r.Ref(exercises.Duration(0)),
		"visibility": exercises.Enum("visible", "hidden"),
		"steps":      schema{"type": "array", "minItems": 1, "items": r.Ref(Step{})},
	}, "id", "name", "steps")
}

// JSONSchema of a request.
func (Request) JSONSchema(r *exercises.Reflector) schema {
	kv := mapOf(r.Ref(Template{}), nil)
	s := object(schema{
		"method":     described(exercises.Pattern(tokenRE.String()), "default GET"),
		"path":       described(r.Ref(Template{}), "starts with /; may carry a raw query string"),
		"query":      kv,
		"headers":    mapOf(r.Ref(Template{}), exercises.Pattern(tokenRE.String())),
		"json":       described(r.Ref(Value{}), "any YAML value, sent as JSON"),
		"body":       described(r.Ref(Template{}), "a raw body"),
		"form":       kv,
		"no_cookies": schema{"type": "boolean"},
		"timeout":    r.Ref(exercises.Duration(0)),
	}, "path")
	s["not"] = schema{"anyOf": []any{
		schema{"required": []string{"json", "body"}},
		schema{"required": []string{"json", "form"}},
		schema{"required": []string{"body", "form"}},
	}}
	return s
}

// JSONSchema: a template is text; numbers and booleans are read as text.
func (Template) JSONSchema(*exercises.Reflector) schema {
	return described(schema{"type": []string{"string", "number", "boolean"}},
		"text, a Go text/template: {{ .var }}, {{ randInt 1 9 }}, {{ .env.NAME }}")
}

// JSONSchema: a value is any YAML value whose strings are templates.
func (Value) JSONSchema(*exercises.Reflector) schema {
	return schema{"description": "any YAML value; its strings are templates"}
}

// JSONSchema of an expect.
func (Expect) JSONSchema(r *exercises.Reflector) schema {
	code := schema{"type": "integer", "minimum": 100, "maximum": 599}
	s := object(schema{
		"status": described(schema{"anyOf": []any{code, schema{"type": "array", "minItems": 1, "items": code}}},
			"a status code or a list of acceptable ones"),
		"headers":      described(mapOf(r.Ref(Matcher{}), exercises.Pattern(tokenRE.String())), "names are case-insensitive"),
		"json":         described(mapOf(r.Ref(Matcher{}), jsonPathName()), "JSONPath (RFC 9535) -> matcher"),
		"body":         described(r.Ref(Matcher{}), "the raw body text"),
		"schema":       described(schema{"type": []string{"object", "boolean"}}, "a JSON Schema (2020-12) the body must satisfy"),
		"cookies":      mapOf(r.Ref(CookieCheck{}), nil),
		"max_duration": r.Ref(exercises.Duration(0)),
		"min_duration": r.Ref(exercises.Duration(0)),
		"refused": described(schema{"type": "boolean"},
			"the request goes out on a new connection and must get no HTTP response (refused, reset or closed); no other keys"),
	})
	s["minProperties"] = 1
	return s
}

// JSONSchema of a matcher: a map of matcher keys, or a scalar or list
// meaning equals.
func (Matcher) JSONSchema(r *exercises.Reflector) schema {
	props := schema{}
	for _, k := range matcherKeys {
		props[k.name] = k.schema(r)
	}
	m := object(props)
	m["minProperties"] = 1
	m["not"] = schema{"required": []string{"exists", "absent"}}
	return described(schema{"anyOf": []any{
		described(schema{"type": []string{"string", "number", "boolean", "null", "array"}}, "shorthand for equals"),
		m,
	}}, "a matcher (several keys must all hold), or a scalar or list meaning equals")
}

// JSONSchema of a cookie check.
func (CookieCheck) JSONSchema(r *exercises.Reflector) schema {
	return object(schema{
		"exists":    schema{"type": "boolean"},
		"value":     r.Ref(Matcher{}),
		"http_only": schema{"type": "boolean"},
		"secure":    schema{"type": "boolean"},
		"path":      schema{"type": "string"},
		"same_site": schema{"anyOf": []any{schema{"type": "string"}, schema{"type": "array", "items": schema{"type": "string"}}}},
		"expired":   schema{"type": "boolean"},
	})
}

// JSONSchema of a step's captures: name -> source.
func (captureList) JSONSchema(r *exercises.Reflector) schema {
	return mapOf(r.Ref(Capture{}), identName())
}

// JSONSchema of one capture: exactly one source.
func (Capture) JSONSchema(*exercises.Reflector) schema {
	s := object(schema{
		"json":   described(exercises.Pattern(`^\$`), "a JSONPath; keeps the JSON type"),
		"header": schema{"type": "string"},
		"cookie": schema{"type": "string"},
		"regex":  described(schema{"type": "string"}, "group 1 is captured"),
		"from":   exercises.Pattern(`^(body|header:.+)$`),
	})
	var one []any
	for _, k := range []string{"json", "header", "cookie", "regex"} {
		one = append(one, schema{"required": []string{k}})
	}
	s["oneOf"] = one
	s["dependencies"] = schema{"from": []string{"regex"}}
	return s
}
