package sandbox

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/coachcli/coach/sandbox/workspace"
)

// LogDir is where the whole build and server output is kept, relative to
// the workspace (coach's own folder, never copied into the sandbox).
const LogDir = ".coach/logs"

// Log files in LogDir.
const (
	BuildLogName  = "build.log"
	ServerLogName = "server.log"
)

// WorkspaceLogDir is where a workspace's logs are kept.
func WorkspaceLogDir(dir string) string { return filepath.Join(dir, filepath.FromSlash(LogDir)) }

// SaveLog writes data to name in logDir and returns the path to show
// (relative to the workspace for its own log folder), or "" when there is
// no logDir or the file could not be written: a log is a convenience,
// never a reason to fail.
func SaveLog(logDir, name string, data []byte) string {
	if logDir == "" {
		return ""
	}
	p := filepath.Join(logDir, name)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return ""
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return ""
	}
	if strings.HasSuffix(filepath.ToSlash(logDir), LogDir) {
		return LogDir + "/" + name
	}
	return p
}

// errorLine is the start of a build's real error: npm and node-gyp print
// pages after it, so the tail alone often hides the cause.
var errorLine = regexp.MustCompile(`(?i)(^npm (ERR!|error)|^gyp ERR!|^error\b|\berror[:\[ ]|^\S+\.(go|ts|js|py):\d+|^Traceback|^\s*File ".*", line \d+|SyntaxError|cannot find|undefined:|^ERROR:)`)

// progressLine is build output that only says what is being fetched: left
// out of excerpts (the log keeps it).
var progressLine = regexp.MustCompile(`^(go: downloading |go: finding |go: extracting |npm (http|sill|verb|timing) |Collecting |  Downloading |Downloading )`)

// Excerpt shows a long output as a learner should read it: from its first
// error line (a few lines of it), then the last lines. Short output stays
// whole. Backends use it for build and start output.
func Excerpt(out string, first, last int) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if !progressLine.MatchString(l) {
			lines = append(lines, l)
		}
	}
	if len(lines) <= first+last {
		return strings.Join(lines, "\n")
	}
	start := -1
	for i, l := range lines {
		if errorLine.MatchString(l) {
			start = i
			break
		}
	}
	tail := lines[len(lines)-last:]
	if start < 0 || start >= len(lines)-last {
		return strings.Join(tail, "\n")
	}
	head := lines[start:min(start+first, len(lines)-last)]
	gap := len(lines) - last - (start + len(head))
	parts := head
	if gap > 0 {
		parts = append(append([]string{}, head...), fmt.Sprintf("… (%d more lines)", gap))
	}
	return strings.Join(append(parts, tail...), "\n")
}

// netFailure is a build step's failure to reach the network.
type netFailure struct {
	host string // host[:port] it could not reach
	tls  bool   // the connection worked but the certificate was not trusted
	line string // the line that says so
}

var (
	urlIn      = regexp.MustCompile(`https?://[^\s"'<>)]+`)
	hostQuoted = regexp.MustCompile(`host='([^']+)'(?:, port=(\d+))?`)
	dialAddr   = regexp.MustCompile(`dial tcp (?:lookup )?(\[[^\]]+\]:\d+|[\w.-]+:\d+|[\w.-]+)`)
	lookupHost = regexp.MustCompile(`lookup ([\w.-]+)`)
	connectTo  = regexp.MustCompile(`(?:ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ECONNRESET) ([\w.:\[\]-]+)`)
	// netWords mark a line as a network failure, not a compile error.
	netWords = regexp.MustCompile(`(?i)(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|ENETUNREACH|EHOSTUNREACH|ERR_SOCKET_TIMEOUT|` +
		`connection refused|no such host|i/o timeout|network is unreachable|TLS handshake timeout|proxyconnect|` +
		`Temporary failure in name resolution|Name or service not known|Failed to establish a new connection|NewConnectionError|` +
		`ProxyError|Max retries exceeded|Could not fetch URL|getaddrinfo|` + tlsWordsSrc + `)`)
	tlsWords    = regexp.MustCompile(`(?i)(` + tlsWordsSrc + `)`)
	tlsWordsSrc = `SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|` +
		`self[- ]signed certificate|unable to get local issuer certificate|x509: certificate|CERTIFICATE_VERIFY_FAILED|\bSSLError\b|certificate verify failed`
)

// findNetFailure looks for a build's failure to reach a registry or proxy.
// A failure whose lines never name the host (pip's retries) comes back with
// host "".
func findNetFailure(out string) *netFailure {
	var hostless *netFailure
	for _, line := range strings.Split(out, "\n") {
		if !netWords.MatchString(line) {
			continue
		}
		f := &netFailure{tls: tlsWords.MatchString(line), line: strings.TrimSpace(line)}
		switch {
		case hostQuoted.MatchString(line):
			m := hostQuoted.FindStringSubmatch(line)
			f.host = m[1]
			if m[2] != "" {
				f.host = net.JoinHostPort(m[1], m[2])
			}
		case urlIn.MatchString(line):
			if u, err := url.Parse(urlIn.FindString(line)); err == nil {
				f.host = u.Host
			}
		case dialAddr.MatchString(line):
			f.host = dialAddr.FindStringSubmatch(line)[1]
		case lookupHost.MatchString(line):
			f.host = lookupHost.FindStringSubmatch(line)[1]
		case connectTo.MatchString(line):
			f.host = connectTo.FindStringSubmatch(line)[1]
		}
		if f.host == "" {
			if hostless == nil && !strings.Contains(line, " code ") {
				hostless = f
			}
			continue // a summary line (npm error code ECONNREFUSED): a later one may name the host
		}
		return f
	}
	return hostless
}

// TLSFailure returns the first sign of an untrusted certificate in a
// build's output (the words npm, pip, Go and curl print), or "".
func TLSFailure(out string) string {
	return tlsWords.FindString(out)
}

// NetHost is the host a network error message names: a URL's host, or
// the name a DNS lookup failed for; "" when it names none.
func NetHost(msg string) string {
	if m := urlIn.FindString(msg); m != "" {
		if u, err := url.Parse(m); err == nil {
			return u.Host
		}
		return ""
	}
	if m := lookupHost.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}

// BuildNet is what a build's network failure is explained with: the
// settings the build ran with, which differ between the backends (Docker
// gets coach's copies of them, the process backend the host's own).
type BuildNet struct {
	Env    map[string]string // registry settings, by registryEnv's names
	CAFile string            // sandbox.ca_file, "" when none or not used
	Proxy  string            // HTTPS_PROXY or HTTP_PROXY, "" when none
	// Where the build ran, for "reachable from ...": "Docker" or "this machine".
	Where string
	// TLSAdvice is what to do about a certificate the build did not trust
	// when no CA file is given.
	TLSAdvice string
	Dir       string // the workspace, whose .npmrc may name a registry
}

// HostNet is the settings of a build on this machine (the process backend):
// the host's environment, as npm, pip and go read it.
func HostNet(ws *workspace.Workspace) BuildNet {
	env := map[string]string{}
	for _, names := range registryEnv {
		for _, k := range names {
			if v := os.Getenv(k); v != "" {
				env[k] = v
			}
		}
	}
	return BuildNet{Env: env, Proxy: firstNonEmpty(os.Getenv("HTTPS_PROXY"), os.Getenv("https_proxy"), os.Getenv("HTTP_PROXY"), os.Getenv("http_proxy")), Where: "this machine", Dir: ws.Dir,
		TLSAdvice: "a proxy or antivirus on your network replaces TLS certificates: the process sandbox builds with this machine's own " +
			"settings, so make npm, pip and go trust its CA (NODE_EXTRA_CA_CERTS, PIP_CERT or SSL_CERT_FILE=/path/to/ca.pem), " +
			"or use the docker sandbox with `sandbox.ca_file`"}
}

// registrySetting is the setting that points a runtime's build at another
// registry, said as a learner reads it ("NPM_CONFIG_REGISTRY is set to X"),
// and its value; "" when none. The environment comes first (npm lets it
// override .npmrc), then the workspace's .npmrc.
func (n BuildNet) registrySetting(rt workspace.Runtime) (said, value string) {
	for _, k := range registryEnv[rt] {
		if v := n.Env[k]; v != "" {
			return k + " is set to " + v, v
		}
	}
	if rt == workspace.Node && n.Dir != "" {
		if v := npmrcRegistry(n.Dir); v != "" {
			return "your .npmrc sets registry=" + v, v
		}
	}
	return "", ""
}

// npmrcRegistry is the registry= line of the workspace's .npmrc, "" when none.
func npmrcRegistry(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, ".npmrc"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == "registry" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// defaultRegistry is the host a runtime's build downloads from.
func (n BuildNet) defaultRegistry(rt workspace.Runtime) string {
	if _, v := n.registrySetting(rt); v != "" {
		if u, err := url.Parse(strings.Split(v, ",")[0]); err == nil && u.Host != "" {
			return u.Host
		}
	}
	return map[workspace.Runtime]string{workspace.Node: "registry.npmjs.org", workspace.Go: "proxy.golang.org", workspace.Python: "pypi.org"}[rt]
}

// registryEnv names, per runtime, the settings that point a build at a
// registry, so a failure can say which one is in effect.
var registryEnv = map[workspace.Runtime][]string{
	workspace.Node:   {"NPM_CONFIG_REGISTRY", "npm_config_registry"},
	workspace.Go:     {"GOPROXY"},
	workspace.Python: {"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"},
}

// NetError is the error for a build's output that shows a registry it
// could not reach (not the learner's code), nil when it shows none.
func (n BuildNet) NetError(rt workspace.Runtime, out, log string) error {
	if f := findNetFailure(out); f != nil {
		return n.netError(rt, f, log)
	}
	return nil
}

// ClassifyBuild turns a failed build's output into the right error: the
// network's failure (exit 4, naming the host) or the learner's (exit 3,
// with a hint when coach recognises the cause). Both backends use it.
func ClassifyBuild(n BuildNet, ws *workspace.Workspace, what string, code int, out, log string) error {
	if f := findNetFailure(out); f != nil {
		return n.netError(ws.Runtime, f, log)
	}
	if strings.Contains(out, "Exit handler never called") {
		// npm's own bug, set off mostly by a failing network (a TLS proxy,
		// a registry that drops connections): not the learner's code.
		f := &netFailure{host: n.defaultRegistry(workspace.Node), line: "npm error Exit handler never called!"}
		e := n.netError(ws.Runtime, f, log)
		if n.CAFile == "" {
			e.Advice = "behind a proxy that replaces TLS certificates, give coach its CA bundle: `sandbox.ca_file: /path/to/ca.pem` in coach.yaml\n" + e.Advice
		}
		e.Op = "npm crashed while downloading from " + f.host + " (\"Exit handler never called!\", an npm bug set off by a failing connection)"
		return e
	}
	be := &workspace.BuildError{Runtime: string(ws.Runtime), Output: Excerpt(out, 12, 25), Log: log,
		Err: fmt.Errorf("%s failed with exit code %d", what, code)}
	be.Hint = buildHint(out)
	return be
}

func (n BuildNet) netError(rt workspace.Runtime, f *netFailure, log string) *EngineError {
	if f.host == "" {
		f.host = n.defaultRegistry(rt)
	}
	e := &EngineError{Op: "the build could not reach " + f.host, Err: errors.New(f.line), Host: f.host, Log: log}
	var advice []string
	if f.tls {
		e.Op = "the build does not trust the certificate of " + f.host
		if n.CAFile != "" {
			advice = append(advice, fmt.Sprintf("sandbox.ca_file is %s: check that it holds the CA that signs %s's certificate (your proxy's)", n.CAFile, f.host))
		} else {
			advice = append(advice, n.TLSAdvice)
		}
	} else {
		if said, v := n.registrySetting(rt); said != "" {
			line := fmt.Sprintf("%s: is that registry up and reachable from %s?", said, n.Where)
			if u, err := url.Parse(v); err == nil && n.Where == "Docker" && isLoopbackHost(u.Hostname()) {
				line += " (in the sandbox, " + u.Hostname() + " is the build container itself, not your machine)"
			}
			advice = append(advice, line)
			if strings.HasPrefix(said, "your .npmrc") {
				advice = append(advice, "to install from the public registry instead, delete the registry= line from .npmrc")
			}
		}
		local := isLoopbackHost(hostOnly(f.host))
		switch {
		case local: // a registry on loopback: neither the connection nor a proxy is in the way
		case n.Proxy != "":
			advice = append(advice, fmt.Sprintf("the build uses the proxy %s (HTTPS_PROXY/HTTP_PROXY): check that it runs and allows %s", redactURL(n.Proxy), f.host))
		case n.Where == "Docker":
			advice = append(advice, "check your connection; behind a proxy, set HTTPS_PROXY (and NO_PROXY) before running coach: coach passes them to the build")
		default:
			advice = append(advice, "check your connection; behind a proxy, set HTTPS_PROXY (and NO_PROXY) before running coach: the build runs with your environment")
		}
	}
	advice = append(advice, "this is not your code: the build downloads dependencies over the network (coach doctor checks the settings)")
	e.Advice = strings.Join(advice, "\n")
	return e
}

// hostOnly is host[:port] without the port.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// isLoopbackHost reports whether h names this machine's loopback.
func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// redactURL hides a proxy URL's password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

var (
	npm404    = regexp.MustCompile(`404 Not Found - GET \S+/(@?[^/\s]+(?:%2[fF][^/\s]+)?)`)
	npmETARGT = regexp.MustCompile(`No matching version found for (\S+)`)
	pipNoDist = regexp.MustCompile(`No matching distribution found for (\S+)`)
	goNoMod   = regexp.MustCompile(`no required module provides package (\S+)`)
	npmLock   = regexp.MustCompile("`npm ci` can only install packages when your package.json and package-lock.json")
	shMissing = regexp.MustCompile(`(?m)^sh: \d+: ([^:\s]+): not found`)
	npmScript = regexp.MustCompile(`(?m)^> \S*@\S+ ([\w:.-]+)\r?$`)
	goNewer   = regexp.MustCompile(`(?m)^go: (?:(\S+): module \S+ |go\.mod )requires go >= (\S+) \(running go (\S+?);`)
)

// buildHint recognises a few causes a beginner can fix at once.
func buildHint(out string) string {
	switch {
	case npm404.MatchString(out):
		name := strings.ReplaceAll(npm404.FindStringSubmatch(out)[1], "%2f", "/")
		return fmt.Sprintf("the package %s does not exist on the npm registry: check its name in package.json", name)
	case npmETARGT.MatchString(out):
		return fmt.Sprintf("no published version matches %s: fix the version in package.json", npmETARGT.FindStringSubmatch(out)[1])
	case npmLock.MatchString(out):
		return "package-lock.json does not match package.json: run `npm install` and commit the updated package-lock.json"
	case pipNoDist.MatchString(out):
		return fmt.Sprintf("pip found no package %s: check its name and version in requirements.txt", pipNoDist.FindStringSubmatch(out)[1])
	case goNoMod.MatchString(out):
		return fmt.Sprintf("go.mod does not require the module of %s: run `go mod tidy` and commit go.mod and go.sum", goNoMod.FindStringSubmatch(out)[1])
	case goNewer.MatchString(out):
		m := goNewer.FindStringSubmatch(out)
		have := strings.Join(strings.SplitN(m[3], ".", 3)[:2], ".")
		if m[1] != "" {
			return fmt.Sprintf("the dependency %s needs Go %s, but the sandbox's image has Go %s: require an older version of it "+
				"(`go get %s@<older>`), or set sandbox.images.go in coach.yaml to an image with Go %s", m[1], m[2], m[3], strings.Split(m[1], "@")[0], m[2])
		}
		return fmt.Sprintf("go.mod asks for Go %s, but the sandbox's image has Go %s: lower the `go` line of go.mod (`go mod edit -go=%s`), "+
			"or set sandbox.images.go in coach.yaml to an image with Go %s", m[2], m[3], have, m[2])
	case shMissing.MatchString(out):
		m := shMissing.FindStringSubmatchIndex(out)
		cmd := out[m[2]:m[3]]
		runs := "a script of package.json runs it"
		if ss := npmScript.FindAllStringSubmatch(out[:m[0]], -1); len(ss) > 0 {
			runs = fmt.Sprintf("package.json's %q script runs it", ss[len(ss)-1][1])
		}
		return fmt.Sprintf("the command %s is not installed, and %s: add the package that provides it to "+
			"dependencies or devDependencies in package.json, or change the script", cmd, runs)
	case strings.Contains(out, "ERR_OSSL_EVP_UNSUPPORTED"):
		return "a build tool asked for a hash that Node 17 and later no longer offer (ERR_OSSL_EVP_UNSUPPORTED; webpack 4 does): " +
			"upgrade it (webpack 5), or run it with NODE_OPTIONS=--openssl-legacy-provider in the build script"
	case strings.Contains(out, "missing go.sum entry"):
		return "go.sum is missing entries: run `go mod tidy` and commit go.mod and go.sum"
	case strings.Contains(out, "go: updates to go.mod needed"):
		return "go.mod does not list what your code needs: run `go mod tidy` and commit go.mod and go.sum"
	}
	return ""
}

// dbPorts name the database servers a refused port belongs to.
var dbPorts = map[string]string{"5432": "PostgreSQL", "27017": "MongoDB", "3306": "MySQL/MariaDB", "6379": "Redis"}

var (
	refusedAddr       = regexp.MustCompile("(?i)(?:ECONNREFUSED|Error 111 connecting to|Can't reach database server at)\\s+`?\\[?([\\w.:-]+?)\\]?`?:`?(5432|27017|3306|6379)\\b")
	refusedAddrBefore = regexp.MustCompile(`(?im)(?:^|[\s"'(,@])\[?([\w.-]+|[\d:]+)\]?:(5432|27017|3306|6379)\b[^\n]*(?:refused|ECONNREFUSED|Errno 111)`)
	portFailed        = regexp.MustCompile(`(?i)\bport (5432|27017|3306|6379) failed`)
	noHost            = regexp.MustCompile(`(?:getaddrinfo (?:ENOTFOUND|EAI_AGAIN) ([\w.-]+)|lookup ([\w.-]+)(?: on \S+)?: (?:no such host|server misbehaving|.*i/o timeout|dial udp)|` +
		`could not translate host name "([^"]+)"|Name or service not known|Temporary failure in name resolution)`)
	dbWords = regexp.MustCompile(`(MongooseServerSelectionError|MongoServerSelectionError|MongoNetworkError|ServerSelectionTimeoutError|` +
		`PrismaClientInitializationError|P1001|SequelizeConnection\w*Error|psycopg2?\.OperationalError|sqlalchemy\.exc\.OperationalError|` +
		`redis\.exceptions\.ConnectionError|ECONNREFUSED|pq: |pgx|Connection refused)`)
	dbNames = []struct{ word, name string }{{"ongo", "MongoDB"}, {"rismaClient", "the database (Prisma)"}, {"P1001", "the database (Prisma)"},
		{"Sequelize", "the database (Sequelize)"}, {"psycopg", "PostgreSQL"}, {"redis", "Redis"}, {"pq: ", "PostgreSQL"}, {"pgx", "PostgreSQL"}, {"sqlalchemy", "the database (SQLAlchemy)"}}
)

// noDatabase is what to do instead of the database server db: declare it
// as a service when coach offers one (services.go), else keep the data
// elsewhere.
func noDatabase(db string) string {
	files := "keep the data in SQLite or in files under $DATA_DIR (coach gives your server that writable folder), " +
		"or in memory when the step allows it"
	if advice := workspace.ServiceAdvice(db); advice != "" {
		return "the sandbox has no network and no database unless you declare one: " + advice + "; or " + files
	}
	return "the sandbox has no network and no database server: " + files
}

// ExplainOutput says in one line what a server's output, printed during
// the tests, shows went wrong outside its code: a table its database does
// not have, or (when the workspace declared no service) a database or
// host it cannot have in the sandbox. "" when nothing.
func ExplainOutput(out string, declared workspace.Services) string {
	if m := missingTable.FindStringSubmatch(out); m != nil {
		table := firstNonEmpty(m[1], m[2], m[3])
		return fmt.Sprintf("your server's queries failed: its database has no table %q. The database starts empty on every check: "+
			"create your tables when the server starts (CREATE TABLE IF NOT EXISTS ...), not by hand once", table)
	}
	if note := dbAuthFailure(out); note != "" {
		return note
	}
	if len(declared.Names()) > 0 {
		return "" // the advice below is about databases the workspace did not declare
	}
	return diagnoseServer(out)
}

// missingTable is a query on a table the database does not have:
// PostgreSQL, MySQL/MariaDB, SQLite.
var missingTable = regexp.MustCompile(`relation "([^"]+)" does not exist|Table '(?:[^'.]+\.)?([^']+)' doesn't exist|no such table: ([\w.]+)`)

// dbAuth is a database refusing the user or password a server logged in
// with: PostgreSQL, MySQL/MariaDB.
var dbAuth = []struct {
	name string
	re   *regexp.Regexp
}{
	{"PostgreSQL", regexp.MustCompile(`password authentication failed for user \\?"([^"\\]+)\\?"`)},
	{"MySQL/MariaDB", regexp.MustCompile(`Access denied for user '([^']+)'@`)},
}

// dbAuthFailure says what to do when the database a workspace declared
// refused the server's credentials: they were written for another
// database (a password in the code or .env), not the one coach runs.
func dbAuthFailure(out string) string {
	for _, a := range dbAuth {
		if m := a.re.FindStringSubmatch(out); m != nil {
			return fmt.Sprintf("your server logged in to %s as %q and was refused: the database coach runs beside your server has "+
				"its own user and password, which your server gets in DATABASE_URL: connect with DATABASE_URL instead of "+
				"credentials written in the code or in .env", a.name, m[1])
		}
	}
	return ""
}

// diagnoseServer says, in one line, what the server's output shows it
// tried and could not have in the sandbox: a database, another host.
func diagnoseServer(out string) string {
	if m := refusedAddr.FindStringSubmatch(out); m != nil {
		return fmt.Sprintf("your server tried to connect to %s at %s and was refused: %s", dbPorts[m[2]], hostPort(m[1], m[2]), noDatabase(dbPorts[m[2]]))
	}
	if m := refusedAddrBefore.FindStringSubmatch(out); m != nil {
		return fmt.Sprintf("your server tried to connect to %s at %s and was refused: %s", dbPorts[m[2]], hostPort(m[1], m[2]), noDatabase(dbPorts[m[2]]))
	}
	if m := portFailed.FindStringSubmatch(out); m != nil {
		return fmt.Sprintf("your server tried to connect to %s on port %s and was refused: %s", dbPorts[m[1]], m[1], noDatabase(dbPorts[m[1]]))
	}
	if m := noHost.FindStringSubmatch(out); m != nil {
		host := firstNonEmpty(m[1], m[2], m[3])
		what := "another host"
		if host != "" {
			what = host
		}
		return fmt.Sprintf("your server tried to reach %s, but the sandbox has no network: everything it needs must be in the workspace; "+
			"for data, use SQLite or files under $DATA_DIR", what)
	}
	if dbWords.MatchString(out) {
		for _, n := range dbNames {
			if strings.Contains(out, n.word) {
				return fmt.Sprintf("your server tried to connect to %s: %s", n.name, noDatabase(n.name))
			}
		}
	}
	return ""
}

func hostPort(host, port string) string {
	host = strings.Trim(host, "[]")
	if host == "" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// Diagnose completes a start failure with what coach recognises in the
// server's output and keeps the whole output in logDir's server log. It
// returns err, so callers can wrap a return with it.
func Diagnose(logDir string, err error) error {
	var se *StartError
	if !errors.As(err, &se) {
		return err
	}
	full := se.Full
	if len(full) == 0 {
		full = []byte(se.Output)
	}
	if se.Hint == "" {
		se.Hint = firstNonEmpty(dbAuthFailure(string(full)), diagnoseServer(string(full)))
	}
	if se.Log == "" && len(full) > 0 {
		se.Log = SaveLog(logDir, ServerLogName, full)
	}
	return err
}

// CheckCAFile reads a CA bundle as the build will and counts the
// certificates in it, so a wrong sandbox.ca_file shows before a build.
func CheckCAFile(p string) (int, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", p, err)
	}
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return n, fmt.Errorf("%s: certificate %d does not parse: %w", p, n+1, err)
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", p)
	}
	return n, nil
}

// RedactURL hides a URL's password (proxy settings), for display.
func RedactURL(s string) string { return redactURL(s) }
