package grader

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// Value is a YAML value from a suite whose strings are templates. It is
// rendered at run time into the JSON-shaped Go values the grader compares
// (nil, bool, json.Number, string, []any, map[string]any).
type Value struct {
	kind   valueKind
	scalar any // nil, bool or json.Number for kindScalar
	str    *Template
	list   []*Value
	keys   []string
	vals   []*Value
}

type valueKind int

const (
	kindScalar valueKind = iota
	kindString
	kindList
	kindMap
)

// Limits on a YAML value: aliases can make a small file a deep or huge
// tree (or a cycle), and a suite never needs either.
const (
	maxValueDepth = 64
	maxValueNodes = 100_000
)

// UnmarshalYAML keeps the YAML type of every scalar, so `completed: false`
// sends a boolean and `"false"` a string.
func (v *Value) UnmarshalYAML(node *yaml.Node) error {
	budget := maxValueNodes
	return v.decode(node, 0, &budget)
}

func (v *Value) decode(node *yaml.Node, depth int, budget *int) error {
	if depth > maxValueDepth {
		return exercises.Errorf(node, "value nested more than %d levels deep", maxValueDepth)
	}
	if *budget--; *budget < 0 {
		return exercises.Errorf(node, "value has more than %d parts", maxValueNodes)
	}
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		return v.decode(node.Alias, depth+1, budget)
	}
	switch node.Kind {
	case yaml.SequenceNode:
		v.kind = kindList
		v.list = make([]*Value, len(node.Content))
		for i, c := range node.Content {
			v.list[i] = &Value{}
			if err := v.list[i].decode(c, depth+1, budget); err != nil {
				return err
			}
		}
		return nil
	case yaml.MappingNode:
		v.kind = kindMap
		seen := map[string]bool{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k := node.Content[i]
			if k.Kind != yaml.ScalarNode {
				return exercises.Errorf(k, "a map key must be a plain string")
			}
			if seen[k.Value] {
				return exercises.Errorf(k, "%q is given twice", k.Value)
			}
			seen[k.Value] = true
			val := &Value{}
			if err := val.decode(node.Content[i+1], depth+1, budget); err != nil {
				return err
			}
			v.keys = append(v.keys, k.Value)
			v.vals = append(v.vals, val)
		}
		return nil
	case yaml.ScalarNode:
		return v.scalarFrom(node)
	}
	return exercises.Errorf(node, "unsupported YAML value")
}

func (v *Value) scalarFrom(node *yaml.Node) error {
	switch node.ShortTag() {
	case "!!null":
		v.kind, v.scalar = kindScalar, nil
	case "!!bool":
		var b bool
		if err := node.Decode(&b); err != nil {
			return exercises.Errorf(node, "bad boolean %q", node.Value)
		}
		v.kind, v.scalar = kindScalar, b
	case "!!int":
		var n int64
		if err := node.Decode(&n); err != nil {
			return exercises.Errorf(node, "bad integer %q: %v", node.Value, err)
		}
		v.kind, v.scalar = kindScalar, json.Number(strconv.FormatInt(n, 10))
	case "!!float":
		var f float64
		if err := node.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return exercises.Errorf(node, "bad number %q: JSON has no infinities or NaN", node.Value)
		}
		v.kind, v.scalar = kindScalar, json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	default:
		t, err := parseTemplate(node)
		if err != nil {
			return err
		}
		v.kind, v.str = kindString, t
	}
	return nil
}

// literal makes a Value from a plain Go value (used for tests and defaults).
func literal(x any) *Value {
	switch x := x.(type) {
	case string:
		return &Value{kind: kindString, str: &Template{src: x}}
	default:
		return &Value{kind: kindScalar, scalar: normalize(x)}
	}
}

// render evaluates every template in v. A string that is exactly one
// action naming a variable keeps that variable's type.
func (v *Value) render(r *renderer, data map[string]any) (any, error) {
	switch v.kind {
	case kindScalar:
		return v.scalar, nil
	case kindString:
		return v.str.value(r, data)
	case kindList:
		out := make([]any, len(v.list))
		for i, e := range v.list {
			x, err := e.render(r, data)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	default:
		out := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			x, err := v.vals[i].render(r, data)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	}
}

// normalize turns any Go value built from JSON, YAML or template functions
// into the JSON shape the matchers compare: numbers become json.Number,
// maps map[string]any and slices []any.
func normalize(x any) any {
	switch x := x.(type) {
	case nil, bool, string, json.Number:
		return x
	case int:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	// Anything else (other number types, typed maps) goes through JSON.
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	out, err := decodeJSON(b)
	if err != nil {
		return fmt.Sprint(x)
	}
	return out
}

// decodeJSON decodes one JSON document keeping numbers exact.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

// number returns x as an exact rational when it is a JSON number.
func number(x any) (*big.Rat, bool) {
	var s string
	switch x := x.(type) {
	case json.Number:
		s = string(x)
	case int, int64, float64, int32, uint, uint64, float32:
		s = string(normalize(x).(json.Number))
	default:
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// equal is deep equality where numbers compare by value (1 equals 1.0).
func equal(a, b any) bool {
	if ra, ok := number(a); ok {
		rb, ok := number(b)
		return ok && ra.Cmp(rb) == 0
	}
	switch a := a.(type) {
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, av := range a {
			bv, ok := b[k]
			if !ok || !equal(av, bv) {
				return false
			}
		}
		return true
	}
	if _, ok := number(b); ok {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// jsonType names x's JSON type; an integer-valued number is "integer".
func jsonType(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	if r, ok := number(x); ok {
		if r.IsInt() {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", x)
}

// show renders x compactly for a failure message.
func show(x any) string {
	s := compactJSON(x)
	return clip(s, 200)
}

func compactJSON(x any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return fmt.Sprint(x)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func prettyJSON(x any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(x); err != nil {
		return fmt.Sprint(x)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// clip shortens s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
