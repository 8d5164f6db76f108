package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/sandbox"
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
	fmt.Fprintf(out, "sandbox: %s\n", cfg.String(config.KeySandbox))
	d, err := sandbox.NewDocker(ctx, dockerOptions(cfg, o.g))
	if err != nil {
		fmt.Fprintf(out, "docker: ✗ %v\n", err)
		return withCode(ExitSandbox, fmt.Errorf("docker is not usable: coach check needs it, or --sandbox process"))
	}
	defer d.Close()
	r := d.Doctor(ctx)
	fmt.Fprintf(out, "docker: ✓ %s\n", r.Endpoint)
	fmt.Fprintf(out, "  engine %s, API %s, %s/%s, %s (kernel %s)\n", r.EngineVersion, r.APIVersion, r.EngineOSType, r.Architecture, r.OS, r.Kernel)
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
		fmt.Fprintf(out, "  %-7s %-28s %s\n", im.Runtime, im.Image, mark)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(out, "  warning: %s\n", w)
	}
	if r.Relay != "" {
		return withCode(ExitSandbox, fmt.Errorf("the sandbox relay cannot run: %s", r.Relay))
	}
	return nil
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
	d, err := sandbox.NewDocker(ctx, dockerOptions(cfg, o.g))
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
