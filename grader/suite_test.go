package grader

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSuiteValid(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "valid.yaml"))
	require.NoError(t, err)
	s, err := ParseSuite("valid.yaml", data)
	require.NoError(t, err)
	require.Len(t, s.Tests, 4)
	assert.Equal(t, "valid.yaml", s.File)
	assert.Equal(t, []string{"title", "n"}, []string{s.Vars[0].Name, s.Vars[1].Name})

	create := s.Tests[0]
	assert.Equal(t, "todos-create", create.ID)
	assert.Equal(t, 2.0, create.Points)
	assert.Equal(t, 30*time.Second, create.Timeout)
	assert.False(t, create.Hidden)
	req := create.Steps[0].Request
	assert.Equal(t, "POST", req.Method)
	assert.Equal(t, 10*time.Second, req.Timeout)
	assert.Equal(t, []int{201}, create.Steps[0].Expect.Status)
	assert.Len(t, create.Steps[0].Expect.JSON, 2)
	assert.Equal(t, "id", create.Steps[0].Capture[0].Name)

	assert.Equal(t, 1.0, s.Tests[1].Points, "points default to 1")
	assert.True(t, s.Tests[1].Hidden)
	assert.Equal(t, 2.0+1+1+1, s.Points())
	kinds := []string{}
	for _, st := range s.Tests[2].Steps {
		kinds = append(kinds, st.Kind())
	}
	assert.Equal(t, []string{"burst", "sleep", "logs", "burst"}, kinds)
	kinds = kinds[:0]
	for _, st := range s.Tests[3].Steps {
		kinds = append(kinds, st.Kind())
	}
	assert.Equal(t, []string{"request", "signal", "await", "exit", "restart", "request"}, kinds)
}

func TestParseSuiteErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"empty", ``, "suite.yaml: the file is empty"},
		{"not a map", `- 1`, "suite.yaml:1:1: a suite is a map with vars and tests"},
		{"no tests", "vars: {a: 1}\n", "suite.yaml:1:1: the suite has no tests"},
		{"unknown top key", "tests: []\nfoo: 1\n", `suite.yaml:2:1: unknown field "foo"`},
		{"bad id", "tests:\n  - id: Bad_ID\n    name: x\n    steps: [{sleep: 1s}]\n", `suite.yaml:2:9: bad test id "Bad_ID"`},
		{"duplicate id", "tests:\n  - id: a\n    name: x\n    steps: [{exit: {}}]\n  - id: a\n    name: y\n    steps: [{exit: {}}]\n", `suite.yaml:5:9: test id "a" is used twice (first at line 2)`},
		{"no name", "tests:\n  - id: a\n    steps: [{exit: {}}]\n", "suite.yaml:2:5: test a has no name"},
		{"no steps", "tests:\n  - id: a\n    name: x\n", "suite.yaml:2:5: test a has no steps"},
		{"unknown test key", "tests:\n  - id: a\n    name: x\n    stepz: []\n", `suite.yaml:4:5: unknown field "stepz"`},
		{"asserts nothing", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n", "suite.yaml:2:5: test a asserts nothing"},
		{"two kinds", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        sleep: 1s\n", "suite.yaml:6:9: a step does one thing: it has both request and sleep"},
		{"no kind", "tests:\n  - id: a\n    name: x\n    steps:\n      - expect: {status: 200}\n", "suite.yaml:5:9: the step has no kind"},
		{"unknown step key", "tests:\n  - id: a\n    name: x\n    steps:\n      - requets: {path: /}\n", `suite.yaml:5:9: unknown step field "requets"`},
		{"expect on sleep", "tests:\n  - id: a\n    name: x\n    steps:\n      - sleep: 1s\n        expect: {status: 200}\n", "suite.yaml:6:9: expect belongs to a request step, not to sleep"},
		{"two bodies", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /, json: {}, body: x}\n        expect: {status: 200}\n", "suite.yaml:5:38: give at most one of json, body and form (got json and body)"},
		{"no path", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {method: GET}\n        expect: {status: 200}\n", "suite.yaml:5:18: the request has no path"},
		{"relative path", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: todos}\n        expect: {status: 200}\n", `suite.yaml:5:25: path "todos" must start with /`},
		{"unknown request key", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /, hedaers: {}}\n        expect: {status: 200}\n", `suite.yaml:5:28: unknown field "hedaers"`},
		{"bad template", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: '/{{ .id '}\n        expect: {status: 200}\n", `suite.yaml:5:25: bad template "/{{ .id ": 1: unclosed action`},
		{"unknown function", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: '/{{ nope }}'}\n        expect: {status: 200}\n", `suite.yaml:5:25: bad template "/{{ nope }}": 1: function "nope" not defined`},
		{"bad status", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {status: 99}\n", "suite.yaml:6:26: bad status code 99"},
		{"status wrong type", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {status: ok}\n", "suite.yaml:6:26: wrong type"},
		{"unknown expect key", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {stauts: 200}\n", `suite.yaml:6:18: unknown field "stauts"`},
		{"empty expect", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {}\n", "suite.yaml:6:17: expect is a map with at least one of"},
		{"bad regex", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {headers: {Location: {regex: '(['}}}\n", `suite.yaml:6:46: bad regex "(["`},
		{"unknown matcher", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {json: {$.a: {equal: 1}}}\n", `suite.yaml:6:31: unknown matcher "equal"`},
		{"unknown type", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {json: {$.a: {type: str}}}\n", `suite.yaml:6:37: unknown type "str"`},
		{"empty matcher", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {json: {$.a: {}}}\n", "suite.yaml:6:30: empty matcher"},
		{"bad jsonpath", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {json: {'$.a b': 1}}\n", `suite.yaml:6:25: bad JSONPath "$.a b"`},
		{"jsonpath without root", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {json: {a.b: 1}}\n", `suite.yaml:6:25: bad JSONPath "a.b": it must start with $`},
		{"bad schema", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {schema: {type: 5}}\n", "suite.yaml:6:26: bad JSON Schema"},
		{"bad duration", "tests:\n  - id: a\n    name: x\n    steps:\n      - sleep: 5\n      - exit: {}\n", `suite.yaml:5:16: bad duration "5"`},
		{"bad test timeout", "tests:\n  - id: a\n    name: x\n    timeout: soon\n    steps: [{exit: {}}]\n", `suite.yaml:4:14: bad duration "soon"`},
		{"bad visibility", "tests:\n  - id: a\n    name: x\n    visibility: secret\n    steps: [{exit: {}}]\n", `suite.yaml:4:17: visibility must be visible or hidden`},
		{"negative points", "tests:\n  - id: a\n    name: x\n    points: -1\n    steps: [{exit: {}}]\n", "suite.yaml:4:13: points must not be negative"},
		{"bad signal", "tests:\n  - id: a\n    name: x\n    steps:\n      - signal: SIGFOO\n      - exit: {}\n", `suite.yaml:5:17: unknown signal "SIGFOO"`},
		{"await unknown", "tests:\n  - id: a\n    name: x\n    steps:\n      - await: slow\n      - exit: {}\n", `suite.yaml:5:9: await "slow" names no earlier async request`},
		{"async never awaited", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        async: slow\n        expect: {status: 200}\n", `suite.yaml:5:9: async request "slow" is never awaited`},
		{"capture two sources", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {status: 200}\n        capture: {id: {json: $.id, header: X}}\n", "suite.yaml:7:36: a capture has one source"},
		{"capture regex without group", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {status: 200}\n        capture: {t: {regex: 'a+'}}\n", `suite.yaml:7:30: regex "a+" needs a group`},
		{"capture reserved name", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {status: 200}\n        capture: {env: {header: X}}\n", `suite.yaml:7:19: "env" is reserved`},
		{"bad var name", "vars:\n  my-var: 1\ntests: []\n", `suite.yaml:2:3: bad variable name "my-var"`},
		{"burst count", "tests:\n  - id: a\n    name: x\n    steps:\n      - burst: {count: 0, request: {path: /}, counts: {}}\n", "suite.yaml:5:16: burst count must be 1..1000"},
		{"burst counts too many", "tests:\n  - id: a\n    name: x\n    steps:\n      - burst:\n          count: 2\n          request: {path: /}\n          counts: {200: 3}\n", "suite.yaml:8:19: counts add up to 3, more than the 2 requests sent"},
		{"logs nothing", "tests:\n  - id: a\n    name: x\n    steps:\n      - logs: {within: 1s}\n", "suite.yaml:5:15: logs checks nothing"},
		{"logs bad json_lines", "tests:\n  - id: a\n    name: x\n    steps:\n      - logs: {json_lines: {count: 1}}\n", "suite.yaml:5:28: json_lines needs match"},
		{"restart options", "tests:\n  - id: a\n    name: x\n    steps:\n      - restart: {hard: true}\n      - exit: {}\n", "suite.yaml:5:18: restart takes no options"},
		{"header twice", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {headers: {ETag: {exists: true}, etag: x}}\n", `suite.yaml:6:50: header "etag" is given twice`},
		{"yaml syntax", "tests:\n  - id: [a\n", "suite.yaml:1: invalid YAML: did not find expected ',' or ']'"},
		{"exists and absent", "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {json: {$.a: {exists: true, absent: true}}}\n", "suite.yaml:6:30: give exists or absent, not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseSuite("suite.yaml", []byte(tt.src))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Regexp(t, `^suite\.yaml(:\d+(:\d+)?)?: `, err.Error())
		})
	}
}

func TestSchemaRefsStayInside(t *testing.T) {
	t.Parallel()
	for _, ref := range []string{"file:///etc/hostname", "http://127.0.0.1:1/s.json"} {
		src := "tests:\n  - id: a\n    name: x\n    steps:\n      - request: {path: /}\n        expect: {schema: {$ref: '" + ref + "'}}\n"
		_, err := ParseSuite("suite.yaml", []byte(src))
		require.Error(t, err, ref)
		assert.Contains(t, err.Error(), "self-contained")
	}
}
