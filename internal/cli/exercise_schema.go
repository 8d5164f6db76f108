package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/schemas"
)

type schemaOptions struct {
	g    *globalOptions
	name string
	out  string
}

func newSchemaCmd(g *globalOptions) *cobra.Command {
	o := &schemaOptions{g: g}
	cmd := &cobra.Command{
		Use:   "schema [" + strings.Join(schemas.Names(), "|") + "]",
		Short: "Print the JSON Schema of a catalogue file, for editors",
		Long: `Prints the JSON Schema (draft-07) of roadmap.yaml, exercise.yaml, hints.yaml,
suite.yaml or mutants.yaml. Files made by coach exercise new carry a
yaml-language-server comment that points editors at the published copy; --out
writes every schema into a folder for offline use.`,
		Example: `  coach exercise schema suite > suite.schema.json
  coach exercise schema --out .schemas`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: schemas.Names(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.name = args[0]
			}
			return runSchema(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "", "write every schema as NAME.schema.json into this folder")
	return cmd
}

func runSchema(_ context.Context, o *schemaOptions) error {
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", o.out, err)
		}
		for _, name := range schemas.Names() {
			data, err := schemas.Shipped(name)
			if err != nil {
				return err
			}
			file := filepath.Join(o.out, schemas.FileName(name))
			if err := os.WriteFile(file, data, 0o644); err != nil {
				return fmt.Errorf("write %s: %w", file, err)
			}
			fmt.Fprintf(o.g.io.Out, "wrote %s\n", file)
		}
		return nil
	}
	if o.name == "" {
		for _, name := range schemas.Names() {
			fmt.Fprintf(o.g.io.Out, "%-9s %s\n", name, schemas.URL(name))
		}
		return nil
	}
	data, err := schemas.Shipped(o.name)
	if err != nil {
		return usagef("%v", err)
	}
	_, err = o.g.io.Out.Write(data)
	return err
}
