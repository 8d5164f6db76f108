package grader

import (
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// Matcher is one expectation on a value (a JSON path, a header, the body).
// Every key given must hold; a scalar or a list is shorthand for equals.
type Matcher struct {
	equals       *Value
	notEquals    *Value
	oneOf        []*Value
	types        []string
	exists       *bool
	contains     *Value
	notContains  *Value
	regex        *pattern
	length       *int
	minLength    *int
	maxLength    *int
	gt, gte      *big.Rat
	lt, lte      *big.Rat
	unique       bool
	mediaType    string
	listContains []string
	listOnly     []string
}

// pattern is a regular expression that may itself be a template; a
// constant one is compiled at load time.
type pattern struct {
	src *Template
	re  *regexp.Regexp
}

func parsePattern(node *yaml.Node) (*pattern, error) {
	t, err := parseTemplate(node)
	if err != nil {
		return nil, err
	}
	p := &pattern{src: t}
	if t.isConst() {
		if p.re, err = regexp.Compile(t.src); err != nil {
			return nil, exercises.Errorf(node, "bad regex %q: %v", t.src, stripRegexpPrefix(err))
		}
	}
	return p, nil
}

func stripRegexpPrefix(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

func (p *pattern) compile(r *renderer, data map[string]any) (*regexp.Regexp, error) {
	if p.re != nil {
		return p.re, nil
	}
	src, err := p.src.text(r, data)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("bad regex %q: %s", src, stripRegexpPrefix(err))
	}
	return re, nil
}

var jsonTypes = map[string]bool{"string": true, "number": true, "integer": true, "boolean": true, "null": true, "array": true, "object": true}

// UnmarshalYAML reads a matcher map, or a scalar or list meaning equals.
func (m *Matcher) UnmarshalYAML(node *yaml.Node) error {
	for node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if node.Kind != yaml.MappingNode {
		m.equals = &Value{}
		return m.equals.UnmarshalYAML(node)
	}
	if len(node.Content) == 0 {
		return exercises.Errorf(node, "empty matcher: give at least one of %s", matcherKeyNames())
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if seen[k.Value] {
			return exercises.Errorf(k, "%q is given twice", k.Value)
		}
		seen[k.Value] = true
		if err := m.decodeKey(k, v); err != nil {
			return err
		}
	}
	if seen["exists"] && seen["absent"] {
		return exercises.Errorf(node, "give exists or absent, not both")
	}
	return nil
}

// matcherKey is one key of a matcher map: how its value decodes into the
// matcher and what YAML it accepts. matcherKeys is the one list of them;
// the decoder, its messages and the JSON Schema read it.
type matcherKey struct {
	name   string
	decode func(m *Matcher, k, v *yaml.Node) error
	schema func(r *exercises.Reflector) schema
}

// matcherKeys in the order messages list them. The checks run in an order
// of their own (Matcher.match), whatever order a suite writes them in.
var matcherKeys = []matcherKey{
	{"equals", valueKey(func(m *Matcher) **Value { return &m.equals }),
		func(r *exercises.Reflector) schema {
			return described(r.Ref(Value{}), "deep-equals (numbers by value)")
		}},
	{"not_equals", valueKey(func(m *Matcher) **Value { return &m.notEquals }), refSchema(Value{})},
	{"one_of", decodeOneOf,
		func(r *exercises.Reflector) schema {
			return schema{"type": "array", "minItems": 1, "items": r.Ref(Value{})}
		}},
	{"type", decodeType, func(*exercises.Reflector) schema {
		types := "(string|number|integer|boolean|null|array|object)"
		return schema{"anyOf": []any{exercises.Pattern("^ *" + types + "( *\\| *" + types + ")* *$"), schema{"type": "null"}}}
	}},
	{"exists", decodeExists, fixedSchema(schema{"type": "boolean"})},
	{"absent", decodeExists, fixedSchema(schema{"const": true})},
	{"contains", valueKey(func(m *Matcher) **Value { return &m.contains }), refSchema(Value{})},
	{"not_contains", valueKey(func(m *Matcher) **Value { return &m.notContains }), refSchema(Value{})},
	{"regex", decodeRegex,
		func(r *exercises.Reflector) schema { return described(r.Ref(Template{}), "Go RE2 syntax") }},
	{"length", countKey(func(m *Matcher) **int { return &m.length }), countSchema},
	{"min_length", countKey(func(m *Matcher) **int { return &m.minLength }), countSchema},
	{"max_length", countKey(func(m *Matcher) **int { return &m.maxLength }), countSchema},
	{"gt", boundKey(func(m *Matcher) **big.Rat { return &m.gt }), fixedSchema(schema{"type": "number"})},
	{"gte", boundKey(func(m *Matcher) **big.Rat { return &m.gte }), fixedSchema(schema{"type": "number"})},
	{"lt", boundKey(func(m *Matcher) **big.Rat { return &m.lt }), fixedSchema(schema{"type": "number"})},
	{"lte", boundKey(func(m *Matcher) **big.Rat { return &m.lte }), fixedSchema(schema{"type": "number"})},
	{"unique", func(m *Matcher, _, v *yaml.Node) error { return exercises.DecodeNode(v, &m.unique) },
		fixedSchema(schema{"type": "boolean"})},
	{"media_type", func(m *Matcher, _, v *yaml.Node) error { return exercises.DecodeNode(v, &m.mediaType) },
		fixedSchema(schema{"type": "string"})},
	{"list_contains", listKey(func(m *Matcher) *[]string { return &m.listContains }), stringsSchema},
	{"list_only", listKey(func(m *Matcher) *[]string { return &m.listOnly }), stringsSchema},
}

func matcherKeyNames() string {
	names := make([]string, len(matcherKeys))
	for i, k := range matcherKeys {
		names[i] = k.name
	}
	return strings.Join(names, ", ")
}

func (m *Matcher) decodeKey(k, v *yaml.Node) error {
	for _, mk := range matcherKeys {
		if mk.name == k.Value {
			return mk.decode(m, k, v)
		}
	}
	return exercises.Errorf(k, "unknown matcher %q (known: %s)", k.Value, matcherKeyNames())
}

func valueKey(field func(*Matcher) **Value) func(*Matcher, *yaml.Node, *yaml.Node) error {
	return func(m *Matcher, _, v *yaml.Node) error {
		val := &Value{}
		if err := val.UnmarshalYAML(v); err != nil {
			return err
		}
		*field(m) = val
		return nil
	}
}

func decodeOneOf(m *Matcher, _, v *yaml.Node) error {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		return exercises.Errorf(v, "one_of needs a non-empty list")
	}
	for _, c := range v.Content {
		val := &Value{}
		if err := val.UnmarshalYAML(c); err != nil {
			return err
		}
		m.oneOf = append(m.oneOf, val)
	}
	return nil
}

func decodeType(m *Matcher, _, v *yaml.Node) error {
	s := "null" // `type: null` is YAML's null, not the text
	if v.ShortTag() != "!!null" {
		if err := exercises.DecodeNode(v, &s); err != nil {
			return err
		}
	}
	for _, t := range strings.Split(s, "|") {
		t = strings.TrimSpace(t)
		if !jsonTypes[t] {
			return exercises.Errorf(v, "unknown type %q (known: string, number, integer, boolean, null, array, object)", t)
		}
		m.types = append(m.types, t)
	}
	return nil
}

// decodeExists reads exists: BOOL and absent: true, which is exists: false.
func decodeExists(m *Matcher, k, v *yaml.Node) error {
	var b bool
	if err := exercises.DecodeNode(v, &b); err != nil {
		return err
	}
	if k.Value == "absent" {
		if !b {
			return exercises.Errorf(v, "absent: false means nothing; use exists: true")
		}
		b = false
	}
	m.exists = &b
	return nil
}

func decodeRegex(m *Matcher, _, v *yaml.Node) error {
	p, err := parsePattern(v)
	if err != nil {
		return err
	}
	m.regex = p
	return nil
}

func countKey(field func(*Matcher) **int) func(*Matcher, *yaml.Node, *yaml.Node) error {
	return func(m *Matcher, k, v *yaml.Node) error {
		n := new(int)
		if err := exercises.DecodeNode(v, n); err != nil {
			return err
		}
		if *n < 0 {
			return exercises.Errorf(v, "%s must not be negative", k.Value)
		}
		*field(m) = n
		return nil
	}
}

func boundKey(field func(*Matcher) **big.Rat) func(*Matcher, *yaml.Node, *yaml.Node) error {
	return func(m *Matcher, k, v *yaml.Node) error {
		r, ok := new(big.Rat).SetString(v.Value)
		if v.Kind != yaml.ScalarNode || !ok {
			return exercises.Errorf(v, "%s needs a number, got %q", k.Value, v.Value)
		}
		*field(m) = r
		return nil
	}
}

func listKey(field func(*Matcher) *[]string) func(*Matcher, *yaml.Node, *yaml.Node) error {
	return func(m *Matcher, _, v *yaml.Node) error {
		var l []string
		if err := exercises.DecodeNode(v, &l); err != nil {
			return err
		}
		*field(m) = l
		return nil
	}
}

func refSchema(v any) func(*exercises.Reflector) schema {
	return func(r *exercises.Reflector) schema { return r.Ref(v) }
}

func fixedSchema(s schema) func(*exercises.Reflector) schema {
	return func(*exercises.Reflector) schema { return maps.Clone(s) } // a copy: a caller may add to it
}

func countSchema(*exercises.Reflector) schema { return schema{"type": "integer", "minimum": 0} }

func stringsSchema(*exercises.Reflector) schema {
	return schema{"type": "array", "items": schema{"type": "string"}}
}

// mismatch is a failed matcher: both sides are filled and specific.
type mismatch struct {
	expected string
	actual   string
	diff     string
}

// subject is the value a matcher looks at.
type subject struct {
	value   any
	present bool
	header  bool // header values are strings that may hold numbers or lists
}

// match checks every key of m against s; the first that fails is returned.
func (m *Matcher) match(r *renderer, data map[string]any, s subject) (*mismatch, error) {
	if m.exists != nil {
		if *m.exists && !s.present {
			return &mismatch{expected: "present", actual: "missing"}, nil
		}
		if !*m.exists && s.present {
			return &mismatch{expected: "absent", actual: show(s.value)}, nil
		}
	}
	if !s.present {
		if m.exists != nil && !*m.exists {
			return nil, nil
		}
		want, err := m.describeFirst(r, data)
		if err != nil {
			return nil, err
		}
		return &mismatch{expected: want, actual: "missing"}, nil
	}
	for _, check := range []func(*renderer, map[string]any, subject) (*mismatch, error){
		m.checkType, m.checkEquals, m.checkContains, m.checkRegex, m.checkLength,
		m.checkRange, m.checkUnique, m.checkMediaType, m.checkLists,
	} {
		mm, err := check(r, data, s)
		if mm != nil || err != nil {
			return mm, err
		}
	}
	return nil, nil
}

// describeFirst says what m wants, for a value that is missing.
func (m *Matcher) describeFirst(r *renderer, data map[string]any) (string, error) {
	switch {
	case len(m.types) > 0:
		return "type " + strings.Join(m.types, "|"), nil
	case m.equals != nil:
		v, err := m.equals.render(r, data)
		return show(v), err
	case m.contains != nil:
		v, err := m.contains.render(r, data)
		return "contains " + show(v), err
	case m.regex != nil:
		return "a value matching /" + m.regex.src.src + "/", nil
	case m.mediaType != "":
		return "media type " + m.mediaType, nil
	case len(m.oneOf) > 0:
		return "one of the listed values", nil
	case m.length != nil:
		return fmt.Sprintf("length %d", *m.length), nil
	case m.gt != nil || m.gte != nil || m.lt != nil || m.lte != nil:
		return "a number in range", nil
	case m.listContains != nil:
		return "a list containing " + strings.Join(m.listContains, ", "), nil
	}
	return "present", nil
}

func (m *Matcher) checkType(_ *renderer, _ map[string]any, s subject) (*mismatch, error) {
	if len(m.types) == 0 {
		return nil, nil
	}
	got := jsonType(s.value)
	for _, t := range m.types {
		if t == got || (t == "number" && got == "integer") {
			return nil, nil
		}
	}
	return &mismatch{expected: "type " + strings.Join(m.types, "|"), actual: fmt.Sprintf("%s (%s)", show(s.value), got)}, nil
}

func (m *Matcher) checkEquals(r *renderer, data map[string]any, s subject) (*mismatch, error) {
	if m.equals != nil {
		want, err := m.equals.render(r, data)
		if err != nil {
			return nil, err
		}
		if !equal(want, s.value) {
			return &mismatch{expected: show(want), actual: show(s.value), diff: jsonDiff(want, s.value)}, nil
		}
	}
	if m.notEquals != nil {
		bad, err := m.notEquals.render(r, data)
		if err != nil {
			return nil, err
		}
		if equal(bad, s.value) {
			return &mismatch{expected: "not " + show(bad), actual: show(s.value)}, nil
		}
	}
	if len(m.oneOf) > 0 {
		alts := make([]string, len(m.oneOf))
		for i, v := range m.oneOf {
			want, err := v.render(r, data)
			if err != nil {
				return nil, err
			}
			if equal(want, s.value) {
				return nil, nil
			}
			alts[i] = show(want)
		}
		return &mismatch{expected: "one of " + strings.Join(alts, ", "), actual: show(s.value)}, nil
	}
	return nil, nil
}

func (m *Matcher) checkContains(r *renderer, data map[string]any, s subject) (*mismatch, error) {
	for _, c := range []struct {
		v    *Value
		want bool
	}{{m.contains, true}, {m.notContains, false}} {
		if c.v == nil {
			continue
		}
		needle, err := c.v.render(r, data)
		if err != nil {
			return nil, err
		}
		has, ok := contains(s.value, needle)
		if !ok {
			return &mismatch{expected: "a string, array or object containing " + show(needle), actual: fmt.Sprintf("%s (%s)", show(s.value), jsonType(s.value))}, nil
		}
		if has != c.want {
			word := "contains "
			if !c.want {
				word = "does not contain "
			}
			return &mismatch{expected: word + show(needle), actual: show(s.value)}, nil
		}
	}
	return nil, nil
}

// contains reports whether hay holds needle; ok is false when hay's type
// cannot hold anything.
func contains(hay, needle any) (has, ok bool) {
	switch h := hay.(type) {
	case string:
		n, isStr := needle.(string)
		if !isStr {
			n = compactJSON(needle)
		}
		return strings.Contains(h, n), true
	case []any:
		for _, e := range h {
			if equal(e, needle) {
				return true, true
			}
		}
		return false, true
	case map[string]any:
		n, isMap := needle.(map[string]any)
		if !isMap {
			// A string needle asks for a key.
			k, isStr := needle.(string)
			_, found := h[k]
			return isStr && found, true
		}
		for k, v := range n {
			if hv, found := h[k]; !found || !equal(hv, v) {
				return false, true
			}
		}
		return true, true
	}
	return false, false
}

func (m *Matcher) checkRegex(r *renderer, data map[string]any, s subject) (*mismatch, error) {
	if m.regex == nil {
		return nil, nil
	}
	re, err := m.regex.compile(r, data)
	if err != nil {
		return nil, err
	}
	str, ok := s.value.(string)
	if !ok || !re.MatchString(str) {
		return &mismatch{expected: regexExpectation("a string", re), actual: show(s.value)}, nil
	}
	return nil, nil
}

func size(x any) (int, bool) {
	switch x := x.(type) {
	case string:
		return utf8.RuneCountInString(x), true
	case []any:
		return len(x), true
	case map[string]any:
		return len(x), true
	}
	return 0, false
}

func (m *Matcher) checkLength(_ *renderer, _ map[string]any, s subject) (*mismatch, error) {
	if m.length == nil && m.minLength == nil && m.maxLength == nil {
		return nil, nil
	}
	n, ok := size(s.value)
	actual := fmt.Sprintf("length %d: %s", n, show(s.value))
	if !ok {
		actual = fmt.Sprintf("%s (%s, which has no length)", show(s.value), jsonType(s.value))
	}
	switch {
	case m.length != nil && (!ok || n != *m.length):
		return &mismatch{expected: fmt.Sprintf("length %d", *m.length), actual: actual}, nil
	case m.minLength != nil && (!ok || n < *m.minLength):
		return &mismatch{expected: fmt.Sprintf("length at least %d", *m.minLength), actual: actual}, nil
	case m.maxLength != nil && (!ok || n > *m.maxLength):
		return &mismatch{expected: fmt.Sprintf("length at most %d", *m.maxLength), actual: actual}, nil
	}
	return nil, nil
}

func (m *Matcher) checkRange(_ *renderer, _ map[string]any, s subject) (*mismatch, error) {
	bounds := []struct {
		r    *big.Rat
		op   string
		okFn func(int) bool
	}{
		{m.gt, ">", func(c int) bool { return c > 0 }},
		{m.gte, ">=", func(c int) bool { return c >= 0 }},
		{m.lt, "<", func(c int) bool { return c < 0 }},
		{m.lte, "<=", func(c int) bool { return c <= 0 }},
	}
	val, isNum := number(s.value)
	if str, ok := s.value.(string); ok && s.header {
		// Headers such as RateLimit-Remaining carry numbers as text.
		val, isNum = new(big.Rat).SetString(strings.TrimSpace(str))
	}
	for _, b := range bounds {
		if b.r == nil {
			continue
		}
		want := fmt.Sprintf("a number %s %s", b.op, b.r.RatString())
		if !isNum {
			return &mismatch{expected: want, actual: fmt.Sprintf("%s (%s)", show(s.value), jsonType(s.value))}, nil
		}
		if !b.okFn(val.Cmp(b.r)) {
			return &mismatch{expected: want, actual: show(s.value)}, nil
		}
	}
	return nil, nil
}

func (m *Matcher) checkUnique(_ *renderer, _ map[string]any, s subject) (*mismatch, error) {
	if !m.unique {
		return nil, nil
	}
	arr, ok := s.value.([]any)
	if !ok {
		return &mismatch{expected: "an array with no duplicates", actual: fmt.Sprintf("%s (%s)", show(s.value), jsonType(s.value))}, nil
	}
	for i := range arr {
		for j := i + 1; j < len(arr); j++ {
			if equal(arr[i], arr[j]) {
				return &mismatch{expected: "an array with no duplicates", actual: fmt.Sprintf("%s at positions %d and %d in %s", show(arr[i]), i, j, show(s.value))}, nil
			}
		}
	}
	return nil, nil
}

func (m *Matcher) checkMediaType(_ *renderer, _ map[string]any, s subject) (*mismatch, error) {
	if m.mediaType == "" {
		return nil, nil
	}
	str, _ := s.value.(string)
	mt, _, _ := strings.Cut(str, ";")
	if !strings.EqualFold(strings.TrimSpace(mt), m.mediaType) {
		return &mismatch{expected: "media type " + m.mediaType, actual: show(s.value)}, nil
	}
	return nil, nil
}

// headerList splits a comma-separated header into its members.
func headerList(v any) []string {
	str, _ := v.(string)
	var out []string
	for _, p := range strings.Split(str, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (m *Matcher) checkLists(_ *renderer, _ map[string]any, s subject) (*mismatch, error) {
	if m.listContains == nil && m.listOnly == nil {
		return nil, nil
	}
	have := headerList(s.value)
	in := func(x string, set []string) bool {
		for _, y := range set {
			if strings.EqualFold(x, y) {
				return true
			}
		}
		return false
	}
	for _, want := range m.listContains {
		if !in(want, have) {
			return &mismatch{expected: "a list containing " + strings.Join(m.listContains, ", "), actual: fmt.Sprintf("%s (no %s)", show(s.value), want)}, nil
		}
	}
	if m.listOnly != nil {
		for _, got := range have {
			if !in(got, m.listOnly) {
				return &mismatch{expected: "a list of only " + strings.Join(m.listOnly, ", "), actual: fmt.Sprintf("%s (%s is not allowed)", show(s.value), got)}, nil
			}
		}
	}
	return nil, nil
}

// describe says in a few words what m wants.
func (m *Matcher) describe(r *renderer, data map[string]any) (string, error) {
	if m.equals != nil {
		v, err := m.equals.render(r, data)
		return "= " + show(v), err
	}
	if m.exists != nil && !*m.exists {
		return "absent", nil
	}
	return m.describeFirst(r, data)
}
