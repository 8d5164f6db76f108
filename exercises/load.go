package exercises

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/sandbox/workspace"
)

// Catalog is a loaded, validated roadmap with its exercises in step order.
type Catalog struct {
	Roadmap   Roadmap
	Exercises []*Exercise
	FS        fs.FS
}

// Files every exercise folder must have.
var requiredFiles = []string{"exercise.yaml", "README.md", "hints.yaml", "suite.yaml"}

var (
	idRE         = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	difficulties = []string{"easy", "medium", "hard"}
	runtimes     = []string{"node", "go", "python", "dockerfile"}
)

// Load reads and validates a catalogue rooted at fsys (roadmap.yaml at its
// top). Every problem found is reported, each as file:line:column.
func Load(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{FS: fsys}
	var errs ErrorList
	add := func(err error) {
		var pe *PosError
		var list ErrorList
		switch {
		case errors.As(err, &list):
			errs = append(errs, list...)
		case errors.As(err, &pe):
			errs = append(errs, pe)
		default:
			errs = append(errs, &PosError{Msg: err.Error()})
		}
	}

	rootNode, err := readYAML(fsys, "roadmap.yaml", &c.Roadmap)
	if err != nil {
		return nil, err
	}
	if c.Roadmap.Name == "" || !idRE.MatchString(c.Roadmap.Name) {
		add(at("roadmap.yaml", mapValue(rootNode, "name"), rootNode, "name must be lower-case letters, digits and dashes"))
	}
	stepsNode := mapValue(rootNode, "steps")
	if len(c.Roadmap.Steps) == 0 {
		add(at("roadmap.yaml", stepsNode, rootNode, "the roadmap has no steps"))
	}
	seenID := map[string]bool{}
	for i := range c.Roadmap.Steps {
		rs := &c.Roadmap.Steps[i]
		if stepsNode != nil && i < len(stepsNode.Content) {
			rs.node = stepsNode.Content[i]
		}
		here := func(key string) *yaml.Node { return mapValue(rs.node, key) }
		if rs.Step != i+1 {
			add(at("roadmap.yaml", here("step"), rs.node, "step %d is numbered %d: steps must be numbered 1, 2, 3... in order with no gaps", i+1, rs.Step))
		}
		if !idRE.MatchString(rs.ID) {
			add(at("roadmap.yaml", here("id"), rs.node, "id %q must be lower-case letters, digits and dashes", rs.ID))
		} else if seenID[rs.ID] {
			add(at("roadmap.yaml", here("id"), rs.node, "duplicate id %q", rs.ID))
		}
		seenID[rs.ID] = true
		if rs.Dir == "" || path.Clean(rs.Dir) != rs.Dir || strings.HasPrefix(rs.Dir, "..") || path.IsAbs(rs.Dir) {
			add(at("roadmap.yaml", here("dir"), rs.node, "dir %q must be a folder name beside roadmap.yaml", rs.Dir))
			continue
		}
		ex, err := loadExercise(fsys, rs)
		if err != nil {
			add(err)
			continue
		}
		c.Exercises = append(c.Exercises, ex)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func loadExercise(fsys fs.FS, rs *RoadmapStep) (*Exercise, error) {
	var errs ErrorList
	addErr := func(err error) {
		var pe *PosError
		if errors.As(err, &pe) {
			errs = append(errs, pe)
		} else {
			errs = append(errs, &PosError{File: rs.Dir, Msg: err.Error()})
		}
	}
	if st, err := fs.Stat(fsys, rs.Dir); err != nil || !st.IsDir() {
		return nil, at("roadmap.yaml", mapValue(rs.node, "dir"), rs.node, "folder %s does not exist", rs.Dir)
	}
	for _, f := range requiredFiles {
		if _, err := fs.Stat(fsys, path.Join(rs.Dir, f)); err != nil {
			addErr(&PosError{File: path.Join(rs.Dir, f), Msg: "missing: every exercise needs " + strings.Join(requiredFiles, ", ")})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	sub, err := fs.Sub(fsys, rs.Dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", rs.Dir, err)
	}
	ex := &Exercise{Dir: rs.Dir, FS: sub}
	file := path.Join(rs.Dir, "exercise.yaml")
	node, err := readYAML(fsys, file, ex)
	if err != nil {
		return nil, err
	}
	check := func(ok bool, key, format string, a ...any) {
		if !ok {
			addErr(at(file, mapValue(node, key), node, format, a...))
		}
	}
	check(ex.ID == rs.ID, "id", "id %q does not match the roadmap's id %q for step %d", ex.ID, rs.ID, rs.Step)
	check(ex.Step == rs.Step, "step", "step %d does not match the roadmap, which lists %s as step %d", ex.Step, rs.ID, rs.Step)
	check(strings.TrimSpace(ex.Title) != "", "title", "title is required")
	check(strings.TrimSpace(ex.Summary) != "", "summary", "summary is required")
	check(contains(difficulties, ex.Difficulty), "difficulty", "difficulty %q must be one of %s", ex.Difficulty, strings.Join(difficulties, ", "))
	check(ex.Runtime == "" || contains(runtimes, ex.Runtime), "runtime", "runtime %q must be one of %s", ex.Runtime, strings.Join(runtimes, ", "))
	check(ex.Points > 0, "points", "points must be positive (the sum of the suite's test points)")
	check(len(ex.Topics) > 0, "topics", "list at least one roadmap topic")
	for k := range ex.Env {
		check(k != "PORT" && k != "DATA_DIR", "env", "env must not set %s: coach sets it", k)
	}
	for _, name := range append(slices.Clone(ex.Services.Required), ex.Services.Offered...) {
		check(slices.Contains(workspace.ServiceNames(), name), "services", "unknown service %q (coach offers %s)",
			name, strings.Join(workspace.ServiceNames(), ", "))
	}

	readme, err := fs.ReadFile(sub, "README.md")
	if err != nil {
		return nil, fmt.Errorf("read %s/README.md: %w", rs.Dir, err)
	}
	ex.README = string(readme)
	if !strings.Contains(ex.README, "## What coach checks") {
		addErr(&PosError{File: path.Join(rs.Dir, "README.md"), Msg: `the instructions must end with a "## What coach checks" section`})
	}

	hintsFile := path.Join(rs.Dir, "hints.yaml")
	if hnode, err := readYAML(fsys, hintsFile, &ex.Hints); err != nil {
		addErr(err)
	} else if len(ex.Hints.Build) == 0 || len(ex.Hints.Test) == 0 {
		addErr(at(hintsFile, nil, hnode, "give at least one build hint and one test hint"))
	} else {
		// Hints limited to some languages must leave every learner some.
		for _, kind := range []struct {
			name  string
			hints HintList
		}{{"build", ex.Hints.Build}, {"test", ex.Hints.Test}} {
			for _, lang := range Languages {
				if len(kind.hints.For(lang)) == 0 {
					addErr(at(hintsFile, mapValue(hnode, kind.name), hnode,
						"no %s hint is for %s learners: give one without lang, or one with lang: [%s]", kind.name, lang, lang))
				}
			}
		}
	}

	if err := loadStyles(fsys, sub, ex); err != nil {
		addErr(err)
	}

	// mutants.yaml, plus mutants.<anything>.yaml (e.g. one per language,
	// so authors of different solutions need not edit one file).
	mutFiles, _ := fs.Glob(fsys, path.Join(rs.Dir, "mutants.*.yaml"))
	if _, err := fs.Stat(fsys, path.Join(rs.Dir, "mutants.yaml")); err == nil {
		mutFiles = append([]string{path.Join(rs.Dir, "mutants.yaml")}, mutFiles...)
	}
	seenMutant := map[string]string{}
	for _, mutFile := range mutFiles {
		if err := loadMutants(fsys, mutFile, sub, ex, seenMutant); err != nil {
			addErr(err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return ex, nil
}

// loadStyles reads styles/<name>/style.yaml of every folder under styles/.
func loadStyles(fsys fs.FS, sub fs.FS, ex *Exercise) error {
	entries, err := fs.ReadDir(sub, "styles")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s/styles: %w", ex.Dir, err)
	}
	var errs ErrorList
	for _, e := range entries {
		dir := path.Join(ex.Dir, StyleDir(e.Name()))
		if !e.IsDir() {
			errs = append(errs, &PosError{File: dir, Msg: "styles/ holds only folders, one per style"})
			continue
		}
		if !idRE.MatchString(e.Name()) || contains(Languages, e.Name()) {
			errs = append(errs, &PosError{File: dir, Msg: fmt.Sprintf("style folder %q must be lower-case letters, digits and dashes, and not a language's name (%s)",
				e.Name(), strings.Join(Languages, ", "))})
			continue
		}
		file := path.Join(dir, StyleFile)
		st := Style{Name: e.Name()}
		node, err := readYAML(fsys, file, &st)
		if err != nil {
			var list ErrorList
			var pe *PosError
			switch {
			case errors.As(err, &list):
				errs = append(errs, list...)
			case errors.As(err, &pe):
				errs = append(errs, pe)
			default:
				errs = append(errs, &PosError{File: file, Msg: err.Error()})
			}
			continue
		}
		if !contains(Languages, st.Lang) {
			errs = append(errs, at(file, mapValue(node, "lang"), node, "lang %q must be one of %s", st.Lang, strings.Join(Languages, ", ")))
			continue
		}
		if strings.TrimSpace(st.Description) == "" {
			errs = append(errs, at(file, mapValue(node, "description"), node, "description is required: say what this style shows"))
			continue
		}
		ex.Styles = append(ex.Styles, st)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func loadMutants(fsys fs.FS, file string, sub fs.FS, ex *Exercise, seen map[string]string) error {
	var mf mutantsFile
	node, err := readYAML(fsys, file, &mf)
	if err != nil {
		return err
	}
	var errs ErrorList
	list := mapValue(node, "mutants")
	for i := range mf.Mutants {
		m := &mf.Mutants[i]
		var mn *yaml.Node
		if list != nil && i < len(list.Content) {
			mn = list.Content[i]
			m.Line = mn.Line
		}
		bad := func(key, format string, a ...any) { errs = append(errs, at(file, mapValue(mn, key), mn, format, a...)) }
		switch {
		case !idRE.MatchString(m.ID):
			bad("id", "mutant id %q must be lower-case letters, digits and dashes", m.ID)
		case seen[m.ID] != "":
			bad("id", "duplicate mutant id %q (also in %s)", m.ID, seen[m.ID])
		}
		seen[m.ID] = file
		m.File = file
		if !contains(Languages, m.Lang) {
			bad("lang", "lang %q must be one of %s", m.Lang, strings.Join(Languages, ", "))
			continue
		}
		srcDir := SolutionDir(m.Lang)
		if m.Style != "" {
			st, ok := ex.style(m.Style)
			switch {
			case !ok:
				bad("style", "style %q is not a folder under %s/styles with a %s", m.Style, ex.Dir, StyleFile)
				continue
			case st.Lang != m.Lang:
				bad("lang", "lang %q does not match style %s, which is %s", m.Lang, st.Name, st.Lang)
				continue
			}
			srcDir = StyleDir(m.Style)
		}
		if m.CaughtBy == "" {
			bad("caught_by", "name the test that must catch this mutant")
		}
		if len(m.Edits) == 0 {
			bad("edits", "a mutant needs at least one edit")
		}
		editsNode := mapValue(mn, "edits")
		for j, e := range m.Edits {
			var en *yaml.Node
			if editsNode != nil && j < len(editsNode.Content) {
				en = editsNode.Content[j]
			}
			src, err := fs.ReadFile(sub, path.Join(srcDir, e.File))
			if err != nil {
				errs = append(errs, at(file, mapValue(en, "file"), en, "%s/%s does not exist", srcDir, e.File))
				continue
			}
			if n := bytes.Count(src, []byte(e.Find)); e.Find == "" || n != 1 {
				errs = append(errs, at(file, mapValue(en, "find"), en,
					"find text occurs %d times in %s/%s; it must occur exactly once", n, srcDir, e.File))
			}
		}
	}
	ex.Mutants = append(ex.Mutants, mf.Mutants...)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func (e *Exercise) style(name string) (Style, bool) {
	for _, st := range e.Styles {
		if st.Name == name {
			return st, true
		}
	}
	return Style{}, false
}

// readYAML reads file from fsys and decodes it strictly into v, returning
// the root mapping node for positions.
func readYAML(fsys fs.FS, file string, v any) (*yaml.Node, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &PosError{File: file, Msg: "missing"}
		}
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if err := ParseYAML(file, data, v); err != nil {
		return nil, err
	}
	var doc yaml.Node
	_ = yaml.Unmarshal(data, &doc) // it parsed above
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return &doc, nil
}

// mapValue returns the value node of key in a mapping node, or nil.
func mapValue(node *yaml.Node, key string) *yaml.Node {
	if node == nil || node.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i+1]
		}
	}
	return nil
}

// at builds a PosError at node, or at fallback when node is nil (a key that
// is missing is reported where its mapping starts).
func at(file string, node, fallback *yaml.Node, format string, a ...any) *PosError {
	if node == nil {
		node = fallback
	}
	e := Errorf(node, format, a...)
	e.File = file
	return e
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Find returns the exercise named by a step number ("3"), a step name
// ("step-3", "step-03") or an id ("todo-api").
func (c *Catalog) Find(name string) (*Exercise, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	num := strings.TrimPrefix(name, "step-")
	if n, err := strconv.Atoi(num); err == nil {
		for _, ex := range c.Exercises {
			if ex.Step == n {
				return ex, nil
			}
		}
		return nil, &NotFoundError{Name: name, Catalog: c}
	}
	for _, ex := range c.Exercises {
		if ex.ID == name || ex.Dir == name {
			return ex, nil
		}
	}
	return nil, &NotFoundError{Name: name, Catalog: c}
}

// NotFoundError is an exercise name that names nothing in the catalogue.
type NotFoundError struct {
	Name    string
	Catalog *Catalog
}

func (e *NotFoundError) Error() string {
	n := len(e.Catalog.Exercises)
	return fmt.Sprintf("no step %q in the %s roadmap: name a step as 3, step-3 or its id (steps 1-%d; see `coach list`)",
		e.Name, e.Catalog.Roadmap.Name, n)
}

// Next returns the exercise after ex, or nil at the end of the roadmap.
func (c *Catalog) Next(ex *Exercise) *Exercise {
	for i, x := range c.Exercises {
		if x == ex && i+1 < len(c.Exercises) {
			return c.Exercises[i+1]
		}
	}
	return nil
}
