package grader

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"text/template/parse"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// Lint rules: each Problem names the one that found it, so editors can
// group them and docs can explain them.
const (
	RuleFormat        = "format"         // what the loader rejects
	RuleNoExpectation = "no-expectation" // a test that asserts nothing
	RuleCaptureOrder  = "capture-order"  // a variable used before it is set
	RuleUndefinedVar  = "undefined-var"  // a template variable nothing defines
	RuleMissingHint   = "missing-hint"   // a test without a hint
	RuleReadme        = "readme"         // README.md lacks a title or a section
	RuleUnknownTest   = "unknown-test"   // a mutant names a test that does not exist
	RulePoints        = "points"         // exercise.yaml's points differ from the suite's sum
	RuleHintLanguage  = "hint-language"  // a hint for every learner names one language's API
)

// Problem is one authoring mistake at a place in a catalogue file.
type Problem struct {
	exercises.PosError
	Rule string
}

func problem(rule, file string, node *yaml.Node, format string, a ...any) *Problem {
	p := &Problem{Rule: rule, PosError: exercises.PosError{File: file, Msg: fmt.Sprintf(format, a...)}}
	if node != nil {
		p.Line, p.Col = node.Line, node.Column
	}
	return p
}

// fromError turns a loader's errors into problems.
func fromError(err error, file string) []*Problem {
	var list exercises.ErrorList
	var pe *exercises.PosError
	var out []*Problem
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			out = append(out, fromPos(e))
		}
	case errors.As(err, &pe):
		out = append(out, fromPos(pe))
	default:
		out = append(out, &Problem{Rule: RuleFormat, PosError: exercises.PosError{File: file, Msg: err.Error()}})
	}
	return out
}

func fromPos(e *exercises.PosError) *Problem {
	rule := RuleFormat
	// The suite decoder refuses a test that asserts nothing; it is an
	// authoring mistake of its own, so it gets its own rule.
	switch {
	case strings.Contains(e.Msg, "asserts nothing"):
		rule = RuleNoExpectation
	case strings.HasSuffix(e.File, "README.md"):
		rule = RuleReadme
	case strings.HasSuffix(e.File, "hints.yaml") && strings.Contains(e.Msg, "at least one"):
		rule = RuleMissingHint
	}
	return &Problem{Rule: rule, PosError: *e}
}

// LintCatalog reports everything the loader rejects in the catalogue at
// fsys plus the authoring mistakes it lets through, sorted by position.
func LintCatalog(fsys fs.FS) []*Problem {
	var probs []*Problem
	cat, err := exercises.Load(fsys)
	if err != nil {
		probs = fromError(err, "roadmap.yaml")
		// Lint the suites anyway: a typo in one exercise.yaml should not
		// hide the mistakes in every suite.
		var rm exercises.Roadmap
		if data, rerr := fs.ReadFile(fsys, "roadmap.yaml"); rerr == nil && exercises.ParseYAML("roadmap.yaml", data, &rm) == nil {
			for _, st := range rm.Steps {
				file := path.Join(st.Dir, "suite.yaml")
				data, err := fs.ReadFile(fsys, file)
				if err != nil || st.Dir == "" {
					continue // the loader said so already
				}
				_, ps := LintSuite(file, data, nil)
				probs = append(probs, ps...)
			}
		}
	} else {
		for _, ex := range cat.Exercises {
			probs = append(probs, LintExercise(ex)...)
		}
	}
	for _, p := range probs {
		placeAtEnd(fsys, p)
	}
	sortProblems(probs)
	return probs
}

// placeAtEnd gives a problem about a whole file (a README without its
// required section) the file's last line, where the fix goes, so editors
// can show it.
func placeAtEnd(fsys fs.FS, p *Problem) {
	if p.Line > 0 {
		return
	}
	data, err := fs.ReadFile(fsys, p.File)
	if err != nil {
		return
	}
	p.Line, p.Col = max(1, bytes.Count(bytes.TrimRight(data, "\n"), []byte("\n"))+1), 1
}

func sortProblems(probs []*Problem) {
	sort.SliceStable(probs, func(i, j int) bool {
		a, b := probs[i], probs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// languageMarks are words that make a hint one language's advice: the
// language's name, how it reads the environment, its HTTP module, its
// dependency file and its start command.
var languageMarks = []struct {
	lang string
	re   *regexp.Regexp
}{
	{"node", regexp.MustCompile(`\bNode(\.js)?\b|\bprocess\.(env|on|exit)\b|\brequire\(|\b[Ee]xpress\b|\bpackage\.json\b|\bnpm\b`)},
	{"go", regexp.MustCompile(`\bGo\b|\bos\.Getenv\b|\bnet/http\b|\bgo\.mod\b|\bgo run\b`)},
	{"python", regexp.MustCompile(`\bPython\b|\bos\.environ\b|\bhttp\.server\b|\b[Ff]lask\b|\brequirements\.txt\b|\bpython3\b`)},
}

// lintHints finds hints shown to every learner that name a language's
// API: a Python learner should not read Node.js advice. Such a hint is
// split into entries with lang (or reworded without the API).
func lintHints(ex *exercises.Exercise) []*Problem {
	return hintLanguageProblems(path.Join(ex.Dir, "hints.yaml"), append(append(exercises.HintList{}, ex.Hints.Build...), ex.Hints.Test...))
}

// hintLanguageProblems is lintHints for hints of one file.
func hintLanguageProblems(file string, hints exercises.HintList) []*Problem {
	var probs []*Problem
	for _, h := range hints {
		if len(h.Lang) > 0 {
			continue
		}
		var langs []string
		for _, m := range languageMarks {
			if m.re.MatchString(h.Text) {
				langs = append(langs, m.lang)
			}
		}
		if len(langs) > 0 {
			probs = append(probs, &Problem{Rule: RuleHintLanguage, PosError: exercises.PosError{File: file, Line: h.Line, Col: 1,
				Msg: fmt.Sprintf("this hint is shown to every learner but names %s APIs: write it as {text: ..., lang: [%s]} (one entry per language) or without them",
					strings.Join(langs, ", "), langs[0])}})
		}
	}
	return probs
}

// LintExercise lints one loaded exercise: its suite, README, hints,
// points and mutants.
func LintExercise(ex *exercises.Exercise) []*Problem {
	probs := append(lintReadme(ex), lintHints(ex)...)
	file := path.Join(ex.Dir, "suite.yaml")
	data, err := fs.ReadFile(ex.FS, "suite.yaml")
	if err != nil {
		return append(probs, fromError(err, file)...)
	}
	s, ps := LintSuite(file, data, ex.Env)
	probs = append(probs, ps...)
	if s == nil {
		return probs
	}
	for _, t := range s.Tests {
		probs = append(probs, hintLanguageProblems(file, t.Hints)...)
	}
	if total := s.Points(); total != ex.Points {
		exFile := path.Join(ex.Dir, "exercise.yaml")
		parts := make([]string, len(s.Tests))
		for i, t := range s.Tests {
			parts[i] = fmt.Sprintf("%s %g", t.ID, t.Points)
		}
		probs = append(probs, problem(RulePoints, exFile, valueNode(readNode(ex.FS, "exercise.yaml"), "points"),
			"points is %g but the suite's tests add up to %g (%s)", ex.Points, total, strings.Join(parts, ", ")))
	}
	ids := make([]string, len(s.Tests))
	for i, t := range s.Tests {
		ids[i] = t.ID
	}
	for _, m := range ex.Mutants {
		if s.test(m.CaughtBy) != nil {
			continue
		}
		node := mutantNode(ex, &m)
		probs = append(probs, problem(RuleUnknownTest, m.File, valueNode(node, "caught_by"),
			"mutant %s: caught_by names %q, which is not a test of this step's suite (tests: %s)", m.ID, m.CaughtBy, strings.Join(ids, ", ")))
	}
	return probs
}

func (s *Suite) test(id string) *Test {
	for _, t := range s.Tests {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// mutantNode finds the YAML node that declares m, for positions.
func mutantNode(ex *exercises.Exercise, m *exercises.Mutant) *yaml.Node {
	root := readNode(ex.FS, strings.TrimPrefix(m.File, ex.Dir+"/"))
	if list := valueNode(root, "mutants"); list != nil {
		for _, n := range list.Content {
			if n.Line == m.Line {
				return n
			}
		}
	}
	return nil
}

func readNode(fsys fs.FS, file string) *yaml.Node {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

func valueNode(node *yaml.Node, key string) *yaml.Node {
	if node == nil {
		return nil
	}
	_, v := valueOf(node, key)
	if v == nil {
		return node
	}
	return v
}

// checksSection is the README section the loader requires; lint also
// wants it to say something.
const checksSection = "## What coach checks"

func lintReadme(ex *exercises.Exercise) []*Problem {
	file := path.Join(ex.Dir, "README.md")
	lines := strings.Split(ex.README, "\n")
	var probs []*Problem
	first := -1
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			first = i
			break
		}
	}
	if first < 0 || !strings.HasPrefix(lines[first], "# ") {
		line := max(first, 0) + 1
		probs = append(probs, &Problem{Rule: RuleReadme, PosError: exercises.PosError{File: file, Line: line, Col: 1,
			Msg: "the README has no title: start it with a line such as \"# Step 3 — A REST API\""}})
	}
	for i, l := range lines {
		if strings.TrimSpace(l) != checksSection {
			continue
		}
		body := false
		for _, next := range lines[i+1:] {
			if strings.HasPrefix(next, "#") {
				break
			}
			body = body || strings.TrimSpace(next) != ""
		}
		if !body {
			probs = append(probs, &Problem{Rule: RuleReadme, PosError: exercises.PosError{File: file, Line: i + 1, Col: 1,
				Msg: "the \"What coach checks\" section is empty: list what the suite checks, so learners know"}})
		}
	}
	return probs
}

// LintSuite parses a suite (what the loader checks) and then looks for
// mistakes the loader lets through: variables used before they are set
// or never defined, tests without a hint. env is the server's environment
// from exercise.yaml (nil when unknown: .env is then not checked). The
// suite is nil when it does not parse. Lint reads the decoded suite, with
// the positions its decoder kept: each step kind says what it renders and
// captures.
func LintSuite(file string, data []byte, env map[string]string) (*Suite, []*Problem) {
	s, err := ParseSuite(file, data)
	if err != nil {
		return nil, fromError(err, file)
	}
	l := &linter{file: file, env: env, captures: map[string][]string{}}
	for _, t := range s.Tests {
		for _, st := range t.Steps {
			declared, _ := st.lint(func(*Template, bool) {})
			for _, c := range declared {
				l.captures[c.Name] = append(l.captures[c.Name], t.ID)
			}
		}
	}
	l.vars(s.Vars)
	for _, t := range s.Tests {
		l.test(t)
	}
	sortProblems(l.probs)
	return s, l.probs
}

type linter struct {
	file     string
	env      map[string]string
	varLine  map[string]int      // suite vars and where they are defined
	captures map[string][]string // capture name -> tests that set it
	probs    []*Problem
}

// scope is what a template may name at one point of a suite.
type scope struct {
	set    map[string]bool // vars, and captures taken so far in this test
	later  map[string]int  // set later on: name -> line
	allowI bool            // inside a burst's request
	test   string
}

func (l *linter) vars(vars []Var) {
	l.varLine = map[string]int{}
	for _, v := range vars {
		l.varLine[v.Name] = v.node.Line
	}
	sc := &scope{set: map[string]bool{}, later: map[string]int{}}
	for k, line := range l.varLine {
		sc.later[k] = line
	}
	for _, v := range vars {
		delete(sc.later, v.Name)
		v.Value.templates(func(t *Template) { l.template(t, sc) })
		sc.set[v.Name] = true
	}
}

func (l *linter) test(t *Test) {
	if strings.TrimSpace(t.Hint) == "" {
		at := t.idNode
		if t.hintNode != nil {
			at = t.hintNode
		}
		l.probs = append(l.probs, problem(RuleMissingHint, l.file, at,
			"test %s has no hint: it is what a learner whose code fails this test reads first", t.ID))
	}
	sc := &scope{set: map[string]bool{}, later: map[string]int{}, test: t.ID}
	for k := range l.varLine {
		sc.set[k] = true
	}
	for _, st := range t.Steps {
		declared, _ := st.lint(func(*Template, bool) {})
		for _, c := range declared {
			if _, seen := sc.later[c.Name]; !seen {
				sc.later[c.Name] = c.node.Line
			}
		}
	}
	for _, st := range t.Steps {
		_, sets := st.lint(func(tm *Template, index bool) {
			withI := *sc
			withI.allowI = index
			l.template(tm, &withI)
		})
		for _, c := range sets {
			sc.set[c.Name] = true
		}
	}
}

// ref is a variable a template reads from its data, and where.
type ref struct {
	path []string
	pos  int
}

func (l *linter) template(t *Template, sc *scope) {
	if t == nil || t.tmpl == nil || t.node == nil {
		return // constant text
	}
	node := t.node
	var refs []ref
	collectRefs(t.tmpl.Tree.Root, false, &refs)
	for _, r := range refs {
		if msg, rule := l.check(r.path, sc); msg != "" {
			p := problem(rule, l.file, node, "%s", msg)
			p.Line, p.Col = position(node, r.pos)
			l.probs = append(l.probs, p)
		}
	}
}

func (l *linter) check(p []string, sc *scope) (msg, rule string) {
	name := "." + strings.Join(p, ".")
	switch root := p[0]; {
	case root == "env":
		if l.env == nil || len(p) < 2 {
			return "", ""
		}
		if _, ok := l.env[p[1]]; !ok {
			keys := make([]string, 0, len(l.env))
			for k := range l.env {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			has := "sets none"
			if len(keys) > 0 {
				has = "has " + strings.Join(keys, ", ")
			}
			return fmt.Sprintf("template variable .env.%s is never defined: exercise.yaml's env %s", p[1], has), RuleUndefinedVar
		}
	case root == "port":
	case root == "i":
		if !sc.allowI {
			return "template variable .i is only defined in a burst's request (the request's index)", RuleUndefinedVar
		}
	case sc.set[root]:
	case sc.later[root] > 0:
		if sc.test == "" {
			return fmt.Sprintf("%s is used before it is set: vars are evaluated in order and %s is defined at line %d", name, root, sc.later[root]), RuleCaptureOrder
		}
		return fmt.Sprintf("%s is used before it is set: this test captures %s at line %d, after this step", name, root, sc.later[root]), RuleCaptureOrder
	default:
		msg := fmt.Sprintf("template variable %s is never defined: it is neither a suite var nor a capture of this test", name)
		if others := l.captures[root]; len(others) > 0 && sc.test != "" {
			msg += fmt.Sprintf(" (test %s captures it, but captures belong to the test that takes them)", others[0])
		}
		return msg, RuleUndefinedVar
	}
	return "", ""
}

// collectRefs finds the variables a template reads from its data: fields
// of dot (except where range or with rebinds it) and $.name anywhere.
func collectRefs(n parse.Node, rebound bool, out *[]ref) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			collectRefs(c, rebound, out)
		}
	case *parse.ActionNode:
		collectRefs(n.Pipe, rebound, out)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			collectRefs(c, rebound, out)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			collectRefs(a, rebound, out)
		}
	case *parse.FieldNode:
		if !rebound {
			*out = append(*out, ref{path: n.Ident, pos: int(n.Pos)})
		}
	case *parse.VariableNode:
		if len(n.Ident) > 1 && n.Ident[0] == "$" {
			*out = append(*out, ref{path: n.Ident[1:], pos: int(n.Pos)})
		}
	case *parse.ChainNode:
		collectRefs(n.Node, rebound, out)
	case *parse.IfNode:
		collectRefs(n.Pipe, rebound, out)
		collectRefs(n.List, rebound, out)
		collectRefs(n.ElseList, rebound, out)
	case *parse.RangeNode:
		collectRefs(n.Pipe, rebound, out)
		collectRefs(n.List, true, out)
		collectRefs(n.ElseList, rebound, out)
	case *parse.WithNode:
		collectRefs(n.Pipe, rebound, out)
		collectRefs(n.List, true, out)
		collectRefs(n.ElseList, rebound, out)
	case *parse.TemplateNode:
		collectRefs(n.Pipe, rebound, out)
	}
}

// position is the line and column of byte offset off of node's value in
// the file: exact for a one-line plain or quoted scalar without escapes,
// else the scalar's start.
func position(node *yaml.Node, off int) (line, col int) {
	v := node.Value
	if off < 0 || off > len(v) || strings.Contains(v, "\n") {
		return node.Line, node.Column
	}
	before := v[:off]
	switch node.Style {
	case 0:
		return node.Line, node.Column + utf8.RuneCountInString(before)
	case yaml.DoubleQuotedStyle:
		if !strings.ContainsAny(before, "\"\\") && !hasNonPrintable(before) {
			return node.Line, node.Column + 1 + utf8.RuneCountInString(before)
		}
	case yaml.SingleQuotedStyle:
		if !strings.Contains(before, "'") {
			return node.Line, node.Column + 1 + utf8.RuneCountInString(before)
		}
	}
	return node.Line, node.Column
}

func hasNonPrintable(s string) bool {
	return bytes.ContainsFunc([]byte(s), func(r rune) bool { return r < 0x20 })
}

// What lint reads of the parts several kinds share: every template they
// render (not a JSON Schema, a name or a JSONPath, which are not).

func (r *Request) templates(f func(*Template)) {
	if r == nil {
		return
	}
	f(r.Path)
	for _, kvs := range [][]KV{r.Query, r.Headers} {
		for _, kv := range kvs {
			f(kv.Value)
		}
	}
	r.JSON.templates(f)
	f(r.Body)
	for _, kv := range r.Form {
		f(kv.Value)
	}
}

func (e *Expect) templates(f func(*Template)) {
	if e == nil {
		return
	}
	for _, h := range e.Headers {
		h.Match.templates(f)
	}
	checksTemplates(e.JSON, f)
	e.Body.templates(f)
	for _, c := range e.Cookies {
		c.Value.templates(f)
	}
}

func checksTemplates(checks []JSONCheck, f func(*Template)) {
	for _, c := range checks {
		c.Match.templates(f)
	}
}

func (m *Matcher) templates(f func(*Template)) {
	if m == nil {
		return
	}
	for _, v := range []*Value{m.equals, m.notEquals, m.contains, m.notContains} {
		v.templates(f)
	}
	for _, v := range m.oneOf {
		v.templates(f)
	}
	if m.regex != nil {
		f(m.regex.src)
	}
}

func (v *Value) templates(f func(*Template)) {
	if v == nil {
		return
	}
	switch v.kind {
	case kindString:
		f(v.str)
	case kindList:
		for _, e := range v.list {
			e.templates(f)
		}
	case kindMap:
		for _, e := range v.vals {
			e.templates(f)
		}
	}
}
