package grader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oneTest wraps steps (YAML, unindented) into a suite with one test.
func oneTest(steps string) string {
	var sb strings.Builder
	sb.WriteString("tests:\n  - id: t\n    name: the test\n    hint: read the README\n    timeout: 5s\n    steps:\n")
	for _, l := range strings.Split(strings.TrimRight(steps, "\n"), "\n") {
		sb.WriteString("      " + l + "\n")
	}
	return sb.String()
}

func runSrc(t *testing.T, tgt Target, src string, opts RunOptions) *Result {
	t.Helper()
	s, err := ParseSuite("suite.yaml", []byte(src))
	require.NoError(t, err)
	return Run(context.Background(), s, tgt, opts)
}

type stepCase struct {
	name   string
	steps  string
	status Status
	msg    string // substring of the test message
	check  string // Failure.Check
	exp    string // substring of Failure.Expected
	act    string // substring of Failure.Actual
}

func runCases(t *testing.T, newTarget func(t *testing.T) Target, cases []stepCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runSrc(t, newTarget(t), oneTest(tc.steps), RunOptions{Seed: 1})
			require.Len(t, res.Tests, 1)
			tr := res.Tests[0]
			assert.Equal(t, tc.status, tr.Status, "message: %s", tr.Message)
			assert.Contains(t, tr.Message, tc.msg)
			if tc.status != StatusFail {
				return
			}
			require.NotNil(t, tr.Failure)
			assert.Equal(t, tc.check, tr.Failure.Check)
			assert.Contains(t, tr.Failure.Expected, tc.exp)
			if strings.Contains(tc.act, ")|(") {
				assert.Regexp(t, tc.act, tr.Failure.Actual)
			} else {
				assert.Contains(t, tr.Failure.Actual, tc.act)
			}
			assert.NotEmpty(t, tr.Failure.Expected)
			assert.NotEmpty(t, tr.Failure.Actual)
			if tc.check != "response" { // a request with no usable answer says only what happened
				assert.Contains(t, tr.Message, "expected")
			}
			assert.Equal(t, "read the README", tr.Hint)
		})
	}
}

func plainTarget(t *testing.T) Target { return newTestTarget(t) }

func TestRequestSteps(t *testing.T) {
	t.Parallel()
	runCases(t, plainTarget, []stepCase{
		{name: "status pass", steps: "- request: {path: /health}\n  expect: {status: 200}", status: StatusPass},
		{name: "status fail", steps: "- request: {path: /health}\n  expect: {status: 201}", status: StatusFail,
			msg: "expected status 201, got 200 (OK)", check: "status", exp: "201", act: "200"},
		{name: "status list", steps: "- request: {path: /nope}\n  expect: {status: [200, 404]}", status: StatusPass},
		{name: "status list fail", steps: "- request: {path: /nope}\n  expect: {status: [200, 204]}", status: StatusFail,
			msg: "expected status 200 or 204, got 404", check: "status", exp: "200 or 204", act: "404 (Not Found)"},
		{name: "header media type", steps: "- request: {path: /health}\n  expect: {headers: {content-type: {media_type: application/json}}}", status: StatusPass},
		{name: "header media type fail", steps: "- request: {path: /}\n  expect: {headers: {Content-Type: {media_type: application/json}}}", status: StatusFail,
			msg: `header Content-Type: expected media type application/json, got "text/html"`, check: "header Content-Type", exp: "application/json", act: "text/html"},
		{name: "header shorthand", steps: "- request: {path: /health}\n  expect: {headers: {X-Content-Type-Options: nosniff}}", status: StatusPass},
		{name: "header absent fail", steps: "- request: {path: /health}\n  expect: {headers: {X-Content-Type-Options: {absent: true}}}", status: StatusFail,
			check: "header X-Content-Type-Options", exp: "absent", act: "nosniff"},
		{name: "header missing", steps: "- request: {path: /}\n  expect: {headers: {X-Frame-Options: DENY}}", status: StatusFail,
			check: "header X-Frame-Options", exp: `"DENY"`, act: "missing"},
		{name: "header list", steps: "- request: {path: /allow}\n  expect: {status: 405, headers: {Allow: {list_contains: [POST, GET]}, RateLimit-Remaining: {gte: 0, lte: 5}}}", status: StatusPass},
		{name: "header list fail", steps: "- request: {path: /allow}\n  expect: {headers: {Allow: {list_contains: [GET, DELETE]}}}", status: StatusFail,
			check: "header Allow", exp: "GET, DELETE", act: "no DELETE"},
		{name: "json pass", steps: "- request: {path: /health}\n  expect: {json: {$.status: ok, $.missing: {exists: false}}}", status: StatusPass},
		{name: "json fail", steps: "- request: {path: /health}\n  expect: {json: {$.status: fine}}", status: StatusFail,
			msg: `json $.status: expected "fine", got "ok"`, check: "json $.status", exp: `"fine"`, act: `"ok"`},
		{name: "json wildcard", steps: "- request: {path: /list}\n  expect: {json: {'$.data[*].title': [a, b], $.data: {length: 2}, $.nil: null, $.n: 1, '$.data[1].title': b, '$.data[-1].title': b}}", status: StatusPass},
		{name: "json wildcard fail", steps: "- request: {path: /list}\n  expect: {json: {'$.data[*].title': {equals: [a, c]}}}", status: StatusFail,
			check: "json $.data[*].title", exp: `["a","c"]`, act: `["a","b"]`},
		{name: "json null is present", steps: "- request: {path: /list}\n  expect: {json: {$.nil: {exists: true, type: null}}}", status: StatusPass},
		{name: "json on text body", steps: "- request: {path: /text}\n  expect: {json: {$.a: 1}}", status: StatusFail,
			check: "json", exp: "a JSON body", act: "not JSON"},
		{name: "body contains", steps: "- request: {path: /}\n  expect: {body: {contains: \"<h1>Hello Backend World!</h1>\"}}", status: StatusPass},
		{name: "body contains fail", steps: "- request: {path: /}\n  expect: {body: {contains: Goodbye}}", status: StatusFail,
			check: "body", exp: `contains "Goodbye"`, act: "Hello Backend"},
		{name: "schema pass", steps: "- request: {path: /health}\n  expect: {schema: {type: object, required: [status], properties: {status: {const: ok}}}}", status: StatusPass},
		{name: "schema fail", steps: "- request: {path: /health}\n  expect: {schema: {type: object, required: [id]}}", status: StatusFail,
			check: "schema", exp: "JSON Schema", act: "id"},
		{name: "max duration pass", steps: "- request: {path: /health}\n  expect: {max_duration: 2s}", status: StatusPass},
		{name: "max duration fail", steps: "- request: {path: '/slow?ms=150'}\n  expect: {max_duration: 50ms}", status: StatusFail,
			check: "duration", exp: "within 50ms", act: "ms"},
		{name: "min duration pass", steps: "- request: {path: '/slow?ms=120'}\n  expect: {min_duration: 100ms}", status: StatusPass},
		{name: "min duration fail", steps: "- request: {path: /health}\n  expect: {min_duration: 500ms}", status: StatusFail,
			check: "duration", exp: "at least 500ms", act: "an answer after"},
		{name: "redirect not followed", steps: "- request: {path: /redirect}\n  expect: {status: 302, headers: {Location: /health}}", status: StatusPass},
		// A body over the cap fails whatever is checked: its first MiB is
		// only a prefix (issue 13: an endless body passed a body check).
		{name: "large body fails a status check", steps: "- request: {path: /big}\n  expect: {status: 200}", status: StatusFail,
			msg: "GET /big: the response body is larger than 1 MiB", check: "response", exp: "an HTTP response to GET /big", act: "larger than 1 MiB"},
		{name: "large body fails a body check", steps: "- request: {path: /big}\n  expect: {body: {contains: aaa}}", status: StatusFail,
			check: "response", exp: "an HTTP response to GET /big", act: "larger than 1 MiB"},
		{name: "body never ends", steps: "- request: {path: /hang, timeout: 200ms}\n  expect: {status: 200}", status: StatusFail,
			msg: "GET /hang: the response body was not finished after 200ms", check: "response", exp: "an HTTP response to GET /hang", act: "the response body was not finished after 200ms"},
		{name: "no response", steps: "- request: {path: '/slow?ms=2000', timeout: 100ms}\n  expect: {status: 200}", status: StatusFail,
			check: "response", exp: "an HTTP response", act: "no response within 100ms"},
		{name: "connection closed", steps: "- request: {path: /close}\n  expect: {status: 200}", status: StatusFail,
			check: "response", exp: "an HTTP response", act: "the server closed the connection without answering"},
		{name: "test timeout", steps: "- sleep: 10s\n- exit: {}", status: StatusFail, msg: "time: expected the test to finish within 5s", check: "time", exp: "within 5s", act: "step 1 (sleep) was still running"},
	})
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	res := runSrc(t, refusedTarget(t), oneTest("- request: {path: /}\n  expect: {status: 200}"), RunOptions{})
	require.NotNil(t, res.Tests[0].Failure)
	assert.Equal(t, "connection refused: is the server still running?", res.Tests[0].Failure.Actual)
	assert.Equal(t, StatusFail, res.Status)
}

func TestRequestIsSentAsWritten(t *testing.T) {
	t.Parallel()
	src := `vars:
  title: "{{ randWords 2 }}"
  n: 7
tests:
  - id: echo
    name: echo
    steps:
      - request:
          method: POST
          path: /echo?page=0
          query: {name: "Ada Lovelace", empty: ""}
          headers: {X-API-Key: "k-{{ .n }}"}
          json: {title: "{{ .title }}", n: "{{ .n }}", done: false, port: "{{ .port }}", secret: "{{ .env.SECRET }}"}
        expect:
          json:
            $.method: POST
            $.query: "page=0&name=Ada+Lovelace&empty="
            $.chunked: false
            $.content_type: application/json
            $.api_key: k-7
            $.accept_encoding: ""
        capture:
          sent: {json: $.body}
          length: {json: $.content_length}
      - request: {method: PUT, path: /echo, form: {a: "x y", b: "{{ .length }}"}}
        expect:
          json: {$.body: "a=x+y&b={{ .length }}", $.content_type: application/x-www-form-urlencoded}
      - request: {method: PATCH, path: /echo}
        expect:
          json: {$.content_length: 0, $.chunked: false}
`
	res := runSrc(t, newTestTarget(t), src, RunOptions{Seed: 3, Port: 9999, Env: map[string]string{"SECRET": "s"}})
	require.Equal(t, StatusPass, res.Status, "%+v", res.Tests[0])
}

func TestTypedBody(t *testing.T) {
	t.Parallel()
	src := oneTest(`- request: {method: POST, path: /todos, json: {title: "x", completed: true}}
  expect: {status: 201, headers: {Location: {regex: "^/todos/[0-9]+$"}}, json: {$.id: {type: integer}}}
  capture: {id: {json: $.id}, loc: {header: Location}}
- request: {path: "{{ .loc }}"}
  expect: {json: {$.id: "{{ .id }}", $.completed: true, $.title: x}}
- request: {path: "/todos/{{ .id }}"}
  expect: {json: {$: {equals: {id: "{{ .id }}", title: x, completed: true}}}}`)
	res := runSrc(t, newTestTarget(t), src, RunOptions{})
	require.Equal(t, StatusPass, res.Status, "%+v", res.Tests)
}

func TestFailureDetails(t *testing.T) {
	t.Parallel()
	tgt := newTestTarget(t)
	src := oneTest(`- request: {method: POST, path: /todos, json: {title: 'it''s {{ repeat "a" 2000 }}'}}
  expect: {status: 201}
- request: {path: /list}
  expect: {json: {$: {equals: {data: [], n: 1, nil: null}}}}`)
	res := runSrc(t, tgt, src, RunOptions{})
	tr := res.Tests[0]
	require.Equal(t, StatusFail, tr.Status)
	f := tr.Failure
	assert.Equal(t, 2, f.Step)
	assert.Equal(t, "curl -i 'http://localhost:8080/list'", f.Curl)
	assert.Contains(t, f.Diff, "-   \"data\": [],")
	assert.Contains(t, f.Diff, "+   \"data\": [")
	assert.Contains(t, f.Excerpt, `{"data":[{"title":"a"}`)
	assert.Contains(t, f.LogTail, "") // the app logs nothing for these routes
	assert.Equal(t, "read the README", tr.Hint)

	// A long body is shortened in the curl line, with its real size.
	res = runSrc(t, tgt, oneTest(`- request: {method: POST, path: /todos, json: {title: 'it''s {{ repeat "a" 2000 }}'}}
  expect: {status: 200}`), RunOptions{})
	f = res.Tests[0].Failure
	require.NotNil(t, f)
	assert.True(t, strings.HasPrefix(f.Curl, `curl -i -X POST 'http://localhost:8080/todos' -H 'Content-Type: application/json' --data-raw '{"title":"it'\''s aaa`), f.Curl)
	assert.Contains(t, f.Curl, "# body shortened here: the real one is 2017 bytes")
}

func TestCurl(t *testing.T) {
	t.Parallel()
	o := &outgoing{method: "POST", url: "http://localhost:8080/todos", headers: [][2]string{{"Content-Type", "application/json"}}, body: []byte(`{"title":"x"}`), hasBody: true}
	assert.Equal(t, `curl -i -X POST 'http://localhost:8080/todos' -H 'Content-Type: application/json' --data-raw '{"title":"x"}'`, o.curl())
	o = &outgoing{method: "HEAD", url: "http://localhost:8080/a'b"}
	assert.Equal(t, `curl -i --head 'http://localhost:8080/a'\''b'`, o.curl())
}

func TestCookies(t *testing.T) {
	t.Parallel()
	runCases(t, plainTarget, []stepCase{
		{name: "session flow", status: StatusPass, steps: `- request: {path: /profile}
  expect: {status: 401}
- request: {method: POST, path: /login}
  expect:
    status: 200
    cookies: {session: {exists: true, http_only: true, path: /, same_site: [Lax, Strict], value: {min_length: 4}}}
  capture: {session: {cookie: session}, token: {regex: "token=(\\w+)"}}
- request: {path: /profile}
  expect: {status: 200, json: {$.username: ada}}
- request: {path: /profile, no_cookies: true}
  expect: {status: 401}
- request: {path: /echo, headers: {Cookie: "session={{ .session }}"}}
  expect: {json: {$.cookie: "session=s3cret"}}
- request: {method: POST, path: /echo, body: "{{ .token }}"}
  expect: {json: {$.body: abc123}}
- request: {method: POST, path: /logout}
  expect: {status: 204, cookies: {session: {expired: true}}}
- request: {path: /profile}
  expect: {status: 401}`},
		{name: "cookie missing", steps: "- request: {path: /health}\n  expect: {cookies: {session: {exists: true}}}", status: StatusFail,
			check: "cookie session", exp: "a Set-Cookie header for session", act: "the response set no cookies"},
		{name: "cookie flag", steps: "- request: {method: POST, path: /login}\n  expect: {cookies: {session: {secure: true}}}", status: StatusFail,
			check: "cookie session", exp: "Secure", act: "Set-Cookie: session=s3cret; Path=/; HttpOnly; SameSite=Lax"},
		{name: "cookie same site", steps: "- request: {method: POST, path: /login}\n  expect: {cookies: {session: {same_site: Strict}}}", status: StatusFail,
			check: "cookie session", exp: "SameSite=Strict", act: "SameSite=Lax"},
		{name: "cookie not expired", steps: "- request: {method: POST, path: /login}\n  expect: {cookies: {session: {expired: true}}}", status: StatusFail,
			check: "cookie session", exp: "an expired cookie", act: "session=s3cret"},
		{name: "capture missing", steps: "- request: {path: /health}\n  expect: {status: 200}\n  capture: {id: {json: $.id}}", status: StatusFail,
			check: "capture id", exp: "a value at $.id", act: "missing"},
		{name: "capture header missing", steps: "- request: {path: /health}\n  expect: {status: 200}\n  capture: {loc: {header: Location}}", status: StatusFail,
			check: "capture loc", exp: "a Location header", act: "missing"},
		{name: "capture regex missing", steps: "- request: {path: /health}\n  expect: {status: 200}\n  capture: {tok: {regex: \"token=(\\\\w+)\", from: \"header:X-Token\"}}", status: StatusFail,
			check: "capture tok", exp: "header X-Token matching /token=(\\w+)/ (for example token=abc)", act: `""`},
	})
}

func TestBurst(t *testing.T) {
	t.Parallel()
	runCases(t, plainTarget, []stepCase{
		{name: "counts pass", status: StatusPass, steps: `- burst:
    count: 5
    request: {path: /limited}
    expect: {status: [200, 429], headers: {Content-Type: {media_type: application/json}}}
    counts: {200: 2, 429: 3}`},
		{name: "counts fail", status: StatusFail, steps: `- burst:
    count: 5
    request: {path: /limited}
    counts: {200: 3, 429: 2}`, check: "counts", exp: "exactly 3 of 5 responses with status 200", act: "2 with status 200 (2×200, 3×429)"},
		{name: "expect on every response", status: StatusFail, steps: `- burst:
    count: 4
    request: {path: /limited}
    expect: {status: 201}`, check: "answer 1 of 4 to the burst: status", exp: "201", act: "(OK)|(Too Many Requests)"},
		{name: "concurrent with index and captures", status: StatusPass, steps: `- parallel:
    count: 8
    request: {path: "/barrier?n=8&key=a&i={{ .i }}"}
    expect: {status: 200}
    capture: {is: {json: $.i}}
- request: {method: POST, path: /echo, json: {is: "{{ .is }}"}}
  expect: {json: {$.body: "{\"is\":[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\"]}"}}`},
	})
}

func TestSleepAndAsync(t *testing.T) {
	t.Parallel()
	runCases(t, plainTarget, []stepCase{
		{name: "async then await", status: StatusPass, steps: `- request: {path: "/slow?ms=300"}
  async: slow
  expect: {status: 200, json: {$.slept: 300}}
  capture: {slept: {json: $.slept}}
- request: {path: /health}
  expect: {status: 200, max_duration: 250ms}
- sleep: 20ms
- await: slow
- request: {method: POST, path: /echo, body: "{{ .slept }}"}
  expect: {json: {$.body: "300"}}`},
		{name: "await fails", status: StatusFail, steps: `- request: {path: "/slow?ms=10"}
  async: slow
  expect: {status: 201}
- await: slow`, check: "status", exp: "201", act: "200"},
	})
}

func TestLogs(t *testing.T) {
	t.Parallel()
	runCases(t, plainTarget, []stepCase{
		{name: "contains since test start", status: StatusPass, steps: "- request: {path: /health}\n  expect: {status: 200}\n- logs: {contains: '\"path\":\"/health\"', regex: 'status\":2\\d\\d'}"},
		{name: "earlier output not seen", status: StatusFail, steps: "- logs: {contains: listening}",
			check: "logs", exp: `output containing "listening"`, act: "no output since the test began"},
		{name: "regex fail", status: StatusFail, steps: "- request: {path: /health}\n  expect: {status: 200}\n- logs: {regex: 'status\":5\\d\\d'}",
			check: "logs", exp: "output matching", act: "1 line of output, none matching"},
		{name: "within waits", status: StatusPass, steps: "- request: {path: /late-log}\n  expect: {status: 204}\n- logs: {contains: late line, within: 2s}"},
		{name: "within runs out", status: StatusFail, steps: "- request: {path: /late-log}\n  expect: {status: 204}\n- logs: {contains: late line, within: 50ms}",
			check: "logs", exp: "late line", act: "no output"},
		{name: "json lines", status: StatusPass, steps: `- request: {path: /health}
  expect: {status: 200}
- logs:
    json_lines:
      match: {method: GET, path: /health, status: {type: number}, duration_ms: {gte: 0}, $.status: 200}
      count: 1`},
		{name: "json lines count", status: StatusFail, steps: `- request: {path: /health}
  expect: {status: 200}
- request: {path: /health}
  expect: {status: 200}
- logs:
    json_lines: {match: {path: /health}, count: 1}`, check: "logs", exp: `exactly 1 JSON line with path = "/health"`, act: "2 JSON lines matching"},
		{name: "json lines none match", status: StatusFail, steps: `- request: {path: /health}
  expect: {status: 200}
- logs:
    json_lines: {match: {method: POST}}`, check: "logs", exp: `at least one JSON line with method = "POST"`, act: `1 JSON line, none matching; e.g. {"method":"GET"`},
	})
}

func TestLogTailOnFailure(t *testing.T) {
	t.Parallel()
	res := runSrc(t, newTestTarget(t), oneTest("- request: {path: /health}\n  expect: {status: 500}"), RunOptions{})
	f := res.Tests[0].Failure
	require.NotNil(t, f)
	assert.Equal(t, `{"method":"GET","path":"/health","status":200,"duration_ms":0.2}`, f.LogTail)
	assert.Equal(t, f.LogTail, res.Tests[0].Output)
}

func TestControlSteps(t *testing.T) {
	t.Parallel()
	ctl := func(code int, exited bool, restartErr error) func(t *testing.T) Target {
		return func(t *testing.T) Target {
			return &controlTarget{testTarget: newTestTarget(t), exitCode: code, exited: exited, restartErr: restartErr}
		}
	}
	runCases(t, ctl(0, true, nil), []stepCase{
		{name: "restart", status: StatusPass, steps: "- restart: {}\n- logs: {contains: restarted}\n- request: {path: /health}\n  expect: {status: 200}"},
		{name: "signal and exit", status: StatusPass, steps: "- signal: TERM\n- exit: {within: 1s, code: 0}"},
		{name: "exit null", status: StatusPass, steps: "- exit:"},
	})
	runCases(t, ctl(2, true, nil), []stepCase{
		{name: "exit code", status: StatusFail, steps: "- signal: SIGTERM\n- exit: {code: 0}", msg: "exit code: expected 0, got 2", check: "exit code", exp: "0", act: "2"},
	})
	runCases(t, ctl(0, false, nil), []stepCase{
		{name: "still running", status: StatusFail, steps: "- exit: {within: 5s}", check: "exit", exp: "the server to exit within 5s", act: "still running after 5s"},
	})
	runCases(t, ctl(137, true, nil), []stepCase{
		{name: "killed", status: StatusFail, steps: "- exit: {code: 0}", check: "exit code", exp: "0", act: "137 (killed by SIGKILL)"},
	})
	runCases(t, ctl(0, true, errBoom), []stepCase{
		{name: "restart fails", status: StatusFail, steps: "- restart: {}\n- exit: {}", check: "restart", exp: "start again", act: "boom"},
	})
	runCases(t, plainTarget, []stepCase{
		{name: "restart not checkable", status: StatusSkip, steps: "- restart: {}\n- exit: {}", msg: "not checkable here: needs restart (run under docker or --sandbox process)"},
		{name: "signal not checkable", status: StatusSkip, steps: "- signal: SIGTERM\n- exit: {}", msg: "not checkable here: needs signal"},
		{name: "exit not checkable", status: StatusSkip, steps: "- exit: {}", msg: "not checkable here: needs exit"},
	})

	sigErr := func(err error) func(t *testing.T) Target {
		return func(t *testing.T) Target {
			return &controlTarget{testTarget: newTestTarget(t), exited: true, signalErr: err}
		}
	}
	runCases(t, sigErr(fmt.Errorf("SIGTERM cannot be delivered on Windows with --sandbox process: %w", errors.ErrUnsupported)), []stepCase{
		{name: "signal unsupported by the backend", status: StatusSkip, steps: "- signal: SIGTERM\n- exit: {code: 0}",
			msg: "not checkable here: SIGTERM cannot be delivered on Windows with --sandbox process: unsupported operation"},
	})
	runCases(t, sigErr(errBoom), []stepCase{
		{name: "signal fails", status: StatusFail, steps: "- signal: SIGTERM\n- exit: {}", check: "signal", exp: "to deliver SIGTERM", act: "boom"},
	})

	c := &controlTarget{testTarget: newTestTarget(t), exited: true}
	res := runSrc(t, c, oneTest("- signal: SIGINT\n- exit: {}"), RunOptions{})
	assert.Equal(t, StatusPass, res.Status)
	assert.Equal(t, []syscall.Signal{syscall.Signal(2)}, c.signals)
}

const threeTests = `tests:
  - id: one
    name: one
    points: 2
    steps: [{request: {path: /health}, expect: {status: 200}}]
  - id: two
    name: two
    hint: a hint
    steps: [{request: {path: /health}, expect: {status: 418}}]
  - id: three
    name: three
    points: 3
    visibility: hidden
    steps: [{request: {path: /health}, expect: {status: 404}}]
`

func TestRunResult(t *testing.T) {
	t.Parallel()
	var seen []string
	res := runSrc(t, newTestTarget(t), threeTests, RunOptions{Seed: 42, OnTest: func(tr TestResult) { seen = append(seen, tr.ID) }})
	assert.Equal(t, ResultsVersion, res.Version)
	assert.Equal(t, StatusFail, res.Status)
	assert.Equal(t, "1 of 3 tests passed", res.Message)
	assert.Equal(t, 2.0, res.Score)
	assert.Equal(t, 6.0, res.MaxScore)
	assert.Equal(t, int64(42), res.Seed)
	assert.False(t, res.StartedAt.IsZero())
	assert.Equal(t, []string{"one", "two", "three"}, seen)
	require.Len(t, res.Tests, 3)
	assert.Equal(t, []int{1, 2, 3}, []int{res.Tests[0].TaskID, res.Tests[1].TaskID, res.Tests[2].TaskID})
	assert.Equal(t, 2.0, res.Tests[0].Score)
	assert.Equal(t, "", res.Tests[0].Hint, "a passed test needs no hint")
	assert.Equal(t, "a hint", res.Tests[1].Hint)

	// The grader is blind to visibility: a hidden test's result is whole,
	// marked hidden; report redacts it for learners.
	hidden := res.Tests[2]
	assert.True(t, hidden.Hidden)
	assert.Equal(t, StatusFail, hidden.Status)
	assert.Contains(t, hidden.Message, "expected status 404")
	assert.NotNil(t, hidden.Failure)

	res = runSrc(t, newTestTarget(t), threeTests, RunOptions{Only: []string{"three"}, Transcript: true})
	require.Len(t, res.Tests, 1)
	assert.Equal(t, 3, res.Tests[0].TaskID)
	assert.Equal(t, 3.0, res.MaxScore)
	assert.Contains(t, res.Tests[0].Message, "expected status 404")
	require.Len(t, res.Tests[0].Transcript, 1)
	ex := res.Tests[0].Transcript[0]
	assert.Equal(t, 200, ex.Status)
	assert.Equal(t, "http://localhost:8080/health", ex.URL)
	assert.Contains(t, ex.Body, `"status":"ok"`)

	res = runSrc(t, newTestTarget(t), threeTests, RunOptions{Only: []string{"one"}})
	assert.Equal(t, StatusPass, res.Status)

	res = runSrc(t, newTestTarget(t), threeTests, RunOptions{Only: []string{"four"}})
	assert.Equal(t, StatusError, res.Status)
	assert.Equal(t, "no test with id four in this suite", res.Message)
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	s, err := ParseSuite("suite.yaml", []byte(threeTests))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := Run(ctx, s, newTestTarget(t), RunOptions{})
	assert.Equal(t, StatusError, res.Status)
	for _, tr := range res.Tests {
		assert.Equal(t, StatusError, tr.Status)
		assert.Equal(t, "check interrupted", tr.Message)
	}

	// Cancelled in the middle of a test.
	s, err = ParseSuite("suite.yaml", []byte(oneTest("- sleep: 10s\n- exit: {}")))
	require.NoError(t, err)
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res = Run(ctx, s, newTestTarget(t), RunOptions{})
	assert.Equal(t, StatusError, res.Status)
	assert.Equal(t, "check interrupted", res.Tests[0].Message)
}

func TestSuiteErrorsAtRunTime(t *testing.T) {
	t.Parallel()
	res := runSrc(t, newTestTarget(t), oneTest("- request: {path: \"/todos/{{ .nope }}\"}\n  expect: {status: 200}"), RunOptions{})
	assert.Equal(t, StatusError, res.Status)
	assert.Contains(t, res.Tests[0].Message, `step 1: template "/todos/{{ .nope }}": map has no entry for key "nope"`)

	res = runSrc(t, newTestTarget(t), "vars: {a: \"{{ randInt 5 1 }}\"}\n"+oneTest("- exit: {}"), RunOptions{})
	assert.Equal(t, StatusError, res.Status)
	assert.Contains(t, res.Message, "suite variable a")
}

func TestSeedReplaysRequests(t *testing.T) {
	t.Parallel()
	src := `vars:
  a: "{{ randInt 1 1000000 }}-{{ randString 12 }}-{{ randWords 3 }}-{{ uuid }}"
` + oneTest(`- request: {method: POST, path: /echo, json: {a: "{{ .a }}", b: "{{ randWord }}"}}
  expect: {status: 200}`)
	body := func(seed int64) string {
		res := runSrc(t, newTestTarget(t), src, RunOptions{Seed: seed, Transcript: true})
		require.Equal(t, StatusPass, res.Status)
		return res.Tests[0].Transcript[0].ReqBody
	}
	assert.Equal(t, body(7), body(7))
	assert.NotEqual(t, body(7), body(8))
}

// TestHintForLanguage: a test's hint may be a list with entries for one
// language; a failing test's result carries the texts for RunOptions.Lang
// (every text when it names none), and a plain text is for everyone.
func TestHintForLanguage(t *testing.T) {
	src := `tests:
  - id: listed
    name: GET /missing answers 200
    hint:
      - Answer 200 on /missing.
      - lang: [node]
        text: res.writeHead(200).
      - lang: [go, python]
        text: Not for Node.js.
    steps:
      - request: {path: /missing}
        expect: {status: 200}
  - id: plain
    name: GET /missing again
    hint: Plain text for everyone.
    steps:
      - request: {path: /missing}
        expect: {status: 200}
`
	s, err := ParseSuite("suite.yaml", []byte(src))
	require.NoError(t, err)
	assert.Equal(t, "Answer 200 on /missing. res.writeHead(200). Not for Node.js.", s.Tests[0].Hint, "Hint is every text")
	tests := []struct {
		lang string
		want string
	}{
		{"node", "Answer 200 on /missing. res.writeHead(200)."},
		{"python", "Answer 200 on /missing. Not for Node.js."},
		{"dockerfile", "Answer 200 on /missing. res.writeHead(200). Not for Node.js."},
		{"", "Answer 200 on /missing. res.writeHead(200). Not for Node.js."},
	}
	tgt := newTestTarget(t)
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			res := Run(t.Context(), s, tgt, RunOptions{Lang: tt.lang})
			require.Len(t, res.Tests, 2)
			assert.Equal(t, StatusFail, res.Tests[0].Status)
			assert.Equal(t, tt.want, res.Tests[0].Hint)
			assert.Equal(t, "Plain text for everyone.", res.Tests[1].Hint)
		})
	}
	_, err = ParseSuite("suite.yaml", []byte("tests:\n  - id: a\n    name: b\n    hint: []\n    steps: [{request: {path: /}}]\n"))
	assert.ErrorContains(t, err, "a hint is a text, or a list")
	_, err = ParseSuite("suite.yaml", []byte("tests:\n  - id: a\n    name: b\n    hint: [{text: x, lang: [rust]}]\n    steps: [{request: {path: /}, expect: {status: 200}}]\n"))
	assert.ErrorContains(t, err, `lang "rust" must be one of`)
}
