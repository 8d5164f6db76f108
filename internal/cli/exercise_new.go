package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
	"github.com/coachcli/coach/grader"
	"github.com/coachcli/coach/pack"
	"github.com/coachcli/coach/schemas"
)

type newExerciseOptions struct {
	g    *globalOptions
	slug string
	step int
	root string // the catalogue folder
}

func newNewCmd(g *globalOptions) *cobra.Command {
	o := &newExerciseOptions{g: g}
	cmd := &cobra.Command{
		Use:   "new <slug>",
		Short: "Scaffold an exercise (and its catalogue, if there is none) that lints clean",
		Long: `Creates step-NN-<slug>/ in the catalogue folder (--catalog, else the current folder)
with exercise.yaml, README.md, hints.yaml, a commented example suite.yaml and
mutants.yaml, and adds the step to roadmap.yaml (created if missing). The YAML files
carry a yaml-language-server comment, so editors complete and check them.`,
		Example: `  coach exercise new hello-server
  coach --catalog ./http-basics exercise new routes --step 2`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.slug = args[0]
			o.root = g.catalogDir
			if o.root == "" {
				o.root = g.dir
			}
			return runNewExercise(cmd.Context(), o)
		},
	}
	cmd.Flags().IntVar(&o.step, "step", 0, "the step number (default: the next one; new steps go at the end)")
	return cmd
}

func schemaComment(name string) string {
	return "# yaml-language-server: $schema=" + schemas.URL(name) + "\n"
}

var notSlug = regexp.MustCompile(`[^a-z0-9]+`)

func runNewExercise(_ context.Context, o *newExerciseOptions) error {
	if !pack.ValidName(o.slug) {
		return usagef("slug %q: use lower-case letters, digits and dashes, e.g. rate-limiter", o.slug)
	}
	if err := os.MkdirAll(o.root, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", o.root, err)
	}
	roadmapFile := filepath.Join(o.root, "roadmap.yaml")
	data, err := os.ReadFile(roadmapFile)
	if errors.Is(err, fs.ErrNotExist) {
		abs, _ := filepath.Abs(o.root)
		name := strings.Trim(notSlug.ReplaceAllString(strings.ToLower(filepath.Base(abs)), "-"), "-")
		if name == "" {
			name = "my-roadmap"
		}
		data = []byte(schemaComment("roadmap") + "name: " + name + "\ntitle: " + name + "\nsteps: []\n")
	} else if err != nil {
		return fmt.Errorf("read %s: %w", roadmapFile, err)
	}
	var rm exercises.Roadmap
	if err := exercises.ParseYAML(roadmapFile, data, &rm); err != nil {
		return err
	}
	next := len(rm.Steps) + 1
	if o.step == 0 {
		o.step = next
	}
	if o.step != next {
		return usagef("--step %d: the roadmap has %d step(s), so a new step is step %d (new steps go at the end)", o.step, len(rm.Steps), next)
	}
	for _, s := range rm.Steps {
		if s.ID == o.slug {
			return usagef("the roadmap already has a step with id %s (step %d)", o.slug, s.Step)
		}
	}
	dirName := fmt.Sprintf("step-%02d-%s", o.step, o.slug)
	dir := filepath.Join(o.root, dirName)
	if _, err := os.Stat(dir); err == nil {
		return usagef("%s exists already (coach never overwrites your files)", dir)
	}
	updated, err := appendStep(data, o.step, o.slug, dirName)
	if err != nil {
		return fmt.Errorf("update %s: %w", roadmapFile, err)
	}
	title := strings.ToUpper(o.slug[:1]) + strings.ReplaceAll(o.slug[1:], "-", " ")
	files := map[string]string{
		"exercise.yaml": schemaComment("exercise") + fmt.Sprintf(scaffoldExercise, o.slug, o.step, title),
		"README.md":     fmt.Sprintf(scaffoldReadme, o.step, title),
		"hints.yaml":    schemaComment("hints") + scaffoldHints,
		"suite.yaml":    schemaComment("suite") + scaffoldSuite,
		"mutants.yaml":  schemaComment("mutants") + scaffoldMutants,
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, name := range []string{"exercise.yaml", "README.md", "hints.yaml", "suite.yaml", "mutants.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(files[name]), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	if err := replaceFile(roadmapFile, updated); err != nil {
		return err
	}
	out := o.g.io.Out
	fmt.Fprintf(out, "created %s/ (step %d) and added it to %s\n", dir, o.step, roadmapFile)
	if probs := grader.LintCatalog(os.DirFS(o.root)); len(probs) > 0 {
		// Another step's problems: say so, the new one is fine.
		fmt.Fprintf(out, "\nthe catalogue has %d problem(s) elsewhere; see coach exercise lint %s\n", len(probs), o.root)
	}
	fmt.Fprintf(out, `
Next:
  1. write the instructions in %[1]s/README.md and the tests in %[1]s/suite.yaml
  2. add reference solutions in %[1]s/solutions/{node,go,python}/ (cumulative: they pass steps 1..%[2]d)
  3. coach exercise lint %[3]s
  4. coach exercise verify %[3]s --step %[2]d
`, dir, o.step, o.root)
	return nil
}

// replaceFile writes through a temporary file and a rename, so a crash
// never leaves half a roadmap.
func replaceFile(file string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".coach-tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

// appendStep adds a step to roadmap.yaml's steps through the YAML node
// tree, so comments and the rest of the file survive.
func appendStep(data []byte, step int, id, dir string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("roadmap.yaml is not a map")
	}
	root := doc.Content[0]
	var steps *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "steps" {
			steps = root.Content[i+1]
		}
	}
	if steps == nil {
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "steps"}, &yaml.Node{Kind: yaml.SequenceNode})
		steps = root.Content[len(root.Content)-1]
	}
	steps.Style = 0 // block style, even when it was `steps: []`
	scalar := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	steps.Content = append(steps.Content, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		scalar("step"), {Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(step)},
		scalar("id"), scalar(id),
		scalar("dir"), scalar(dir),
	}})
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

const scaffoldExercise = `id: %s
step: %d
title: %s
summary: One sentence that ` + "`coach list`" + ` shows.
difficulty: easy                 # easy | medium | hard
topics:                          # the roadmap.sh nodes this step teaches
  - name: HTTP
    url: https://roadmap.sh/backend
# env:                           # extra environment for the server (strings)
#   API_KEY: k1
# timeouts: {build: 5m, start: 20s, test: 30s}
points: 1                        # the sum of the suite's test points
`

const scaffoldReadme = `# Step %d — %s

## The concept

What this step teaches, and why a backend needs it.

## What to build

- ` + "`GET /health`" + ` answers 200.

## What coach checks

- ` + "`GET /health`" + ` answers 200.
`

const scaffoldHints = `build:   # shown one at a time when the code does not build or start
  - Read the first error line of the output; it names the file and the line.
test:    # shown one at a time, gentle to specific, when a test fails
  - Run your server and try the request from the failure message with curl -i.
`

const scaffoldSuite = `# The HTTP tests of this step: docs/formats.md has every field.
# Run coach exercise lint after each edit; coach exercise verify proves the
# reference solutions pass and the mutants are caught.
tests:
  - id: health
    name: GET /health answers 200
    points: 1
    hint: Add a route for GET /health that answers 200.
    steps:
      - request: {path: /health}
        expect:
          status: 200

# A fuller test, with a suite variable and a capture. To use it, put the
# vars block at the top, the test under tests:, and add its points to
# exercise.yaml.
#
# vars:                              # evaluated once per run, seeded
#   title: "{{ randWords 3 }}"
#
#   - id: todos-create
#     name: POST /todos creates a todo and GET returns it
#     points: 2
#     hint: Answer 201 with the new todo as JSON, including its id.
#     steps:
#       - request:
#           method: POST
#           path: /todos
#           json: {title: "{{ .title }}"}
#         expect:
#           status: 201
#           headers:
#             Content-Type: {media_type: application/json}
#           json:
#             $.title: "{{ .title }}"          # a scalar means equals
#             $.id: {type: "string|integer"}
#         capture:
#           id: {json: $.id}                    # used by later steps
#       - request: {path: "/todos/{{ .id }}"}
#         expect:
#           status: 200
#           json: {$.id: "{{ .id }}"}
`

const scaffoldMutants = `# Known-bad variants of a reference solution: the test named by caught_by
# must fail for each. Every find must occur exactly once in its file.
mutants: []
#  - id: health-wrong-status
#    lang: node
#    description: /health answers 201
#    caught_by: health
#    edits:
#      - file: server.js
#        find: "res.writeHead(200"
#        replace: "res.writeHead(201"
`
