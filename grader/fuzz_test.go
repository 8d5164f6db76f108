package grader

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseSuite checks that no input makes the decoder panic: a broken
// suite must always come back as an error.
func FuzzParseSuite(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "valid.yaml")); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"tests: []",
		"- 1",
		"tests:\n  - id: a\n    name: x\n    steps: [{exit: {}}]\n",
		"tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: '/{{ .id '}\n        expect: {status: 200}\n",
		"tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /, json: null}\n        expect: {json: {'$.a[*]': {equals: [1]}, $.b: {type: null}}}\n",
		"tests:\n  - id: a\n    name: x\n    steps:\n      - burst: {count: 2, request: {path: /}, counts: {200: 3}}\n",
		"tests:\n  - id: a\n    name: x\n    steps:\n      - logs: {json_lines: {match: {a: {regex: '('}}}}\n",
		"tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {schema: {$ref: 'http://x/y'}}\n",
		"vars: &a {x: *a}\ntests: []\n",
		"tests:\n  - &t {id: a, name: x, steps: [{exit: }]}\n  - *t\n",
		"tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        async: s\n        expect: {status: 200}\n      - await: s\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSuite("suite.yaml", data)
		if err == nil && (s == nil || len(s.Tests) == 0) {
			t.Fatalf("no error but no tests either")
		}
	})
}

// FuzzLintSuite checks that lint, which reads the positions the decoder
// kept, never panics on a suite the decoder accepts.
func FuzzLintSuite(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "valid.yaml")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("vars: {a: &x '{{ .b }}', b: *x}\ntests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: '/{{ .c }}'}\n        async: s\n        capture: {c: {json: $.c}}\n      - await: s\n      - burst: {count: 1, request: {path: '/{{ .i }}'}, expect: {status: 200}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParseSuite("suite.yaml", data); err != nil {
			return
		}
		if s, _ := LintSuite("suite.yaml", data, map[string]string{}); s == nil {
			t.Fatalf("the suite parsed, but lint says it does not")
		}
	})
}
