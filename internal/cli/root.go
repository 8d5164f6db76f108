// Package cli wires coach's commands: each command is an Options struct
// filled from flags and a runX(ctx, opts) function that does the work with
// injected IO streams, so tests call runX directly.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/internal/config"
	"github.com/coachcli/coach/internal/run"
	"github.com/coachcli/coach/sandbox"
	"github.com/coachcli/coach/sandbox/relay"
	"github.com/coachcli/coach/sandbox/urltarget"
	"github.com/coachcli/coach/sandbox/workspace"
)

// Exit codes, documented in README.md and docs/results.md.
const (
	ExitOK          = 0   // every test passed
	ExitFailed      = 1   // tests failed
	ExitUsage       = 2   // usage, config or exercise-format error
	ExitLearnerCode = 3   // the learner's code did not build or start
	ExitSandbox     = 4   // sandbox or infrastructure error
	ExitInterrupted = 130 // Ctrl-C: everything was cleaned up
)

// IOStreams are the command's input and outputs; never os.Stdout directly.
type IOStreams struct {
	In       io.Reader
	Out      io.Writer
	Err      io.Writer
	OutIsTTY bool
	ErrIsTTY bool
	Getenv   func(string) string
}

// SystemStreams are the process's own streams.
func SystemStreams() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: pipeSafe(os.Stdout), Err: pipeSafe(os.Stderr),
		OutIsTTY: isTerminal(os.Stdout), ErrIsTTY: isTerminal(os.Stderr),
		Getenv: os.Getenv,
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Main runs coach with the process's arguments and returns the exit code.
// In the sandbox's relay container the same executable runs as the relay.
func Main() int {
	relay.MaybeRun()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, SystemStreams(), os.Args[1:])
}

// Run executes one command line and returns its exit code.
func Run(ctx context.Context, io *IOStreams, args []string) int {
	return runWith(ctx, io, args, nil)
}

// runWith is Run with the sandbox backends replaced by open (nil: the real
// ones).
func runWith(ctx context.Context, io *IOStreams, args []string, open run.Opener) int {
	root := newRootCmd(io, open)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := ExitCode(err)
	if ctx.Err() != nil && code != ExitOK {
		code = ExitInterrupted
		if !errors.Is(err, errSilent) {
			fmt.Fprintln(io.Err, "coach: interrupted; everything coach started was removed")
			err = errSilent
		}
	}
	if err != nil && !errors.Is(err, errSilent) {
		fmt.Fprintf(io.Err, "coach: %v\n", err)
	}
	return code
}

// errSilent ends a command whose output already said everything.
var errSilent = errors.New("silent")

// exitError carries an exit code for an error already reported.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// usageError marks a mistake on the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// ExitCode maps an error to coach's documented exit codes.
func ExitCode(err error) int {
	var (
		ee    *exitError
		pe    *exercises.PosError
		pl    exercises.ErrorList
		nf    *exercises.NotFoundError
		we    *workspace.Error
		ue    *urltarget.Error
		be    *workspace.BuildError
		se    *sandbox.StartError
		eng   *sandbox.EngineError
		usage *usageError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &be), errors.As(err, &se):
		return ExitLearnerCode
	case errors.As(err, &eng):
		return ExitSandbox
	case errors.As(err, &pe), errors.As(err, &pl), errors.As(err, &nf), errors.As(err, &we), errors.As(err, &ue), errors.As(err, &usage):
		return ExitUsage
	}
	return ExitUsage // cobra's own flag and argument errors
}

// NewRootCmd builds the command tree.
func NewRootCmd(io *IOStreams) *cobra.Command { return newRootCmd(io, nil) }

func newRootCmd(io *IOStreams, open run.Opener) *cobra.Command {
	g := &globalOptions{io: io, open: open}
	root := &cobra.Command{
		Use:   "coach",
		Short: "Build, run and check your backend exercises, locally and sandboxed",
		Long: `coach hands out backend exercises keyed to the steps of the backend roadmap,
builds your own HTTP server (Node.js, Go, Python or your own Dockerfile), runs it in
a locked-down Docker sandbox and checks it from the outside.`,
		Example: `  coach list
  coach start step-1 --lang node
  coach check step-1
  coach check 3 --url http://127.0.0.1:3000`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// coach --version says what coach version does.
		Version: Version(),
	}
	root.SetVersionTemplate(versionLine() + "\n")
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	root.PersistentFlags().StringVarP(&g.dir, "dir", "C", ".", "the workspace directory")
	root.PersistentFlags().StringVar(&g.configFile, "config", "", "user config file (default $XDG_CONFIG_HOME/coach/config.yaml)")
	root.PersistentFlags().StringVar(&g.color, "color", "", "colour output: auto, always or never (NO_COLOR is honoured)")
	root.PersistentFlags().StringVar(&g.catalogDir, "catalog", "", "use this installed catalogue (coach catalog list) or catalogue folder instead of the built-in backend roadmap")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usagef("%v", err) })

	root.AddCommand(
		newListCmd(g),
		newStartCmd(g),
		newCheckCmd(g),
		newHintCmd(g),
		newVersionCmd(g),
		newDoctorCmd(g),
		newCleanCmd(g),
		newExerciseCmd(g),
		newPackCmd(g),
		newCatalogCmd(g),
		newGradeCmd(g),
		newInitCmd(g),
		newWatchCmd(g),
		newProgressCmd(g),
		newSolutionCmd(g),
		newCompletionCmd(g),
	)
	return root
}

// globalOptions are the flags every command has.
type globalOptions struct {
	io         *IOStreams
	dir        string
	configFile string
	color      string
	catalogDir string
	// open, when set, replaces the sandbox backends (tests where the
	// engine is not the point).
	open run.Opener
}

// loadConfig reads the configuration for a command whose own flags are fs.
func (g *globalOptions) loadConfig(cmd *cobra.Command, flagKeys map[string]string) (*config.Config, error) {
	cfg, err := config.Load(config.Options{
		Workspace: g.dir,
		UserFile:  g.configFile,
		Flags:     cmd.Flags(),
		FlagKeys:  flagKeys,
		Getenv:    g.io.Getenv,
	})
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	if g.color != "" {
		if err := cfg.Set(config.KeyColor, g.color); err != nil {
			return nil, withCode(ExitUsage, fmt.Errorf("--color: %w", err))
		}
	}
	return cfg, nil
}

// colorOut decides whether to colour a stream.
func (g *globalOptions) colorOut(cfg *config.Config, tty bool) bool {
	mode := g.color
	if mode == "" && cfg != nil {
		mode = cfg.Settings().Color
	}
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if g.io.Getenv != nil && g.io.Getenv("NO_COLOR") != "" {
		return false
	}
	return tty
}

// catalog loads the catalogue named by --catalog (an installed one or a
// folder), else the embedded backend roadmap.
func (g *globalOptions) catalog() (*exercises.Catalog, error) {
	return g.openCatalog(g.catalogDir)
}
