package grader

import (
	"context"
	"strings"
	"syscall"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// stepKind is one kind of step (request, burst, sleep, ...): a type that
// decodes the value under its key, says what YAML it accepts and performs
// the step. Each kind is one file, step_NAME.go; stepRegistry lists them.
// What only some kinds do is asked with the small interfaces below.
type stepKind interface {
	// decode reads v, the value under the kind's key; step is the whole
	// step map, for the keys a kind allows beside its own (siblings).
	decode(v, step *yaml.Node) error
	// schema is the JSON Schema of v.
	schema(r *exercises.Reflector) schema
	// run performs the step; a *checkFailure means the server failed it.
	run(ctx context.Context, x *testRun) error
}

// asserter is a kind that can check the server; a test needs one such step.
type asserter interface{ asserts() bool }

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
	{name: "request"},
	{name: "burst", alias: "parallel"},
	&sleepKind,
	{name: "logs"},
	{name: "restart", bare: true},
	{name: "signal"},
	{name: "await"},
	&exitKind,
	{name: "sse_open"},
	{name: "sse_expect"},
	{name: "sse_close"},
	{name: "image", bare: true},
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

func isStepKind(k string) bool { return kindOf(k) != nil }

// Step is one step of a test; exactly one kind field is set.
type Step struct {
	Request *Request // with Expect, Capture and Async
	Expect  *Expect
	Capture []Capture
	Async   string

	Burst   *Burst
	Logs    *LogsStep
	Restart bool
	Signal  syscall.Signal
	Await   string

	SSEOpen   *SSEOpen
	SSEExpect *SSEExpect
	SSEClose  string
	Image     *ImageStep

	do      stepKind // a kind moved to the registry
	kind    string
	node    *yaml.Node
	awaited *Step // the async request step an await checks
}

// Kind names the step's kind ("request", "burst", "sleep", ...).
func (s *Step) Kind() string { return s.kind }

func (s *Step) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "a step is a map with one of %s", strings.Join(stepKinds, ", "))
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
		case isStepKind(k.Value):
			if kindKey != nil {
				return exercises.Errorf(k, "a step does one thing: it has both %s and %s (split it into two steps)", kindKey.Value, k.Value)
			}
			kindKey = k
		case k.Value == "expect" || k.Value == "capture" || k.Value == "async":
		default:
			return exercises.Errorf(k, "unknown step field %q (known: %s, expect, capture, async)", k.Value, strings.Join(stepKinds, ", "))
		}
	}
	if kindKey == nil {
		return exercises.Errorf(node, "the step has no kind: give one of %s", strings.Join(stepKinds, ", "))
	}
	def := kindOf(kindKey.Value)
	s.kind = def.name
	for _, mod := range []string{"expect", "capture", "async"} {
		if k, _ := valueOf(node, mod); k != nil && s.kind != "request" {
			return exercises.Errorf(k, "%s belongs to a request step, not to %s", mod, kindKey.Value)
		}
	}
	_, v := valueOf(node, kindKey.Value)
	if v.ShortTag() == "!!null" && !def.bare {
		return exercises.Errorf(v, "%s needs a value", def.name)
	}
	if def.make != nil {
		s.do = def.make()
		return s.do.decode(v, node)
	}
	if err := s.decodeKind(v); err != nil {
		return err
	}
	if s.kind == "request" {
		return s.decodeRequestParts(node)
	}
	return nil
}

func (s *Step) decodeKind(v *yaml.Node) error {
	switch s.kind {
	case "request":
		s.Request = &Request{}
		return exercises.DecodeNode(v, s.Request)
	case "burst":
		s.Burst = &Burst{}
		return exercises.DecodeNode(v, s.Burst)
	case "logs":
		s.Logs = &LogsStep{}
		return exercises.DecodeNode(v, s.Logs)
	case "restart":
		if v.Tag != "!!null" && !(v.Kind == yaml.MappingNode && len(v.Content) == 0) {
			return exercises.Errorf(v, "restart takes no options: write restart: {}")
		}
		s.Restart = true
	case "signal":
		sig, err := parseSignal(v)
		if err != nil {
			return err
		}
		s.Signal = sig
	case "await":
		if err := exercises.DecodeNode(v, &s.Await); err != nil {
			return err
		}
		if s.Await == "" {
			return exercises.Errorf(v, "await needs the name of an async request")
		}
	case "sse_open":
		s.SSEOpen = &SSEOpen{}
		return exercises.DecodeNode(v, s.SSEOpen)
	case "sse_expect":
		s.SSEExpect = &SSEExpect{}
		return exercises.DecodeNode(v, s.SSEExpect)
	case "sse_close":
		return exercises.DecodeNode(v, &s.SSEClose)
	case "image":
		s.Image = &ImageStep{}
		if v.Tag == "!!null" {
			return nil
		}
		return exercises.DecodeNode(v, s.Image)
	}
	return nil
}

func (s *Step) decodeRequestParts(node *yaml.Node) error {
	if _, v := valueOf(node, "expect"); v != nil {
		if v.ShortTag() == "!!null" {
			return exercises.Errorf(v, "expect is empty")
		}
		s.Expect = &Expect{}
		if err := exercises.DecodeNode(v, s.Expect); err != nil {
			return err
		}
	}
	if _, v := valueOf(node, "capture"); v != nil {
		var c captureList
		if err := exercises.DecodeNode(v, &c); err != nil {
			return err
		}
		s.Capture = c
	}
	if _, v := valueOf(node, "async"); v != nil {
		if err := exercises.DecodeNode(v, &s.Async); err != nil {
			return err
		}
		if !identRE.MatchString(s.Async) {
			return exercises.Errorf(v, "bad async name %q: use letters, digits and _", s.Async)
		}
		if s.Expect != nil && s.Expect.Refused {
			return exercises.Errorf(v, "a request that must be refused cannot be async")
		}
	}
	return nil
}

func (s *Step) asserts() bool {
	if a, ok := s.do.(asserter); ok {
		return a.asserts()
	}
	switch s.kind {
	case "request":
		return s.Expect != nil
	case "burst":
		return s.Burst.Expect != nil || len(s.Burst.Counts) > 0
	case "sse_open":
		return s.SSEOpen.Expect != nil
	case "logs", "sse_expect", "image":
		return true
	}
	return false
}

// checkSteps validates what spans steps: async names, captures, and that
// the test asserts anything at all.
func (t *Test) checkSteps(node *yaml.Node) error {
	pending := map[string]*Step{}
	streams := map[string]bool{}
	asserts := false
	for _, s := range t.Steps {
		if err := checkStream(s, streams); err != nil {
			return err
		}
		switch {
		case s.Request != nil && s.Async != "":
			if pending[s.Async] != nil {
				return exercises.Errorf(s.node, "async %q is already in flight", s.Async)
			}
			pending[s.Async] = s
		case s.Await != "":
			req := pending[s.Await]
			if req == nil {
				return exercises.Errorf(s.node, "await %q names no earlier async request of this test", s.Await)
			}
			s.awaited = req
			delete(pending, s.Await)
		}
		asserts = asserts || s.asserts()
	}
	for name, s := range pending {
		return exercises.Errorf(s.node, "async request %q is never awaited", name)
	}
	if !asserts {
		return exercises.Errorf(node, "test %s asserts nothing: give an expect, counts, logs or exit step", t.ID)
	}
	return nil
}

// checkStream keeps track of the SSE streams open at s.
func checkStream(s *Step, open map[string]bool) error {
	switch {
	case s.SSEOpen != nil:
		if open[s.SSEOpen.Name] {
			return exercises.Errorf(s.node, "stream %q is already open", s.SSEOpen.Name)
		}
		open[s.SSEOpen.Name] = true
	case s.SSEExpect != nil && !open[s.SSEExpect.Stream]:
		return exercises.Errorf(s.node, "sse_expect: no stream %q is open here (open it with sse_open)", s.SSEExpect.Stream)
	case s.kind == "sse_close":
		if !open[s.SSEClose] {
			return exercises.Errorf(s.node, "sse_close: no stream %q is open here", s.SSEClose)
		}
		delete(open, s.SSEClose)
	}
	return nil
}

var signals = map[string]syscall.Signal{
	"SIGHUP":  syscall.Signal(1),
	"SIGINT":  syscall.Signal(2),
	"SIGQUIT": syscall.Signal(3),
	"SIGKILL": syscall.Signal(9),
	"SIGUSR1": syscall.Signal(10), // Linux numbering: servers run in Linux containers
	"SIGUSR2": syscall.Signal(12),
	"SIGTERM": syscall.Signal(15),
}

func parseSignal(v *yaml.Node) (syscall.Signal, error) {
	name := strings.ToUpper(v.Value)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	sig, ok := signals[name]
	if v.Kind != yaml.ScalarNode || !ok {
		return 0, exercises.Errorf(v, "unknown signal %q (known: SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2)", v.Value)
	}
	return sig, nil
}

