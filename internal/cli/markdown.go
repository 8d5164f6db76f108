package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/glamour"
	"github.com/muesli/termenv"
	"golang.org/x/term"
)

// renderMarkdown writes Markdown for a person to read. On a terminal it is
// rendered (headings, lists, highlighted code) with glamour, coloured unless
// colour is off; anywhere else it is written as is, since Markdown is
// already plain text and a pipe or a file wants the original.
func renderMarkdown(w io.Writer, md string, tty, color bool, getenv func(string) string) error {
	if !tty {
		_, err := io.WriteString(w, ensureNewline(md))
		return err
	}
	opts := []glamour.TermRendererOption{glamour.WithWordWrap(terminalWidth(w) - 4)}
	switch {
	case !color:
		opts = append(opts, glamour.WithStandardStyle("notty"), glamour.WithColorProfile(termenv.Ascii))
	case getenv != nil && getenv("GLAMOUR_STYLE") != "":
		// glamour's own knob: a style name (dark, light, dracula, ...) or a JSON file.
		opts = append(opts, glamour.WithStylePath(getenv("GLAMOUR_STYLE")))
	default:
		// Not glamour's auto style: it asks the terminal for its background
		// colour, which stalls on terminals that do not answer.
		opts = append(opts, glamour.WithStandardStyle("dark"), glamour.WithColorProfile(termenv.ANSI256))
	}
	r, err := glamour.NewTermRenderer(opts...)
	if err != nil {
		return fmt.Errorf("render instructions: %w", err)
	}
	out, err := r.Render(md)
	if err != nil {
		return fmt.Errorf("render instructions: %w", err)
	}
	_, err = io.WriteString(w, out)
	return err
}

// terminalWidth is w's width in columns when w is a terminal, else 80.
func terminalWidth(w io.Writer) int {
	if f, ok := unwrapFile(w); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 20 {
			return min(width, 120)
		}
	}
	return 80
}

// unwrapFile finds the *os.File behind a writer coach wrapped.
func unwrapFile(w io.Writer) (*os.File, bool) {
	for {
		switch v := w.(type) {
		case *os.File:
			return v, true
		case interface{ underlying() io.Writer }:
			w = v.underlying()
		default:
			return nil, false
		}
	}
}

func ensureNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
