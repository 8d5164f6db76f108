package exercises

import (
	"fmt"
	"io/fs"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Languages are the languages of starters and reference solutions.
var Languages = []string{"node", "go", "python"}

// Roadmap is a catalogue's roadmap.yaml: the ordered steps.
type Roadmap struct {
	Name        string        `yaml:"name"`
	Title       string        `yaml:"title"`
	Description string        `yaml:"description"`
	URL         string        `yaml:"url"`
	Steps       []RoadmapStep `yaml:"steps"`
}

// RoadmapStep places one exercise in the roadmap.
type RoadmapStep struct {
	Step int    `yaml:"step"`
	ID   string `yaml:"id"`
	Dir  string `yaml:"dir"`

	node *yaml.Node
}

// Exercise is one step's exercise.yaml plus what the loader read beside it.
type Exercise struct {
	ID         string            `yaml:"id"`
	Step       int               `yaml:"step"`
	Title      string            `yaml:"title"`
	Summary    string            `yaml:"summary"`
	Difficulty string            `yaml:"difficulty"`
	Topics     []Topic           `yaml:"topics"`
	Env        map[string]string `yaml:"env"`
	Runtime    string            `yaml:"runtime"`
	Timeouts   Timeouts          `yaml:"timeouts"`
	Points     float64           `yaml:"points"`
	Services   Services          `yaml:"services"`

	// Dir is the exercise's folder inside the catalogue; FS is rooted there.
	Dir string `yaml:"-"`
	FS  fs.FS  `yaml:"-"`
	// README is the learner instructions (README.md).
	README  string   `yaml:"-"`
	Hints   Hints    `yaml:"-"`
	Mutants []Mutant `yaml:"-"`
	// Styles are the exercise's extra solutions (styles/<name>/), in name
	// order.
	Styles []Style `yaml:"-"`
}

// Style is an extra solution of a step, written another way than the
// reference solutions: with libraries, or with a database service. It
// lives in styles/<name>/ beside a style.yaml, and coach exercise verify
// proves it like a reference solution.
type Style struct {
	// Name is the folder's name; it names the style on the command line
	// (--lang) and in mutants (style:).
	Name        string `yaml:"-"`
	Lang        string `yaml:"lang"`
	Description string `yaml:"description"`
}

// Services are the databases (workspace.ServiceNames) an instructor names
// for a step. Required ones run in the server's pod whether or not the
// learner's coach.yaml declares them; offered ones are what the step allows
// the learner to declare (`coach start` lists both).
type Services struct {
	Required []string `yaml:"required"`
	Offered  []string `yaml:"offered"`
}

// Topic is a roadmap.sh node the exercise teaches.
type Topic struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
}

// Timeouts bound the phases of a check.
type Timeouts struct {
	Build Duration `yaml:"build"`
	Start Duration `yaml:"start"`
	Test  Duration `yaml:"test"`
}

// Default timeouts, used where exercise.yaml is silent.
const (
	DefaultBuildTimeout = 5 * time.Minute
	DefaultStartTimeout = 20 * time.Second
	DefaultTestTimeout  = 30 * time.Second
)

// BuildTimeout, StartTimeout and TestTimeout apply the defaults.
func (e *Exercise) BuildTimeout() time.Duration { return or(e.Timeouts.Build, DefaultBuildTimeout) }
func (e *Exercise) StartTimeout() time.Duration { return or(e.Timeouts.Start, DefaultStartTimeout) }
func (e *Exercise) TestTimeout() time.Duration  { return or(e.Timeouts.Test, DefaultTestTimeout) }

func or(d Duration, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}

// Name is the canonical way to name the exercise on the command line.
func (e *Exercise) Name() string { return fmt.Sprintf("step-%d", e.Step) }

// Hints is hints.yaml: shown one at a time, gentle to specific.
type Hints struct {
	Build HintList `yaml:"build"`
	Test  HintList `yaml:"test"`
}

// HintList is one kind of hints, in the order they are shown.
type HintList []Hint

// Hint is one hint. In YAML it is a text for every learner, or
// {text, lang: [node]} for learners whose workspace is in one of those
// languages: a hint that names a language's API goes only to learners of
// that language, so a Node.js learner never reads Python advice.
type Hint struct {
	Text string   `yaml:"text"`
	Lang []string `yaml:"lang"`

	// Line is where the hint is written in hints.yaml.
	Line int `yaml:"-"`
}

// UnmarshalYAML reads a hint written as a text or as {text, lang}.
func (h *Hint) UnmarshalYAML(node *yaml.Node) error {
	h.Line = node.Line
	if node.Kind == yaml.ScalarNode {
		return node.Decode(&h.Text)
	}
	type plain Hint // without this method, so decoding does not recurse
	var p plain
	if err := DecodeNode(node, &p); err != nil {
		return err
	}
	if strings.TrimSpace(p.Text) == "" {
		return Errorf(node, "a hint needs a text")
	}
	if len(p.Lang) == 0 {
		return Errorf(node, "lang lists the languages the hint is for (%s); leave the hint a plain text for all of them", strings.Join(Languages, ", "))
	}
	for _, l := range p.Lang {
		if !contains(Languages, l) {
			return Errorf(node, "lang %q must be one of %s", l, strings.Join(Languages, ", "))
		}
	}
	h.Text, h.Lang = p.Text, p.Lang
	return nil
}

// For says whether the hint is for a learner in lang. A lang that is not
// one of Languages (a Dockerfile workspace, or none detected) gets every
// hint: coach cannot tell which language it is.
func (h Hint) For(lang string) bool {
	return len(h.Lang) == 0 || !contains(Languages, lang) || contains(h.Lang, lang)
}

// For is the texts of the hints for a learner in lang, in order.
func (l HintList) For(lang string) []string {
	var out []string
	for _, h := range l {
		if h.For(lang) {
			out = append(out, h.Text)
		}
	}
	return out
}

// Mutant is a known-bad variant of a reference solution (or of a style):
// edits over one solution that the suite must catch with the named test.
type Mutant struct {
	ID   string `yaml:"id"`
	Lang string `yaml:"lang"`
	// Style names the style (styles/<name>/) the edits apply to; empty for
	// the reference solution of Lang.
	Style       string `yaml:"style"`
	Description string `yaml:"description"`
	CaughtBy    string `yaml:"caught_by"`
	Edits       []Edit `yaml:"edits"`

	// File and Line are where the mutant is declared.
	File string `yaml:"-"`
	Line int    `yaml:"-"`
}

// Edit replaces the one occurrence of Find in File by Replace.
type Edit struct {
	File    string `yaml:"file"`
	Find    string `yaml:"find"`
	Replace string `yaml:"replace"`
}

type mutantsFile struct {
	Mutants []Mutant `yaml:"mutants"`
}

// Duration is a time.Duration written as "500ms", "2s" or "5m" in YAML:
// exercise.yaml's timeouts and every duration of a suite.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return Errorf(node, "expected a duration like 500ms, 2s or 5m")
	}
	v, err := time.ParseDuration(node.Value)
	if err != nil {
		return Errorf(node, "bad duration %q: use a number with a unit, like 500ms, 2s or 5m", node.Value)
	}
	if v < 0 {
		return Errorf(node, "duration %q must not be negative", node.Value)
	}
	*d = Duration(v)
	return nil
}
