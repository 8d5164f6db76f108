package cli

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// fileWatcher reports changes to the learner's files. It uses the
// operating system's file events where they work, and polls where they do
// not arrive (Windows drives under WSL, network filesystems) or when the
// watcher cannot be created (inotify limits).
type fileWatcher struct {
	// C receives the first changed path of each burst of changes: editors
	// write a file in several steps, and one save must mean one re-run.
	C    <-chan string
	Mode string // "events" or "polling every 500ms" (with the reason)

	dir      string
	ignore   *ignoreRules
	debounce time.Duration
	c        chan string
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// watchFiles starts watching dir until Close.
func watchFiles(ctx context.Context, dir string, poll bool, interval, debounce time.Duration) *fileWatcher {
	ctx, cancel := context.WithCancel(ctx)
	w := &fileWatcher{dir: dir, ignore: loadIgnore(dir), debounce: debounce, c: make(chan string, 1), stop: cancel}
	w.C = w.c
	reason := ""
	switch {
	case poll:
		reason = "--poll"
	default:
		reason = pollReason(dir)
	}
	if reason == "" {
		fw, err := w.startEvents()
		if err == nil {
			w.Mode = "file events"
			w.wg.Add(1)
			go func() { defer w.wg.Done(); w.events(ctx, fw) }()
			return w
		}
		reason = fmt.Sprintf("file events are not available: %v", err)
	}
	w.Mode = fmt.Sprintf("polling every %s (%s)", interval, reason)
	w.wg.Add(1)
	go func() { defer w.wg.Done(); w.polling(ctx, interval) }()
	return w
}

// Close stops watching.
func (w *fileWatcher) Close() {
	w.stop()
	w.wg.Wait()
}

func (w *fileWatcher) startEvents() (*fsnotify.Watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.addTree(fw, w.dir); err != nil {
		fw.Close()
		return nil, err
	}
	return fw, nil
}

// addTree watches root and every folder below it that is not ignored:
// fsnotify watches one folder at a time.
func (w *fileWatcher) addTree(fw *fsnotify.Watcher, root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // vanished meanwhile
		}
		if !d.IsDir() {
			return nil
		}
		if p != w.dir && w.ignore.match(w.rel(p), true) {
			return filepath.SkipDir
		}
		return fw.Add(p)
	})
}

func (w *fileWatcher) rel(p string) string {
	r, err := filepath.Rel(w.dir, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(r)
}

func (w *fileWatcher) events(ctx context.Context, fw *fsnotify.Watcher) {
	defer fw.Close()
	var timer <-chan time.Time
	first := ""
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-fw.Events:
			if !ok {
				return
			}
			st, statErr := os.Stat(ev.Name)
			isDir := statErr == nil && st.IsDir()
			rel := w.rel(ev.Name)
			if w.ignore.match(rel, isDir) || ev.Op == fsnotify.Chmod {
				continue
			}
			if isDir && ev.Op.Has(fsnotify.Create) {
				_ = w.addTree(fw, ev.Name)
			}
			if first == "" {
				first = rel
			}
			timer = time.After(w.debounce)
		case <-fw.Errors:
			// An overflow loses events, never changes: treat it as one.
			if first == "" {
				first = "."
			}
			timer = time.After(w.debounce)
		case <-timer:
			w.send(first)
			first, timer = "", nil
		}
	}
}

// send reports a change without blocking: one pending change is enough.
func (w *fileWatcher) send(p string) {
	select {
	case w.c <- p:
	default:
	}
}

type fileStamp struct {
	size int64
	mod  time.Time
}

func (w *fileWatcher) snapshot() map[string]fileStamp {
	snap := map[string]fileStamp{}
	_ = filepath.WalkDir(w.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel := w.rel(p)
		if p != w.dir && w.ignore.match(rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			snap[rel] = fileStamp{info.Size(), info.ModTime()}
		}
		return nil
	})
	return snap
}

func (w *fileWatcher) polling(ctx context.Context, interval time.Duration) {
	prev := w.snapshot()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cur := w.snapshot()
			if changed := diffSnapshots(prev, cur); changed != "" {
				w.send(changed)
			}
			prev = cur
		}
	}
}

// diffSnapshots names one path that differs, or "".
func diffSnapshots(a, b map[string]fileStamp) string {
	for p, s := range b {
		if old, ok := a[p]; !ok || old != s {
			return p
		}
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			return p
		}
	}
	return ""
}

// ignoreRules are the files whose changes never re-run a check: what tools
// and editors write, coach's own state, and what .gitignore names (a build
// that writes dist/ must not re-trigger itself).
type ignoreRules struct {
	patterns []string // basename globs, or slash paths relative to the workspace
	dirOnly  map[string]bool
}

var alwaysIgnored = []string{
	".git", ".coach", "node_modules", "__pycache__", ".venv", "venv", ".idea", ".vscode",
	InstructionsFile, "*.pyc", "*~", "*.swp", "*.swx", ".#*", "#*#", "4913", ".DS_Store", "*.tmp",
}

func loadIgnore(dir string) *ignoreRules {
	r := &ignoreRules{patterns: append([]string(nil), alwaysIgnored...), dirOnly: map[string]bool{}}
	f, err := os.Open(filepath.Join(dir, ".gitignore"))
	if err != nil {
		return r
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "!") {
			continue
		}
		only := strings.HasSuffix(line, "/")
		line = strings.Trim(line, "/")
		if line == "" {
			continue
		}
		r.patterns = append(r.patterns, line)
		if only {
			r.dirOnly[line] = true
		}
	}
	return r
}

// match reports whether rel (slash-separated, relative to the workspace)
// or any folder above it is ignored.
func (r *ignoreRules) match(rel string, isDir bool) bool {
	parts := strings.Split(rel, "/")
	for i := range parts {
		sub := strings.Join(parts[:i+1], "/")
		dir := isDir || i < len(parts)-1
		for _, p := range r.patterns {
			if r.dirOnly[p] && !dir {
				continue
			}
			target := parts[i]
			if strings.Contains(p, "/") {
				target = sub
			}
			if ok, _ := path.Match(p, target); ok {
				return true
			}
		}
	}
	return false
}
