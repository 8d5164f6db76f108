package cli

import (
	"github.com/spf13/cobra"
)

func newDoctorCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{Use: "doctor", Short: "Check that coach can build and run your code", Hidden: true}
}

func newCleanCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{Use: "clean", Short: "Remove everything coach left behind", Hidden: true}
}
