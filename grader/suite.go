package grader

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ohler55/ojg/jp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// Suite is a decoded suite.yaml: every template, regex, JSONPath and
// schema in it has been compiled.
type Suite struct {
	File  string
	Vars  []Var
	Tests []*Test
}

// Var is one suite variable, evaluated once per run in file order.
type Var struct {
	Name  string
	Value *Value

	node *yaml.Node // its name, for lint
}

// Test is one graded test: ordered steps, the first failing one ends it.
type Test struct {
	ID     string
	Name   string
	Points float64
	// Hint is every hint text of the test, for readers that know no
	// language; HintFor picks those of one language.
	Hint    string
	Hints   exercises.HintList
	Timeout time.Duration // 0 means the run's default
	Hidden  bool
	Steps   []*Step

	idNode, hintNode *yaml.Node // for positions; hintNode is nil without a hint
}

// Points returns the sum of the points of every test.
func (s *Suite) Points() float64 {
	var p float64
	for _, t := range s.Tests {
		p += t.Points
	}
	return p
}

// ParseSuite decodes and validates a suite; errors name file:line:column.
func ParseSuite(file string, data []byte) (*Suite, error) {
	s := &Suite{}
	if err := exercises.ParseYAML(file, data, s); err != nil {
		return nil, err
	}
	if len(s.Tests) == 0 {
		// A document that is only null never reaches UnmarshalYAML.
		return nil, &exercises.PosError{File: file, Line: 1, Msg: "the suite has no tests"}
	}
	s.File = file
	return s, nil
}

var (
	idRE    = regexp.MustCompile(`^[a-z0-9-]+$`)
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	tokenRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// reserved names are set by the runner and cannot be vars or captures.
var reserved = map[string]bool{"env": true, "port": true, "i": true}

// UnmarshalYAML decodes the whole suite and checks what spans tests.
func (s *Suite) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		Vars  varList `yaml:"vars"`
		Tests []*Test `yaml:"tests"`
	}
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "a suite is a map with vars and tests")
	}
	if err := exercises.DecodeNode(node, &raw); err != nil {
		return err
	}
	if len(raw.Tests) == 0 {
		return exercises.Errorf(node, "the suite has no tests")
	}
	_, list := valueOf(node, "tests")
	for i, t := range raw.Tests {
		if t == nil { // null decodes to nil without reaching UnmarshalYAML
			return exercises.Errorf(list.Content[i], "a test is a map with id, name and steps")
		}
	}
	seen := map[string]*Test{}
	for _, t := range raw.Tests {
		if prev, dup := seen[t.ID]; dup {
			return exercises.Errorf(t.idNode, "test id %q is used twice (first at line %d)", t.ID, prev.idNode.Line)
		}
		seen[t.ID] = t
	}
	s.Vars, s.Tests = raw.Vars, raw.Tests
	return nil
}

type varList []Var

func (l *varList) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "vars is a map of name: value")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k := node.Content[i]
		if err := checkName(k, "variable", seen); err != nil {
			return err
		}
		v := &Value{}
		if err := v.UnmarshalYAML(node.Content[i+1]); err != nil {
			return err
		}
		*l = append(*l, Var{Name: k.Value, Value: v, node: k})
	}
	return nil
}

func checkName(k *yaml.Node, what string, seen map[string]bool) error {
	switch {
	case !identRE.MatchString(k.Value):
		return exercises.Errorf(k, "bad %s name %q: use letters, digits and _", what, k.Value)
	case reserved[k.Value]:
		return exercises.Errorf(k, "%q is reserved (env, port and i are set by coach)", k.Value)
	case seen[k.Value]:
		return exercises.Errorf(k, "%s %q is given twice", what, k.Value)
	}
	seen[k.Value] = true
	return nil
}

// valueOf returns the key and value nodes of key in a mapping node.
func valueOf(node *yaml.Node, key string) (k, v *yaml.Node) {
	if node.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i], node.Content[i+1]
		}
	}
	return nil, nil
}

// HintFor is the test's hint for a learner in lang: its texts for that
// language, one after the other ("" when it has none).
func (t *Test) HintFor(lang string) string { return strings.Join(t.Hints.For(lang), " ") }

// testHint is a test's hint: a text, or a list of texts and
// {lang, text} entries (hints.yaml's form) for advice that names one
// language's API.
type testHint exercises.HintList

// UnmarshalYAML reads a text or a list of hints.
func (h *testHint) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode {
		*h = testHint{{Text: node.Value, Line: node.Line}}
		return nil
	}
	var list exercises.HintList
	if node.Kind != yaml.SequenceNode || len(node.Content) == 0 {
		return exercises.Errorf(node, "a hint is a text, or a list of texts and {lang, text} entries")
	}
	if err := exercises.DecodeNode(node, &list); err != nil {
		return err
	}
	*h = testHint(list)
	return nil
}

// UnmarshalYAML decodes a test and checks its steps fit together.
func (t *Test) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		ID         string              `yaml:"id"`
		Name       string              `yaml:"name"`
		Points     *float64            `yaml:"points"`
		Hint       testHint            `yaml:"hint"`
		Timeout    *exercises.Duration `yaml:"timeout"`
		Visibility string              `yaml:"visibility"`
		Steps      []*Step             `yaml:"steps"`
	}
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "a test is a map with id, name and steps")
	}
	if err := exercises.DecodeNode(node, &raw); err != nil {
		return err
	}
	_, idNode := valueOf(node, "id")
	_, stepList := valueOf(node, "steps")
	for i, st := range raw.Steps {
		if st == nil {
			return exercises.Errorf(stepList.Content[i], "a step is a map with one of %s", strings.Join(stepKinds, ", "))
		}
	}
	switch {
	case idNode == nil:
		return exercises.Errorf(node, "the test has no id")
	case !idRE.MatchString(raw.ID):
		return exercises.Errorf(idNode, "bad test id %q: use a-z, 0-9 and -", raw.ID)
	case raw.Name == "":
		return exercises.Errorf(node, "test %s has no name", raw.ID)
	case len(raw.Steps) == 0:
		return exercises.Errorf(node, "test %s has no steps", raw.ID)
	}
	_, hintNode := valueOf(node, "hint")
	hints := exercises.HintList(raw.Hint)
	*t = Test{ID: raw.ID, Name: raw.Name, Points: 1, Hint: strings.Join(hints.For(""), " "), Hints: hints, Steps: raw.Steps,
		idNode: idNode, hintNode: hintNode}
	if raw.Points != nil {
		if *raw.Points < 0 {
			_, p := valueOf(node, "points")
			return exercises.Errorf(p, "points must not be negative")
		}
		t.Points = *raw.Points
	}
	if raw.Timeout != nil {
		t.Timeout = time.Duration(*raw.Timeout)
	}
	switch raw.Visibility {
	case "", "visible":
	case "hidden":
		t.Hidden = true
	default:
		_, v := valueOf(node, "visibility")
		return exercises.Errorf(v, "visibility must be visible or hidden, got %q", raw.Visibility)
	}
	return t.checkSteps(node)
}

// Request is an HTTP request to send; its strings are templates.
type Request struct {
	Method    string
	Path      *Template
	Query     []KV
	Headers   []KV
	JSON      *Value
	Body      *Template
	Form      []KV
	NoCookies bool
	Timeout   time.Duration // 0 means 10s
}

// KV is one entry of an ordered map of templates (query, headers, form).
type KV struct {
	Key   string
	Value *Template
}

type kvList []KV

func (l *kvList) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "expected a map of name: value")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k := node.Content[i]
		if seen[strings.ToLower(k.Value)] {
			return exercises.Errorf(k, "%q is given twice", k.Value)
		}
		seen[strings.ToLower(k.Value)] = true
		t, err := parseTemplate(node.Content[i+1])
		if err != nil {
			return err
		}
		*l = append(*l, KV{Key: k.Value, Value: t})
	}
	return nil
}

const defaultRequestTimeout = 10 * time.Second

func (r *Request) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		Method    string              `yaml:"method"`
		Path      *Template           `yaml:"path"`
		Query     kvList              `yaml:"query"`
		Headers   kvList              `yaml:"headers"`
		JSON      *Value              `yaml:"json"`
		Body      *Template           `yaml:"body"`
		Form      kvList              `yaml:"form"`
		NoCookies bool                `yaml:"no_cookies"`
		Timeout   *exercises.Duration `yaml:"timeout"`
	}
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "a request is a map with method, path, ...")
	}
	if err := exercises.DecodeNode(node, &raw); err != nil {
		return err
	}
	*r = Request{Method: raw.Method, Path: raw.Path, Query: raw.Query, Headers: raw.Headers,
		JSON: raw.JSON, Body: raw.Body, Form: raw.Form, NoCookies: raw.NoCookies}
	if r.Method == "" {
		r.Method = "GET"
	}
	if _, m := valueOf(node, "method"); m != nil && !tokenRE.MatchString(r.Method) {
		return exercises.Errorf(m, "bad method %q", r.Method)
	}
	_, p := valueOf(node, "path")
	switch {
	case r.Path == nil:
		return exercises.Errorf(node, "the request has no path")
	case r.Path.isConst() && !strings.HasPrefix(r.Path.src, "/"):
		return exercises.Errorf(p, "path %q must start with /", r.Path.src)
	}
	if _, j := valueOf(node, "json"); j != nil && r.JSON == nil {
		r.JSON = literal(nil) // `json: null` sends the JSON null
	}
	var bodyKey *yaml.Node
	for _, name := range []string{"json", "body", "form"} {
		if k, _ := valueOf(node, name); k != nil {
			if bodyKey != nil {
				return exercises.Errorf(k, "give at most one of json, body and form (got %s and %s)", bodyKey.Value, name)
			}
			bodyKey = k
		}
	}
	for i, h := range r.Headers {
		if !tokenRE.MatchString(h.Key) {
			_, hs := valueOf(node, "headers")
			return exercises.Errorf(hs.Content[2*i], "bad header name %q", h.Key)
		}
	}
	r.Timeout = defaultRequestTimeout
	if raw.Timeout != nil {
		r.Timeout = time.Duration(*raw.Timeout)
	}
	return nil
}

// Expect is what a response must look like.
type Expect struct {
	Status      []int
	Headers     []HeaderCheck
	JSON        []JSONCheck
	Body        *Matcher
	Schema      *Schema
	Cookies     []CookieCheck
	MaxDuration time.Duration
	// MinDuration is for "answers after N ms": a server that ignores the
	// delay it was asked for answers too soon.
	MinDuration time.Duration
	// Refused says the server must not answer: the request goes out on a
	// new connection, and any HTTP response fails the check ("stops
	// accepting new connections"). It excludes every other key.
	Refused bool
}

// HeaderCheck matches one response header (name case-insensitive).
type HeaderCheck struct {
	Name  string
	Match *Matcher
}

// JSONCheck matches the values a JSONPath selects in the body.
type JSONCheck struct {
	Path     string
	Match    *Matcher
	expr     jp.Expr
	singular bool
}

func (e *Expect) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		Status      statusList          `yaml:"status"`
		Headers     headerChecks        `yaml:"headers"`
		JSON        jsonChecks          `yaml:"json"`
		Body        *Matcher            `yaml:"body"`
		Schema      *Schema             `yaml:"schema"`
		Cookies     cookieChecks        `yaml:"cookies"`
		MaxDuration *exercises.Duration `yaml:"max_duration"`
		MinDuration *exercises.Duration `yaml:"min_duration"`
		Refused     bool                `yaml:"refused"`
	}
	if node.Kind != yaml.MappingNode || len(node.Content) == 0 {
		return exercises.Errorf(node, "expect is a map with at least one of status, headers, json, body, schema, cookies, max_duration, min_duration, refused")
	}
	if err := exercises.DecodeNode(node, &raw); err != nil {
		return err
	}
	if k, _ := valueOf(node, "refused"); k != nil {
		switch {
		case !raw.Refused:
			return exercises.Errorf(k, "write refused: true, or leave it out")
		case len(node.Content) > 2:
			return exercises.Errorf(k, "refused: true means no response at all: it takes no other expect keys")
		}
	}
	*e = Expect{Status: raw.Status, Headers: raw.Headers, JSON: raw.JSON, Body: raw.Body, Schema: raw.Schema, Cookies: raw.Cookies, Refused: raw.Refused}
	if raw.MaxDuration != nil {
		e.MaxDuration = time.Duration(*raw.MaxDuration)
	}
	if raw.MinDuration != nil {
		e.MinDuration = time.Duration(*raw.MinDuration)
		if e.MaxDuration > 0 && e.MinDuration > e.MaxDuration {
			return exercises.Errorf(node, "min_duration %s is over max_duration %s", e.MinDuration, e.MaxDuration)
		}
	}
	return nil
}

type statusList []int

func (l *statusList) UnmarshalYAML(node *yaml.Node) error {
	items := []*yaml.Node{node}
	if node.Kind == yaml.SequenceNode {
		items = node.Content
		if len(items) == 0 {
			return exercises.Errorf(node, "status needs at least one code")
		}
	}
	for _, n := range items {
		var code int
		if err := exercises.DecodeNode(n, &code); err != nil {
			return err
		}
		if code < 100 || code > 599 {
			return exercises.Errorf(n, "bad status code %d: use 100..599", code)
		}
		*l = append(*l, code)
	}
	return nil
}

type headerChecks []HeaderCheck

func (l *headerChecks) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "headers is a map of header name: matcher")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k := node.Content[i]
		lower := strings.ToLower(k.Value)
		switch {
		case !tokenRE.MatchString(k.Value):
			return exercises.Errorf(k, "bad header name %q", k.Value)
		case seen[lower]:
			return exercises.Errorf(k, "header %q is given twice (names are case-insensitive)", k.Value)
		}
		seen[lower] = true
		m := &Matcher{}
		if err := m.UnmarshalYAML(node.Content[i+1]); err != nil {
			return err
		}
		*l = append(*l, HeaderCheck{Name: k.Value, Match: m})
	}
	return nil
}

type jsonChecks []JSONCheck

func (l *jsonChecks) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "json is a map of JSONPath: matcher")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k := node.Content[i]
		if seen[k.Value] {
			return exercises.Errorf(k, "%q is given twice", k.Value)
		}
		seen[k.Value] = true
		c, err := parseJSONPath(k)
		if err != nil {
			return err
		}
		c.Match = &Matcher{}
		if err := c.Match.UnmarshalYAML(node.Content[i+1]); err != nil {
			return err
		}
		*l = append(*l, c)
	}
	return nil
}

func parseJSONPath(k *yaml.Node) (JSONCheck, error) {
	if !strings.HasPrefix(k.Value, "$") {
		return JSONCheck{}, exercises.Errorf(k, "bad JSONPath %q: it must start with $", k.Value)
	}
	x, err := jp.ParseString(k.Value)
	if err != nil {
		return JSONCheck{}, exercises.Errorf(k, "bad JSONPath %q: %v", k.Value, err)
	}
	if len(x) == 0 {
		return JSONCheck{}, exercises.Errorf(k, "bad JSONPath %q", k.Value)
	}
	if _, ok := x[0].(jp.Root); !ok {
		return JSONCheck{}, exercises.Errorf(k, "bad JSONPath %q: it must start with $", k.Value)
	}
	return JSONCheck{Path: k.Value, expr: x, singular: isSingular(x)}, nil
}

// isSingular reports whether x selects at most one value (names and
// indexes only, as RFC 9535 defines a singular query).
func isSingular(x jp.Expr) bool {
	for _, f := range x[1:] {
		switch f.(type) {
		case jp.Child, jp.Nth, jp.Bracket:
		default:
			return false
		}
	}
	return true
}

// Schema is a compiled JSON Schema (2020-12) written inline in YAML.
type Schema struct {
	schema *jsonschema.Schema
}

func (s *Schema) UnmarshalYAML(node *yaml.Node) error {
	var doc any
	if err := node.Decode(&doc); err != nil {
		return exercises.Errorf(node, "bad JSON Schema: %v", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return exercises.Errorf(node, "bad JSON Schema: keys must be strings (%v)", err)
	}
	val, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		return exercises.Errorf(node, "bad JSON Schema: %v", err)
	}
	url := fmt.Sprintf("urn:coach:suite:schema:%d:%d", node.Line, node.Column)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(selfContained{})
	if err := c.AddResource(url, val); err != nil {
		return exercises.Errorf(node, "bad JSON Schema: %v", err)
	}
	if s.schema, err = c.Compile(url); err != nil {
		return exercises.Errorf(node, "bad JSON Schema: %v", err)
	}
	return nil
}

// selfContained refuses every external $ref: a suite (perhaps from a
// fetched pack) must not make coach read local files or the network.
type selfContained struct{}

func (selfContained) Load(url string) (any, error) {
	return nil, fmt.Errorf("external $ref %s: a suite's JSON Schema must be self-contained", url)
}

// CookieCheck matches a cookie set by the response (Set-Cookie).
type CookieCheck struct {
	Name     string
	Exists   *bool
	Value    *Matcher
	HTTPOnly *bool
	Secure   *bool
	Path     *string
	SameSite []string
	Expired  *bool
}

type cookieChecks []CookieCheck

func (l *cookieChecks) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "cookies is a map of cookie name: checks")
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		var raw struct {
			Exists   *bool        `yaml:"exists"`
			Value    *Matcher     `yaml:"value"`
			HTTPOnly *bool        `yaml:"http_only"`
			Secure   *bool        `yaml:"secure"`
			Path     *string      `yaml:"path"`
			SameSite stringOrList `yaml:"same_site"`
			Expired  *bool        `yaml:"expired"`
		}
		if err := exercises.DecodeNode(node.Content[i+1], &raw); err != nil {
			return err
		}
		*l = append(*l, CookieCheck{Name: node.Content[i].Value, Exists: raw.Exists, Value: raw.Value,
			HTTPOnly: raw.HTTPOnly, Secure: raw.Secure, Path: raw.Path, SameSite: raw.SameSite, Expired: raw.Expired})
	}
	return nil
}

type stringOrList []string

func (l *stringOrList) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode {
		*l = []string{node.Value}
		return nil
	}
	var s []string
	if err := exercises.DecodeNode(node, &s); err != nil {
		return err
	}
	*l = s
	return nil
}

// Capture saves a value from a response for later steps.
type Capture struct {
	Name   string
	JSON   string
	Header string
	Cookie string
	Regex  *regexp.Regexp
	From   string // "body" or "header:NAME", for Regex

	check JSONCheck
	node  *yaml.Node // its name, for lint
}

type captureList []Capture

func (l *captureList) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "capture is a map of name: source")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if err := checkName(k, "capture", seen); err != nil {
			return err
		}
		c, err := decodeCapture(k.Value, v)
		if err != nil {
			return err
		}
		c.node = k
		*l = append(*l, c)
	}
	return nil
}

func decodeCapture(name string, v *yaml.Node) (Capture, error) {
	var raw struct {
		JSON   string `yaml:"json"`
		Header string `yaml:"header"`
		Cookie string `yaml:"cookie"`
		Regex  string `yaml:"regex"`
		From   string `yaml:"from"`
	}
	if v.Kind != yaml.MappingNode {
		return Capture{}, exercises.Errorf(v, "a capture is a map with one of json, header, cookie, regex")
	}
	if err := exercises.DecodeNode(v, &raw); err != nil {
		return Capture{}, err
	}
	c := Capture{Name: name, JSON: raw.JSON, Header: raw.Header, Cookie: raw.Cookie, From: raw.From}
	n := 0
	for _, src := range []string{"json", "header", "cookie", "regex"} {
		if k, _ := valueOf(v, src); k != nil {
			if n++; n > 1 {
				return Capture{}, exercises.Errorf(k, "a capture has one source: json, header, cookie or regex")
			}
		}
	}
	if n == 0 {
		return Capture{}, exercises.Errorf(v, "a capture needs one of json, header, cookie, regex")
	}
	if k, _ := valueOf(v, "json"); k != nil {
		_, pv := valueOf(v, "json")
		check, err := parseJSONPath(pv)
		if err != nil {
			return Capture{}, err
		}
		c.check = check
	}
	if k, f := valueOf(v, "from"); k != nil {
		if raw.Regex == "" {
			return Capture{}, exercises.Errorf(k, "from goes with regex")
		}
		if raw.From != "body" && !strings.HasPrefix(raw.From, "header:") {
			return Capture{}, exercises.Errorf(f, "from must be body or header:NAME, got %q", raw.From)
		}
	}
	if _, rv := valueOf(v, "regex"); rv != nil {
		re, err := regexp.Compile(raw.Regex)
		if err != nil {
			return Capture{}, exercises.Errorf(rv, "bad regex %q: %s", raw.Regex, stripRegexpPrefix(err))
		}
		if re.NumSubexp() < 1 {
			return Capture{}, exercises.Errorf(rv, "regex %q needs a group ( ) around the part to capture", raw.Regex)
		}
		c.Regex = re
	}
	return c, nil
}

// nodeRef keeps a YAML node for decoding later; DecodeNode treats it as
// a type that decodes itself, so its keys are checked by whoever reads it.
type nodeRef struct{ node *yaml.Node }

func (r *nodeRef) UnmarshalYAML(node *yaml.Node) error {
	r.node = node
	return nil
}
