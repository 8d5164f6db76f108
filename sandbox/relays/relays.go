// Package relays holds the sandbox relay (cmd/coach-relay) built for each
// Linux architecture an engine may run, so that a coach built for any OS
// can start a pod: `make relays` writes them into dist/ before coach is
// built, and go:embed takes whatever is there. A coach built without them
// (plain `go build`) still works on Linux, where its own executable can
// serve as the relay.
package relays

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Name is the file name of the relay for a Linux architecture (GOARCH).
func Name(arch string) string { return "coach-relay-linux-" + arch }

// Binary returns the embedded relay for a Linux architecture (GOARCH
// spelling: amd64, arm64), or false when this coach was built without it.
func Binary(arch string) ([]byte, bool) {
	b, err := fs.ReadFile(dist, "dist/"+Name(arch))
	if err != nil || len(b) == 0 {
		return nil, false
	}
	return b, true
}

// Arches lists the architectures a relay was embedded for.
func Arches() []string {
	var out []string
	for _, a := range Supported {
		if _, ok := Binary(a); ok {
			out = append(out, a)
		}
	}
	return out
}

// Supported are the architectures `make relays` builds.
var Supported = []string{"amd64", "arm64"}
