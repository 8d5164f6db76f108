package grader

import (
	"context"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// stepKind is one kind of step (request, burst, sleep, ...): a type that
// decodes the value under its key, says what YAML it accepts and performs
// the step. Each kind is one file, step_NAME.go, and one line of
// stepRegistry. What only some kinds do is asked with the small
// interfaces below, so a kind that has none of it says nothing.
type stepKind interface {
	// decode reads v, the value under the kind's key; step is the whole
	// step map, for the keys a kind allows beside its own (its siblings).
	decode(v, step *yaml.Node) error
	// schema is the JSON Schema of v.
	schema(r *exercises.Reflector) schema
	// run performs the step; a *checkFailure means the server failed it.
	run(ctx context.Context, x *testRun) error
}

// asserter is a kind that can check the server; a test needs one step
// that does.
type asserter interface{ asserts() bool }

// chainer is a kind that depends on the steps before it (an await on its
// async request, sse_expect on its stream): chain checks that at load
// time and records what the step sets up.
type chainer interface {
	chain(c *chain, s *Step) error
}

// chain is what a test's steps have set up so far.
type chain struct {
	pending map[string]*Step // async requests in flight, by name
	streams map[string]bool  // open SSE streams, by name
}

// sender is a kind that sends a request (or checks the answer to one):
// same is the step that sent it when that is another step (an await's
// async request). Failures and timelines number requests by it.
type sender interface {
	sends() (req *Request, same *Step)
}

// linted is a kind with templates or captures for lint to check.
type linted interface {
	// lint passes every template the step renders to tmpl (index: {{ .i }}
	// is defined there) and returns the captures the step declares and
	// those it sets for the steps after it.
	lint(tmpl func(t *Template, index bool)) (declared, sets []Capture)
}

// kindDef is a kind's entry in the registry: the keys that name it in a
// step map and how to make a value to decode into.
type kindDef struct {
	name     string    // its key, and the name reports use
	alias    string    // another key for the same kind (parallel for burst)
	siblings []sibling // keys its step map may have beside its own
	bare     bool      // its key may have no value (restart:, exit:)
	make     func() stepKind
}

// sibling is a key that goes beside a kind's key in a step map (a
// request's expect).
type sibling struct {
	key    string
	schema func(r *exercises.Reflector) schema
}

// stepRegistry is every step kind, in the order messages and the JSON
// Schema list them. The decoder, the schema and lint all read it.
var stepRegistry = []*kindDef{
	&requestKind,
	&burstKind,
	&sleepKind,
	&logsKind,
	&restartKind,
	&signalKind,
	&awaitKind,
	&exitKind,
	&sseOpenKind,
	&sseExpectKind,
	&sseCloseKind,
	&imageKind,
}

// stepKinds are the keys that name a kind, aliases included.
var stepKinds = kindKeys()

func kindKeys() []string {
	var out []string
	for _, d := range stepRegistry {
		out = append(out, d.name)
		if d.alias != "" {
			out = append(out, d.alias)
		}
	}
	return out
}

// kindOf returns the kind a step map key names, or nil.
func kindOf(key string) *kindDef {
	for _, d := range stepRegistry {
		if d.name == key || d.alias == key {
			return d
		}
	}
	return nil
}

// siblingOwner returns the kind whose sibling key is, or nil.
func siblingOwner(key string) *kindDef {
	for _, d := range stepRegistry {
		for _, s := range d.siblings {
			if s.key == key {
				return d
			}
		}
	}
	return nil
}

// siblingKeys are every kind's sibling keys, in registry order.
func siblingKeys() []string {
	var out []string
	for _, d := range stepRegistry {
		for _, s := range d.siblings {
			out = append(out, s.key)
		}
	}
	return out
}

// Step is one step of a test: its kind's value, and where it was written.
type Step struct {
	// RequestStep is set when the step is a request, so its parts read
	// as s.Request, s.Expect and s.Capture; nil for every other kind.
	*RequestStep

	do   stepKind
	def  *kindDef
	node *yaml.Node
}

// Kind names the step's kind ("request", "burst", "sleep", ...).
func (s *Step) Kind() string { return s.def.name }

func (s *Step) UnmarshalYAML(node *yaml.Node) error {
	known := strings.Join(stepKinds, ", ")
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "a step is a map with one of %s", known)
	}
	*s = Step{node: node}
	var kindKey *yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k := node.Content[i]
		if seen[k.Value] {
			return exercises.Errorf(k, "%q is given twice", k.Value)
		}
		seen[k.Value] = true
		switch {
		case kindOf(k.Value) != nil:
			if kindKey != nil {
				return exercises.Errorf(k, "a step does one thing: it has both %s and %s (split it into two steps)", kindKey.Value, k.Value)
			}
			kindKey = k
		case siblingOwner(k.Value) != nil:
		default:
			return exercises.Errorf(k, "unknown step field %q (known: %s, %s)", k.Value, known, strings.Join(siblingKeys(), ", "))
		}
	}
	if kindKey == nil {
		return exercises.Errorf(node, "the step has no kind: give one of %s", known)
	}
	s.def = kindOf(kindKey.Value)
	for _, key := range siblingKeys() {
		if k, _ := valueOf(node, key); k != nil && siblingOwner(key) != s.def {
			return exercises.Errorf(k, "%s belongs to a %s step, not to %s", key, siblingOwner(key).name, kindKey.Value)
		}
	}
	_, v := valueOf(node, kindKey.Value)
	if v.ShortTag() == "!!null" && !s.def.bare {
		return exercises.Errorf(v, "%s needs a value", s.def.name)
	}
	s.do = s.def.make()
	s.RequestStep, _ = s.do.(*RequestStep)
	return s.do.decode(v, node)
}

// JSONSchema of a step: exactly one kind, with only its own siblings.
func (Step) JSONSchema(r *exercises.Reflector) schema {
	var variants []any
	for _, d := range stepRegistry {
		for _, k := range []string{d.name, d.alias} {
			if k == "" {
				continue
			}
			props := schema{k: d.make().schema(r)}
			for _, sib := range d.siblings {
				props[sib.key] = sib.schema(r)
			}
			variants = append(variants, object(props, k))
		}
	}
	return schema{"type": "object", "oneOf": variants}
}

// The methods below ask a step's kind what only some kinds answer; they
// also stand in front of RequestStep's own, which a step embeds.

func (s *Step) run(ctx context.Context, x *testRun) error { return s.do.run(ctx, x) }

func (s *Step) asserts() bool {
	a, ok := s.do.(asserter)
	return ok && a.asserts()
}

func (s *Step) chain(c *chain) error {
	if ch, ok := s.do.(chainer); ok {
		return ch.chain(c, s)
	}
	return nil
}

// sends is the request the step sends or awaits, and the step that sent
// it when that is another.
func (s *Step) sends() (*Request, *Step) {
	if sd, ok := s.do.(sender); ok {
		return sd.sends()
	}
	return nil, nil
}

func (s *Step) lint(tmpl func(t *Template, index bool)) (declared, sets []Capture) {
	if l, ok := s.do.(linted); ok {
		return l.lint(tmpl)
	}
	return nil, nil
}

// checkSteps validates what spans steps (async names, open streams) and
// that the test asserts anything at all.
func (t *Test) checkSteps(node *yaml.Node) error {
	c := &chain{pending: map[string]*Step{}, streams: map[string]bool{}}
	asserts := false
	for _, s := range t.Steps {
		if err := s.chain(c); err != nil {
			return err
		}
		asserts = asserts || s.asserts()
	}
	for name, s := range c.pending {
		return exercises.Errorf(s.node, "async request %q is never awaited", name)
	}
	if !asserts {
		return exercises.Errorf(node, "test %s asserts nothing: give an expect, counts, logs or exit step", t.ID)
	}
	return nil
}

// nullOr allows a kind's key without a value.
func nullOr(s schema) schema { return schema{"anyOf": []any{schema{"type": "null"}, s}} }
