package sandbox

import (
	"strings"
	"testing"

	"github.com/coachcli/coach/sandbox/workspace"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDiagnoseServer(t *testing.T) {
	tests := []struct {
		name, out, want string
	}{
		{"node pg", "Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect", "PostgreSQL at 127.0.0.1:5432"},
		{"node mongo ipv6", "MongooseServerSelectionError: connect ECONNREFUSED ::1:27017", "MongoDB at [::1]:27017"},
		{"go pgx", `failed to connect to host=localhost user=app database=app: dial tcp 127.0.0.1:5432: connect: connection refused`, "PostgreSQL at 127.0.0.1:5432"},
		{"go redis", "dial tcp [::1]:6379: connect: connection refused", "Redis at [::1]:6379"},
		{"psycopg2", `psycopg2.OperationalError: connection to server at "localhost" (127.0.0.1), port 5432 failed: Connection refused`, "PostgreSQL on port 5432"},
		{"pymongo", "pymongo.errors.ServerSelectionTimeoutError: localhost:27017: [Errno 111] Connection refused", "MongoDB at localhost:27017"},
		{"redis-py", "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.", "Redis at localhost:6379"},
		{"mysql", "Error: connect ECONNREFUSED 127.0.0.1:3306", "MySQL/MariaDB at 127.0.0.1:3306"},
		{"prisma", "PrismaClientInitializationError: Can't reach database server at `localhost`:`5432`", "PostgreSQL at localhost:5432"},
		{"dns node", "Error: getaddrinfo ENOTFOUND db.example.com", "tried to reach db.example.com, but the sandbox has no network"},
		{"dns go", "dial tcp: lookup cluster0.mongodb.net on 127.0.0.11:53: no such host", "tried to reach cluster0.mongodb.net"},
		{"mongoose words", "MongooseServerSelectionError: Could not connect to any servers in your MongoDB Atlas cluster", "MongoDB"},
		{"nothing", "listening on 3000\nTypeError: x is not a function", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diagnoseServer(tt.out)
			if tt.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, tt.want)
			if strings.Contains(tt.want, "PostgreSQL") || strings.Contains(tt.want, "MongoDB") {
				assert.Contains(t, got, "$DATA_DIR")
			}
		})
	}
}

func TestFindNetFailure(t *testing.T) {
	tests := []struct {
		name, out, host string
		tls             bool
	}{
		{"npm 10 refused", "npm error code ECONNREFUSED\nnpm error syscall connect\nnpm error errno ECONNREFUSED\n" +
			"npm error FetchError: request to http://127.0.0.1:9/express failed, reason: connect ECONNREFUSED 127.0.0.1:9", "127.0.0.1:9", false},
		{"npm 9 tls", "npm ERR! code SELF_SIGNED_CERT_IN_CHAIN\nnpm ERR! errno SELF_SIGNED_CERT_IN_CHAIN\n" +
			"npm ERR! request to https://registry.npmjs.org/zod/-/zod-3.21.4.tgz failed, reason: self-signed certificate in certificate chain", "registry.npmjs.org", true},
		{"go proxy dns", `go: github.com/gin-gonic/gin@v1.9.1: Get "https://proxy.golang.org/github.com/gin-gonic/gin/@v/v1.9.1.mod": dial tcp: lookup proxy.golang.org on 10.0.0.2:53: no such host`, "proxy.golang.org", false},
		{"go x509", `go: example.com/m@v1: Get "https://proxy.golang.org/x": tls: failed to verify certificate: x509: certificate signed by unknown authority`, "proxy.golang.org", true},
		{"pip", "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/flask/", "", false},
		{"pip host", "ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with url: /simple/flask/", "pypi.org:443", false},
		{"compile error", "./main.go:5:2: undefined: foo", "", false},
		{"openssl 3 and webpack 4: not the network", "Error: error:0308010C:digital envelope routines::unsupported\n" +
			"    at new Hash (node:internal/crypto/hash:79:19)\n  opensslErrorStack: [\n    'error:03000086:digital envelope routines::initialization error',\n" +
			"  library: 'digital envelope routines',\n  code: 'ERR_OSSL_EVP_UNSUPPORTED'", "", false},
		{"python SSLError", "requests.exceptions.SSLError: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded", "pypi.org:443", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := findNetFailure(tt.out)
			switch tt.name {
			case "compile error", "openssl 3 and webpack 4: not the network":
				assert.Nil(t, f)
				return
			case "pip":
				if assert.NotNil(t, f, "pip's retries never name the host: the runtime's registry stands in") {
					assert.Empty(t, f.host)
				}
				return
			}
			if assert.NotNil(t, f) {
				assert.Equal(t, tt.host, f.host)
				assert.Equal(t, tt.tls, f.tls)
			}
		})
	}
}

func TestExcerptShowsFirstErrorAndTail(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 10; i++ {
		b.WriteString("npm http fetch GET 200 ok\n")
	}
	b.WriteString("gyp ERR! build error: the real cause\n")
	for i := 0; i < 100; i++ {
		b.WriteString("gyp ERR! stack noise\n")
	}
	b.WriteString("npm error A complete log of this run can be found in: x\n")
	got := Excerpt(b.String(), 3, 5)
	lines := strings.Split(got, "\n")
	assert.Equal(t, "gyp ERR! build error: the real cause", lines[0])
	assert.Contains(t, got, "more lines)")
	assert.True(t, strings.HasSuffix(got, "can be found in: x"))
	assert.Equal(t, "a\nb", Excerpt("a\nb\n", 3, 5), "short output stays whole")
}

func TestBuildHint(t *testing.T) {
	tests := []struct{ out, want string }{
		{"go: go.mod requires go >= 1.26.0 (running go 1.25.14; GOTOOLCHAIN=local)", "go mod edit -go=1.25"},
		{"go: downloading x\ngo: github.com/sqlc-dev/sqlc@v1.31.1: module github.com/sqlc-dev/sqlc@v1.31.1 requires go >= 1.26.0 (running go 1.25.14; GOTOOLCHAIN=local)",
			"the dependency github.com/sqlc-dev/sqlc@v1.31.1 needs Go 1.26.0"},
		{"npm error 404 Not Found - GET https://registry.npmjs.org/expresss - Not found", "the package expresss does not exist"},
		{"main.go:3:2: no required module provides package github.com/gin-gonic/gin; to add it:", "go mod tidy"},
		{"./main.go:5:2: undefined: foo", ""},
		{"> express-todo-api@1.1.1 prepublish\n> npm t\n\n\n> express-todo-api@1.1.1 test\n> happiness\n\nsh: 1: happiness: not found\nnpm error code 127",
			`the command happiness is not installed, and package.json's "test" script runs it: add the package`},
		{"Error: error:0308010C:digital envelope routines::unsupported\n  code: 'ERR_OSSL_EVP_UNSUPPORTED'", "NODE_OPTIONS=--openssl-legacy-provider"},
		{"go: updates to go.mod needed; to update it:\n\tgo mod tidy", "go.mod does not list what your code needs: run `go mod tidy`"},
		{"sh: 1: tsc: not found\nnpm error code 127", "the command tsc is not installed, and a script of package.json runs it"},
	}
	for _, tt := range tests {
		got := buildHint(tt.out)
		if tt.want == "" {
			assert.Empty(t, got)
			continue
		}
		assert.Contains(t, got, tt.want)
	}
	assert.Equal(t, "go: real error", Excerpt(strings.Repeat("go: downloading x v1\n", 50)+"go: real error\n", 3, 5), "download progress is left out")
}

func TestExplainOutput(t *testing.T) {
	none := workspace.Services{}
	pg := workspace.Services{}.With("postgres")
	tests := []struct {
		name     string
		out      string
		declared workspace.Services
		want     string // "" means no note
	}{
		{"undeclared postgres refused", "Error: connect ECONNREFUSED 127.0.0.1:5432", none, "add `services: [postgres]`"},
		{"declared postgres refused: not the declare advice", "Error: connect ECONNREFUSED 127.0.0.1:5432", pg, ""},
		{"postgres refused the password in the code", `{"error":"failed to connect to ` + "`user=postgres database=postgres`" + `:\n\t127.0.0.1:5432 (localhost): failed SASL auth: FATAL: password authentication failed for user \"postgres\" (SQLSTATE 28P01)"}`,
			pg, `logged in to PostgreSQL as "postgres" and was refused`},
		{"node-postgres: the same", `error: password authentication failed for user "admin"`, pg, "connect with DATABASE_URL"},
		{"mariadb refused the user", "Error: Access denied for user 'root'@'localhost' (using password: YES)", workspace.Services{}.With("mariadb"),
			`logged in to MySQL/MariaDB as "root" and was refused`},
		{"postgres table missing", `error: relation "todo" does not exist`, pg, `no table "todo"`},
		{"mariadb table missing", "Error: ER_NO_SUCH_TABLE: Table 'app.todos' doesn't exist", pg, `no table "todos"`},
		{"sqlite table missing", "sqlite3.OperationalError: no such table: notes", none, `no table "notes"`},
		{"nothing to say", "GET /todos 200", none, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ExplainOutput(tc.out, tc.declared)
			if tc.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, tc.want)
		})
	}
}

// TestDiagnoseNamesTheService: a server that dials a database coach offers
// is told which service to declare; one coach does not offer is not.
func TestDiagnoseNamesTheService(t *testing.T) {
	got := diagnoseServer("Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect")
	assert.Contains(t, got, "add `services: [postgres]` to coach.yaml and coach runs PostgreSQL beside your server, on 127.0.0.1:5432, "+
		"and sets DATABASE_URL, PGDATABASE, PGHOST, PGPASSWORD, PGPORT, PGUSER")
	assert.Contains(t, diagnoseServer("dial tcp [::1]:6379: connect: connection refused"), "add `services: [redis]`")
	assert.Contains(t, diagnoseServer("Error: connect ECONNREFUSED 127.0.0.1:3306"), "add `services: [mariadb]`")
	mongo := diagnoseServer("MongooseServerSelectionError: connect ECONNREFUSED ::1:27017")
	assert.NotContains(t, mongo, "services:")
	assert.Contains(t, mongo, "no database server")
}

// TestDiagnoseStartFailure: a start failure's hint is what its whole
// output shows, a refused login included, and the output is kept.
func TestDiagnoseStartFailure(t *testing.T) {
	for _, tc := range []struct{ name, out, want string }{
		{"a refused login", `pq: password authentication failed for user "postgres" (28P01)`, `logged in to PostgreSQL as "postgres" and was refused`},
		{"an undeclared database", "Error: connect ECONNREFUSED 127.0.0.1:5432", "add `services: [postgres]`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			se := &StartError{Reason: "exited", Output: tc.out}
			require.ErrorIs(t, Diagnose(dir, se), se)
			assert.Contains(t, se.Hint, tc.want)
			assert.FileExists(t, se.Log)
		})
	}
}
