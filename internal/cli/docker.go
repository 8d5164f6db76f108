package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/sandbox"
	"github.com/coachcli/coach/sandbox/docker"
	"github.com/coachcli/coach/sandbox/workspace"
)

type doctorOptions struct{ g *globalOptions }

func newDoctorCmd(g *globalOptions) *cobra.Command {
	o := &doctorOptions{g: g}
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check that coach can build and run your code (Docker, images, config)",
		Example: `  coach doctor
  coach doctor --config ./team.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			return runDoctor(cmd.Context(), o, cfg)
		},
	}
}

func runDoctor(ctx context.Context, o *doctorOptions, cfg *config.Config) error {
	out := o.g.io.Out
	fmt.Fprintf(out, "coach %s\n", Version())
	if len(cfg.Files) == 0 {
		fmt.Fprintf(out, "config: defaults (no file; user file would be %s)\n", config.UserFile(o.g.io.Getenv))
	} else {
		fmt.Fprintf(out, "config: %s\n", strings.Join(cfg.Files, ", "))
	}
	fmt.Fprintf(out, "sandbox: %s\n", cfg.Settings().Sandbox.Backend)
	wsRuntime, wsErr := doctorWorkspace(o, cfg)
	d, err := docker.New(ctx, dockerOptions(cfg, o.g))
	if err != nil {
		fmt.Fprintf(out, "docker: ✗ %v\n", err)
		return withCode(ExitSandbox, fmt.Errorf("docker is not usable: coach check needs it, or --sandbox process"))
	}
	defer d.Close()
	r := d.Doctor(ctx)
	fmt.Fprintf(out, "docker: ✓ %s\n", r.Endpoint)
	fmt.Fprintf(out, "  engine %s, API %s, %s/%s, %s (kernel %s)\n", r.EngineVersion, r.APIVersion, r.EngineOSType, r.Architecture, r.OS, r.Kernel)
	if r.Podman {
		fmt.Fprintln(out, "  Podman's Docker-compatible API: coach sets the process and open-file limits itself, and an out-of-memory kill Podman does not report is called a likely one")
	}
	fmt.Fprintf(out, "  cgroup v%s (%s), storage %s, rootless: %v, gVisor (runsc): %v\n",
		r.CgroupVersion, r.CgroupDriver, r.StorageDriver, r.Rootless, r.RunscAvailable)
	switch {
	case r.Relay != "":
		fmt.Fprintf(out, "  relay: ✗ %s\n", r.Relay)
	case r.RelayFrom == "embedded":
		fmt.Fprintf(out, "  relay: ✓ embedded relay for linux/%s, reached through the engine's API\n", r.RelayArch)
	default:
		fmt.Fprintf(out, "  relay: ✓ coach's own executable (%s) serves as the linux/%s relay, reached through the engine's API\n", r.RelayFrom, r.RelayArch)
	}
	missing := 0
	for _, im := range r.Images {
		mark := "✓ present"
		if !im.Present {
			mark = "· missing (pulled on first use)"
			missing++
		}
		if im.Runtime == wsRuntime {
			mark += " ← your workspace's"
		}
		fmt.Fprintf(out, "  %-7s %-28s %s\n", im.Runtime, im.Image, mark)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(out, "  warning: %s\n", w)
	}
	if r.Relay != "" {
		return withCode(ExitSandbox, fmt.Errorf("the sandbox relay cannot run: %s", r.Relay))
	}
	return wsErr
}

// doctorWorkspace checks what coach check would build here, the CA bundle
// and the proxy settings the build gets. It returns the workspace's
// runtime ("" for none) and an error for a setting that cannot work.
func doctorWorkspace(o *doctorOptions, cfg *config.Config) (workspace.Runtime, error) {
	out := o.g.io.Out
	var rt workspace.Runtime
	var bad error
	ws, err := workspace.Detect(o.g.dir)
	var we *workspace.Error
	switch {
	case err == nil:
		rt = ws.Runtime
		fmt.Fprintf(out, "workspace: ✓ %s\n  %s\n", ws.Dir, docker.Plan(ws))
		for _, n := range ws.Notes {
			fmt.Fprintf(out, "  note: %s\n", n)
		}
	case errors.As(err, &we) && we.Kind == workspace.Missing:
		fmt.Fprintf(out, "workspace: · none in %s (run coach doctor in your project's folder to check it too)\n", we.Dir)
	default:
		e := explainStart(err)
		fmt.Fprintf(out, "workspace: ✗ %s\n", e.headline)
		for _, l := range strings.Split(strings.TrimSpace(e.body), "\n") {
			fmt.Fprintf(out, "  %s\n", l)
		}
		for _, a := range e.advice {
			fmt.Fprintf(out, "  %s\n", a)
		}
	}
	if ca := cfg.Settings().Sandbox.CAFile; ca == "" {
		fmt.Fprintln(out, "ca file: · none (sandbox.ca_file: needed only behind a proxy that replaces TLS certificates)")
	} else if n, err := sandbox.CheckCAFile(ca); err != nil {
		fmt.Fprintf(out, "ca file: ✗ %v\n", err)
		bad = withCode(ExitUsage, fmt.Errorf("sandbox.ca_file cannot be used: %w", err))
	} else {
		fmt.Fprintf(out, "ca file: ✓ %s (%d certificates, given to every build)\n", ca, n)
	}
	var set []string
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
		"NPM_CONFIG_REGISTRY", "npm_config_registry", "GOPROXY", "PIP_INDEX_URL"} {
		if v := o.g.io.Getenv(k); v != "" {
			set = append(set, k+"="+sandbox.RedactURL(v))
		}
	}
	if len(set) == 0 {
		fmt.Fprintln(out, "proxy: · none set (builds reach registries directly; set HTTPS_PROXY and NO_PROXY behind a proxy)")
	} else {
		fmt.Fprintf(out, "proxy and registries: %s (passed to builds)\n", strings.Join(set, ", "))
	}
	return rt, bad
}

type cleanOptions struct {
	g   *globalOptions
	all bool
}

func newCleanCmd(g *globalOptions) *cobra.Command {
	o := &cleanOptions{g: g}
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Remove every container, volume and socket a coach run left behind",
		Long: `Removes every Docker object labelled coach.run (servers, relays, data volumes),
e.g. after coach was killed. Cached workspace images and dependency caches are kept
unless --all is given.`,
		Example: `  coach clean
  coach clean --all   # also the cached images and dependency caches`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			return runClean(cmd.Context(), o, cfg)
		},
	}
	cmd.Flags().BoolVar(&o.all, "all", false, "also remove cached workspace images and dependency caches")
	return cmd
}

func runClean(ctx context.Context, o *cleanOptions, cfg *config.Config) error {
	d, err := docker.New(ctx, dockerOptions(cfg, o.g))
	if err != nil {
		return err
	}
	defer d.Close()
	rep, err := d.Clean(ctx, o.all)
	out := o.g.io.Out
	fmt.Fprintf(out, "removed %d containers, %d volumes, %d images, %d networks\n",
		len(rep.Containers), len(rep.Volumes), len(rep.Images), len(rep.Networks))
	for _, e := range rep.Errors {
		fmt.Fprintf(o.g.io.Err, "coach: could not remove %s\n", e)
	}
	if err != nil {
		return &sandbox.EngineError{Op: "clean", Err: err}
	}
	return nil
}
