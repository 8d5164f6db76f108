package grader

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveWithoutReadingBodies is a keep-alive HTTP/1.1 server that answers
// POST with 400 before reading the body, as ROADMAP allows a server to do.
// Go's own server drains unread bodies, so it cannot show the problem.
func serveWithoutReadingBodies(t *testing.T) string {
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
					status, body := 200, "ok"
					switch {
					case err != nil:
						status, body = 400, "garbled request"
					case req.Method == http.MethodPost:
						status, body = 400, `{"error":"no"}` // the body stays unread
					}
					fmt.Fprintf(c, "HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s", status, len(body), body)
					if err != nil {
						return
					}
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}

func TestErrorWithUnreadBodyDoesNotPoisonNextRequest(t *testing.T) {
	t.Parallel()
	tgt := &testTarget{addr: serveWithoutReadingBodies(t)}
	res := runSrc(t, tgt, oneTest(`
- request: {method: POST, path: /a, json: {title: "`+"{{ repeat \\\"x\\\" 100 }}"+`"}}
  expect: {status: 400}
- request: {path: /b}
  expect: {status: 200, body: {equals: ok}}`), RunOptions{})
	require.Len(t, res.Tests, 1)
	assert.Equal(t, StatusPass, res.Tests[0].Status, res.Tests[0].Message)
}
