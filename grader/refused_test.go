package grader

import (
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// closedAddr is an address nothing listens on any more.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// hangUpAddr accepts connections and closes them without an answer, as a
// server does whose backlog is dropped when it exits.
func hangUpAddr(t *testing.T) string {
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
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// drainingAddr serves GET /ok on kept-alive connections; GET /stop closes
// the listener, as a shutdown does, while open connections keep being
// served.
func drainingAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	mux.HandleFunc("GET /stop", func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { ln.Close() })
		w.WriteHeader(200)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestRefused(t *testing.T) {
	t.Parallel()
	refused := "- request: {path: /ok, timeout: 2s}\n  expect: {refused: true}"
	cases := []struct {
		name   string
		addr   func(t *testing.T) string
		steps  string
		status Status
		act    string
	}{
		{name: "nothing listens", addr: closedAddr, steps: refused, status: StatusPass},
		{name: "closed unanswered", addr: hangUpAddr, steps: refused, status: StatusPass},
		{name: "answered", addr: func(t *testing.T) string { return newTestTarget(t).addr },
			steps: "- request: {path: /health}\n  expect: {refused: true}", status: StatusFail,
			act: "the server accepted the new connection and answered 200 (OK)"},
		// The grader holds a kept-alive connection that the server still
		// serves; the check must not send its request on it.
		{name: "kept-alive connection not reused", addr: drainingAddr,
			steps:  "- request: {path: /ok}\n  expect: {status: 200}\n- request: {path: /stop}\n  expect: {status: 200}\n- request: {path: /ok}\n  expect: {status: 200}\n" + refused,
			status: StatusPass},
		{name: "listener open", addr: drainingAddr, steps: "- request: {path: /ok}\n  expect: {status: 200}\n" + refused, status: StatusFail,
			act: "answered 200 (OK)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runSrc(t, &testTarget{addr: tc.addr(t)}, oneTest(tc.steps), RunOptions{})
			require.Len(t, res.Tests, 1)
			tr := res.Tests[0]
			require.Equal(t, tc.status, tr.Status, tr.Message)
			if tc.status == StatusFail {
				require.NotNil(t, tr.Failure)
				assert.Equal(t, "new connection", tr.Failure.Check)
				assert.Contains(t, tr.Failure.Expected, "no answer to GET")
				assert.Contains(t, tr.Failure.Actual, tc.act)
			}
		})
	}
}

func TestRefusedDecoding(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, steps, err string }{
		{"other keys", "- request: {path: /a}\n  expect: {refused: true, status: 200}", "takes no other expect keys"},
		{"false", "- request: {path: /a}\n  expect: {refused: false}", "write refused: true, or leave it out"},
		{"async", "- request: {path: /a}\n  async: a\n  expect: {refused: true}", "cannot be async"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseSuite("suite.yaml", []byte(oneTest(tc.steps)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}

func TestExitNamesOpenStreams(t *testing.T) {
	t.Parallel()
	c := &controlTarget{testTarget: newTestTarget(t)}
	res := runSrc(t, c, oneTest("- sse_open: {name: s, request: {path: /events}}\n- signal: SIGTERM\n- exit: {within: 1s, code: 0}"), RunOptions{})
	require.Len(t, res.Tests, 1)
	tr := res.Tests[0]
	require.Equal(t, StatusFail, tr.Status, tr.Message)
	assert.Equal(t, "still running after 1s, with 1 event stream still open (GET /events): a shutdown must end open event streams, not wait for them", tr.Failure.Actual)
}
