package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrecedence(t *testing.T) {
	t.Parallel()
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
			t.Parallel()
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
	t.Parallel()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("sandbox", "docker", "")
	getenv := func(k string) string { return map[string]string{"COACH_SANDBOX_BACKEND": "process"}[k] }
	cfg, err := Load(Options{UserFile: filepath.Join(t.TempDir(), "none.yaml"), Flags: fs, FlagKeys: map[string]string{"sandbox": KeySandbox}, Getenv: getenv})
	require.NoError(t, err)
	assert.Equal(t, "process", cfg.String(KeySandbox))
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, file, want string }{
		{"backend", "sandbox:\n  backend: vm\n", `sandbox.backend is "vm"`},
		{"color", "color: pink\n", `color is "pink"`},
		{"memory", "sandbox:\n  memory: lots\n", "sandbox.memory"},
		{"yaml", "sandbox: [\n", "read config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(t.TempDir(), "c.yaml")
			require.NoError(t, os.WriteFile(f, []byte(tt.file), 0o644))
			_, err := Load(Options{UserFile: f, Getenv: func(string) string { return "" }})
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestParseBytes(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	env := map[string]string{"HOME": "/home/ada"}
	get := func(k string) string { return env[k] }
	assert.Equal(t, "/home/ada/.config/coach/config.yaml", UserFile(get))
	env["XDG_CONFIG_HOME"] = "/xdg"
	assert.Equal(t, "/xdg/coach/config.yaml", UserFile(get))
	env["COACH_CONFIG"] = "/etc/coach.yaml"
	assert.Equal(t, "/etc/coach.yaml", UserFile(get))
}

// TestEveryKeyEverySource sets each documented key through each source
// (flag, COACH_* environment, the workspace's coach.yaml, the user file)
// and reads it back from the typed Settings the commands use.
func TestEveryKeyEverySource(t *testing.T) {
	t.Parallel()
	values := map[string]struct {
		raw  string
		read func(Settings) any
		want any
	}{
		KeySandbox:     {"process", func(s Settings) any { return s.Sandbox.Backend }, "process"},
		KeyCAFile:      {"/etc/ca.pem", func(s Settings) any { return s.Sandbox.CAFile }, "/etc/ca.pem"},
		KeyMemory:      {"1g", func(s Settings) any { return s.Sandbox.Memory }, int64(1 << 30)},
		KeyCPUs:        {"1.5", func(s Settings) any { return s.Sandbox.CPUs }, 1.5},
		KeyPids:        {"64", func(s Settings) any { return s.Sandbox.Pids }, 64},
		KeyOCIRuntime:  {"runsc", func(s Settings) any { return s.Sandbox.Runtime }, "runsc"},
		KeyUser:        {"2000:2000", func(s Settings) any { return s.Sandbox.User }, "2000:2000"},
		KeyReadOnly:    {"false", func(s Settings) any { return s.Sandbox.ReadOnly }, false},
		KeyImageNode:   {"node:20-slim", func(s Settings) any { return s.Sandbox.Images["node"] }, "node:20-slim"},
		KeyImageGo:     {"golang:1.24", func(s Settings) any { return s.Sandbox.Images["go"] }, "golang:1.24"},
		KeyImagePython: {"python:3.12", func(s Settings) any { return s.Sandbox.Images["python"] }, "python:3.12"},
		KeyPort:        {"9123", func(s Settings) any { return s.Port }, 9123},
		KeyColor:       {"never", func(s Settings) any { return s.Color }, "never"},
		KeyLang:        {"go", func(s Settings) any { return s.Lang }, "go"},
	}
	require.ElementsMatch(t, Keys(), mapKeys(values), "every documented key has a case here")

	defaults, err := Load(Options{UserFile: filepath.Join(t.TempDir(), "none.yaml")})
	require.NoError(t, err)
	for _, key := range Keys() {
		v := values[key]
		require.NotEqual(t, v.want, v.read(defaults.Settings()), "%s: the test value must differ from the default", key)
		for _, source := range []string{"flag", "env", "coach.yaml", "user file"} {
			t.Run(key+"/"+source, func(t *testing.T) {
				t.Parallel()
				ws, user := t.TempDir(), filepath.Join(t.TempDir(), "config.yaml")
				o := Options{Workspace: ws, UserFile: user, Getenv: func(string) string { return "" }}
				switch source {
				case "flag":
					fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
					fs.String("the-flag", "", "")
					require.NoError(t, fs.Parse([]string{"--the-flag", v.raw}))
					o.Flags, o.FlagKeys = fs, map[string]string{"the-flag": key}
				case "env":
					name := "COACH_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
					o.Getenv = func(k string) string { return map[string]string{name: v.raw}[k] }
				case "coach.yaml":
					require.NoError(t, os.WriteFile(filepath.Join(ws, "coach.yaml"), nested(key, v.raw), 0o644))
				case "user file":
					require.NoError(t, os.WriteFile(user, nested(key, v.raw), 0o644))
				}
				cfg, err := Load(o)
				require.NoError(t, err)
				assert.Equal(t, v.want, v.read(cfg.Settings()))
			})
		}
	}
}

// nested writes key (a.b.c) as YAML maps with a raw scalar value.
func nested(key, raw string) []byte {
	parts := strings.Split(key, ".")
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(strings.Repeat("  ", i) + p + ":")
		if i < len(parts)-1 {
			b.WriteString("\n")
		}
	}
	b.WriteString(" " + raw + "\n")
	return []byte(b.String())
}

func mapKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestInvalidSettings(t *testing.T) {
	t.Parallel()
	tests := []struct{ env, val, want string }{
		{"COACH_PORT", "http", `port is "http": want a port number`},
		{"COACH_PORT", "70000", `port is "70000"`},
		{"COACH_SANDBOX_CPUS", "0", `sandbox.cpus is "0": want a number above 0`},
		{"COACH_SANDBOX_PIDS", "-1", `sandbox.pids is "-1"`},
		{"COACH_COLOR", "blue", `color is "blue": want auto, always or never`},
		{"COACH_SANDBOX_IMAGES_NODE", " ", "sandbox.images.node is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.env+"="+tc.val, func(t *testing.T) {
			t.Parallel()
			_, err := Load(Options{UserFile: filepath.Join(t.TempDir(), "none.yaml"), Getenv: func(k string) string { return map[string]string{tc.env: tc.val}[k] }})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
