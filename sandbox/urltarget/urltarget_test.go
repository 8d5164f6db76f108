package urltarget

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/sandbox"
)

func TestURLValidation(t *testing.T) {
	tests := []struct {
		raw      string
		wantBase string // empty: an error containing wantErr
		wantErr  string
	}{
		{raw: "http://127.0.0.1:3000", wantBase: "http://127.0.0.1:3000"},
		{raw: "http://localhost:3000/", wantBase: "http://localhost:3000"},
		{raw: " http://localhost:3000/api/ ", wantBase: "http://localhost:3000/api"},
		{raw: "http://[::1]:8080", wantBase: "http://[::1]:8080"},
		{raw: "", wantErr: "--url is empty"},
		{raw: "localhost:3000", wantErr: "did you mean http://localhost:3000?"},
		{raw: "https://localhost:3000", wantErr: "uses https"},
		{raw: "ftp://localhost:21", wantErr: "is not an http:// URL"},
		{raw: "http://localhost", wantErr: "has no port"},
		{raw: "http://:3000", wantErr: "has no host"},
		{raw: "http://localhost:99999", wantErr: "invalid port"},
		{raw: "http://localhost:3000/?page=2", wantErr: "query or fragment"},
		{raw: "http://ada:secret@localhost:3000", wantErr: "user name or password"},
		{raw: "http://local host:3000", wantErr: "is not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			target, err := New(tt.raw)
			if tt.wantErr != "" {
				var ue *Error
				require.ErrorAs(t, err, &ue)
				assert.Contains(t, ue.Error(), tt.wantErr)
				assert.Contains(t, ue.Error(), "e.g. --url http://localhost:3000", "an example")
				assert.Nil(t, target)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantBase, target.base)
		})
	}
}

func TestURLStart(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hi from " + r.URL.Path))
	}))
	defer srv.Close()

	target, err := New(srv.URL + "/")
	require.NoError(t, err)
	inst, err := target.Start(t.Context(), sandbox.Spec{StartTimeout: 10 * time.Second})
	require.NoError(t, err)
	defer inst.Close(context.Background())

	assert.Equal(t, "url", inst.Kind())
	assert.Equal(t, srv.URL, inst.BaseURL())
	assert.Zero(t, inst.LogMark())
	assert.Nil(t, inst.LogsSince(0))
	// The grader finds out what an instance can do by asserting these.
	_, restarts := inst.(interface{ Restart(context.Context) error })
	_, signals := inst.(interface {
		Signal(context.Context, syscall.Signal) error
	})
	assert.False(t, restarts, "a url instance cannot restart the server")
	assert.False(t, signals, "a url instance cannot signal the server")

	// Requests go through DialContext whatever host the URL names.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: inst.DialContext, DisableKeepAlives: true}}
	resp, err := client.Get("http://example.invalid/ping")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	status := resp.StatusCode
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "hi from /ping", string(body))
	assert.NoError(t, inst.Close(t.Context()))
}

func TestURLNothingListening(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	target, err := New(base)
	require.NoError(t, err)
	// A refused connection ends the wait long before the start timeout:
	// were the whole minute waited, ctx would end first and Start would
	// return its error instead of a StartError.
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	inst, err := target.Start(ctx, sandbox.Spec{StartTimeout: time.Minute})
	assert.Nil(t, inst)
	var se *sandbox.StartError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "nothing listens on 127.0.0.1:"+strconv.Itoa(port)+": start your server first", se.Error())
	assert.Equal(t, port, se.Port)
}
