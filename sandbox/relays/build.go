//go:build ignore

// build.go writes the relay for every supported architecture into dist/
// (run by `make relays`: go run ./sandbox/relays/build.go).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/coachcli/coach/sandbox/relays"
)

func main() {
	for _, arch := range relays.Supported {
		out := filepath.Join("sandbox", "relays", "dist", relays.Name(arch))
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./cmd/coach-relay")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "relays: build %s: %v\n", out, err)
			os.Exit(1)
		}
		if fi, err := os.Stat(out); err == nil {
			fmt.Printf("relays: %s (%d KiB)\n", out, fi.Size()>>10)
		}
	}
}
