package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

type listOptions struct{ g *globalOptions }

func newListCmd(g *globalOptions) *cobra.Command {
	o := &listOptions{g: g}
	return &cobra.Command{
		Use:     "list",
		Short:   "List the roadmap's steps with their titles and roadmap topics",
		Example: "  coach list",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runList(cmd.Context(), o) },
	}
}

func runList(_ context.Context, o *listOptions) error {
	cat, err := o.g.catalog()
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(o.g.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "%s\n\n", cat.Roadmap.Title)
	fmt.Fprintln(w, "STEP\tID\tTITLE\tTOPICS")
	for _, ex := range cat.Exercises {
		topics := make([]string, len(ex.Topics))
		for i, t := range ex.Topics {
			topics[i] = t.Name
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", ex.Name(), ex.ID, ex.Title, strings.Join(topics, ", "))
	}
	return w.Flush()
}
