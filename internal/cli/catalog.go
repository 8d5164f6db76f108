package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/pack"
)

// openCatalog loads the catalogue arg names: "" or "backend" is the
// embedded one; a name is an installed catalogue; anything that looks
// like a path (or is no installed name) is a folder.
func (g *globalOptions) openCatalog(arg string) (*exercises.Catalog, error) {
	if arg == "" || arg == pack.Builtin {
		return exercises.Load(exercises.Backend())
	}
	folder := func() (*exercises.Catalog, error) {
		if st, err := os.Stat(arg); err != nil || !st.IsDir() {
			return nil, usagef("--catalog %s is not a folder", arg)
		}
		return exercises.Load(os.DirFS(arg))
	}
	if strings.ContainsAny(arg, `/\`) || strings.HasPrefix(arg, ".") || !pack.ValidName(arg) {
		return folder()
	}
	if s, err := g.store(nil); err == nil {
		if e, err := s.Get(arg); err != nil {
			return nil, err
		} else if e != nil {
			return exercises.Load(os.DirFS(s.Path(arg)))
		}
	}
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		return exercises.Load(os.DirFS(arg))
	}
	return nil, usagef("--catalog %s is neither an installed catalogue (see coach catalog list) nor a folder", arg)
}

// stepCatalog splits a step argument that may name its catalogue
// ("mypack/3", "./my-folder/step-2") and loads that catalogue.
func (g *globalOptions) stepCatalog(step string) (*exercises.Catalog, string, error) {
	name := g.catalogDir
	if i := strings.LastIndex(step, "/"); i >= 0 {
		if name != "" && name != step[:i] {
			return nil, "", usagef("step %s names the catalogue %s, but --catalog says %s", step, step[:i], name)
		}
		name, step = step[:i], step[i+1:]
	}
	cat, err := g.openCatalog(name)
	return cat, step, err
}

// store is the installed-catalogue store under the XDG data folder.
func (g *globalOptions) store(client *http.Client) (*pack.Store, error) {
	getenv := g.io.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	dir, err := pack.DataDir(getenv)
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	return &pack.Store{Dir: dir, Client: client, CoachVersion: Version(), Check: checkSuites}, nil
}

// checkSuites makes sure every suite of the catalogue in dir decodes: the
// pack package validates the rest, but knows nothing of suites.
func checkSuites(dir string) error {
	cat, err := exercises.Load(os.DirFS(dir))
	if err != nil {
		return err
	}
	for _, ex := range cat.Exercises {
		if _, err := parseSuite(ex); err != nil {
			return err
		}
	}
	return nil
}

type catalogOptions struct {
	g      *globalOptions
	names  []string
	source string
	sha256 string
	client *http.Client // nil: the default client (system trust store)
}

func newCatalogCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "Install, list, update and remove exercise catalogues (packs)",
		Long: `A catalogue is a roadmap of exercises. The backend roadmap is built in; instructors
publish others as packs (coach pack build). An installed pack is verified (every
file's sha256, and --sha256 of the archive when given), kept under
$XDG_DATA_HOME/coach/catalogs and usable offline.

Use one with --catalog NAME, or name the step as NAME/STEP.`,
		Example: `  coach catalog add http-basics https://example.org/http-basics-1.0.0.tar.gz --sha256 3f5a...
  coach list --catalog http-basics
  coach start http-basics/1 --lang go
  coach check http-basics/1
  coach catalog update http-basics`,
	}
	cmd.AddCommand(newCatalogAddCmd(g), newCatalogListCmd(g), newCatalogUpdateCmd(g), newCatalogRemoveCmd(g))
	return cmd
}

func newCatalogAddCmd(g *globalOptions) *cobra.Command {
	o := &catalogOptions{g: g}
	cmd := &cobra.Command{
		Use:   "add <name> <https-url|path>",
		Short: "Fetch, verify and install a pack as the catalogue <name>",
		Example: `  coach catalog add http-basics https://example.org/http-basics-1.0.0.tar.gz --sha256 3f5a...
  coach catalog add mine ./mine-1.0.0.tar.gz`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.names, o.source = args[:1], args[1]
			return runCatalogAdd(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.sha256, "sha256", "", "the archive's expected sha256 (as `coach pack build` prints it)")
	return cmd
}

func runCatalogAdd(ctx context.Context, o *catalogOptions) error {
	s, err := o.g.store(o.client)
	if err != nil {
		return err
	}
	e, err := s.Add(ctx, o.names[0], o.source, o.sha256)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	fmt.Fprintf(o.g.io.Out, "installed %s: %s %s (%s)\n  sha256 %s\n\nTry: coach list --catalog %s\n",
		e.Name, e.Pack, e.Version, e.Roadmap, e.SHA256, e.Name)
	return nil
}

func newCatalogListCmd(g *globalOptions) *cobra.Command {
	o := &catalogOptions{g: g}
	return &cobra.Command{
		Use:     "list",
		Short:   "List the installed catalogues",
		Example: "  coach catalog list",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runCatalogList(cmd.Context(), o) },
	}
}

func runCatalogList(_ context.Context, o *catalogOptions) error {
	s, err := o.g.store(nil)
	if err != nil {
		return err
	}
	entries, err := s.List()
	if err != nil {
		return err
	}
	builtin, err := exercises.Load(exercises.Backend())
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(o.g.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tVERSION\tROADMAP\tSOURCE")
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", pack.Builtin, Version(), builtin.Roadmap.Title, "built in (the default)")
	for _, e := range entries {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", e.Name, e.Version, e.Roadmap, e.Source)
	}
	return w.Flush()
}

func newCatalogUpdateCmd(g *globalOptions) *cobra.Command {
	o := &catalogOptions{g: g}
	cmd := &cobra.Command{
		Use:   "update [name...]",
		Short: "Fetch installed catalogues again and install what changed",
		Long: `Fetches each named catalogue (every installed one when none is named) from where
it was added, verifies it and replaces the installed copy when it changed. A
catalogue added with --sha256 stays pinned: give the new --sha256 to move it.`,
		Example: `  coach catalog update
  coach catalog update http-basics --sha256 9b1c...`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.names = args
			return runCatalogUpdate(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.sha256, "sha256", "", "the new archive's expected sha256 (one catalogue only)")
	return cmd
}

func runCatalogUpdate(ctx context.Context, o *catalogOptions) error {
	s, err := o.g.store(o.client)
	if err != nil {
		return err
	}
	names := o.names
	if len(names) == 0 {
		entries, err := s.List()
		if err != nil {
			return err
		}
		for _, e := range entries {
			names = append(names, e.Name)
		}
	}
	if o.sha256 != "" && len(names) != 1 {
		return usagef("--sha256 pins one catalogue: name it")
	}
	failed := 0
	for _, name := range names {
		before, _ := s.Get(name)
		e, changed, err := s.Update(ctx, name, o.sha256)
		switch {
		case err != nil:
			failed++
			fmt.Fprintf(o.g.io.Err, "coach: %s: %v\n", name, err)
		case changed:
			fmt.Fprintf(o.g.io.Out, "updated %s: %s -> %s\n", name, before.Version, e.Version)
		default:
			fmt.Fprintf(o.g.io.Out, "%s is up to date (%s)\n", name, e.Version)
		}
	}
	if failed > 0 {
		return withCode(ExitUsage, errSilent)
	}
	return nil
}

func newCatalogRemoveCmd(g *globalOptions) *cobra.Command {
	o := &catalogOptions{g: g}
	return &cobra.Command{
		Use:     "remove <name>",
		Short:   "Uninstall a catalogue",
		Example: "  coach catalog remove http-basics",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.names = args
			return runCatalogRemove(cmd.Context(), o)
		},
	}
}

func runCatalogRemove(_ context.Context, o *catalogOptions) error {
	s, err := o.g.store(nil)
	if err != nil {
		return err
	}
	if err := s.Remove(o.names[0]); err != nil {
		return withCode(ExitUsage, err)
	}
	fmt.Fprintf(o.g.io.Out, "removed %s\n", o.names[0])
	return nil
}
