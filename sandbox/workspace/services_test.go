package workspace

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestServicesYAML(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       Services
		err        string
	}{
		{name: "list", yaml: "services: [redis, postgres]",
			want: Services{{Name: "postgres"}, {Name: "redis"}}},
		{name: "map", yaml: "services:\n  postgres: {version: \"16\", database: todos}\n  redis: {}\n  mariadb:\n",
			want: Services{{Name: "mariadb"}, {Name: "postgres", Version: "16", Database: "todos"}, {Name: "redis"}}},
		{name: "one name", yaml: "services: postgres", want: Services{{Name: "postgres"}}},
		{name: "none", yaml: "runtime: node", want: nil},
		{name: "unknown", yaml: "services: [mongodb]",
			err: `unknown service "mongodb" (coach offers mariadb, postgres, redis)`},
		{name: "unknown key", yaml: "services: {postgres: {versoin: 16}}",
			err: `services.postgres: line 1: unknown key "versoin" (want version, database or image)`},
		{name: "twice", yaml: "services: [redis, redis]", err: `service "redis" is declared twice`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var wf WorkspaceFile
			err := yaml.Unmarshal([]byte(tc.yaml), &wf)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, wf.Services)
		})
	}
}

func TestServicesImageAndEnv(t *testing.T) {
	ss := Services{{Name: "mariadb"}, {Name: "postgres", Database: "todos"}, {Name: "redis", Version: "8"}}
	assert.Equal(t, "mariadb:11", ss[0].ImageRef())
	assert.Equal(t, "postgres:16-bookworm", ss[1].ImageRef())
	assert.Equal(t, "redis:8-bookworm", ss[2].ImageRef())
	assert.Equal(t, "mirror.local/pg:15", Service{Name: "postgres", Image: "mirror.local/pg:15"}.ImageRef())

	env := ss.ServerEnv()
	assert.Equal(t, "postgres://coach:coach@127.0.0.1:5432/todos?sslmode=disable", env["DATABASE_URL"],
		"DATABASE_URL is Postgres's when both are declared")
	assert.Equal(t, "mysql://coach:coach@127.0.0.1:3306/app", env["MYSQL_URL"])
	assert.Equal(t, "redis://127.0.0.1:6379", env["REDIS_URL"])
	assert.Equal(t, map[string]string{"PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "coach", "PGPASSWORD": "coach", "PGDATABASE": "todos"},
		map[string]string{"PGHOST": env["PGHOST"], "PGPORT": env["PGPORT"], "PGUSER": env["PGUSER"], "PGPASSWORD": env["PGPASSWORD"], "PGDATABASE": env["PGDATABASE"]})
	assert.Equal(t, "mysql://coach:coach@127.0.0.1:3306/app", Services{{Name: "mariadb"}}.ServerEnv()["DATABASE_URL"],
		"DATABASE_URL is MariaDB's without Postgres")
	assert.Equal(t, []string{
		"mariadb (mariadb:11) on 127.0.0.1:3306: MYSQL_URL",
		"postgres (postgres:16-bookworm) on 127.0.0.1:5432: DATABASE_URL, PGDATABASE, PGHOST, PGPASSWORD, PGPORT, PGUSER",
		"redis (redis:8-bookworm) on 127.0.0.1:6379: REDIS_URL",
	}, ss.Describe())
}

func TestDetectReadsServices(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "coach.yaml"), []byte("runtime: go\nservices: [postgres]\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
	ws, err := Detect(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"postgres"}, ws.Services.Names())

	require.NoError(t, os.WriteFile(filepath.Join(dir, "coach.yaml"), []byte("services: [mysql]\n"), 0o644))
	_, err = Detect(dir)
	var we *Error
	require.ErrorAs(t, err, &we)
	assert.Contains(t, we.Msg, `unknown service "mysql" (coach offers mariadb, postgres, redis)`)
}
