package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/grader/report"
)

func newCompletionCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script (commands, step names, languages)",
		Long: `Prints the completion script for your shell. With it, Tab completes coach's commands
and flags, step names (step-3 with its title) and languages.`,
		Example: `  source <(coach completion bash)                      # bash, this shell only
  coach completion bash > ~/.local/share/bash-completion/completions/coach
  coach completion zsh > "${fpath[1]}/_coach"          # zsh (compinit must be on)
  coach completion fish > ~/.config/fish/completions/coach.fish
  coach completion powershell | Out-String | Invoke-Expression`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), g.io.Out
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return usagef("unknown shell %q: want bash, zsh, fish or powershell", args[0])
		},
	}
	return cmd
}

// completeSteps completes a step argument with the catalogue's step names,
// each with its title as the description.
func completeSteps(g *globalOptions) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return stepCompletions(g, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

func stepCompletions(g *globalOptions, prefix string) []cobra.Completion {
	cat, err := g.catalog()
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, ex := range cat.Exercises {
		for _, name := range []string{ex.Name(), ex.ID} {
			if strings.HasPrefix(name, prefix) {
				out = append(out, cobra.CompletionWithDesc(name, ex.Title))
				break
			}
		}
	}
	return out
}

// completeLanguages completes --lang.
func completeLanguages(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	names := map[string]string{"node": "Node.js", "go": "Go", "python": "Python"}
	var out []cobra.Completion
	for _, l := range exercises.Languages {
		out = append(out, cobra.CompletionWithDesc(l, names[l]))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// registerLangCompletion completes a command's --lang flag.
func registerLangCompletion(cmd *cobra.Command) {
	mustRegister(cmd, "lang", completeLanguages)
}

// registerCheckCompletions completes the flags of commands that run a check.
func registerCheckCompletions(cmd *cobra.Command) {
	if cmd.Flags().Lookup("sandbox") != nil {
		mustRegister(cmd, "sandbox", cobra.FixedCompletions([]cobra.Completion{
			cobra.CompletionWithDesc("docker", "isolated, in Docker (default)"),
			cobra.CompletionWithDesc("process", "on this machine, not isolated"),
		}, cobra.ShellCompDirectiveNoFileComp))
	}
	if cmd.Flags().Lookup("format") != nil {
		mustRegister(cmd, "format", cobra.FixedCompletions(report.Formats, cobra.ShellCompDirectiveNoFileComp))
	}
}

// mustRegister registers a flag completion; it only fails for a flag that
// does not exist or is registered twice, which is a programming error.
func mustRegister(cmd *cobra.Command, flag string, fn cobra.CompletionFunc) {
	if err := cmd.RegisterFlagCompletionFunc(flag, fn); err != nil {
		panic(fmt.Sprintf("complete --%s of %s: %v", flag, cmd.Name(), err))
	}
}
