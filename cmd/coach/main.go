// Command coach is an exercise runner and autograder for backend learners.
package main

import (
	"os"

	"github.com/coachcli/coach/internal/cli"
)

func main() { os.Exit(cli.Main()) }
