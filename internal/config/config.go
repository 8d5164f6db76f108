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
	v *viper.Viper
	// Files lists the config files read, lowest precedence first.
	Files []string
}

// Options say where to look.
type Options struct {
	// Workspace is the learner's directory; its coach.yaml is read.
	Workspace string
	// UserFile overrides the user config file path (tests, --config).
	UserFile string
	// Flags are bound over everything else; a flag whose name matches a key
	// (with dots as dashes: sandbox-backend) or one named in FlagKeys wins
	// when it was set.
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
		for _, k := range allKeys {
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
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

var allKeys = []string{KeySandbox, KeyCAFile, KeyMemory, KeyCPUs, KeyPids, KeyOCIRuntime, KeyUser,
	KeyReadOnly, KeyImageNode, KeyImageGo, KeyImagePython, KeyPort, KeyColor, KeyLang}

func setDefaults(v *viper.Viper) {
	v.SetDefault(KeySandbox, "docker")
	v.SetDefault(KeyCAFile, "")
	v.SetDefault(KeyMemory, "512m")
	v.SetDefault(KeyCPUs, 1.0)
	v.SetDefault(KeyPids, 256)
	v.SetDefault(KeyOCIRuntime, "")
	v.SetDefault(KeyUser, "10001:10001")
	v.SetDefault(KeyReadOnly, true)
	v.SetDefault(KeyImageNode, "node:22-bookworm-slim")
	v.SetDefault(KeyImageGo, "golang:1.25-bookworm")
	v.SetDefault(KeyImagePython, "python:3.13-slim-bookworm")
	v.SetDefault(KeyPort, 0) // the backend chooses: 8080 in Docker, a free port for process
	v.SetDefault(KeyColor, "auto")
	v.SetDefault(KeyLang, "")
}

func (c *Config) validate() error {
	if b := c.String(KeySandbox); b != "docker" && b != "process" {
		return fmt.Errorf("sandbox.backend is %q: want docker or process", b)
	}
	if col := c.String(KeyColor); col != "auto" && col != "always" && col != "never" {
		return fmt.Errorf("color is %q: want auto, always or never", col)
	}
	if l := c.String(KeyLang); l != "" && l != "node" && l != "go" && l != "python" {
		return fmt.Errorf("lang is %q: want node, go or python", l)
	}
	if _, err := ParseBytes(c.String(KeyMemory)); err != nil {
		return fmt.Errorf("sandbox.memory: %w", err)
	}
	return nil
}

// String, Int, Float and Bool read a key.
func (c *Config) String(key string) string    { return c.v.GetString(key) }
func (c *Config) Int(key string) int          { return c.v.GetInt(key) }
func (c *Config) Float(key string) float64    { return c.v.GetFloat64(key) }
func (c *Config) Bool(key string) bool        { return c.v.GetBool(key) }
func (c *Config) Set(key string, val any)     { c.v.Set(key, val) }
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
