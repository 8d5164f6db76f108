package exercises

import (
	"embed"
	"io/fs"
)

//go:embed all:backend
var backend embed.FS

// Backend is the embedded backend roadmap catalogue.
func Backend() fs.FS {
	sub, err := fs.Sub(backend, "backend")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}
