// Package config loads coach's configuration with one viper instance per
// process. Precedence, highest first: command-line flags, COACH_* environment
// variables, the workspace's coach.yaml, the user's config file
// ($XDG_CONFIG_HOME/coach/config.yaml), then defaults.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/coachcli/coach/sandbox/docker"
	"github.com/coachcli/coach/sandbox/workspace"
)

// Keys coach reads. Nested keys are written as YAML maps in files
// (sandbox: {backend: process}) and as COACH_SANDBOX_BACKEND in the
// environment.
const (
	KeySandbox     = "sandbox.backend"   // docker | process
	KeyCAFile      = "sandbox.ca_file"   // extra CA bundle for build containers
	KeyMemory      = "sandbox.memory"    // e.g. 512m
	KeyCPUs        = "sandbox.cpus"      // e.g. 1.5
	KeyPids        = "sandbox.pids"      // process limit
	KeyOCIRuntime  = "sandbox.runtime"   // "" or runsc
	KeyUser        = "sandbox.user"      // uid:gid the server runs as
	KeyReadOnly    = "sandbox.read_only" // read-only root filesystem
	KeyImageNode   = "sandbox.images.node"
	KeyImageGo     = "sandbox.images.go"
	KeyImagePython = "sandbox.images.python"
	KeyPort        = "port"  // PORT given to the server (0: coach picks for process)
	KeyColor       = "color" // auto | always | never
	KeyLang        = "lang"  // the learner's language: node | go | python
)

// Config is the merged configuration.
type Config struct {
	v        *viper.Viper
	settings Settings
	// Files lists the config files read, lowest precedence first.
	Files []string
}

// Options say where to look.
type Options struct {
	// Workspace is the learner's directory; its coach.yaml is read.
	Workspace string
	// UserFile overrides the user config file path (tests, --config).
	UserFile string
	// Flags are bound over everything else: a flag named in FlagKeys wins
	// over every other source of its key when it was set.
	Flags    *pflag.FlagSet
	FlagKeys map[string]string // flag name -> key
	// Getenv reads the environment (nil: os.Getenv).
	Getenv func(string) string
}

// Load builds the configuration.
func Load(o Options) (*Config, error) {
	v := viper.New()
	setDefaults(v)
	c := &Config{v: v}

	userFile := o.UserFile
	if userFile == "" {
		userFile = UserFile(o.Getenv)
	}
	files := []string{userFile}
	if o.Workspace != "" {
		files = append(files, filepath.Join(o.Workspace, "coach.yaml"))
	}
	for _, f := range files {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		v.SetConfigFile(f)
		v.SetConfigType("yaml")
		if err := v.MergeInConfig(); err != nil {
			return nil, fmt.Errorf("read config %s: %w", f, err)
		}
		c.Files = append(c.Files, f)
	}

	v.SetEnvPrefix("COACH")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if o.Getenv != nil {
		// AutomaticEnv reads os.Getenv; an injected environment is applied
		// explicitly so tests need not touch the process environment.
		for _, k := range Keys() {
			if val := o.Getenv("COACH_" + strings.ToUpper(strings.ReplaceAll(k, ".", "_"))); val != "" {
				v.Set(k, val)
			}
		}
	}

	if o.Flags != nil {
		for name, key := range o.FlagKeys {
			f := o.Flags.Lookup(name)
			if f == nil {
				continue
			}
			if err := v.BindPFlag(key, f); err != nil {
				return nil, fmt.Errorf("bind flag --%s: %w", name, err)
			}
			if f.Changed {
				v.Set(key, f.Value.String()) // above the injected environment, which is Set too
			}
		}
	}
	if err := c.resolve(); err != nil {
		return nil, err
	}
	return c, nil
}

// Settings are every documented key, typed and validated, resolved once
// per command (Load) and passed down: commands read these, not raw keys.
type Settings struct {
	Sandbox Sandbox
	Port    int    // the PORT the server is given; 0: the backend chooses
	Color   string // auto, always or never
	Lang    string // node, go, python or ""
}

// Sandbox are the sandbox.* settings.
type Sandbox struct {
	Backend  string // docker or process
	CAFile   string
	Memory   int64 // bytes
	CPUs     float64
	Pids     int
	Runtime  string // the OCI runtime: "" or e.g. runsc
	User     string // uid:gid
	ReadOnly bool
	Images   map[workspace.Runtime]string
}

// setting is one documented key: its default and how it lands in Settings
// (checking its value). This table is the one list of keys.
type setting struct {
	key  string
	def  any
	read func(c *Config, s *Settings) error
}

var settings = []setting{
	{KeySandbox, "docker", func(c *Config, s *Settings) error {
		s.Sandbox.Backend = c.String(KeySandbox)
		return oneOf(KeySandbox, s.Sandbox.Backend, "docker", "process")
	}},
	{KeyCAFile, "", func(c *Config, s *Settings) error { s.Sandbox.CAFile = c.String(KeyCAFile); return nil }},
	{KeyMemory, fmt.Sprintf("%dm", docker.DefaultMemory>>20), func(c *Config, s *Settings) (err error) {
		if s.Sandbox.Memory, err = ParseBytes(c.String(KeyMemory)); err != nil {
			return fmt.Errorf("%s: %w", KeyMemory, err)
		}
		return nil
	}},
	{KeyCPUs, float64(docker.DefaultNanoCPUs) / 1e9, func(c *Config, s *Settings) error {
		s.Sandbox.CPUs = c.Float(KeyCPUs)
		return positive(KeyCPUs, c.String(KeyCPUs), s.Sandbox.CPUs)
	}},
	{KeyPids, docker.DefaultPids, func(c *Config, s *Settings) error {
		s.Sandbox.Pids = c.Int(KeyPids)
		return positive(KeyPids, c.String(KeyPids), float64(s.Sandbox.Pids))
	}},
	{KeyOCIRuntime, "", func(c *Config, s *Settings) error { s.Sandbox.Runtime = c.String(KeyOCIRuntime); return nil }},
	{KeyUser, docker.DefaultUser, func(c *Config, s *Settings) error { s.Sandbox.User = c.String(KeyUser); return nil }},
	{KeyReadOnly, true, func(c *Config, s *Settings) error { s.Sandbox.ReadOnly = c.Bool(KeyReadOnly); return nil }},
	{KeyImageNode, docker.DefaultImages()[workspace.Node], image(KeyImageNode, workspace.Node)},
	{KeyImageGo, docker.DefaultImages()[workspace.Go], image(KeyImageGo, workspace.Go)},
	{KeyImagePython, docker.DefaultImages()[workspace.Python], image(KeyImagePython, workspace.Python)},
	{KeyPort, 0, func(c *Config, s *Settings) error {
		s.Port = c.Int(KeyPort)
		if s.Port < 0 || s.Port > 65535 || c.String(KeyPort) != fmt.Sprint(s.Port) {
			return fmt.Errorf("port is %q: want a port number (1-65535)", c.String(KeyPort))
		}
		return nil
	}},
	{KeyColor, "auto", func(c *Config, s *Settings) error {
		s.Color = c.String(KeyColor)
		return oneOf(KeyColor, s.Color, "auto", "always", "never")
	}},
	{KeyLang, "", func(c *Config, s *Settings) error {
		s.Lang = c.String(KeyLang)
		if s.Lang == "" {
			return nil
		}
		return oneOf(KeyLang, s.Lang, "node", "go", "python")
	}},
}

func image(key string, rt workspace.Runtime) func(c *Config, s *Settings) error {
	return func(c *Config, s *Settings) error {
		if s.Sandbox.Images == nil {
			s.Sandbox.Images = map[workspace.Runtime]string{}
		}
		img := strings.TrimSpace(c.String(key))
		if img == "" {
			return fmt.Errorf("%s is empty: want an image name such as %s", key, docker.DefaultImages()[rt])
		}
		s.Sandbox.Images[rt] = img
		return nil
	}
}

func oneOf(key, val string, allowed ...string) error {
	for _, a := range allowed {
		if val == a {
			return nil
		}
	}
	want := strings.Join(allowed[:len(allowed)-1], ", ") + " or " + allowed[len(allowed)-1]
	return fmt.Errorf("%s is %q: want %s", key, val, want)
}

func positive(key, raw string, v float64) error {
	if v <= 0 {
		return fmt.Errorf("%s is %q: want a number above 0", key, raw)
	}
	return nil
}

// Keys are every documented key, in the order of the settings table.
func Keys() []string {
	out := make([]string, len(settings))
	for i, s := range settings {
		out[i] = s.key
	}
	return out
}

func setDefaults(v *viper.Viper) {
	for _, s := range settings {
		v.SetDefault(s.key, s.def)
	}
}

// resolve fills c.settings from the merged keys, checking each.
func (c *Config) resolve() error {
	var s Settings
	for _, st := range settings {
		if err := st.read(c, &s); err != nil {
			return err
		}
	}
	c.settings = s
	return nil
}

// Settings are the resolved settings.
func (c *Config) Settings() Settings { return c.settings }

// String, Int, Float and Bool read a key.
func (c *Config) String(key string) string { return c.v.GetString(key) }
func (c *Config) Int(key string) int       { return c.v.GetInt(key) }
func (c *Config) Float(key string) float64 { return c.v.GetFloat64(key) }
func (c *Config) Bool(key string) bool     { return c.v.GetBool(key) }

// Set overrides a key (a command's own flag, such as --color) and resolves
// the settings again.
func (c *Config) Set(key string, val any) error {
	c.v.Set(key, val)
	return c.resolve()
}
func (c *Config) AllSettings() map[string]any { return c.v.AllSettings() }

// UserFile is the user's config file: $XDG_CONFIG_HOME/coach/config.yaml,
// else ~/.config/coach/config.yaml. COACH_CONFIG overrides it.
func UserFile(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if f := getenv("COACH_CONFIG"); f != "" {
		return f
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "coach", "config.yaml")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "coach", "config.yaml")
	}
	return ""
}

// ParseBytes reads sizes such as 512m, 1g, 300k or a plain byte count.
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "ib"), "b")
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1<<10, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "m"):
		mult, s = 1<<20, strings.TrimSuffix(s, "m")
	case strings.HasSuffix(s, "g"):
		mult, s = 1<<30, strings.TrimSuffix(s, "g")
	}
	var n int64
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != s {
		return 0, fmt.Errorf("%q is not a size (want e.g. 512m or 1g)", s)
	}
	return n * mult, nil
}
