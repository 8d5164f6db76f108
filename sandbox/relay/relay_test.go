package relay

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseListening(t *testing.T) {
	in := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 2 1 0000000000000000 20 4 30 10 -1
`
	assert.Equal(t, []int{3000}, parseListening(strings.NewReader(in)))
}

func TestParseProbe(t *testing.T) {
	for _, tc := range []struct {
		line      string
		ok        bool
		listening []int
		err       bool
	}{
		{line: "ok\n", ok: true},
		{line: "refused listening=\n"},
		{line: "refused listening=3000,5000\n", listening: []int{3000, 5000}},
		{line: "garbage\n", err: true},
	} {
		ok, l, err := parseProbe(tc.line)
		assert.Equal(t, tc.err, err != nil, tc.line)
		assert.Equal(t, tc.ok, ok, tc.line)
		assert.Equal(t, tc.listening, l, tc.line)
	}
}

// freePort returns a loopback port nobody listens on (grabbed and released).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// session runs a relay on one end of an in-memory pipe (what the engine's
// attach stream is in the sandbox) and returns the client end.
func session(t *testing.T, port int) *Client {
	t.Helper()
	a, b := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, b, port) }()
	c, err := NewClient(a)
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		c.Close()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Error("the relay did not stop")
		}
	})
	return c
}

func TestRelayRefusedThenForwards(t *testing.T) {
	port := freePort(t)
	c := session(t, port)
	ctx := context.Background()
	require.NoError(t, c.Ping(ctx))

	ok, _, err := c.Probe(ctx)
	require.NoError(t, err)
	assert.False(t, ok)
	_, err = c.Dial(ctx)
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "a refused dial is ECONNREFUSED: %v", err)

	srv, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	require.NoError(t, err)
	defer srv.Close()
	go func() {
		for { // the probe connects too
			conn, err := srv.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 2)
				if _, err := io.ReadFull(conn, buf); err == nil {
					_, _ = conn.Write([]byte("echo:" + string(buf)))
				}
				conn.Close() // the server's close ends the response
			}()
		}
	}()
	ok, _, err = c.Probe(ctx)
	require.NoError(t, err)
	assert.True(t, ok)

	conn, err := c.Dial(ctx)
	require.NoError(t, err)
	_, err = conn.Write([]byte("hi"))
	require.NoError(t, err)
	got, err := io.ReadAll(conn)
	require.NoError(t, err)
	assert.Equal(t, "echo:hi", string(got))
	require.NoError(t, conn.Close())
}

func TestRelayProbeNamesOtherPorts(t *testing.T) {
	other, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer other.Close()
	c := session(t, freePort(t))
	ok, listening, err := c.Probe(context.Background())
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Contains(t, listening, other.Addr().(*net.TCPAddr).Port)
}

// A client that goes away must be seen by a server that streams (an event
// stream, a graceful-shutdown test): closing the stream closes the
// relay's connection to the server.
func TestRelayClientCloseReachesStreamingServer(t *testing.T) {
	srv, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer srv.Close()
	serverSawClose := make(chan struct{})
	go func() {
		conn, err := srv.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			if _, err := conn.Write([]byte("data: tick\n\n")); err != nil {
				close(serverSawClose)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	c := session(t, srv.Addr().(*net.TCPAddr).Port)
	conn, err := c.Dial(context.Background())
	require.NoError(t, err)
	buf := make([]byte, 12)
	_, err = io.ReadFull(conn, buf)
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	select {
	case <-serverSawClose:
	case <-time.After(5 * time.Second):
		t.Fatal("the server kept writing to a client that had closed")
	}
}

// Many connections at once (step 5 sends a burst of 150).
func TestRelayBurst(t *testing.T) {
	srv, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer srv.Close()
	go func() {
		for {
			conn, err := srv.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				b := make([]byte, 4)
				if _, err := io.ReadFull(conn, b); err == nil {
					_, _ = conn.Write(b)
				}
			}()
		}
	}()
	c := session(t, srv.Addr().(*net.TCPAddr).Port)
	const n = 150
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, err := c.Dial(ctx)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			msg := []byte(strconv.Itoa(1000 + i))
			if _, err := conn.Write(msg); err != nil {
				errs <- err
				return
			}
			got, err := io.ReadAll(conn)
			if err != nil {
				errs <- err
				return
			}
			if string(got) != string(msg) {
				errs <- errors.New("got " + string(got) + ", want " + string(msg))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDialHonoursContext(t *testing.T) {
	// A relay that never answers: the client end of a pipe nobody serves.
	a, b := net.Pipe()
	defer b.Close()
	go func() { _, _ = io.Copy(io.Discard, b) }()
	c, err := NewClient(a)
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = c.Dial(ctx)
	require.Error(t, err)
}
