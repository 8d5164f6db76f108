package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrecedence(t *testing.T) {
	user := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(user, []byte("sandbox:\n  backend: process\n  memory: 1g\n  cpus: 2\ncolor: never\nlang: go\n"), 0o644))
	ws := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(ws, "coach.yaml"), []byte("runtime: node\nsandbox:\n  memory: 256m\nlang: python\n"), 0o644))

	tests := []struct {
		name    string
		env     map[string]string
		flag    string
		key     string
		want    any
		wantInt int
	}{
		{name: "default", key: KeyPids, wantInt: 256},
		{name: "user file", key: KeyColor, want: "never"},
		{name: "user file float", key: KeyCPUs, want: "2"},
		{name: "workspace beats user", key: KeyMemory, want: "256m"},
		{name: "env beats workspace", env: map[string]string{"COACH_LANG": "node"}, key: KeyLang, want: "node"},
		{name: "flag beats env", env: map[string]string{"COACH_SANDBOX_BACKEND": "process"}, flag: "docker", key: KeySandbox, want: "docker"},
		{name: "env nested key", env: map[string]string{"COACH_SANDBOX_CA_FILE": "/ca.pem"}, key: KeyCAFile, want: "/ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			fs.String("sandbox", "docker", "")
			if tt.flag != "" {
				require.NoError(t, fs.Parse([]string{"--sandbox", tt.flag}))
			}
			getenv := func(k string) string { return tt.env[k] }
			cfg, err := Load(Options{Workspace: ws, UserFile: user, Flags: fs, FlagKeys: map[string]string{"sandbox": KeySandbox}, Getenv: getenv})
			require.NoError(t, err)
			if tt.want != nil {
				assert.Equal(t, tt.want, cfg.String(tt.key))
			} else {
				assert.Equal(t, tt.wantInt, cfg.Int(tt.key))
			}
			assert.Equal(t, []string{user, filepath.Join(ws, "coach.yaml")}, cfg.Files)
		})
	}
}

func TestUnsetFlagDoesNotOverride(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("sandbox", "docker", "")
	getenv := func(k string) string { return map[string]string{"COACH_SANDBOX_BACKEND": "process"}[k] }
	cfg, err := Load(Options{UserFile: filepath.Join(t.TempDir(), "none.yaml"), Flags: fs, FlagKeys: map[string]string{"sandbox": KeySandbox}, Getenv: getenv})
	require.NoError(t, err)
	assert.Equal(t, "process", cfg.String(KeySandbox))
}

func TestInvalid(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"backend", "sandbox:\n  backend: vm\n", `sandbox.backend is "vm"`},
		{"color", "color: pink\n", `color is "pink"`},
		{"memory", "sandbox:\n  memory: lots\n", "sandbox.memory"},
		{"yaml", "sandbox: [\n", "read config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "c.yaml")
			require.NoError(t, os.WriteFile(f, []byte(tt.file), 0o644))
			_, err := Load(Options{UserFile: f, Getenv: func(string) string { return "" }})
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"512m": 512 << 20, "1g": 1 << 30, "300k": 300 << 10, "1024": 1024, "64MiB": 64 << 20} {
		got, err := ParseBytes(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "lots", "-1m", "1.5g"} {
		_, err := ParseBytes(in)
		assert.Error(t, err, in)
	}
}

func TestUserFile(t *testing.T) {
	env := map[string]string{"HOME": "/home/ada"}
	get := func(k string) string { return env[k] }
	assert.Equal(t, "/home/ada/.config/coach/config.yaml", UserFile(get))
	env["XDG_CONFIG_HOME"] = "/xdg"
	assert.Equal(t, "/xdg/coach/config.yaml", UserFile(get))
	env["COACH_CONFIG"] = "/etc/coach.yaml"
	assert.Equal(t, "/etc/coach.yaml", UserFile(get))
}
