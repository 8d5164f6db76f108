package grader

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSSE(t *testing.T) {
	t.Parallel()
	runCases(t, plainTarget, []stepCase{
		{name: "events arrive", status: StatusPass, steps: `- sse_open:
    name: events
    request: {path: /events}
    expect: {status: 200, headers: {Content-Type: {media_type: text/event-stream}}}
- sse_open: {name: other, request: {path: /events}}
- request: {method: POST, path: /todos, json: {title: first}}
  expect: {status: 201}
- request: {method: POST, path: /todos, json: {title: second}}
  expect: {status: 201}
- sse_expect: {stream: events, within: 1s, event: todo.created, data: {$.title: second}}
- sse_close: other
- request: {method: POST, path: /todos, json: {title: third}}
  expect: {status: 201}
- sse_expect: {stream: events, event: todo.created, data: {$.title: third, $.completed: false}}`},
		{name: "event missing", status: StatusFail, steps: `- sse_open: {name: events, request: {path: /events}}
- request: {method: POST, path: /todos, json: {title: first}}
  expect: {status: 201}
- sse_expect: {stream: events, within: 200ms, event: todo.deleted}`,
			check: "sse GET /events", exp: "an event with event todo.deleted", act: `no such event within 200ms; 1 event arrived, the last: todo.created {"completed":false,"id":1,"title":"first"}`},
		{name: "not a stream", status: StatusFail, steps: `- sse_open:
    name: events
    request: {path: /health}
    expect: {headers: {Content-Type: {media_type: text/event-stream}}}`,
			check: "header Content-Type", exp: "media type text/event-stream", act: "application/json"},
	})
}

func TestSSEParseErrors(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		oneTest("- sse_expect: {stream: nope, event: x}"):                               `suite.yaml:7:9: sse_expect: no stream "nope" is open here`,
		oneTest("- sse_open: {request: {path: /events}}\n- exit: {}"):                   `suite.yaml:7:19: sse_open needs a name`,
		oneTest("- sse_open: {name: e, request: {path: /}}\n- sse_close: f"):            `suite.yaml:8:9: sse_close: no stream "f" is open here`,
		oneTest("- sse_open: {name: e, request: {path: /}}\n- sse_expect: {stream: e}"): "suite.yaml:8:21: sse_expect checks nothing",
	} {
		_, err := ParseSuite("suite.yaml", []byte(src))
		require.Error(t, err)
		assert.Contains(t, err.Error(), want)
	}
}

func TestImage(t *testing.T) {
	t.Parallel()
	good := ImageInfo{User: "app", ExposedPorts: []int{8080}, Healthcheck: true, SizeBytes: 80e6, Language: "go"}
	img := func(info ImageInfo) func(t *testing.T) Target {
		return func(t *testing.T) Target { return &imageTarget{testTarget: newTestTarget(t), info: info} }
	}
	const step = "- image: {non_root: true, exposes: true, healthcheck: true, max_size: {go: 100MB, default: 500MB}}"
	runCases(t, img(good), []stepCase{{name: "good image", status: StatusPass, steps: step, msg: "image size 80 MB"}})
	root := good
	root.User = ""
	runCases(t, img(root), []stepCase{{name: "root", status: StatusFail, steps: step, check: "image user", exp: "not root", act: `USER ""`}})
	big := good
	big.SizeBytes = 150e6
	runCases(t, img(big), []stepCase{{name: "too big", status: StatusFail, steps: step, check: "image size", exp: "at most 100 MB", act: "150 MB"}})
	noHealth := good
	noHealth.Healthcheck, noHealth.ExposedPorts = false, nil
	runCases(t, img(noHealth), []stepCase{{name: "no expose", status: StatusFail, steps: step, check: "image expose", exp: "an EXPOSE line", act: "no port exposed"}})
	runCases(t, plainTarget, []stepCase{{name: "not checkable", status: StatusSkip, steps: step, msg: "not checkable here: needs the image built from your Dockerfile"}})
}
