package workspace

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// DefaultMaxContextBytes caps the workspace sent to the engine.
const DefaultMaxContextBytes = 50 << 20

// alwaysSkipped never belongs in a build context: VCS data, installed
// dependencies (rebuilt inside the container for Linux) and coach's own state.
var alwaysSkipped = []string{".git", "node_modules", ".coach", "__pycache__", ".venv", "venv"}

// ignoreRule is one line of .dockerignore or .gitignore.
type ignoreRule struct {
	pattern string
	negate  bool
	dirOnly bool
	rooted  bool // contains a slash: matched against the whole path
}

func parseIgnore(data []byte) []ignoreRule {
	var rules []ignoreRule
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var r ignoreRule
		if strings.HasPrefix(line, "!") {
			r.negate, line = true, line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly, line = true, strings.TrimSuffix(line, "/")
		}
		line = strings.TrimPrefix(line, "./")
		if strings.Contains(line, "/") {
			r.rooted, line = true, strings.TrimPrefix(line, "/")
		}
		if line == "" {
			continue
		}
		r.pattern = line
		rules = append(rules, r)
	}
	return rules
}

// matchGlob matches a slash-separated name against a pattern where "**"
// spans any number of path elements.
func matchGlob(pattern, name string) bool {
	if !strings.Contains(pattern, "**") {
		ok, _ := path.Match(pattern, name)
		return ok
	}
	pp, np := strings.Split(pattern, "/"), strings.Split(name, "/")
	var rec func(pi, ni int) bool
	rec = func(pi, ni int) bool {
		for pi < len(pp) {
			if pp[pi] == "**" {
				for k := ni; k <= len(np); k++ {
					if rec(pi+1, k) {
						return true
					}
				}
				return false
			}
			if ni >= len(np) {
				return false
			}
			if ok, _ := path.Match(pp[pi], np[ni]); !ok {
				return false
			}
			pi, ni = pi+1, ni+1
		}
		return ni == len(np)
	}
	return rec(0, 0)
}

// ignored applies the rules in order (the last match wins, as in both
// .gitignore and .dockerignore). rel is slash-separated.
func ignored(rules []ignoreRule, rel string, isDir bool) bool {
	skip := false
	base := path.Base(rel)
	for _, r := range rules {
		if r.dirOnly && !isDir {
			continue
		}
		var m bool
		if r.rooted {
			m = matchGlob(r.pattern, rel)
		} else {
			m = matchGlob(r.pattern, base) || matchGlob(r.pattern, rel)
		}
		if m {
			skip = !r.negate
		}
	}
	return skip
}

// contextFile is a file considered for the context, for the size message.
type contextFile struct {
	rel  string
	size int64
}

// ContextTooLargeError names the biggest files so the learner knows what to
// ignore.
type ContextTooLargeError struct {
	Dir     string
	Max     int64
	Biggest []contextFile
}

func (e *ContextTooLargeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the workspace %s is larger than %d MiB, too big to send to the sandbox; biggest files:", e.Dir, e.Max>>20)
	for _, f := range e.Biggest {
		fmt.Fprintf(&b, "\n  %s (%.1f MiB)", f.rel, float64(f.size)/(1<<20))
	}
	b.WriteString("\nadd what the server does not need to .dockerignore (or .gitignore)")
	return b.String()
}

// execBitsKept says whether this system's filesystems record executable
// bits. Windows reports every file as 0666 (0444 when read-only).
const execBitsKept = runtime.GOOS != "windows"

// scriptNames are files run as programs by name, which must be executable in
// the Linux container even when the workspace comes from Windows.
var scriptNames = []string{"gradlew", "mvnw"}

// tarFileMode is the mode of a regular file in the workspace tar: 0755 when
// it is executable, 0644 otherwise. Where the filesystem keeps executable
// bits (execBits), perm decides. Elsewhere (Windows) a file counts as
// executable when it is a script by its name (*.sh, gradlew, mvnw) or by its
// first bytes (head starts with "#!").
func tarFileMode(rel string, perm fs.FileMode, execBits bool, head []byte) int64 {
	var exec bool
	if execBits {
		exec = perm&0o111 != 0
	} else {
		base := path.Base(rel)
		exec = strings.HasSuffix(base, ".sh") || slices.Contains(scriptNames, base) || bytes.HasPrefix(head, []byte("#!"))
	}
	if exec {
		return 0o755
	}
	return 0o644
}

// fileHead reads the first n bytes of a file (fewer when it is shorter).
func fileHead(p string, n int) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read workspace file: %w", err)
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return buf[:k], nil
}

// Tar writes dir as a reproducible tar (sorted, zero times, fixed
// owners) so that its bytes can serve as the content hash. It honours
// .dockerignore, or .gitignore when there is no .dockerignore; symlinks are
// kept when they stay inside the workspace and skipped (with a note in
// skipped) when they point out of it, so nothing outside the workspace is
// ever read. Names use "/" whatever the system, as the Linux container
// reads them.
func Tar(dir string, max int64) (data []byte, skipped []string, err error) {
	return workspaceTarModes(dir, max, execBitsKept)
}

// workspaceTarModes is Tar with the file mode rule chosen by
// execBits (see tarFileMode), so Windows' rule is tested everywhere.
func workspaceTarModes(dir string, max int64, execBits bool) (data []byte, skipped []string, err error) {
	if max <= 0 {
		max = DefaultMaxContextBytes
	}
	var rules []ignoreRule
	ruleFile := ""
	if b, err := os.ReadFile(filepath.Join(dir, ".dockerignore")); err == nil {
		rules, ruleFile = parseIgnore(b), ".dockerignore"
	} else if b, err := os.ReadFile(filepath.Join(dir, ".gitignore")); err == nil {
		rules, ruleFile = parseIgnore(b), ".gitignore"
	}
	var envKept, leftOut []string
	var files []contextFile
	type entry struct {
		rel  string
		info fs.FileInfo
		link string
	}
	var entries []entry
	var total int64
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() && isAlwaysSkipped(path.Base(rel)) {
			return filepath.SkipDir
		}
		if ignored(rules, rel, d.IsDir()) && !keepAnyway(rel) {
			switch {
			case d.IsDir():
				return filepath.SkipDir
			case isEnvFile(rel) && ruleFile == ".gitignore":
				// .gitignore keeps secrets out of commits, not out of the
				// server: run on the learner's machine, it reads them.
				envKept = append(envKept, rel)
			default:
				if serverMayRead(rel) {
					leftOut = append(leftOut, rel)
				}
				return nil
			}
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e := entry{rel: rel, info: info}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if !insideLink(rel, target) {
				skipped = append(skipped, fmt.Sprintf("%s (a symlink to %s, outside the workspace)", rel, target))
				return nil
			}
			e.link = filepath.ToSlash(target)
		case info.Mode().IsRegular():
			total += info.Size()
			files = append(files, contextFile{rel, info.Size()})
		case info.IsDir():
		default:
			return nil // sockets, devices, fifos: nothing a build needs
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read workspace %s: %w", dir, err)
	}
	if len(envKept) > 0 {
		skipped = append(skipped, fmt.Sprintf("copied %s into the sandbox although .gitignore lists it: your server reads it as it does on your machine "+
			"(list it in .dockerignore to leave it out)", listFew(envKept)))
	}
	if len(leftOut) > 0 {
		it := "it"
		if len(leftOut) > 1 {
			it = "them"
		}
		skipped = append(skipped, fmt.Sprintf("left out %s (in %s): if your server reads %s, it will not find %s in the sandbox",
			listFew(leftOut), ruleFile, it, it))
	}
	if total > max {
		sort.Slice(files, func(i, j int) bool { return files[i].size > files[j].size })
		if len(files) > 5 {
			files = files[:5]
		}
		return nil, skipped, &ContextTooLargeError{Dir: dir, Max: max, Biggest: files}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].rel < entries[j].rel })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.rel, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		switch {
		case e.link != "":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, e.link, 0o777
		case e.info.IsDir():
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, e.rel+"/", 0o755
		default:
			var head []byte
			if !execBits {
				if head, err = fileHead(filepath.Join(dir, filepath.FromSlash(e.rel)), 2); err != nil {
					return nil, nil, err
				}
			}
			h.Typeflag, h.Size = tar.TypeReg, e.info.Size()
			h.Mode = tarFileMode(e.rel, e.info.Mode().Perm(), execBits, head)
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, nil, fmt.Errorf("write context: %w", err)
		}
		if h.Typeflag == tar.TypeReg {
			if err := copyFile(tw, filepath.Join(dir, filepath.FromSlash(e.rel)), h.Size); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, nil, fmt.Errorf("write context: %w", err)
	}
	return buf.Bytes(), skipped, nil
}

func copyFile(w io.Writer, p string, size int64) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("read workspace file: %w", err)
	}
	defer f.Close()
	// A file that grows while being read must not corrupt the tar.
	n, err := io.Copy(w, io.LimitReader(f, size))
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	if n < size {
		return fmt.Errorf("read %s: %w", p, errors.New("file shrank while being read; try again"))
	}
	return nil
}

// isEnvFile is a dotenv file (.env, .env.local), not its committed
// template (.env.example).
func isEnvFile(rel string) bool {
	base := path.Base(rel)
	if base != ".env" && !strings.HasPrefix(base, ".env.") {
		return false
	}
	for _, t := range []string{"example", "sample", "template", "dist"} {
		if strings.HasSuffix(base, "."+t) {
			return false
		}
	}
	return true
}

// serverMayRead is a left-out file worth a warning: configuration, data,
// keys. Build outputs and logs are left out on purpose.
func serverMayRead(rel string) bool {
	base := path.Base(rel)
	switch {
	case isEnvFile(rel):
		return true
	case strings.HasPrefix(base, "."), strings.Contains(base, "compose"), strings.HasPrefix(base, "tsconfig"),
		strings.HasSuffix(base, ".lock"), strings.HasSuffix(base, "-lock.json"):
		return false // tool settings, not what a server reads
	}
	switch strings.ToLower(path.Ext(rel)) {
	case ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".db", ".sqlite", ".sqlite3", ".csv", ".pem", ".key", ".crt":
		return !strings.HasSuffix(rel, ".tsbuildinfo")
	}
	return false
}

// listFew names up to three paths and counts the rest.
func listFew(names []string) string {
	if len(names) <= 3 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
}

func isAlwaysSkipped(base string) bool {
	for _, s := range alwaysSkipped {
		if base == s {
			return true
		}
	}
	return false
}

// keepAnyway protects the files the build itself needs from an ignore file
// that lists them (a .dockerignore listing Dockerfile is a common mistake).
func keepAnyway(rel string) bool {
	switch rel {
	case "Dockerfile", "coach.yaml", "package.json", "package-lock.json", "go.mod", "go.sum", "requirements.txt":
		return true
	}
	return false
}

// insideLink reports whether a symlink at rel pointing to target resolves
// inside the workspace root.
func insideLink(rel, target string) bool {
	if path.IsAbs(filepath.ToSlash(target)) {
		return false
	}
	j := path.Join(path.Dir(rel), filepath.ToSlash(target))
	return j != ".." && !strings.HasPrefix(j, "../")
}
