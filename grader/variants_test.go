package grader

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rawVariants answers with bytes written by hand, in the forms ROADMAP
// allows that Go's own server never produces: lower-case header names,
// chunked bodies, HTTP/1.0 with a body that ends at close, and event
// streams whose data spans several data: lines with CRLF line ends.
var rawVariants = map[string]string{
	"/lower": "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\nratelimit-limit: 5\r\nratelimit-remaining: 4\r\nratelimit-reset: 10\r\nratelimit-policy: 5;w=10\r\ncache-control: private, no-cache, must-revalidate\r\ncontent-length: 15\r\n\r\n{\"status\":\"ok\"}",
	"/chunked": "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"7\r\n{\"id\": \r\n2\r\n42\r\nd\r\n, \"title\":\"a\"\r\n1\r\n}\r\n0\r\n\r\n",
	"/http10": "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\n  \"id\": \"7f3a\",\n  \"title\": \"b\"\n}\n",
	"/events": "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\n\r\n" +
		": connected\r\nretry: 3000\r\n\r\n" +
		"id: 1\r\nevent: todo.created\r\ndata: {\r\ndata:   \"id\": 1,\r\ndata:   \"title\": \"pretty\",\r\ndata:   \"completed\": false\r\ndata: }\r\n\r\n" +
		"event: todo.updated\ndata:{\"id\":\"1\",\"title\":\"tight\",\"completed\":true}\n\n",
}

func serveRawVariants(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(r)
					if err != nil {
						return
					}
					resp, ok := rawVariants[req.URL.Path]
					if !ok {
						resp = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
					}
					fmt.Fprint(c, resp)
					if strings.HasPrefix(resp, "HTTP/1.0") {
						if req.URL.Path == "/events" {
							time.Sleep(2 * time.Second) // a stream stays open a while
						}
						return // the body ends when the connection does
					}
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}

func TestValidVariantsAccepted(t *testing.T) {
	t.Parallel()
	addr := serveRawVariants(t)
	target := func(*testing.T) Target { return &testTarget{addr: addr} }
	runCases(t, target, []stepCase{
		{name: "lower-case header names and extra RateLimit headers", status: StatusPass, steps: `- request: {path: /lower}
  expect:
    status: 200
    headers:
      Content-Type: {media_type: application/json}
      RateLimit-Limit: "5"
      RateLimit-Remaining: {gte: 0, lte: 5}
      Cache-Control: {list_contains: [no-cache]}
    json: {$.status: ok}`},
		{name: "chunked body, integer id", status: StatusPass, steps: `- request: {method: POST, path: /chunked, json: {title: a}}
  expect:
    status: 201
    json: {$.id: {type: "string|integer"}, $.title: a}
  capture: {id: {json: $.id}}
- request: {path: /http10}
  expect: {status: 200, json: {$.title: b}}`},
		{name: "HTTP/1.0 body ended by close, string id, pretty-printed", status: StatusPass, steps: `- request: {path: /http10}
  expect:
    status: 200
    json: {$.id: {type: "string|integer"}, $.title: b}`},
		{name: "event data over several data lines, CRLF, no space after the colon", status: StatusPass, steps: `- sse_open:
    name: events
    request: {path: /events}
    expect: {status: 200, headers: {Content-Type: {media_type: text/event-stream}}}
- sse_expect: {stream: events, event: todo.created, data: {$.id: 1, $.title: pretty, $.completed: false}}
- sse_expect: {stream: events, event: todo.updated, data: {$.id: "1", $.title: tight, $.completed: true}}`},
	})
}
