// Package relay is the small program that owns a sandboxed server's network
// namespace. The Docker backend runs coach's own executable in relay mode in
// a container with no network; the learner's container joins that namespace,
// and coach reaches the server through Unix sockets in a shared directory,
// so the server itself never needs (or gets) a network interface other than
// loopback.
package relay

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// EnvMode selects relay mode: "1" runs the relay, "init-data" prepares
	// a data directory and exits.
	EnvMode = "COACH_RELAY"
	// EnvDir is the directory holding the sockets (default /coach).
	EnvDir = "COACH_RELAY_DIR"
	// HTTPSocket and ProbeSocket are the socket names inside the directory.
	HTTPSocket  = "http.sock"
	ProbeSocket = "probe.sock"
)

// MaybeRun runs the relay and exits when the process was started in relay
// mode; otherwise it returns at once. Call it first thing in main (and in
// TestMain of tests whose binary serves as the relay image).
func MaybeRun() {
	switch os.Getenv(EnvMode) {
	case "1":
	case "init-data":
		os.Exit(initData(os.Getenv("DATA_DIR")))
	default:
		return
	}
	dir := os.Getenv(EnvDir)
	if dir == "" {
		dir = "/coach"
	}
	port, err := strconv.Atoi(os.Getenv("PORT"))
	if err != nil || port <= 0 || port > 65535 {
		fmt.Fprintf(os.Stderr, "relay: bad PORT %q\n", os.Getenv("PORT"))
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := Run(ctx, dir, port); err != nil {
		fmt.Fprintf(os.Stderr, "relay: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

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

// Run listens on dir/http.sock and dir/probe.sock until ctx ends.
func Run(ctx context.Context, dir string, port int) error {
	target := strconv.Itoa(port)
	httpLn, err := listen(filepath.Join(dir, HTTPSocket))
	if err != nil {
		return err
	}
	defer httpLn.Close()
	probeLn, err := listen(filepath.Join(dir, ProbeSocket))
	if err != nil {
		return err
	}
	defer probeLn.Close()

	go func() {
		<-ctx.Done()
		httpLn.Close()
		probeLn.Close()
	}()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); serve(httpLn, func(c net.Conn) { forward(c, target) }) }()
	go func() { defer wg.Done(); serve(probeLn, func(c net.Conn) { probe(c, target, port) }) }()
	wg.Wait()
	return nil
}

func listen(path string) (net.Listener, error) {
	_ = os.Remove(path) // a socket left by an earlier relay in the same directory
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	// coach on the host may run as any user; the directory is private to the run.
	if err := os.Chmod(path, 0o777); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	return ln, nil
}

func serve(ln net.Listener, handle func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: back off rather than spin
			continue
		}
		go handle(c)
	}
}

// forward copies both directions and passes half-closes on, so a client
// that closes its write side still receives the whole response. A refused
// dial closes the connection at once: the client sees a reset, as it would
// against a closed port.
func forward(c net.Conn, port string) {
	defer c.Close()
	up, err := dialServer(port, 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
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

// probe answers one line: "ok" when the server's port accepts, otherwise
// "refused listening=<ports>" with the TCP ports that are listening in this
// namespace, so coach can tell "it listened on 3000, not 8080".
func probe(c net.Conn, target string, port int) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	t, err := dialServer(target, time.Second)
	if err == nil {
		t.Close()
		fmt.Fprintln(c, "ok")
		return
	}
	ports := ListeningPorts()
	strs := make([]string, 0, len(ports))
	for _, p := range ports {
		if p != port {
			strs = append(strs, strconv.Itoa(p))
		}
	}
	fmt.Fprintf(c, "refused listening=%s\n", strings.Join(strs, ","))
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

// Probe asks a relay's probe socket whether the server accepts connections.
// It returns ok, or the other ports found listening.
func Probe(ctx context.Context, sock string) (ok bool, listening []int, err error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return false, nil, err
	}
	defer c.Close()
	if dl, has := ctx.Deadline(); has {
		_ = c.SetDeadline(dl)
	} else {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return false, nil, fmt.Errorf("read probe answer: %w", err)
	}
	line = strings.TrimSpace(line)
	if line == "ok" {
		return true, nil, nil
	}
	_, list, _ := strings.Cut(line, "listening=")
	for _, s := range strings.Split(list, ",") {
		if p, err := strconv.Atoi(s); err == nil {
			listening = append(listening, p)
		}
	}
	return false, listening, nil
}
