package relay

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

func TestRelayForwardsAndProbes(t *testing.T) {
	dir, err := os.MkdirTemp("", "relay") // short path: unix socket names are limited
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })

	// A port nobody listens on yet: grab one and release it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, dir, port) }()
	sock := filepath.Join(dir, ProbeSocket)
	require.Eventually(t, func() bool { _, err := os.Stat(sock); return err == nil }, 2*time.Second, 10*time.Millisecond)

	ok, _, err := Probe(ctx, sock)
	require.NoError(t, err)
	assert.False(t, ok)

	srv, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	require.NoError(t, err)
	defer srv.Close()
	go func() {
		for { // the probe connects too
			c, err := srv.Accept()
			if err != nil {
				return
			}
			go func() {
				b, _ := io.ReadAll(c) // until the client half-closes
				_, _ = c.Write([]byte("echo:" + string(b)))
				c.Close()
			}()
		}
	}()
	ok, _, err = Probe(ctx, sock)
	require.NoError(t, err)
	assert.True(t, ok)

	c, err := net.Dial("unix", filepath.Join(dir, HTTPSocket))
	require.NoError(t, err)
	_, err = c.Write([]byte("hi"))
	require.NoError(t, err)
	require.NoError(t, c.(*net.UnixConn).CloseWrite())
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "echo:hi", string(got))

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(2 * time.Second):
		t.Fatal("relay did not stop")
	}
}
