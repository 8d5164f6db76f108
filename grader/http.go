package grader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"syscall"
	"time"
)

const (
	// maxBody is the largest response body coach reads; a longer one fails
	// the request rather than being checked by its start.
	maxBody = 1 << 20
	// maxCurlBody is how much of a request body a curl line shows.
	maxCurlBody = 1 << 10
	// maxTranscriptBody caps bodies kept for -v output.
	maxTranscriptBody = 16 << 10
	excerptLen        = 300
)

// newTransport routes every connection through the target, whatever the
// URL says, and keeps bytes on the wire exactly as the server sent them.
func newTransport(t Target) *http.Transport {
	return &http.Transport{
		Proxy: nil, // never a proxy: the target is reached directly
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return t.DialContext(ctx, network, addr)
		},
		DisableCompression:  true,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
}

// outgoing is a rendered request, ready to send and to show as curl.
type outgoing struct {
	method  string
	url     string
	headers [][2]string // in the order written, names as written
	body    []byte
	hasBody bool
	timeout time.Duration
}

// response is what came back, body complete (at most maxBody bytes).
type response struct {
	status   int
	header   http.Header
	body     []byte
	duration time.Duration
}

// build renders req with data into an outgoing request; jar supplies the
// cookies the test has collected, unless the request opts out.
func build(r *renderer, data map[string]any, base string, req *Request, jar *cookiejar.Jar) (*outgoing, error) {
	path, err := req.Path.text(r, data)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("path %q does not start with /", path)
	}
	u := strings.TrimRight(base, "/") + path
	if len(req.Query) > 0 {
		q, err := encodePairs(r, data, req.Query)
		if err != nil {
			return nil, err
		}
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + q
	}
	if _, err := url.Parse(u); err != nil {
		return nil, fmt.Errorf("bad request URL %q: %w", u, err)
	}
	out := &outgoing{method: req.Method, url: u, timeout: req.Timeout}
	if out.timeout == 0 {
		out.timeout = defaultRequestTimeout
	}
	contentType := ""
	switch {
	case req.JSON != nil:
		v, err := req.JSON.render(r, data)
		if err != nil {
			return nil, err
		}
		out.body, out.hasBody, contentType = []byte(compactJSON(v)), true, "application/json"
	case req.Body != nil:
		s, err := req.Body.text(r, data)
		if err != nil {
			return nil, err
		}
		out.body, out.hasBody = []byte(s), true
	case req.Form != nil:
		s, err := encodePairs(r, data, req.Form)
		if err != nil {
			return nil, err
		}
		out.body, out.hasBody, contentType = []byte(s), true, "application/x-www-form-urlencoded"
	}
	return out, out.addHeaders(r, data, req, jar, contentType)
}

func (o *outgoing) addHeaders(r *renderer, data map[string]any, req *Request, jar *cookiejar.Jar, contentType string) error {
	has := func(name string) bool {
		for _, h := range o.headers {
			if strings.EqualFold(h[0], name) {
				return true
			}
		}
		return false
	}
	for _, h := range req.Headers {
		v, err := h.Value.text(r, data)
		if err != nil {
			return err
		}
		o.headers = append(o.headers, [2]string{h.Key, v})
	}
	if contentType != "" && !has("Content-Type") {
		o.headers = append(o.headers, [2]string{"Content-Type", contentType})
	}
	// Cookies are added by hand, not by http.Client, so the curl line
	// shows exactly what was sent.
	if jar != nil && !req.NoCookies && !has("Cookie") {
		u, _ := url.Parse(o.url)
		var parts []string
		for _, c := range jar.Cookies(u) {
			parts = append(parts, c.Name+"="+c.Value)
		}
		if len(parts) > 0 {
			o.headers = append(o.headers, [2]string{"Cookie", strings.Join(parts, "; ")})
		}
	}
	return nil
}

func encodePairs(r *renderer, data map[string]any, kvs []KV) (string, error) {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		v, err := kv.Value.text(r, data)
		if err != nil {
			return "", err
		}
		parts[i] = url.QueryEscape(kv.Key) + "=" + url.QueryEscape(v)
	}
	return strings.Join(parts, "&"), nil
}

// transportError is a request that got no usable answer; msg is written
// for the learner.
type transportError struct {
	msg string
	err error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }

// send performs o; the whole exchange, body included, shares o.timeout.
func send(ctx context.Context, client *http.Client, o *outgoing) (*response, error) {
	rctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	var body io.Reader
	if o.hasBody {
		// A bytes.Reader gives the request a Content-Length: never chunked.
		body = bytes.NewReader(o.body)
	}
	req, err := http.NewRequestWithContext(rctx, o.method, o.url, body)
	if err != nil {
		return nil, fmt.Errorf("bad request: %w", err)
	}
	for _, h := range o.headers {
		if strings.EqualFold(h[0], "Host") {
			req.Host = h[1]
			continue
		}
		// Set as written, not canonicalised: "sent as written".
		req.Header[h[0]] = append(req.Header[h[0]], h[1])
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, classify(ctx, rctx, o.timeout, err, "")
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, classify(ctx, rctx, o.timeout, err, "body")
	}
	if o.hasBody && resp.StatusCode >= 400 {
		// A server may answer an error before reading the request body
		// (ROADMAP allows it). On a kept-alive connection the unread bytes
		// would be taken for the next request and fail an unrelated check,
		// so the connection is not reused.
		client.CloseIdleConnections()
	}
	if len(b) > maxBody {
		// A check on the first MiB could pass on what is only a prefix
		// (an endless body that starts with the expected text): the
		// request fails instead.
		return nil, &transportError{msg: fmt.Sprintf("the response body is larger than %s: coach reads at most that much of an answer, so it cannot check this one", mib(maxBody))}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b, duration: time.Since(start)}, nil
}

// mib writes a byte count in whole MiB, as learners read limits.
func mib(n int) string { return fmt.Sprintf("%d MiB", n>>20) }

// classify turns a transport error into a sentence a learner can act on.
// Errors from the test's own context are returned as they are, so the
// caller can tell an interrupted run or a test timeout from a slow server.
func classify(ctx, rctx context.Context, timeout time.Duration, err error, part string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var msg string
	switch {
	case rctx.Err() != nil && part == "body":
		msg = fmt.Sprintf("the response body was not finished after %s: the status and headers came, the end of the body never did", timeout)
	case rctx.Err() != nil:
		msg = fmt.Sprintf("no response within %s", timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		msg = "connection refused: is the server still running?"
	case part == "body":
		msg = "the server closed the connection in the middle of the response body"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		strings.Contains(err.Error(), "server closed"):
		msg = "the server closed the connection without answering"
	case strings.Contains(err.Error(), "malformed HTTP"):
		msg = "the server's answer is not valid HTTP: " + innerError(err)
	default:
		msg = "the request failed: " + innerError(err)
	}
	return &transportError{msg: msg, err: err}
}

func innerError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// curl renders o as a command a learner can paste into a shell.
func (o *outgoing) curl() string {
	var sb strings.Builder
	sb.WriteString("curl -i")
	switch o.method {
	case "GET":
	case "HEAD":
		sb.WriteString(" --head")
	default:
		sb.WriteString(" -X " + o.method)
	}
	sb.WriteString(" " + shellQuote(o.url))
	for _, h := range o.headers {
		sb.WriteString(" -H " + shellQuote(h[0]+": "+h[1]))
	}
	note := ""
	if o.hasBody {
		b := string(o.body)
		if len(b) > maxCurlBody {
			b = clip(b, maxCurlBody)
			note = fmt.Sprintf("  # body shortened here: the real one is %d bytes", len(o.body))
		}
		sb.WriteString(" --data-raw " + shellQuote(b))
	}
	return sb.String() + note
}

// shellQuote wraps s in single quotes, the one quoting a POSIX shell
// never interprets; a single quote inside becomes '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// exchange records o and its outcome for the transcript.
func exchange(o *outgoing, resp *response, err error) Exchange {
	ex := Exchange{Curl: o.curl(), Method: o.method, URL: o.url, ReqHeaders: map[string][]string{}}
	for _, h := range o.headers {
		ex.ReqHeaders[h[0]] = append(ex.ReqHeaders[h[0]], h[1])
	}
	ex.ReqBody = clip(string(o.body), maxTranscriptBody)
	if err != nil {
		ex.Error = err.Error()
		return ex
	}
	ex.Status, ex.Headers = resp.status, resp.header
	ex.Body = clip(string(resp.body), maxTranscriptBody)
	ex.DurationMS = resp.duration.Milliseconds()
	return ex
}

func excerpt(b []byte) string {
	return clip(string(b), excerptLen)
}
