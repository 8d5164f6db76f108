package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

type hintOptions struct {
	g     *globalOptions
	step  string
	build bool
	all   bool
}

func newHintCmd(g *globalOptions) *cobra.Command {
	o := &hintOptions{g: g}
	cmd := &cobra.Command{
		Use:   "hint <step>",
		Short: "Reveal the next hint for a step, gentle first",
		Example: `  coach hint step-3
  coach hint 3 --build   # hints for code that does not build or start
  coach hint 3 --all`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.step = args[0]
			return runHint(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.build, "build", false, "hints for when your code does not build or start")
	cmd.Flags().BoolVar(&o.all, "all", false, "show every hint")
	return cmd
}

// hintState remembers how many hints were shown per step and kind, in the
// workspace's .coach folder.
type hintState map[string]int

func runHint(_ context.Context, o *hintOptions) error {
	cat, step, err := o.g.stepCatalog(o.step)
	if err != nil {
		return err
	}
	ex, err := cat.Find(step)
	if err != nil {
		return err
	}
	hints, kind := ex.Hints.Test, "test"
	if o.build {
		hints, kind = ex.Hints.Build, "build"
	}
	out := o.g.io.Out
	if o.all {
		for i, h := range hints {
			fmt.Fprintf(out, "Hint %d/%d: %s\n\n", i+1, len(hints), h)
		}
		return nil
	}
	file := filepath.Join(o.g.dir, ".coach", "hints.json")
	state := hintState{}
	if data, err := os.ReadFile(file); err == nil {
		_ = json.Unmarshal(data, &state) // a damaged file only resets the count
	}
	key := ex.ID + "/" + kind
	n := state[key]
	if n >= len(hints) {
		n = len(hints) - 1
	}
	fmt.Fprintf(out, "Hint %d/%d for %s: %s\n", n+1, len(hints), ex.Name(), hints[n])
	if n+1 < len(hints) {
		fmt.Fprintf(out, "\n(run `coach hint %s` again for a more specific one)\n", ex.Name())
	}
	state[key] = n + 1
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err == nil {
		data, _ := json.MarshalIndent(state, "", "  ")
		_ = writeFileAtomic(file, data)
	}
	return nil
}

// writeFileAtomic writes through a temporary file and a rename, so a crash
// never leaves a half-written file.
func writeFileAtomic(file string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return os.Rename(tmp.Name(), file)
}
