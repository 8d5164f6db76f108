// Package relay is the small program that owns a sandboxed server's network
// namespace, and the protocol coach speaks to it.
//
// The Docker backend runs the relay in a container with no network; the
// learner's container (and any database service) joins that namespace, so
// the server has nothing but loopback. coach reaches the relay through the
// engine's API alone: the relay's stdin and stdout, attached by coach, carry
// a yamux session, one stream per connection. Nothing is shared with the
// engine through host paths, so the same works when the engine runs in a VM
// (Docker Desktop, Colima, Podman machine), on another host (ssh://, tcp://)
// or when coach runs in a container; a Kubernetes backend would carry the
// same session over an attach or exec stream.
//
// Each stream starts with one byte saying what it is for:
//
//	'H'  a TCP connection to the server's port: the relay dials
//	     127.0.0.1:$PORT (then [::1]) and answers one byte, 'o' when it is
//	     connected (bytes flow both ways from then on) or 'r' when the dial
//	     was refused (the stream then closes);
//	'P'  a probe: the relay answers one line, "ok" when the port accepts,
//	     else "refused listening=<ports>" with the TCP ports listening in
//	     the namespace, so coach can say "it listens on 3000, not 8080".
//
// A stream the client closes is a full close of that connection: the relay
// closes its side towards the server too (HTTP clients never half-close,
// and a server that streams must notice that its client went away).
package relay

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/yamux"
)

const (
	// EnvMode selects relay mode when coach's own executable serves as the
	// relay: "1" runs the relay, "init-data" prepares a data directory and
	// exits. The standalone relay (cmd/coach-relay) reads only "init-data".
	EnvMode = "COACH_RELAY"

	// KindConn and KindProbe open a stream (see the package doc).
	KindConn  byte = 'H'
	KindProbe byte = 'P'

	dialOK      byte = 'o'
	dialRefused byte = 'r'
)

// MaybeRun runs the relay and exits when the process was started in relay
// mode; otherwise it returns at once. Call it first thing in main (and in
// TestMain of tests whose binary serves as the relay image).
func MaybeRun() {
	switch os.Getenv(EnvMode) {
	case "1", "init-data":
		Main()
	}
}

// Main is the relay program: it serves the session on stdin/stdout until
// stdin closes (coach detached or went away), or prepares $DATA_DIR when
// COACH_RELAY=init-data. It never returns.
func Main() {
	if os.Getenv(EnvMode) == "init-data" {
		os.Exit(initData(os.Getenv("DATA_DIR")))
	}
	port, err := strconv.Atoi(os.Getenv("PORT"))
	if err != nil || port <= 0 || port > 65535 {
		fmt.Fprintf(os.Stderr, "relay: bad PORT %q\n", os.Getenv("PORT"))
		os.Exit(2)
	}
	if err := Serve(context.Background(), stdio{}, port); err != nil {
		fmt.Fprintf(os.Stderr, "relay: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// stdio is the relay's end of the attached streams.
type stdio struct{}

func (stdio) Read(p []byte) (int, error)  { return os.Stdin.Read(p) }
func (stdio) Write(p []byte) (int, error) { return os.Stdout.Write(p) }
func (stdio) Close() error                { return errors.Join(os.Stdin.Close(), os.Stdout.Close()) }

// initData makes a fresh data volume writable by the unprivileged server
// user, whatever uid that is (the learner's own image decides nothing here).
func initData(dir string) int {
	if dir == "" {
		dir = "/data"
	}
	if err := os.Chmod(dir, 0o1777); err != nil {
		fmt.Fprintf(os.Stderr, "relay: %v\n", err)
		return 1
	}
	return 0
}

// Config is the yamux configuration both ends use.
func Config() *yamux.Config {
	c := yamux.DefaultConfig()
	c.LogOutput = io.Discard
	// The session is the whole sandbox: a write that cannot go out for this
	// long means the engine connection is gone.
	c.ConnectionWriteTimeout = 30 * time.Second
	// A burst (step 5 sends 150 requests at once) opens many streams at once.
	c.AcceptBacklog = 1024
	return c
}

// Serve runs the relay's end of the session over conn until conn ends or
// ctx is done. Streams reach 127.0.0.1:port (or [::1]:port).
func Serve(ctx context.Context, conn io.ReadWriteCloser, port int) error {
	sess, err := yamux.Server(conn, Config())
	if err != nil {
		return fmt.Errorf("start the session: %w", err)
	}
	defer sess.Close()
	go func() {
		select {
		case <-ctx.Done():
			sess.Close()
		case <-sess.CloseChan():
		}
	}()
	target := strconv.Itoa(port)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		st, err := sess.AcceptStream()
		if err != nil {
			if sess.IsClosed() || errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("accept: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			handle(st, target, port)
		}()
	}
}

func handle(st *yamux.Stream, target string, port int) {
	defer st.Close()
	_ = st.SetReadDeadline(time.Now().Add(10 * time.Second))
	var kind [1]byte
	if _, err := io.ReadFull(st, kind[:]); err != nil {
		return
	}
	_ = st.SetReadDeadline(time.Time{})
	switch kind[0] {
	case KindConn:
		forward(st, target)
	case KindProbe:
		probe(st, target, port)
	}
}

// forward connects the stream to the server. The server's half-close is
// passed on (the client reads the whole response, then EOF); the client's
// close ends the connection.
func forward(st *yamux.Stream, port string) {
	up, err := dialServer(port, 5*time.Second)
	if err != nil {
		_, _ = st.Write([]byte{dialRefused})
		return
	}
	defer up.Close()
	if _, err := st.Write([]byte{dialOK}); err != nil {
		return
	}
	fromServer := make(chan struct{})
	go func() {
		defer close(fromServer)
		_, _ = io.Copy(st, up)
		_ = st.Close() // FIN: the response is complete
	}()
	_, _ = io.Copy(up, st)
	// The client closed (or the stream broke): close towards the server at
	// once, so a streaming server sees its client go.
	_ = up.Close()
	<-fromServer
}

// dialServer connects to the server's port on loopback: IPv4 first, then
// IPv6, for a server that listens on ::1 only.
func dialServer(port string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), timeout)
	if err == nil {
		return c, nil
	}
	if c6, err6 := net.DialTimeout("tcp", net.JoinHostPort("::1", port), timeout); err6 == nil {
		return c6, nil
	}
	return nil, err
}

// probe answers one line (see the package doc).
func probe(w io.Writer, target string, port int) {
	t, err := dialServer(target, time.Second)
	if err == nil {
		t.Close()
		fmt.Fprintln(w, "ok")
		return
	}
	ports := ListeningPorts()
	strs := make([]string, 0, len(ports))
	for _, p := range ports {
		if p != port {
			strs = append(strs, strconv.Itoa(p))
		}
	}
	fmt.Fprintf(w, "refused listening=%s\n", strings.Join(strs, ","))
}

// ListeningPorts reads the TCP ports in LISTEN state from /proc/net/tcp and
// /proc/net/tcp6 of the calling process's network namespace.
func ListeningPorts() []int {
	var ports []int
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		ports = append(ports, parseListening(fh)...)
		fh.Close()
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

func parseListening(r io.Reader) []int {
	var ports []int
	sc := bufio.NewScanner(r)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[3] != "0A" { // 0A = TCP_LISTEN
			continue
		}
		_, hexPort, ok := strings.Cut(fields[1], ":")
		if !ok {
			continue
		}
		p, err := strconv.ParseUint(hexPort, 16, 16)
		if err == nil {
			ports = append(ports, int(p))
		}
	}
	return ports
}

// Client is coach's end of a relay session.
type Client struct {
	sess *yamux.Session
}

// NewClient starts the client end of the session over conn (the attached
// streams of the relay container).
func NewClient(conn io.ReadWriteCloser) (*Client, error) {
	sess, err := yamux.Client(conn, Config())
	if err != nil {
		return nil, fmt.Errorf("start the relay session: %w", err)
	}
	return &Client{sess: sess}, nil
}

// Ping checks that the relay answers.
func (c *Client) Ping(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { _, err := c.sess.Ping(); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("ping the relay: %w", err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done is closed when the session ends (the relay exited or the engine
// connection broke).
func (c *Client) Done() <-chan struct{} { return c.sess.CloseChan() }

// Close ends the session; the relay exits when it sees that.
func (c *Client) Close() error { return c.sess.Close() }

// ErrRefused is returned (wrapping syscall.ECONNREFUSED) when nothing
// accepts connections on the server's port inside the sandbox.
var ErrRefused = fmt.Errorf("nothing accepts connections on the server's port inside the sandbox: %w", syscall.ECONNREFUSED)

// Dial opens a connection to the server's port inside the sandbox.
func (c *Client) Dial(ctx context.Context) (net.Conn, error) {
	st, stop, err := c.open(ctx, KindConn)
	if err != nil {
		return nil, err
	}
	defer stop()
	var ans [1]byte
	if _, err := io.ReadFull(st, ans[:]); err != nil {
		st.Close()
		return nil, fmt.Errorf("relay: %w", err)
	}
	stop()
	_ = st.SetDeadline(time.Time{})
	if ans[0] != dialOK {
		st.Close()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: ErrRefused}
	}
	return st, nil
}

// Probe asks the relay whether the server accepts connections. It returns
// ok, or the other ports found listening.
func (c *Client) Probe(ctx context.Context) (ok bool, listening []int, err error) {
	st, stop, err := c.open(ctx, KindProbe)
	if err != nil {
		return false, nil, err
	}
	defer stop()
	defer st.Close()
	line, err := bufio.NewReader(st).ReadString('\n')
	if err != nil {
		return false, nil, fmt.Errorf("read the probe's answer: %w", err)
	}
	return parseProbe(line)
}

func parseProbe(line string) (ok bool, listening []int, err error) {
	line = strings.TrimSpace(line)
	if line == "ok" {
		return true, nil, nil
	}
	rest, found := strings.CutPrefix(line, "refused listening=")
	if !found {
		return false, nil, fmt.Errorf("unexpected probe answer %q", line)
	}
	for _, s := range strings.Split(rest, ",") {
		if p, err := strconv.Atoi(s); err == nil {
			listening = append(listening, p)
		}
	}
	return false, listening, nil
}

// open starts a stream of the given kind, with ctx's deadline (or 10 s)
// for the relay's first answer; ctx ending before stop is called ends the
// wait.
func (c *Client) open(ctx context.Context, kind byte) (_ *yamux.Stream, stop func() bool, _ error) {
	st, err := c.sess.OpenStream()
	if err != nil {
		return nil, nil, fmt.Errorf("open a stream to the relay: %w", err)
	}
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(10 * time.Second)
	}
	_ = st.SetDeadline(dl)
	stop = context.AfterFunc(ctx, func() { _ = st.SetDeadline(time.Now()) })
	if _, err := st.Write([]byte{kind}); err != nil {
		stop()
		st.Close()
		return nil, nil, fmt.Errorf("write to the relay: %w", err)
	}
	return st, stop, nil
}
