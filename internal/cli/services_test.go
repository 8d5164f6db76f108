package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coachcli/coach/sandbox/docker"
	"github.com/coachcli/coach/sandbox/dockertest"
)

// TestDockerSigintWhilePostgresStartsLeavesNothing interrupts the real
// binary while the pod's Postgres is starting (its container runs, the
// server has not started): the service container and its volume go too.
func TestDockerSigintWhilePostgresStartsLeavesNothing(t *testing.T) {
	cli := dockertest.Require(t)
	bin := buildCoach(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"coach.yaml": "services: [postgres]\n",
		"main.py": "import http.server, os\n" +
			"http.server.ThreadingHTTPServer(('0.0.0.0', int(os.environ['PORT'])), http.server.SimpleHTTPRequestHandler).serve_forever()\n",
	})
	cmd := exec.Command(bin, "--dir", dir, "check", "1")
	cmd.Env = append(os.Environ(), "COACH_CONFIG="+filepath.Join(t.TempDir(), "none.yaml"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	f := client.Filters{}.Add("label", pidLabel(pid)).Add("label", docker.LabelService+"=postgres").Add("status", "running")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		cs, err := cli.ContainerList(t.Context(), client.ContainerListOptions{Filters: f})
		require.NoError(t, err)
		if len(cs.Items) == 1 {
			break
		}
		require.True(t, time.Now().Before(deadline), "postgres never started: %s", out.String())
		time.Sleep(20 * time.Millisecond)
	}
	interruptLeavesNothing(t, cli, cmd, &out)
}

// TestStartShowsServices: `coach start` lists the declared services and
// the variables the server gets; an unknown service is a usage error (2)
// that lists the catalogue.
func TestStartShowsServices(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"coach.yaml": "services:\n  postgres: {database: todos}\n  redis: {}\n",
		"main.py":    "print('hi')\n",
	})
	r := coach(t, dir, "start", "3")
	require.Equal(t, ExitOK, r.code, r.err)
	assert.Contains(t, r.out, "Your server gets these services, on 127.0.0.1 inside the sandbox:\n"+
		"  postgres (postgres:16-bookworm) on 127.0.0.1:5432: DATABASE_URL, PGDATABASE, PGHOST, PGPASSWORD, PGPORT, PGUSER\n"+
		"  redis (redis:7-bookworm) on 127.0.0.1:6379: REDIS_URL\n")

	writeFiles(t, dir, map[string]string{"coach.yaml": "services: [mongodb]\n"})
	r = coach(t, dir, "check", "3", "--sandbox", "process")
	assert.Equal(t, ExitUsage, r.code, r.out+r.err)
	assert.Contains(t, r.err, `unknown service "mongodb" (coach offers mariadb, postgres, redis)`)
}

// claimServer is a step-1 server that claims its database at start: it
// creates a table, which fails when another submission's server made it
// already, and then the server exits before it listens.
const claimServer = `package main

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5"
)

func main() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE claimed (by text)"); err != nil {
		log.Fatalf("the database is not this submission's own: %v", err)
	}
	conn.Close(ctx)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<h1>Hello Backend World!</h1>"))
	})
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(` + "`" + `{"status":"ok"}` + "`" + `))
	})
	log.Fatal(http.ListenAndServe(":"+os.Getenv("PORT"), nil))
}
`

// TestDockerGradeJobsOwnDatabases grades two submissions at once (--jobs
// 2) whose servers each claim their Postgres database at start: both pass
// only if each has a database of its own.
func TestDockerGradeJobsOwnDatabases(t *testing.T) {
	dockertest.Require(t)
	root := t.TempDir()
	gomod, err := os.ReadFile(filepath.Join("..", "..", "sandbox", "docker", "testdata", "go-services", "go.mod"))
	require.NoError(t, err)
	gosum, err := os.ReadFile(filepath.Join("..", "..", "sandbox", "docker", "testdata", "go-services", "go.sum"))
	require.NoError(t, err)
	var dirs []string
	for _, who := range []string{"ada", "bob"} {
		dir := filepath.Join(root, who)
		writeFiles(t, dir, map[string]string{"coach.yaml": "runtime: go\nservices: [postgres]\n", "main.go": claimServer,
			"go.mod": string(gomod), "go.sum": string(gosum)})
		dirs = append(dirs, dir)
	}
	out := filepath.Join(t.TempDir(), "results")
	r := coachWith(t, "", nil, append([]string{"grade", "--step", "1", "--sandbox", "docker", "--jobs", "2", "--out", out}, dirs...)...)
	assert.Equal(t, ExitOK, r.code, r.out+r.err)
	for _, who := range []string{"ada", "bob"} {
		full := readJSON(t, filepath.Join(out, who, "results.json"))
		assert.Equal(t, "pass", full["status"], "%s: %v", who, full["message"])
	}
	assertNoLeftovers(t, os.Getpid())
}
