package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/grader/report"
	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/internal/progress"
	"github.com/coachcli/coach/internal/run"
	"github.com/coachcli/coach/sandbox/docker"
)

type watchOptions struct {
	check    checkOptions
	poll     bool
	interval time.Duration
	debounce time.Duration
}

func newWatchCmd(g *globalOptions) *cobra.Command {
	o := &watchOptions{check: checkOptions{g: g, format: "terminal"}}
	cmd := &cobra.Command{
		Use:   "watch [step]",
		Short: "Check your server every time you save a file",
		Long: `Checks the current step (or the one named), then again every time a file in the
workspace changes. On a terminal the screen is redrawn for each check, and keys act
at once: h shows the next hint, n moves on to the next step once this one passes,
r re-runs the check, q quits.

File changes are noticed with the operating system's file events; where those do not
arrive (a Windows drive under WSL, a network filesystem) coach polls instead, on its
own or with --poll. Files named by .gitignore, dependencies and editor swap files
never trigger a check.`,
		Example: `  coach watch
  coach watch --previous          # re-check every earlier step too
  coach watch --sandbox process   # no Docker: runs on your machine, not isolated
  coach watch --poll              # on a network drive or /mnt/c under WSL`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeSteps(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.check.step = args[0]
			}
			cfg, err := g.loadConfig(cmd, map[string]string{"sandbox": config.KeySandbox, "port": config.KeyPort})
			if err != nil {
				return err
			}
			// --port > COACH_PORT > coach.yaml > user file > 8080.
			o.check.port = cfg.Settings().Port
			return runWatch(cmd.Context(), o, cfg)
		},
	}
	f := cmd.Flags()
	f.String("sandbox", "docker", "where to run your server: docker (isolated) or process (on this machine, not isolated)")
	f.IntVar(&o.check.port, "port", 0, "the PORT your server is given (default 8080; with --sandbox process a free port)")
	f.BoolVar(&o.check.previous, "previous", false, "when the step passes, check every earlier step too")
	f.BoolVarP(&o.check.verbose, "verbose", "v", false, "print every request and response")
	f.BoolVar(&o.poll, "poll", false, "look for changes by polling instead of file events (network drives, WSL)")
	f.DurationVar(&o.interval, "interval", 500*time.Millisecond, "how often --poll looks")
	registerCheckCompletions(cmd)
	return cmd
}

// Keys watch acts on.
const (
	keyCtrlC = 3
	keyCtrlD = 4
)

// screenClear moves home and clears the screen and its scrollback, so
// each check starts on a clean screen as rustlings' watch does.
const screenClear = "\x1b[H\x1b[2J\x1b[3J"

func runWatch(ctx context.Context, o *watchOptions, cfg *config.Config) error {
	g := o.check.g
	ios := g.io
	cat, err := g.catalog()
	if err != nil {
		return err
	}
	ex, err := resolveStep(g, cat, o.check.step, "watch")
	if err != nil {
		return err
	}
	if _, err := os.Stat(g.dir); err != nil {
		return usagef("no workspace at %s: %v", g.dir, err)
	}
	if o.interval <= 0 {
		o.interval = 500 * time.Millisecond
	}
	if o.debounce <= 0 {
		o.debounce = 150 * time.Millisecond
	}

	// Raw mode, so a key acts without Enter. It is undone on every way
	// out: return, panic and Ctrl-C (which raw mode delivers as a key).
	out, errw := ios.Out, ios.Err
	if f, ok := ios.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if old, err := term.MakeRaw(int(f.Fd())); err == nil {
			defer term.Restore(int(f.Fd()), old)
			// Raw mode also stops the terminal turning \n into \r\n.
			out, errw = &crlfWriter{w: out}, &crlfWriter{w: errw}
		}
	}
	keys := make(chan byte, 16)
	go readKeys(ios.In, keys)

	wio := *ios
	wio.Out, wio.Err = out, errw
	wg := *g
	wg.io = &wio
	sty := learnerStyle{g.colorOut(cfg, ios.OutIsTTY)}

	files := watchFiles(ctx, g.dir, o.poll, o.interval, o.debounce)
	defer files.Close()

	// One Docker backend for all the checks, which keeps the next pod
	// ready while the learner types; it goes (the warm pod with it) on
	// every way out. When the engine cannot be reached, each check says so.
	if cfg.Settings().Sandbox.Backend == run.Docker {
		dopts := dockerOptions(cfg, &wg)
		dopts.WarmPod = true
		if d, err := docker.New(ctx, dopts); err == nil {
			defer d.Close()
			o.check.docker = d
		}
	}

	var banner string // said at the top of the next check's screen
	lastErr := errors.New("not checked yet")
	var shown *checkOptions // the last check, whose problems f pages through
	focus := 0
	for {
		if ios.OutIsTTY {
			io.WriteString(out, screenClear)
		}
		if banner != "" {
			fmt.Fprintln(out, banner)
			banner = ""
		}
		co := o.check
		co.g, co.step, co.watching = &wg, ex.Name(), true
		co.seed = rand.Int64N(1_000_000)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- runCheck(runCtx, &co, cfg) }()
		running := true

	wait:
		for {
			select {
			case err := <-done:
				running, lastErr = false, err
				if err != nil && !errors.Is(err, errSilent) && !isInterrupt(err) {
					fmt.Fprintf(errw, "coach: %v\n", err)
				}
				shown, focus = &co, 0
				footer(out, sty, ex.Name(), files.Mode, ios.OutIsTTY, problems(shown))
			case changed := <-files.C:
				if running {
					cancel()
					<-done
				}
				banner = sty.dim(fmt.Sprintf("%s changed: checking again", changed))
				break wait
			case k, ok := <-keys:
				if !ok {
					keys = nil // stdin ended: watch until interrupted
					continue
				}
				switch k {
				case 'q', 'Q', keyCtrlD:
					cancel()
					if running {
						<-done
					}
					fmt.Fprintln(out, "bye")
					return nil
				case keyCtrlC:
					cancel()
					if running {
						<-done
					}
					return withCode(ExitInterrupted, errSilent)
				case 'f', 'F':
					// The next problem in full, on a screen of its own.
					if running || problems(shown) < 2 {
						continue
					}
					focus++
					if ios.OutIsTTY {
						io.WriteString(out, screenClear)
					}
					o := shown.lastOpts
					o.Focus = focus
					_ = report.Compact(out, shown.last, o)
					footer(out, sty, ex.Name(), files.Mode, ios.OutIsTTY, problems(shown))
				case 'h', 'H':
					fmt.Fprintln(out)
					revealHint(out, g.dir, ex, lastFailure(g.dir, ex), "press h again")
				case 'r', 'R', '\r', '\n':
					if running {
						cancel()
						<-done
					}
					break wait
				case 'n', 'N':
					next, msg := nextStep(g, cat, ex, lastErr == nil)
					if next == nil {
						fmt.Fprintf(out, "\n%s\n", msg)
						continue
					}
					if running {
						cancel()
						<-done
					}
					ex = next
					banner = msg
					break wait
				}
			case <-ctx.Done():
				if running {
					<-done
				}
				cancel()
				return withCode(ExitInterrupted, errSilent)
			}
		}
		cancel()
	}
}

func isInterrupt(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == ExitInterrupted
}

// problems is how many problems the last check's compact report has.
func problems(co *checkOptions) int {
	if co == nil || co.last == nil {
		return 0
	}
	return report.Problems(co.last, co.lastOpts)
}

func footer(w io.Writer, sty learnerStyle, step, mode string, tty bool, problems int) {
	keys := []string{"h hint", "n next step", "r re-run", "q quit"}
	if problems > 1 {
		keys = append([]string{"f next problem"}, keys...)
	}
	if tty {
		fmt.Fprintf(w, "\n%s\n", sty.dim(fmt.Sprintf("watching %s (%s) · %s", step, mode, strings.Join(keys, " · "))))
		return
	}
	fmt.Fprintf(w, "\nwatching %s for changes (%s); keys: %s\n", step, mode, strings.Join(keys, ", "))
}

// nextStep starts the step after ex once ex has passed: it becomes the
// current step and its instructions are written to STEP.md.
func nextStep(g *globalOptions, cat *exercises.Catalog, ex *exercises.Exercise, passed bool) (*exercises.Exercise, string) {
	if !passed {
		return nil, fmt.Sprintf("%s has not passed yet: n moves on once it does (or coach start the step you want)", ex.Name())
	}
	next := cat.Next(ex)
	if next == nil {
		return nil, "That was the last step: you finished the roadmap."
	}
	st, err := progress.Load(g.dir)
	if err != nil {
		return nil, err.Error()
	}
	lang := learnerLanguage("", st, g.dir)
	if err := os.WriteFile(filepath.Join(g.dir, InstructionsFile), []byte(instructions(next, lang)), 0o644); err != nil {
		return nil, fmt.Sprintf("could not write the instructions: %v", err)
	}
	if err := progress.Update(g.dir, func(s *progress.State) { s.Current = next.ID }); err != nil {
		return nil, err.Error()
	}
	return next, fmt.Sprintf("▶ Now on %s — %s. The instructions are in %s (coach start shows them).\n",
		next.Name(), next.Title, InstructionsFile)
}

// readKeys sends each byte typed until the input ends.
func readKeys(r io.Reader, keys chan<- byte) {
	defer close(keys)
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			keys <- buf[0]
		}
		if err != nil {
			return
		}
	}
}

// crlfWriter turns \n into \r\n, which a terminal in raw mode no longer
// does itself.
type crlfWriter struct{ w io.Writer }

func (c *crlfWriter) underlying() io.Writer { return c.w }

func (c *crlfWriter) Write(p []byte) (int, error) {
	if _, err := c.w.Write(bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}
