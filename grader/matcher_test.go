package grader

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func parseMatcher(t *testing.T, src string) *Matcher {
	t.Helper()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(src), &doc))
	m := &Matcher{}
	require.NoError(t, m.UnmarshalYAML(doc.Content[0]))
	return m
}

func TestMatchers(t *testing.T) {
	t.Parallel()
	const missing = "<missing>"
	tests := []struct {
		name    string
		matcher string
		actual  string // JSON text, or missing
		header  bool
		ok      bool
		exp     string // substring of expected, on failure
		act     string // substring of actual, on failure
	}{
		{"equals shorthand pass", `ok`, `"ok"`, false, true, "", ""},
		{"equals shorthand fail", `ok`, `"nope"`, false, false, `"ok"`, `"nope"`},
		{"equals number by value", `{equals: 1}`, `1.0`, false, true, "", ""},
		{"equals number vs string", `{equals: 1}`, `"1"`, false, false, `1`, `"1"`},
		{"equals list shorthand", `[a, b]`, `["a","b"]`, false, true, "", ""},
		{"equals object fail has diff", `{equals: {a: 1, b: [1, 2]}}`, `{"a":1,"b":[1,3]}`, false, false, `{"a":1,"b":[1,2]}`, `{"a":1,"b":[1,3]}`},
		{"equals null", `{equals: null}`, `null`, false, true, "", ""},
		{"not_equals pass", `{not_equals: 0}`, `1`, false, true, "", ""},
		{"not_equals fail", `{not_equals: 0}`, `0`, false, false, "not 0", "0"},
		{"one_of pass", `{one_of: [a, b]}`, `"b"`, false, true, "", ""},
		{"one_of fail", `{one_of: [a, b]}`, `"c"`, false, false, `one of "a", "b"`, `"c"`},
		{"type alternatives pass", `{type: "string|integer"}`, `7`, false, true, "", ""},
		{"type integer fail on float", `{type: integer}`, `7.5`, false, false, "type integer", "7.5 (number)"},
		{"type number accepts integer", `{type: number}`, `7`, false, true, "", ""},
		{"type fail names actual type", `{type: string}`, `null`, false, false, "type string", "null (null)"},
		{"exists pass", `{exists: true}`, `false`, false, true, "", ""},
		{"exists fail", `{exists: true}`, missing, false, false, "present", "missing"},
		{"exists false pass", `{exists: false}`, missing, false, true, "", ""},
		{"absent fail", `{absent: true}`, `"x"`, false, false, "absent", `"x"`},
		{"missing value", `{type: string}`, missing, false, false, "type string", "missing"},
		{"contains string pass", `{contains: ell}`, `"hello"`, false, true, "", ""},
		{"contains string fail", `{contains: xyz}`, `"hello"`, false, false, `contains "xyz"`, `"hello"`},
		{"contains array pass", `{contains: 2}`, `[1,2,3]`, false, true, "", ""},
		{"contains array fail", `{contains: 9}`, `[1,2,3]`, false, false, "contains 9", "[1,2,3]"},
		{"contains object pass", `{contains: {a: 1}}`, `{"a":1,"b":2}`, false, true, "", ""},
		{"contains object fail", `{contains: {a: 2}}`, `{"a":1}`, false, false, `contains {"a":2}`, `{"a":1}`},
		{"contains wrong type", `{contains: a}`, `5`, false, false, "containing", "5 (integer)"},
		{"not_contains pass", `{not_contains: stack}`, `"boom"`, false, true, "", ""},
		{"not_contains fail", `{not_contains: at /app}`, `"Error at /app/x.js"`, false, false, `does not contain "at /app"`, `Error at`},
		{"regex pass", `{regex: "^/todos/[^/]+$"}`, `"/todos/5"`, false, true, "", ""},
		{"regex fail", `{regex: "^/todos/[0-9]+$"}`, `"/todo/5"`, false, false, "matching /^/todos/[0-9]+$/", `"/todo/5"`},
		{"regex on number fails", `{regex: "1"}`, `1`, false, false, "a string matching", "1"},
		{"length string code points", `{length: 3}`, `"héé"`, false, true, "", ""},
		{"length array fail", `{length: 2}`, `[1]`, false, false, "length 2", "length 1"},
		{"min_length fail", `{min_length: 1}`, `""`, false, false, "length at least 1", "length 0"},
		{"max_length pass", `{max_length: 2}`, `{"a":1}`, false, true, "", ""},
		{"max_length fail", `{max_length: 2}`, `"abc"`, false, false, "length at most 2", "length 3"},
		{"length of number", `{length: 1}`, `5`, false, false, "length 1", "which has no length"},
		{"gt pass", `{gt: 0}`, `0.5`, false, true, "", ""},
		{"gt fail", `{gt: 0}`, `0`, false, false, "a number > 0", "0"},
		{"gte lte pass", `{gte: 1, lte: 60}`, `60`, false, true, "", ""},
		{"lte fail", `{lte: 60}`, `61`, false, false, "a number <= 60", "61"},
		{"lt on string fails", `{lt: 5}`, `"3"`, false, false, "a number < 5", `"3" (string)`},
		{"gte on numeric header", `{gte: 1}`, `"3"`, true, true, "", ""},
		{"unique pass", `{unique: true}`, `[1,2,"1"]`, false, true, "", ""},
		{"unique fail", `{unique: true}`, `[1,2,1.0]`, false, false, "no duplicates", "positions 0 and 2"},
		{"media_type pass", `{media_type: application/json}`, `"Application/JSON; charset=utf-8"`, true, true, "", ""},
		{"media_type fail", `{media_type: application/json}`, `"text/html"`, true, false, "media type application/json", `"text/html"`},
		{"list_contains pass", `{list_contains: [get, POST]}`, `"GET, POST, HEAD"`, true, true, "", ""},
		{"list_contains fail", `{list_contains: [GET, DELETE]}`, `"GET, POST"`, true, false, "a list containing GET, DELETE", "no DELETE"},
		{"list_only pass", `{list_only: [GET, POST, HEAD]}`, `"GET,POST"`, true, true, "", ""},
		{"list_only fail", `{list_only: [GET]}`, `"GET, PUT"`, true, false, "a list of only GET", "PUT is not allowed"},
		{"several keys all hold", `{type: string, min_length: 1, regex: "^a"}`, `"abc"`, false, true, "", ""},
		{"several keys one fails", `{type: string, min_length: 5}`, `"abc"`, false, false, "length at least 5", "length 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := parseMatcher(t, tt.matcher)
			s := subject{present: tt.actual != missing, header: tt.header}
			if s.present {
				v, err := decodeJSON([]byte(tt.actual))
				require.NoError(t, err)
				s.value = v
			}
			mm, err := m.match(newRenderer(1), map[string]any{}, s)
			require.NoError(t, err)
			if tt.ok {
				assert.Nil(t, mm)
				return
			}
			require.NotNil(t, mm, "matcher should fail")
			assert.Contains(t, mm.expected, tt.exp)
			assert.Contains(t, mm.actual, tt.act)
			assert.NotEmpty(t, mm.expected)
			assert.NotEmpty(t, mm.actual)
		})
	}
}

func TestEqualsDiff(t *testing.T) {
	t.Parallel()
	m := parseMatcher(t, `{equals: {id: 1, title: a}}`)
	v, _ := decodeJSON([]byte(`{"id":1,"title":"b"}`))
	mm, err := m.match(newRenderer(1), nil, subject{value: v, present: true})
	require.NoError(t, err)
	require.NotNil(t, mm)
	assert.Equal(t, "  ...\n    \"id\": 1,\n-   \"title\": \"a\"\n+   \"title\": \"b\"\n  }", mm.diff)
}

// The type-preserving rule: "{{ .id }}" equals the captured number.
func TestEqualsKeepsVariableType(t *testing.T) {
	t.Parallel()
	m := parseMatcher(t, `"{{ .id }}"`)
	data := map[string]any{"id": normalize(42)}
	mm, err := m.match(newRenderer(1), data, subject{value: normalize(42.0), present: true})
	require.NoError(t, err)
	assert.Nil(t, mm)
	m = parseMatcher(t, `"id-{{ .id }}"`)
	mm, err = m.match(newRenderer(1), data, subject{value: "id-42", present: true})
	require.NoError(t, err)
	assert.Nil(t, mm)
}
