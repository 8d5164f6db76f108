package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/sandbox/dockertest"
)

// BenchmarkCheck times `coach check step-3` against the reference
// solutions: warm (unchanged workspace) under docker and under the process
// backend, and the edit-check loop (a one-line change, then check).
// Targets on a 2-core machine: warm docker ≤ 1.5 s and ≤ 2× process;
// Go edit-check ≤ 4 s; Node edit-check ≤ 2 s.
func BenchmarkCheck(b *testing.B) {
	dockertest.Require(b)
	cat, err := exercises.Load(exercises.Backend())
	if err != nil {
		b.Fatal(err)
	}
	ex, err := cat.Find("3")
	if err != nil {
		b.Fatal(err)
	}
	edits := map[string]struct{ file, find string }{
		"node": {"server.js", "'use strict';"},
		"go":   {"main.go", "package main"},
	}
	for _, lang := range []string{"node", "go"} {
		dir, err := materialize(ex, lang, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		for _, sb := range []string{"docker", "process"} {
			b.Run(fmt.Sprintf("warm/%s/%s", lang, sb), func(b *testing.B) {
				checkOnce(b, dir, sb) // build and cache outside the timing
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					checkOnce(b, dir, sb)
				}
			})
		}
		b.Run(fmt.Sprintf("edit-check/%s/docker", lang), func(b *testing.B) {
			e := edits[lang]
			file := filepath.Join(dir, e.file)
			src, err := os.ReadFile(file)
			if err != nil {
				b.Fatal(err)
			}
			if !strings.Contains(string(src), e.find) {
				b.Fatalf("%s has no %q to edit after", e.file, e.find)
			}
			checkOnce(b, dir, "docker")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				edited := strings.Replace(string(src), e.find, fmt.Sprintf("%s\n// edit %d", e.find, i), 1)
				if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				checkOnce(b, dir, "docker")
			}
		})
	}
}

func checkOnce(b *testing.B, dir, sb string) {
	b.Helper()
	r := coachCtxEnv(context.Background(), b, dir, nil, "check", "3", "--sandbox", sb)
	if r.code != ExitOK {
		b.Fatalf("check under %s exited %d:\n%s%s", sb, r.code, r.out, r.err)
	}
}
