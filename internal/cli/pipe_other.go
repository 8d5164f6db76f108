//go:build !unix

package cli

import "os"

// pipeSafe is f: only Unix ends a process that writes to a closed pipe.
func pipeSafe(f *os.File) *os.File { return f }
